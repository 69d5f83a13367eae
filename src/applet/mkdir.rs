//! `chperms mkdir` — the incident's `ensure_directory`, done safely as root.
//!
//! ```text
//! Usage: chperms mkdir [-o OWNER[:GROUP]] [-g GROUP] [-m MODE] [-p] [--format text|json] DIR...
//! ```
//!
//! Each DIR is walked from `/` (or the current directory when relative) one
//! component at a time, every directory opened with `O_NOFOLLOW` relative to
//! the previous handle. A missing component (only the last one without
//! `-p`) is created with mode 0, opened, checked to be the directory just
//! made (owned by us, still mode 0: anything else means it was swapped, and
//! is refused), then given its owner and group and finally its mode — all on
//! its own handle, before the next component is created. So no directory is
//! ever more open than asked, whatever the umask, and a planted symlink
//! cannot redirect anything.
//!
//! Decisions (documented deviations from `mkdir`):
//! - Symlinks: the last component is never followed (a symlink there is
//!   refused: name the real directory). A symlink earlier in the path is
//!   followed only when it is owned by root and sits in a directory owned by
//!   root that no one else may write (no group/other `w`): only root can have
//!   put it there (`/var/run -> /run`). Any other link — including a
//!   root-owned link hard-linked or left in a user-writable directory — is
//!   refused, and nothing is created or changed below it.
//! - An existing final directory is brought to the given owner, group and
//!   mode (only the fields given; narrowing first when owner and mode both
//!   change); it is not an error, with or without `-p`.
//! - With `-p`, every missing component gets the given owner/group/mode;
//!   existing intermediate directories are left as they are.
//! - `-m` is exact: a setgid parent's inherited setgid is dropped unless MODE
//!   has it (`02775`). Symbolic MODE (`u=rwx,g=rwxs,o=rx`) is applied to 0777,
//!   umask ignored. Setuid is refused.
//! - Without `-o`/`-g`/`-m`, new directories are like mkdir's: owned by the
//!   caller, the group the kernel gives them (the caller's, or a setgid
//!   parent's), mode `0777 & ~umask` plus an inherited setgid bit.
//!
//! Output: one line per created or changed directory, nothing when all was
//! already right; errors on stderr as `chperms mkdir: DIR: message`; exit 1
//! if anything failed.

use crate::budget::{MAX_SYMLINKS, PATH_MAX, RESOLVE_BUF};
use crate::output::{json_finding, mode_text, Action, Finding, Format, Kind as FKind};
use crate::sys::{self, Errno, Kind, Meta};
use crate::users::{self, NameCache};
use argh::FromArgs;
use rustix::fd::{AsFd, OwnedFd};
use std::ffi::CString;
use std::io::Write;

#[derive(FromArgs)]
/// Create directories (and, with -p, their missing parents) with the given
/// owner, group and mode set on each new directory's handle before anything
/// can use it; bring an existing directory to them (idempotent). Never follows
/// a symlink planted in the path.
#[argh(
    example = "chperms mkdir -o wegweiser -g www-data -m 0775 -p /opt/wegweiser/payloads/queue",
    example = "chperms mkdir -o u1001:www-data -m 02750 /srv/goldcoast.org/web/tmp",
    note = "Symlinks are followed only above the last component, when root owns the link and its directory and no one else can write there. -m is exact (umask ignored); setuid is refused."
)]
struct Args {
    /// owner by name or uid; OWNER:GROUP sets the group too, OWNER: the
    /// owner's login group
    #[argh(option, short = 'o')]
    owner: Option<String>,
    /// group by name or gid
    #[argh(option, short = 'g')]
    group: Option<String>,
    /// mode, octal (0775, 02775) or symbolic (u=rwx,g=rwxs,o=rx)
    #[argh(option, short = 'm')]
    mode: Option<String>,
    /// create missing parent directories too (with the same owner/group/mode)
    #[argh(switch, short = 'p')]
    parents: bool,
    /// output format: text or json (JSON Lines)
    #[argh(option, default = "Format::Text")]
    format: Format,
    /// directories to ensure
    #[argh(positional)]
    dirs: Vec<String>,
}

/// What every directory should end up with (`None`: leave as the kernel or
/// the existing directory has it).
struct Want {
    uid: Option<u32>,
    gid: Option<u32>,
    mode: Option<u32>,
}

struct Ctx {
    want: Want,
    parents: bool,
    json: bool,
    names: NameCache,
    euid: u32,
    umask: u32,
}

/// A failure: the path it is about and what went wrong.
struct Fail(Vec<u8>, String);

fn fail(path: &[u8], e: Errno) -> Fail {
    Fail(path.to_vec(), sys::errno_text(e).into())
}

/// Runs `chperms mkdir`.
pub fn main(args: &[&str]) -> i32 {
    let a = match Args::from_args(&["chperms mkdir"], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit("mkdir", e),
    };
    let want = match want_of(&a) {
        Ok(w) => w,
        Err(m) => {
            eprintln!("chperms mkdir: {m}");
            return 1;
        }
    };
    if a.dirs.is_empty() {
        eprintln!("chperms mkdir: no DIR given (see --help)");
        return 1;
    }
    let mut cx = Ctx {
        want,
        parents: a.parents,
        json: a.format == Format::Json,
        names: NameCache::new(),
        euid: sys::euid(),
        umask: sys::current_umask(),
    };
    let mut status = 0;
    for d in &a.dirs {
        if let Err(Fail(p, m)) = ensure(&mut cx, d.as_bytes()) {
            status = 1;
            let ps = String::from_utf8_lossy(&p);
            let msg = if ps == d.as_str() || p.is_empty() {
                m
            } else {
                format!("{ps}: {m}")
            };
            if cx.json {
                let mut j = Vec::new();
                json_finding(
                    &mut j,
                    &Finding {
                        path: d.as_bytes(),
                        kind: FKind::Error,
                        expected: "",
                        actual: "",
                        action: Action::Error,
                        rule: None,
                        detail: &msg,
                    },
                );
                let _ = std::io::stdout().write_all(&j);
            }
            eprintln!("chperms mkdir: {d}: {msg}");
        }
    }
    status
}

/// Resolves owner, group and mode before anything is touched: an unknown
/// name or a bad mode fails the whole command with nothing changed.
fn want_of(a: &Args) -> Result<Want, String> {
    // OWNER, OWNER:GROUP, or OWNER: (the owner's login group), like chown.
    let (owner, og) = match a.owner.as_deref() {
        Some(o) => match o.split_once(':') {
            Some((o, g)) => (Some(o), Some(g)),
            None => (Some(o), None),
        },
        None => (None, None),
    };
    if og.is_some() && a.group.is_some() {
        return Err("group given twice (-o OWNER:GROUP and -g)".into());
    }
    let (uid, login_gid) = match owner {
        Some(o) => {
            let (u, g) = users::resolve_user(o).ok_or(format!("unknown user '{o}'"))?;
            (Some(u), g)
        }
        None => (None, None),
    };
    let gid = match og.or(a.group.as_deref()) {
        Some("") => Some(login_gid.ok_or("OWNER: needs a user with a login group")?),
        Some(g) => Some(users::resolve_group(g).ok_or(format!("unknown group '{g}'"))?),
        None => None,
    };
    let mode = match a.mode.as_deref() {
        Some(m) => {
            let v = parse_mode(m).ok_or(format!("invalid mode '{m}'"))?;
            if v & 0o4000 != 0 {
                return Err(format!("mode '{m}': refusing setuid on a directory"));
            }
            Some(v)
        }
        None => None,
    };
    Ok(Want { uid, gid, mode })
}

/// Octal (`0775`, `02775`) or symbolic (`u=rwx,g=rwxs,o=rx`, `go-w`,
/// applied to 0777; an empty who means `a`).
fn parse_mode(s: &str) -> Option<u32> {
    if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let v = u32::from_str_radix(s, 8).ok()?;
        return (s.len() <= 5 && v <= 0o7777).then_some(v);
    }
    let mut mode = 0o777u32;
    for clause in s.split(',') {
        let b = clause.as_bytes();
        let mut i = 0;
        let mut who = 0u32;
        while i < b.len() {
            who |= match b[i] {
                b'u' => 0o4700,
                b'g' => 0o2070,
                b'o' => 0o1007,
                b'a' => 0o7777,
                _ => break,
            };
            i += 1;
        }
        if who == 0 {
            who = 0o7777;
        }
        let mut any = false;
        while i < b.len() {
            let op = b[i];
            if !matches!(op, b'+' | b'-' | b'=') {
                return None;
            }
            i += 1;
            let mut bits = 0u32;
            while i < b.len() && !matches!(b[i], b'+' | b'-' | b'=') {
                bits |= match b[i] {
                    b'r' => 0o444,
                    b'w' => 0o222,
                    b'x' | b'X' => 0o111,
                    b's' => 0o6000,
                    b't' => 0o1000,
                    _ => return None,
                };
                i += 1;
            }
            bits &= who;
            match op {
                b'+' => mode |= bits,
                b'-' => mode &= !bits,
                _ => mode = (mode & !who) | bits,
            }
            any = true;
        }
        if !any {
            return None;
        }
    }
    Some(mode)
}

/// Splits the first component off `pending` (leading slashes skipped).
fn next_component(pending: &[u8]) -> Option<(&[u8], &[u8])> {
    let s = pending.iter().position(|&b| b != b'/')?;
    let rest = &pending[s..];
    let n = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
    Some((&rest[..n], &rest[n..]))
}

/// Ensures one operator-given directory path.
fn ensure(cx: &mut Ctx, arg: &[u8]) -> Result<(), Fail> {
    if arg.is_empty() {
        return Err(fail(arg, Errno::NOENT));
    }
    if arg.len() >= PATH_MAX {
        return Err(fail(arg, Errno::NAMETOOLONG));
    }
    let absolute = arg[0] == b'/';
    let mut fd = start(absolute).map_err(|e| fail(arg, e))?;
    // `shown` is the operator's path up to the component being handled;
    // `op_len` how many bytes at the end of `pending` are still the
    // operator's own (the rest came from symlink targets).
    let mut shown: Vec<u8> = if absolute { b"/".to_vec() } else { Vec::new() };
    let mut pending = arg.to_vec();
    let mut op_len = arg.len();
    let mut fresh = false;
    let mut links = 0;
    while let Some((name, rest)) = next_component(&pending) {
        let (name, rest) = (name.to_vec(), rest.to_vec());
        let own = pending.len() <= op_len;
        if own {
            if !shown.is_empty() && shown.last() != Some(&b'/') {
                shown.push(b'/');
            }
            shown.extend_from_slice(&name);
            op_len = rest.len();
        }
        let last = next_component(&rest).is_none();
        pending = rest;
        if name == b"." {
            continue;
        }
        let c = CString::new(name.as_slice()).map_err(|_| fail(&shown, Errno::INVAL))?;
        let opened = sys::open_dir_at(fd.as_fd(), &c);
        match opened {
            Ok(f) => {
                fd = f;
                fresh = false;
            }
            Err(Errno::NOENT) if cx.parents || last => {
                (fd, fresh) = create(cx, fd.as_fd(), &c, &shown)?;
            }
            Err(e @ (Errno::NOTDIR | Errno::LOOP)) => {
                let m = sys::stat_at(fd.as_fd(), &c).map_err(|e| fail(&shown, e))?;
                if m.kind() != Kind::Symlink {
                    let e = if last && e == Errno::NOTDIR {
                        Errno::EXIST
                    } else {
                        e
                    };
                    return Err(fail(&shown, e));
                }
                let dir = sys::fstat(&fd).map_err(|e| fail(&shown, e))?;
                let owner = cx.names.user_text(m.uid);
                if last && own {
                    return Err(Fail(shown, format!("is a symlink (owned by {owner}): refusing to follow it; name the real directory")));
                }
                if m.uid != 0 || dir.uid != 0 || dir.mode & 0o022 != 0 {
                    return Err(Fail(shown, format!("is a symlink owned by {owner} in a directory not reserved to root: refusing to follow it (planted?)")));
                }
                links += 1;
                if links > MAX_SYMLINKS {
                    return Err(fail(&shown, Errno::LOOP));
                }
                let mut target = vec![0u8; PATH_MAX];
                let n =
                    sys::readlink_at(fd.as_fd(), &c, &mut target).map_err(|e| fail(&shown, e))?;
                target.truncate(n);
                if target.is_empty() || target.len() + 1 + pending.len() > RESOLVE_BUF {
                    return Err(fail(
                        &shown,
                        if n == 0 {
                            Errno::NOENT
                        } else {
                            Errno::NAMETOOLONG
                        },
                    ));
                }
                if target[0] == b'/' {
                    fd = start(true).map_err(|e| fail(&shown, e))?;
                }
                // `pending` is empty or starts with '/'.
                target.extend_from_slice(&pending);
                pending = target;
            }
            Err(Errno::NOENT) => {
                return Err(Fail(
                    shown,
                    format!(
                        "{} (use -p to create missing parents)",
                        sys::errno_text(Errno::NOENT)
                    ),
                ));
            }
            Err(e) => return Err(fail(&shown, e)),
        }
    }
    if !fresh {
        // `chperms mkdir -o app -m 0775 $BASE/` with an empty BASE must not
        // re-own the root directory.
        let here = sys::fstat(&fd).map_err(|e| fail(&shown, e))?;
        let root = start(true).and_then(sys::fstat);
        if root.is_ok_and(|r| r.same_object(&here)) {
            return Err(Fail(
                shown,
                "is the root directory: refusing to change it".into(),
            ));
        }
        correct(cx, &fd, &shown)?;
    }
    Ok(())
}

/// Opens `/` or the current directory.
fn start(absolute: bool) -> Result<OwnedFd, Errno> {
    if absolute {
        sys::open_base_dir(c"/")
    } else {
        sys::open_dir_at(sys::cwd(), c".")
    }
}

/// Creates `name` in `parent` with mode 0, checks the handle is the fresh
/// directory, sets owner/group then the final mode, and reports it. Returns
/// the handle and whether it was made here (false: it appeared meanwhile).
fn create(
    cx: &mut Ctx,
    parent: rustix::fd::BorrowedFd<'_>,
    name: &std::ffi::CStr,
    shown: &[u8],
) -> Result<(OwnedFd, bool), Fail> {
    match sys::mkdir_at(parent, name, 0) {
        Ok(()) => {}
        // Made concurrently by someone else: treat it as existing (like
        // `mkdir -p`), opened without following anything.
        Err(Errno::EXIST) => {
            let f = sys::open_dir_at(parent, name).map_err(|e| fail(shown, e))?;
            return Ok((f, false));
        }
        Err(e) => return Err(fail(shown, e)),
    }
    let f = sys::open_dir_at(parent, name).map_err(|e| fail(shown, e))?;
    let m = sys::fstat(&f).map_err(|e| fail(shown, e))?;
    // A directory we just made with mode 0 is ours and still mode 0 (a
    // setgid parent adds 02000). Anything else was swapped in: refuse.
    if m.kind() != Kind::Dir || m.uid != cx.euid || m.perm() & !0o2000 != 0 {
        return Err(Fail(
            shown.to_vec(),
            "replaced while being created (a race): refusing to change it".into(),
        ));
    }
    if cx.want.uid.is_some() || cx.want.gid.is_some() {
        sys::chown_fd(&f, cx.want.uid, cx.want.gid).map_err(|e| fail(shown, e))?;
    }
    let mode = cx
        .want
        .mode
        .unwrap_or((0o777 & !cx.umask) | (m.perm() & 0o2000));
    sys::chmod_fd(&f, mode).map_err(|e| fail(shown, e))?;
    let m = sys::fstat(&f).map_err(|e| fail(shown, e))?;
    let state = format!(
        "{}:{} {}",
        cx.names.user_text(m.uid),
        cx.names.group_text(m.gid),
        mode_text(m.mode)
    );
    report(
        cx,
        shown,
        &[(FKind::Missing, state.clone(), String::new())],
        Action::Created,
        &format!("created {state}"),
    );
    Ok((f, true))
}

/// Brings an existing directory to the wanted owner/group/mode: narrows the
/// mode first when the owner changes too, so it is never more open than both
/// the old and the new state.
fn correct(cx: &mut Ctx, f: &OwnedFd, shown: &[u8]) -> Result<(), Fail> {
    let m: Meta = sys::fstat(f).map_err(|e| fail(shown, e))?;
    let uid = cx.want.uid.filter(|&u| u != m.uid);
    let gid = cx.want.gid.filter(|&g| g != m.gid);
    let mode = cx.want.mode.filter(|&p| p != m.perm());
    if uid.is_none() && gid.is_none() && mode.is_none() {
        return Ok(());
    }
    if uid.is_some() || gid.is_some() {
        if let Some(p) = mode {
            let narrow = m.perm() & p;
            if narrow != m.perm() {
                sys::chmod_fd(f, narrow).map_err(|e| fail(shown, e))?;
            }
        }
        sys::chown_fd(f, uid, gid).map_err(|e| fail(shown, e))?;
    }
    if let Some(p) = mode {
        sys::chmod_fd(f, p).map_err(|e| fail(shown, e))?;
    }
    let mut changes = Vec::new();
    let mut text = String::new();
    let mut add = |k: FKind, new: String, old: String| {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(&format!("{} {new} (was {old})", k.word()));
        changes.push((k, new, old));
    };
    if let Some(u) = uid {
        add(
            FKind::Owner,
            cx.names.user_text(u).as_str().into(),
            cx.names.user_text(m.uid).as_str().into(),
        );
    }
    if let Some(g) = gid {
        add(
            FKind::Group,
            cx.names.group_text(g).as_str().into(),
            cx.names.group_text(m.gid).as_str().into(),
        );
    }
    if let Some(p) = mode {
        add(
            FKind::Mode,
            mode_text(p).as_str().into(),
            mode_text(m.mode).as_str().into(),
        );
    }
    report(cx, shown, &changes, Action::Fixed, &text);
    Ok(())
}

/// One text line, or one JSON finding per change.
fn report(cx: &Ctx, path: &[u8], changes: &[(FKind, String, String)], action: Action, text: &str) {
    let mut out = Vec::with_capacity(128);
    if cx.json {
        for (k, new, old) in changes {
            json_finding(
                &mut out,
                &Finding {
                    path,
                    kind: *k,
                    expected: new,
                    actual: old,
                    action,
                    rule: None,
                    detail: "",
                },
            );
        }
    } else {
        out.extend_from_slice(path);
        out.extend_from_slice(b": ");
        out.extend_from_slice(text.as_bytes());
        out.push(b'\n');
    }
    let _ = std::io::stdout().write_all(&out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_octal_and_symbolic() {
        assert_eq!(parse_mode("0775"), Some(0o775));
        assert_eq!(parse_mode("02775"), Some(0o2775));
        assert_eq!(parse_mode("775"), Some(0o775));
        assert_eq!(parse_mode("u=rwx,g=rwxs,o=rx"), Some(0o2775));
        assert_eq!(parse_mode("go-w"), Some(0o755));
        assert_eq!(parse_mode("o="), Some(0o770));
        assert_eq!(parse_mode("a+t"), Some(0o1777));
        assert_eq!(parse_mode("u+s"), Some(0o4777));
        assert_eq!(parse_mode("8"), None);
        assert_eq!(parse_mode("077777"), None);
        assert_eq!(parse_mode("u=q"), None);
        assert_eq!(parse_mode(""), None);
        assert_eq!(parse_mode("u"), None);
    }
}
