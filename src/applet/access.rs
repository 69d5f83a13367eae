//! `chperms access` — can USER reach and read (or write) PATH? If not, which
//! component stops it, and what does the model want there?
//!
//! ```text
//! Usage: chperms access [--user USER] [--write] [--root DIR] [--format text|json] PATH...
//! ```
//!
//! The path is resolved the way the kernel resolves it for that user: from
//! `/` (or the current directory for a relative path), one component at a
//! time, each directory opened with `O_PATH` relative to the previous handle
//! (search permission suffices, so a non-root user can check itself),
//! symlinks followed like a lookup does (at most 40, `fs.protected_symlinks`
//! honoured), `.` and `..` walked physically. Every component looked up needs
//! `x` on its directory for the class (root / owner / group / other) that
//! applies to USER; the target needs `r` (or `w` with `--write`). Root has
//! `CAP_DAC_OVERRIDE`: it may read, write and search anything.
//!
//! Lines show the physical path (after symlinks; relative paths start at
//! `.`). When the denying component lies in a vhost directly under `--root`,
//! the verdict quotes the built-in model ([`crate::model`]) for it: run
//! `chperms VHOST` when the model would let USER through, or "by design"
//! when it would not.
//!
//! Deviations and limits: a directory target is checked for `r` (list) or
//! `w` (create entries); POSIX ACLs are detected and reported, not evaluated
//! (the verdict then says the kernel may answer differently); read-only
//! mounts, immutable files and LSMs (SELinux, AppArmor) are not consulted;
//! the uid-based `--chroot` variant of the model is not assumed.

use crate::budget::{MAX_GROUPS, MAX_SYMLINKS, PATH_MAX, RESOLVE_BUF, RESOLVE_LEVELS};
use crate::fmt_quote::{err_line, put};
use crate::output::{json_str, mode_text, Format};
use crate::sys::{self, Errno, Kind, Meta};
use crate::users::{self, NameCache};
use crate::{model, policy};
use argh::FromArgs;
use rustix::fd::{AsFd, OwnedFd};

#[derive(FromArgs)]
/// Explain whether USER can reach and read (or write) each PATH: one line per
/// component (mode, owner:group, the class that applies, the bit needed) and a
/// verdict naming the first component that denies, with the NetServa model's
/// fix when the path lies in a vhost. Exit 0 allowed, 2 denied, 1 error.
#[argh(
    example = "chperms access /srv/goldcoast.org/web/app/public/.well-known/acme-challenge/t.txt",
    example = "chperms access --user chpv1 --write /opt/wegweiser/payloads/queue",
    note = "ACLs are reported, not evaluated; read-only mounts and LSMs are not consulted."
)]
struct Args {
    /// the user to check, by name or uid (default www-data)
    #[argh(option, default = "String::from(\"www-data\")")]
    user: String,
    /// check write access to the target instead of read
    #[argh(switch)]
    write: bool,
    /// the directory holding vhosts, for model suggestions (default /srv)
    #[argh(option, default = "String::from(\"/srv\")")]
    root: String,
    /// output format: text or json (JSON Lines)
    #[argh(option, default = "Format::Text")]
    format: Format,
    /// paths to explain
    #[argh(positional)]
    paths: Vec<String>,
}

/// The uid/gid standing for a vhost user that could not be discovered.
const UNKNOWN: u32 = u32::MAX - 1;

/// The user whose access is explained, with the groups `initgroups` gives it.
struct Subject {
    name: String,
    uid: u32,
    gids: heapless::Vec<u32, MAX_GROUPS>,
}

/// Which permission class of an entry applies to the subject.
#[derive(Clone, Copy, PartialEq)]
enum Class {
    Root,
    Owner,
    Group(u32),
    Other,
}

const X: u32 = 1;
const W: u32 = 2;
const R: u32 = 4;

impl Subject {
    fn class(&self, uid: u32, gid: u32) -> Class {
        if self.uid == 0 {
            Class::Root
        } else if uid == self.uid {
            Class::Owner
        } else if self.gids.contains(&gid) {
            Class::Group(gid)
        } else {
            Class::Other
        }
    }

    /// The kernel's `generic_permission` without ACLs: only the one class
    /// that applies counts; root passes everything except executing a file
    /// with no `x` bit at all.
    fn allows(&self, uid: u32, gid: u32, mode: u32, dir: bool, need: u32) -> bool {
        match self.class(uid, gid) {
            Class::Root => need != X || dir || mode & 0o111 != 0,
            Class::Owner => (mode >> 6) & need == need,
            Class::Group(_) => (mode >> 3) & need == need,
            Class::Other => mode & need == need,
        }
    }
}

/// One directory on the physical path: bytes `start..end` of the path buffer
/// are its name (the whole buffer up to `end` is its path) and `meta` is the
/// `fstat` of the handle that was opened for it.
struct Level {
    start: usize,
    end: usize,
    meta: Meta,
}

/// Why the walk of one path ended.
enum End {
    Allowed,
    /// Denied at this path; `at` is the level index (or `levels.len()` for
    /// the final non-directory), `meta` what was there, `need` the bit.
    Denied {
        path: Vec<u8>,
        at: usize,
        meta: Meta,
        need: u32,
        why: &'static str,
    },
    Error(Vec<u8>, Errno),
}

/// Everything one run shares.
struct Ctx {
    who: Subject,
    need: u32,
    json: bool,
    names: NameCache,
    root: String,
    /// `(dev, ino)` of `--root`, when it could be opened.
    root_id: Option<Meta>,
    protected_symlinks: bool,
    out: Vec<u8>,
    /// An ACL was seen on a component of the current path.
    acl: bool,
}

/// Runs `chperms access`.
pub fn main(args: &[&str]) -> i32 {
    let a = match Args::from_args(&["chperms access"], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit("access", e),
    };
    if a.paths.is_empty() {
        err(&[b"no PATH given (see --help)"]);
        return 1;
    }
    let Some(who) = subject(&a.user) else {
        err(&[b"unknown user '", a.user.as_bytes(), b"'"]);
        return 1;
    };
    let root_id = std::ffi::CString::new(a.root.as_bytes())
        .ok()
        .and_then(|c| sys::open_base_dir(&c).ok())
        .and_then(|fd| sys::fstat(&fd).ok());
    let mut cx = Ctx {
        who,
        need: if a.write { W } else { R },
        json: a.format == Format::Json,
        names: NameCache::new(),
        root: a.root,
        root_id,
        protected_symlinks: sys::protected_symlinks(),
        out: Vec::with_capacity(1024),
        acl: false,
    };
    let mut status = 0;
    for p in &a.paths {
        cx.acl = false;
        let mut levels: Vec<Level> = Vec::new();
        let mut path: Vec<u8> = Vec::new();
        let end = walk(&mut cx, p.as_bytes(), &mut levels, &mut path);
        let s = verdict(&mut cx, p, &end, &levels, &path);
        status = match (status, s) {
            (1, _) | (_, 1) => 1,
            (a, b) => a.max(b),
        };
        if sys::write_all(sys::stdout_fd(), &cx.out).is_err() {
            return 1;
        }
        cx.out.clear();
    }
    status
}

/// The subject named by `--user`: a name from `/etc/passwd`, or a number
/// (a uid without an entry has no groups at all).
fn subject(s: &str) -> Option<Subject> {
    let u = users::user_by_name(s).or_else(|| {
        let id: u32 = s.parse().ok()?;
        users::user_by_uid(id).or(Some(users::User {
            name: users::number_name(id),
            uid: id,
            gid: u32::MAX,
        }))
    })?;
    let mut gids = users::groups_of(&u);
    gids.retain(|&g| g != u32::MAX);
    Some(Subject {
        name: u.name.as_str().into(),
        uid: u.uid,
        gids,
    })
}

/// Finds the first component of `pending` (leading slashes skipped): the
/// byte range of its name, or `None` when only slashes remain.
fn next_component(pending: &[u8]) -> Option<(usize, usize)> {
    let s = pending.iter().position(|&b| b != b'/')?;
    let n = pending[s..].iter().position(|&b| b == b'/');
    Some((s, n.map_or(pending.len(), |n| s + n)))
}

fn cstr(name: &[u8]) -> Result<std::ffi::CString, Errno> {
    std::ffi::CString::new(name).map_err(|_| Errno::INVAL)
}

/// Resolves `arg` as the kernel would for the subject, printing one line per
/// component examined. `levels`/`path` end up describing the directories on
/// the physical path to where the walk stopped.
fn walk(cx: &mut Ctx, arg: &[u8], levels: &mut Vec<Level>, path: &mut Vec<u8>) -> End {
    let mut at = Vec::new();
    match walk_to(cx, arg, levels, path, &mut at) {
        Ok(end) => end,
        Err(e) => End::Error(at, e),
    }
}

/// [`walk`]'s body: every failing step returns its errno with `?`, and
/// `at` always holds the path that an error there names.
fn walk_to(
    cx: &mut Ctx,
    arg: &[u8],
    levels: &mut Vec<Level>,
    path: &mut Vec<u8>,
    at: &mut Vec<u8>,
) -> Result<End, Errno> {
    if arg.is_empty() {
        return Err(Errno::NOENT);
    }
    if arg.len() >= PATH_MAX {
        *at = arg.to_vec();
        return Err(Errno::NAMETOOLONG);
    }
    // What is left to resolve is `pending[off..]`.
    let mut pending: Vec<u8> = arg.to_vec();
    let mut off = 0;
    let mut fd = start(arg[0] == b'/', levels, path, at)?;
    let mut links = 0;
    let mut printed = false;
    loop {
        at.clone_from(path);
        let Some(top) = levels.last() else {
            return Err(Errno::NOENT);
        };
        let dir = top.meta;
        let Some((ns, ne)) = next_component(&pending[off..]) else {
            // Only the directory at the top is left: it is the target.
            let acl = acl_of(cx, &fd);
            line(cx, path, &dir, cx.need, acl, None);
            if !cx.who.allows(dir.uid, dir.gid, dir.mode, true, cx.need) {
                let at = levels.len() - 1;
                return Ok(denied(path, at, dir, cx.need, ""));
            }
            return Ok(End::Allowed);
        };
        let (name, rest) = (&pending[off + ns..off + ne], &pending[off + ne..]);
        // Every component, dots included, needs search on the directory it
        // is looked up in (the kernel's may_lookup).
        if !printed {
            let acl = acl_of(cx, &fd);
            line(cx, path, &dir, X, acl, None);
            printed = true;
        }
        if !cx.who.allows(dir.uid, dir.gid, dir.mode, true, X) {
            let at = levels.len() - 1;
            return Ok(denied(path, at, dir, X, ""));
        }
        off += ne;
        if name == b"." {
            continue;
        }
        if name == b".." {
            let f = sys::open_dir_path_at(fd.as_fd(), c"..")?;
            let m = sys::fstat(&f)?;
            fd = f;
            if levels.len() > 1 {
                levels.pop();
                let end = levels.last().map_or(0, |l| l.end);
                path.truncate(end);
            } else if !m.same_object(&dir) {
                // Above the starting directory of a relative path.
                path.extend_from_slice(b"/..");
                levels[0] = Level {
                    start: 0,
                    end: path.len(),
                    meta: m,
                };
            }
            printed = false;
            continue;
        }
        *at = joined(path, name);
        let c = cstr(name)?;
        let meta = sys::stat_at(fd.as_fd(), &c)?;
        match meta.kind() {
            Kind::Symlink => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(Errno::LOOP);
                }
                let mut buf = vec![0u8; PATH_MAX];
                let n = sys::readlink_at(fd.as_fd(), &c, &mut buf)?;
                buf.truncate(n);
                line(cx, at, &meta, 0, false, Some(&buf));
                // fs.protected_symlinks (may_follow_link): in a sticky
                // world-writable directory only links owned by the follower
                // or by the directory's owner are followed, even for root.
                if cx.protected_symlinks
                    && dir.mode & 0o1002 == 0o1002
                    && meta.uid != cx.who.uid
                    && meta.uid != dir.uid
                {
                    let lv = levels.len();
                    return Ok(denied(at, lv, meta, 0, "fs.protected_symlinks"));
                }
                if buf.is_empty() {
                    return Err(Errno::NOENT);
                }
                if buf.len() + 1 + rest.len() > RESOLVE_BUF {
                    return Err(Errno::NAMETOOLONG);
                }
                if !rest.is_empty() {
                    buf.push(b'/');
                    buf.extend_from_slice(rest);
                }
                if buf[0] == b'/' {
                    fd = start(true, levels, path, at)?;
                    printed = false;
                }
                pending = buf;
                off = 0;
            }
            Kind::Dir => {
                let f = sys::open_dir_path_at(fd.as_fd(), &c)?;
                let m = sys::fstat(&f)?;
                if levels.len() >= RESOLVE_LEVELS || path.len() + name.len() + 1 > RESOLVE_BUF {
                    return Err(Errno::NAMETOOLONG);
                }
                fd = f;
                let start = path.len() + usize::from(path.last() != Some(&b'/'));
                path.clone_from(at);
                levels.push(Level {
                    start,
                    end: path.len(),
                    meta: m,
                });
                printed = false;
            }
            _ if !rest.is_empty() => return Err(Errno::NOTDIR),
            _ => {
                let acl = match sys::open_path_at(fd.as_fd(), &c) {
                    Ok(h) => acl_of(cx, &h),
                    Err(_) => false,
                };
                line(cx, at, &meta, cx.need, acl, None);
                if !cx.who.allows(meta.uid, meta.gid, meta.mode, false, cx.need) {
                    let lv = levels.len();
                    return Ok(denied(at, lv, meta, cx.need, ""));
                }
                return Ok(End::Allowed);
            }
        }
    }
}

fn denied(path: &[u8], at: usize, meta: Meta, need: u32, why: &'static str) -> End {
    End::Denied {
        path: path.to_vec(),
        at,
        meta,
        need,
        why,
    }
}

/// Opens the starting directory (`/` or the current directory) and resets
/// the levels and `path` to it (also the path its errors name, in `at`).
fn start(
    absolute: bool,
    levels: &mut Vec<Level>,
    path: &mut Vec<u8>,
    at: &mut Vec<u8>,
) -> Result<OwnedFd, Errno> {
    levels.clear();
    path.clear();
    path.push(if absolute { b'/' } else { b'.' });
    at.clone_from(path);
    let fd = if absolute {
        sys::open_base_path(c"/", true)?
    } else {
        sys::open_dir_path_at(sys::cwd(), c".")?
    };
    let meta = sys::fstat(&fd)?;
    levels.push(Level {
        start: 0,
        end: 1,
        meta,
    });
    Ok(fd)
}

/// `path/name` (no doubled slash after `/`).
fn joined(path: &[u8], name: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(path.len() + name.len() + 1);
    v.extend_from_slice(path);
    if v.last() != Some(&b'/') {
        v.push(b'/');
    }
    v.extend_from_slice(name);
    v
}

/// Whether the handle's object carries a POSIX ACL (remembered for the
/// verdict).
fn acl_of<Fd: AsFd>(cx: &mut Ctx, fd: Fd) -> bool {
    let acl = sys::has_xattr_fd(fd, sys::XATTR_POSIX_ACL_ACCESS).unwrap_or(false);
    cx.acl |= acl;
    acl
}

/// Appends `b` as `String::from_utf8_lossy` shows it (messages are UTF-8).
fn put_lossy(o: &mut Vec<u8>, b: &[u8]) {
    o.extend_from_slice(String::from_utf8_lossy(b).as_bytes());
}

/// Appends `v` in decimal.
fn put_num(o: &mut Vec<u8>, v: u32) {
    crate::fmt_time::push_num(o, i64::from(v), 1, b'0');
}

/// One line on stderr: `chperms access: ` and the parts.
fn err(parts: &[&[u8]]) {
    err_line(b"chperms access: ", parts);
}

/// Appends how a class is named in lines and verdicts (`group www-data`).
fn put_class(o: &mut Vec<u8>, names: &mut NameCache, c: Class) {
    let text: &[u8] = match c {
        Class::Root => b"root",
        Class::Owner => b"owner",
        Class::Group(g) => {
            put(o, &[b"group ", names.group_text(g).as_bytes()]);
            return;
        }
        Class::Other => b"other",
    };
    o.extend_from_slice(text);
}

fn need_text(need: u32) -> &'static [u8] {
    match need {
        X => b"x",
        W => b"w",
        R => b"r",
        _ => b"follow",
    }
}

fn bool_text(b: bool) -> &'static [u8] {
    if b {
        b"true"
    } else {
        b"false"
    }
}

const ACL_NOTE: &[u8] = b" (a component has an ACL: the kernel's answer may differ)";

/// Prints one component: `drwxr-s--- u1001:www-data 02750 PATH  group www-data x: ok`.
/// `need` 0 marks a symlink being followed (its own mode never matters).
fn line(cx: &mut Ctx, path: &[u8], m: &Meta, need: u32, acl: bool, target: Option<&[u8]>) {
    let owner = cx.names.user_text(m.uid);
    let group = cx.names.group_text(m.gid);
    let class = cx.who.class(m.uid, m.gid);
    let ok = need == 0
        || cx
            .who
            .allows(m.uid, m.gid, m.mode, m.kind() == Kind::Dir, need);
    let mut ct = Vec::new();
    put_class(&mut ct, &mut cx.names, class);
    let mode = mode_text(m.mode);
    let o = &mut cx.out;
    if cx.json {
        o.extend_from_slice(b"{\"path\":");
        json_str(o, path);
        put(
            o,
            &[
                b",\"type\":\"",
                m.kind().word().as_bytes(),
                b"\",\"owner\":",
            ],
        );
        json_str(o, owner.as_bytes());
        o.extend_from_slice(b",\"group\":");
        json_str(o, group.as_bytes());
        o.extend_from_slice(b",\"uid\":");
        put_num(o, m.uid);
        o.extend_from_slice(b",\"gid\":");
        put_num(o, m.gid);
        put(o, &[b",\"mode\":\"", mode.as_bytes(), b"\",\"class\":"]);
        json_str(o, &ct);
        if let Some(t) = target {
            o.extend_from_slice(b",\"target\":");
            json_str(o, t);
        } else {
            put(
                o,
                &[
                    b",\"need\":\"",
                    need_text(need),
                    b"\",\"ok\":",
                    bool_text(ok),
                ],
            );
        }
        put(o, &[b",\"acl\":", bool_text(acl), b"}\n"]);
        return;
    }
    put(
        o,
        &[
            &super::stat::mode_string(m.mode),
            b" ",
            owner.as_bytes(),
            b":",
            group.as_bytes(),
            b" ",
            mode.as_bytes(),
            b" ",
            path,
        ],
    );
    if let Some(t) = target {
        put(o, &[b" -> ", t, b"  (followed)"]);
    } else {
        let verdict: &[u8] = if ok { b"ok" } else { b"DENIED" };
        put(o, &[b"  ", &ct, b" ", need_text(need), b": ", verdict]);
    }
    if acl {
        o.extend_from_slice(b"  [has an ACL: the kernel's answer may differ]");
    }
    o.push(b'\n');
}

/// Prints the verdict for one path and returns its exit status.
fn verdict(cx: &mut Ctx, arg: &str, end: &End, levels: &[Level], path: &[u8]) -> i32 {
    let verb: &[u8] = if cx.need == W { b"write" } else { b"read" };
    let name = cx.who.name.as_bytes();
    let mut m: Vec<u8> = Vec::new();
    let (word, at, status): (&[u8], &[u8], i32) = match end {
        End::Allowed => {
            put(&mut m, &[name, b" can ", verb, b" ", arg.as_bytes()]);
            if cx.acl {
                m.extend_from_slice(ACL_NOTE);
            }
            (b"allowed", b"", 0)
        }
        End::Error(p, e) => {
            put(&mut m, &[arg.as_bytes(), b": "]);
            if !p.is_empty() {
                put_lossy(&mut m, p);
                m.extend_from_slice(b": ");
            }
            m.extend_from_slice(sys::errno_text(*e).as_bytes());
            if !cx.json {
                err(&[&m]);
            }
            (b"error", p, 1)
        }
        End::Denied {
            path: p,
            at,
            meta,
            need,
            why,
        } => {
            put(
                &mut m,
                &[name, b" cannot ", verb, b" ", arg.as_bytes(), b": `"],
            );
            put_lossy(&mut m, p);
            m.extend_from_slice(b"` ");
            if !why.is_empty() {
                put(
                    &mut m,
                    &[
                        b"is a symlink owned by ",
                        cx.names.user_text(meta.uid).as_bytes(),
                        b" in a sticky world-writable directory: ",
                        why.as_bytes(),
                        b" stops ",
                        name,
                        b" following it",
                    ],
                );
            } else {
                let owner = cx.names.user_text(meta.uid);
                let group = cx.names.group_text(meta.gid);
                put(
                    &mut m,
                    &[
                        b"is ",
                        owner.as_bytes(),
                        b":",
                        group.as_bytes(),
                        b" ",
                        mode_text(meta.mode).as_bytes(),
                        b": ",
                        name,
                        b" is ",
                    ],
                );
                match cx.who.class(meta.uid, meta.gid) {
                    Class::Owner => m.extend_from_slice(b"the owner"),
                    class @ Class::Group(_) => {
                        m.extend_from_slice(b"in ");
                        put_class(&mut m, &mut cx.names, class);
                    }
                    class => put_class(&mut m, &mut cx.names, class),
                }
                put(&mut m, &[b" here (needs ", need_text(*need), b")"]);
                suggestion(cx, &mut m, levels, path, p, *at, meta, *need);
            }
            if cx.acl {
                m.extend_from_slice(ACL_NOTE);
            }
            (b"denied", p, 2)
        }
    };
    let name = cx.who.name.as_bytes();
    let o = &mut cx.out;
    if cx.json {
        put(o, &[b"{\"verdict\":\"", word, b"\",\"path\":"]);
        json_str(o, arg.as_bytes());
        o.extend_from_slice(b",\"user\":");
        json_str(o, name);
        put(o, &[b",\"access\":\"", verb, b"\""]);
        if !at.is_empty() {
            o.extend_from_slice(b",\"at\":");
            json_str(o, at);
        }
        o.extend_from_slice(b",\"message\":");
        json_str(o, &m);
        put(o, &[b",\"acl\":", bool_text(cx.acl), b"}\n"]);
    } else if status != 1 {
        put(o, &[word, b": ", &m, b"\n"]);
    }
    status
}

/// The model's view of the denying component, when it lies in a vhost
/// directly under `--root`: what the model wants there and whether applying
/// it would let the subject through. Appended to `m` as `; ...`, or nothing.
#[allow(clippy::too_many_arguments)]
fn suggestion(
    cx: &mut Ctx,
    m: &mut Vec<u8>,
    levels: &[Level],
    path: &[u8],
    target: &[u8],
    at: usize,
    meta: &Meta,
    need: u32,
) -> Option<()> {
    let root = cx.root_id?;
    // The vhost top is the level just below the one that is --root.
    let top = (1..levels.len().min(at + 1))
        .rev()
        .find(|&i| levels[i - 1].meta.same_object(&root))?;
    let name_of = |l: &Level| &path[l.start..l.end];
    let vhost = name_of(&levels[top]);
    if vhost.first() == Some(&b'.') {
        return None;
    }
    // The path below the vhost, `/`-joined (lossy, as the model reads str).
    let mut rel = String::new();
    let mut sep = "";
    for l in &levels[top + 1..levels.len().min(at + 1)] {
        rel.push_str(sep);
        rel.push_str(&String::from_utf8_lossy(name_of(l)));
        sep = "/";
    }
    if at >= levels.len() {
        let last = target.rsplit(|&b| b == b'/').next().unwrap_or(b"");
        rel.push_str(sep);
        rel.push_str(&String::from_utf8_lossy(last));
    }
    let vname = String::from_utf8_lossy(vhost);
    let root_dir = cx.root.trim_end_matches('/');
    // Vhost user discovery as SPEC §3: home directory, else a top-level
    // owner with uid >= 1000.
    let mut home = Vec::new();
    put(&mut home, &[root_dir.as_bytes(), b"/", vname.as_bytes()]);
    let top_uid = levels[top].meta.uid;
    let user = users::user_by_home(&home).or_else(|| {
        (top_uid >= 1000)
            .then(|| users::user_by_uid(top_uid))
            .flatten()
    });
    let dir = meta.kind() == Kind::Dir;
    // The built-in model (src/model.rs) decides; an undiscoverable vhost
    // user stands in as a placeholder id that is printed as such.
    let stand_in = users::User {
        name: users::Name::try_from("<vhost user>").unwrap_or_default(),
        uid: UNKNOWN,
        gid: UNKNOWN,
    };
    let web = users::group_by_name("www-data");
    let parsed = policy::parse(model::NETSERVA_JSON.as_bytes(), "built-in").ok()?;
    let ctx = policy::Context {
        user: Some(user.as_ref().unwrap_or(&stand_in)),
        web: web.as_ref(),
        chroot: false,
        lenient: false,
    };
    let want = policy::compile(&parsed, &ctx)
        .ok()?
        .expect_path(&rel, meta.kind());
    let mode = want.mode?.0;
    let uid = want.uid.map_or(meta.uid, |u| u.0);
    let gid = want.gid.map_or(meta.gid, |g| g.0);
    let (un, gn) = (cx.names.user_text(uid), cx.names.group_text(gid));
    let un = if uid == UNKNOWN {
        "<vhost user>"
    } else {
        un.as_str()
    };
    let gn = if gid == UNKNOWN {
        "<vhost user's group>"
    } else {
        gn.as_str()
    };
    let name = cx.who.name.as_bytes();
    let same = uid == meta.uid && gid == meta.gid && mode == meta.perm();
    let allows = cx.who.allows(uid, gid, mode, dir, need);
    // Every variant names what the model wants in the middle.
    m.extend_from_slice(if same {
        b"; this is what the model wants ("
    } else {
        b"; the model wants "
    });
    put(
        m,
        &[
            un.as_bytes(),
            b":",
            gn.as_bytes(),
            b" ",
            mode_text(mode).as_bytes(),
        ],
    );
    if same {
        put(m, &[b"): ", name, b" is kept out by design"]);
    } else if allows {
        m.extend_from_slice(" — run `chperms ".as_bytes());
        if root_dir != "/srv" {
            put(m, &[b"--root ", cx.root.as_bytes(), b" "]);
        }
        m.extend_from_slice(vname.as_bytes());
        if user.is_none() {
            m.extend_from_slice(b" --user USER");
        }
        m.push(b'`');
    } else {
        put(m, &[b", which keeps ", name, b" out too (by design)"]);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_modes_show_special_bits() {
        assert_eq!(&super::super::stat::mode_string(0o42750), b"drwxr-s---");
        assert_eq!(&super::super::stat::mode_string(0o41777), b"drwxrwxrwt");
        assert_eq!(&super::super::stat::mode_string(0o102640), b"-rw-r-S---");
    }

    #[test]
    fn components_split_on_slashes() {
        assert_eq!(next_component(b"//a/b"), Some((2, 3)));
        assert_eq!(next_component(b"a"), Some((0, 1)));
        assert_eq!(next_component(b"///"), None);
    }
}
