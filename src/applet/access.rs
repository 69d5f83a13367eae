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
use crate::output::{json_str, mode_text, Format};
use crate::sys::{self, Errno, Kind, Meta};
use crate::users::{self, NameCache};
use crate::{model, policy};
use argh::FromArgs;
use rustix::fd::{AsFd, OwnedFd};
use std::fmt::Write as _;
use std::io::Write;

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
        eprintln!("chperms access: no PATH given (see --help)");
        return 1;
    }
    let Some(who) = subject(&a.user) else {
        eprintln!("chperms access: unknown user '{}'", a.user);
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
        if std::io::stdout().write_all(&cx.out).is_err() {
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

/// Splits the first component off `pending` (leading slashes skipped):
/// `(name, bytes after it)`, or `None` when only slashes remain.
fn next_component(pending: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = pending.iter().position(|&b| b != b'/')?;
    let rest = &pending[s..];
    let n = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    Some((&rest[..n], &rest[n..]))
}

fn cstr(name: &[u8]) -> Result<std::ffi::CString, Errno> {
    std::ffi::CString::new(name).map_err(|_| Errno::INVAL)
}

/// Resolves `arg` as the kernel would for the subject, printing one line per
/// component examined. `levels`/`path` end up describing the directories on
/// the physical path to where the walk stopped.
fn walk(cx: &mut Ctx, arg: &[u8], levels: &mut Vec<Level>, path: &mut Vec<u8>) -> End {
    if arg.is_empty() {
        return End::Error(Vec::new(), Errno::NOENT);
    }
    if arg.len() >= PATH_MAX {
        return End::Error(arg.to_vec(), Errno::NAMETOOLONG);
    }
    let mut pending: Vec<u8> = arg.to_vec();
    let mut fd: OwnedFd;
    match start(arg[0] == b'/', levels, path) {
        Ok(f) => fd = f,
        Err(e) => return End::Error(path.clone(), e),
    }
    let mut links = 0;
    let mut printed = false;
    loop {
        let Some((name, rest)) = next_component(&pending) else {
            // Only the directory at the top is left: it is the target.
            let Some(top) = levels.last() else {
                return End::Error(path.clone(), Errno::NOENT);
            };
            let meta = top.meta;
            let acl = acl_of(cx, &fd);
            line(cx, path, &meta, cx.need, acl, None);
            if !cx.who.allows(meta.uid, meta.gid, meta.mode, true, cx.need) {
                let at = levels.len() - 1;
                return denied(path, at, meta, cx.need, "");
            }
            return End::Allowed;
        };
        let (name, rest) = (name.to_vec(), rest.to_vec());
        // Every component, dots included, needs search on the directory it
        // is looked up in (the kernel's may_lookup).
        let Some(top) = levels.last() else {
            return End::Error(path.clone(), Errno::NOENT);
        };
        let dir = top.meta;
        if !printed {
            let acl = acl_of(cx, &fd);
            line(cx, path, &dir, X, acl, None);
            printed = true;
        }
        if !cx.who.allows(dir.uid, dir.gid, dir.mode, true, X) {
            let at = levels.len() - 1;
            return denied(path, at, dir, X, "");
        }
        pending = rest.clone();
        if name == b"." {
            continue;
        }
        if name == b".." {
            match sys::open_dir_path_at(fd.as_fd(), c"..").and_then(|f| Ok((sys::fstat(&f)?, f))) {
                Ok((m, f)) => {
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
                }
                Err(e) => return End::Error(path.clone(), e),
            }
            continue;
        }
        let c = match cstr(&name) {
            Ok(c) => c,
            Err(e) => return End::Error(joined(path, &name), e),
        };
        let meta = match sys::stat_at(fd.as_fd(), &c) {
            Ok(m) => m,
            Err(e) => return End::Error(joined(path, &name), e),
        };
        match meta.kind() {
            Kind::Symlink => {
                links += 1;
                if links > MAX_SYMLINKS {
                    return End::Error(joined(path, &name), Errno::LOOP);
                }
                let mut buf = vec![0u8; PATH_MAX];
                let n = match sys::readlink_at(fd.as_fd(), &c, &mut buf) {
                    Ok(n) => n,
                    Err(e) => return End::Error(joined(path, &name), e),
                };
                buf.truncate(n);
                let lp = joined(path, &name);
                line(cx, &lp, &meta, 0, false, Some(&buf));
                // fs.protected_symlinks (may_follow_link): in a sticky
                // world-writable directory only links owned by the follower
                // or by the directory's owner are followed, even for root.
                if cx.protected_symlinks
                    && dir.mode & 0o1002 == 0o1002
                    && meta.uid != cx.who.uid
                    && meta.uid != dir.uid
                {
                    let at = levels.len();
                    return denied(&lp, at, meta, 0, "fs.protected_symlinks");
                }
                if buf.is_empty() {
                    return End::Error(lp, Errno::NOENT);
                }
                if buf.len() + 1 + rest.len() > RESOLVE_BUF {
                    return End::Error(lp, Errno::NAMETOOLONG);
                }
                if !rest.is_empty() {
                    buf.push(b'/');
                    buf.extend_from_slice(&rest);
                }
                if buf[0] == b'/' {
                    match start(true, levels, path) {
                        Ok(f) => fd = f,
                        Err(e) => return End::Error(path.clone(), e),
                    }
                    printed = false;
                }
                pending = buf;
            }
            Kind::Dir => {
                let opened =
                    sys::open_dir_path_at(fd.as_fd(), &c).and_then(|f| Ok((sys::fstat(&f)?, f)));
                let (m, f) = match opened {
                    Ok(x) => x,
                    Err(e) => return End::Error(joined(path, &name), e),
                };
                if levels.len() >= RESOLVE_LEVELS || path.len() + name.len() + 1 > RESOLVE_BUF {
                    return End::Error(joined(path, &name), Errno::NAMETOOLONG);
                }
                fd = f;
                let start = path.len() + usize::from(path.last() != Some(&b'/'));
                *path = joined(path, &name);
                levels.push(Level {
                    start,
                    end: path.len(),
                    meta: m,
                });
                printed = false;
            }
            _ if !rest.is_empty() => return End::Error(joined(path, &name), Errno::NOTDIR),
            _ => {
                let fp = joined(path, &name);
                let acl = match sys::open_path_at(fd.as_fd(), &c) {
                    Ok(h) => acl_of(cx, &h),
                    Err(_) => false,
                };
                line(cx, &fp, &meta, cx.need, acl, None);
                if !cx.who.allows(meta.uid, meta.gid, meta.mode, false, cx.need) {
                    let at = levels.len();
                    return denied(&fp, at, meta, cx.need, "");
                }
                return End::Allowed;
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
/// the levels to it.
fn start(absolute: bool, levels: &mut Vec<Level>, path: &mut Vec<u8>) -> Result<OwnedFd, Errno> {
    levels.clear();
    path.clear();
    path.push(if absolute { b'/' } else { b'.' });
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

fn class_text(cx: &mut Ctx, c: Class) -> String {
    match c {
        Class::Root => "root".into(),
        Class::Owner => "owner".into(),
        Class::Group(g) => format!("group {}", cx.names.group_text(g)),
        Class::Other => "other".into(),
    }
}

fn need_text(need: u32) -> &'static str {
    match need {
        X => "x",
        W => "w",
        R => "r",
        _ => "follow",
    }
}

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
    let ct = class_text(cx, class);
    let o = &mut cx.out;
    if cx.json {
        o.extend_from_slice(b"{\"path\":");
        json_str(o, path);
        let _ = write!(o, ",\"type\":\"{}\",\"owner\":", m.kind().word());
        json_str(o, owner.as_bytes());
        o.extend_from_slice(b",\"group\":");
        json_str(o, group.as_bytes());
        let _ = write!(
            o,
            ",\"uid\":{},\"gid\":{},\"mode\":\"{}\",\"class\":",
            m.uid,
            m.gid,
            mode_text(m.mode)
        );
        json_str(o, ct.as_bytes());
        if let Some(t) = target {
            o.extend_from_slice(b",\"target\":");
            json_str(o, t);
        } else {
            let _ = write!(o, ",\"need\":\"{}\",\"ok\":{ok}", need_text(need));
        }
        let _ = writeln!(o, ",\"acl\":{acl}}}");
        return;
    }
    o.extend_from_slice(&super::stat::mode_string(m.mode));
    let _ = write!(o, " {owner}:{group} {} ", mode_text(m.mode));
    o.extend_from_slice(path);
    if let Some(t) = target {
        o.extend_from_slice(b" -> ");
        o.extend_from_slice(t);
        o.extend_from_slice(b"  (followed)");
    } else {
        let _ = write!(
            o,
            "  {ct} {}: {}",
            need_text(need),
            if ok { "ok" } else { "DENIED" }
        );
    }
    if acl {
        o.extend_from_slice(b"  [has an ACL: the kernel's answer may differ]");
    }
    o.push(b'\n');
}

/// Prints the verdict for one path and returns its exit status.
fn verdict(cx: &mut Ctx, arg: &str, end: &End, levels: &[Level], path: &[u8]) -> i32 {
    let verb = if cx.need == W { "write" } else { "read" };
    let (word, at, msg, status) = match end {
        End::Allowed => {
            let mut m = format!("{} can {verb} {arg}", cx.who.name);
            if cx.acl {
                m.push_str(" (a component has an ACL: the kernel's answer may differ)");
            }
            ("allowed", Vec::new(), m, 0)
        }
        End::Error(p, e) => {
            let shown = String::from_utf8_lossy(p).into_owned();
            let m = if p.is_empty() {
                format!("{arg}: {}", sys::errno_text(*e))
            } else {
                format!("{arg}: {shown}: {}", sys::errno_text(*e))
            };
            if !cx.json {
                eprintln!("chperms access: {m}");
            }
            ("error", p.clone(), m, 1)
        }
        End::Denied {
            path: p,
            at,
            meta,
            need,
            why,
        } => {
            let shown = String::from_utf8_lossy(p).into_owned();
            let mut m = format!("{} cannot {verb} {arg}: `{shown}` ", cx.who.name);
            if !why.is_empty() {
                let _ = write!(
                    m,
                    "is a symlink owned by {} in a sticky world-writable directory: {why} stops {} following it",
                    cx.names.user_text(meta.uid),
                    cx.who.name
                );
            } else {
                let owner = cx.names.user_text(meta.uid);
                let group = cx.names.group_text(meta.gid);
                let class = cx.who.class(meta.uid, meta.gid);
                let ct = match class {
                    Class::Owner => "the owner".to_string(),
                    Class::Group(_) => format!("in {}", class_text(cx, class)),
                    _ => class_text(cx, class),
                };
                let _ = write!(
                    m,
                    "is {owner}:{group} {}: {} is {ct} here (needs {})",
                    mode_text(meta.mode),
                    cx.who.name,
                    need_text(*need)
                );
                if let Some(s) = suggestion(cx, levels, path, p, *at, meta, *need) {
                    m.push_str("; ");
                    m.push_str(&s);
                }
            }
            if cx.acl {
                m.push_str(" (a component has an ACL: the kernel's answer may differ)");
            }
            ("denied", p.clone(), m, 2)
        }
    };
    let o = &mut cx.out;
    if cx.json {
        o.extend_from_slice(b"{\"verdict\":\"");
        o.extend_from_slice(word.as_bytes());
        o.extend_from_slice(b"\",\"path\":");
        json_str(o, arg.as_bytes());
        o.extend_from_slice(b",\"user\":");
        json_str(o, cx.who.name.as_bytes());
        let _ = write!(o, ",\"access\":\"{verb}\"");
        if !at.is_empty() {
            o.extend_from_slice(b",\"at\":");
            json_str(o, &at);
        }
        o.extend_from_slice(b",\"message\":");
        json_str(o, msg.as_bytes());
        let _ = writeln!(o, ",\"acl\":{}}}", cx.acl);
    } else if status != 1 {
        let _ = writeln!(o, "{word}: {msg}");
    }
    status
}

/// The model's view of the denying component, when it lies in a vhost
/// directly under `--root`: what the model wants there and whether applying
/// it would let the subject through.
fn suggestion(
    cx: &mut Ctx,
    levels: &[Level],
    path: &[u8],
    target: &[u8],
    at: usize,
    meta: &Meta,
    need: u32,
) -> Option<String> {
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
    let mut rel: Vec<&[u8]> = levels[top + 1..levels.len().min(at + 1)]
        .iter()
        .map(name_of)
        .collect();
    if at >= levels.len() {
        rel.push(target.rsplit(|&b| b == b'/').next().unwrap_or(b""));
    }
    let vname = String::from_utf8_lossy(vhost).into_owned();
    // Vhost user discovery as SPEC §3: home directory, else a top-level
    // owner with uid >= 1000.
    let home = format!("{}/{}", cx.root.trim_end_matches('/'), vname);
    let top_uid = levels[top].meta.uid;
    let user = users::user_by_home(home.as_bytes()).or_else(|| {
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
    let rel: Vec<String> = rel
        .iter()
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    let want = policy::compile(&parsed, &ctx)
        .ok()?
        .expect_path(&rel.join("/"), meta.kind());
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
    let wants = format!("{un}:{gn} {}", mode_text(mode));
    let cmd = if cx.root.trim_end_matches('/') == "/srv" {
        format!("chperms {vname}")
    } else {
        format!("chperms --root {} {vname}", cx.root)
    };
    let cmd = if user.is_none() {
        format!("{cmd} --user USER")
    } else {
        cmd
    };
    let same = uid == meta.uid && gid == meta.gid && mode == meta.perm();
    let allows = cx.who.allows(uid, gid, mode, dir, need);
    Some(if same {
        format!(
            "this is what the model wants ({wants}): {} is kept out by design",
            cx.who.name
        )
    } else if allows {
        format!("the model wants {wants} — run `{cmd}`")
    } else {
        format!(
            "the model wants {wants}, which keeps {} out too (by design)",
            cx.who.name
        )
    })
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
        assert_eq!(next_component(b"//a/b"), Some((&b"a"[..], &b"/b"[..])));
        assert_eq!(next_component(b"a"), Some((&b"a"[..], &b""[..])));
        assert_eq!(next_component(b"///"), None);
    }
}
