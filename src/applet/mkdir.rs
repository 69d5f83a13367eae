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

use crate::output::{json_finding, mode_text, Action, Finding, Format, Kind as FKind};
use crate::resolve::{self, PathWalk};
use crate::sys::{self, Errno, Kind};
use crate::users::{self, NameCache};
use argh::FromArgs;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ffi::CStr;

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

/// What went wrong with one DIR (the path it is about is the caller's
/// `shown` buffer, as far as [`ensure`] got). A small enum rather than a
/// formatted `String`: the message is made once, in [`Fail::text`].
#[derive(Clone, Copy)]
enum Fail {
    Sys(Errno),
    /// A missing parent without `-p`.
    NoParent,
    /// DIR itself is a symlink owned by this uid.
    LastLink(u32),
    /// A symlink above DIR, owned by this uid, that only root may not have
    /// put there.
    Planted(u32),
    /// A directory just made was swapped before it was set up.
    Race,
    /// DIR is `/`.
    Root,
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Sys(e)
    }
}

impl Fail {
    /// Appends the message to `msg`.
    fn text(self, names: &mut NameCache, msg: &mut String) {
        let (head, owner, tail) = match self {
            Fail::Sys(e) => (sys::errno_text(e), None, ""),
            Fail::NoParent => (
                sys::errno_text(Errno::NOENT),
                None,
                " (use -p to create missing parents)",
            ),
            Fail::LastLink(u) => (
                "is a symlink (owned by ",
                Some(u),
                "): refusing to follow it; name the real directory",
            ),
            Fail::Planted(u) => (
                "is a symlink owned by ",
                Some(u),
                " in a directory not reserved to root: refusing to follow it (planted?)",
            ),
            Fail::Race => (
                "replaced while being created (a race): refusing to change it",
                None,
                "",
            ),
            Fail::Root => ("is the root directory: refusing to change it", None, ""),
        };
        msg.push_str(head);
        if let Some(u) = owner {
            msg.push_str(&names.user_text(u));
        }
        msg.push_str(tail);
    }
}

/// Runs `chperms mkdir`.
pub fn main(args: &[&str]) -> i32 {
    let a = match Args::from_args(&["chperms mkdir"], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit("mkdir", e),
    };
    let want = match want_of(&a) {
        Ok(w) => w,
        Err(why) => {
            complain(&why);
            return 1;
        }
    };
    if a.dirs.is_empty() {
        complain(&["no DIR given (see --help)", "", ""]);
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
    let mut shown = Vec::new();
    let mut status = 0;
    for d in &a.dirs {
        let Err(f) = ensure(&mut cx, d.as_bytes(), &mut shown) else {
            continue;
        };
        status = 1;
        // The message names the path as far as it got, unless that is DIR
        // itself (or nothing yet). `shown` is made of DIR's own components,
        // so it is UTF-8 like DIR.
        let mut msg = String::new();
        if !shown.is_empty() && shown != d.as_bytes() {
            msg.push_str(&String::from_utf8_lossy(&shown));
            msg.push_str(": ");
        }
        f.text(&mut cx.names, &mut msg);
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
            emit(true, j);
        }
        complain(&[d, ": ", &msg]);
    }
    status
}

/// Prints `chperms mkdir: ` and `parts` as one line on stderr (one call
/// site of the formatting machinery for every message; unused parts are "").
fn complain(parts: &[&str; 3]) {
    let [a, b, c] = parts.map(str::as_bytes);
    crate::fmt_quote::err_line(b"chperms mkdir: ", &[a, b, c]);
}

/// Resolves owner, group and mode before anything is touched: an unknown
/// name or a bad mode fails the whole command with nothing changed. The
/// error is the message in pieces, for [`complain`].
fn want_of(a: &Args) -> Result<Want, [&str; 3]> {
    // OWNER, OWNER:GROUP, or OWNER: (the owner's login group), like chown.
    let (owner, og) = match a.owner.as_deref() {
        Some(o) => match o.split_once(':') {
            Some((o, g)) => (Some(o), Some(g)),
            None => (Some(o), None),
        },
        None => (None, None),
    };
    if og.is_some() && a.group.is_some() {
        return Err(["group given twice (-o OWNER:GROUP and -g)", "", ""]);
    }
    let (uid, login_gid) = match owner {
        Some(o) => {
            let (u, g) = users::resolve_user(o).ok_or(["unknown user '", o, "'"])?;
            (Some(u), g)
        }
        None => (None, None),
    };
    let gid = match og.or(a.group.as_deref()) {
        Some("") => Some(login_gid.ok_or(["OWNER: needs a user with a login group", "", ""])?),
        Some(g) => Some(users::resolve_group(g).ok_or(["unknown group '", g, "'"])?),
        None => None,
    };
    let mode = match a.mode.as_deref() {
        Some(m) => {
            let v = parse_mode(m).ok_or(["invalid mode '", m, "'"])?;
            if v & 0o4000 != 0 {
                return Err(["mode '", m, "': refusing setuid on a directory"]);
            }
            Some(v)
        }
        None => None,
    };
    Ok(Want { uid, gid, mode })
}

/// Octal (`0775`, `02775`) or symbolic (`u=rwx,g=rwxs,o=rx`, `go-w`,
/// applied to 0777 as for a directory; an empty who means `a`).
fn parse_mode(s: &str) -> Option<u32> {
    crate::mode::parse(s, 0o777, true)
}

/// Ensures one operator-given directory path. `shown` (the caller's, reused)
/// is left holding the operator's path up to the component being handled,
/// which is what an error is about. Symlinks are followed under
/// [`resolve::trusted_link`], except the operator's last component.
fn ensure(cx: &mut Ctx, arg: &[u8], shown: &mut Vec<u8>) -> Result<(), Fail> {
    shown.clear();
    let mut walk = PathWalk::new(arg)?;
    let mut fd = resolve::start(walk.absolute())?;
    if walk.absolute() {
        shown.push(b'/');
    }
    // How many bytes at the end of what is left to walk are still the
    // operator's own (the rest came from symlink targets).
    let mut op_len = arg.len();
    let mut fresh = false;
    loop {
        let left = walk.remaining();
        let Some(next) = walk.next_component() else {
            break;
        };
        let (c, last) = next?;
        let name = c.as_bytes();
        let own = left <= op_len;
        if own {
            if !shown.is_empty() && shown.last() != Some(&b'/') {
                shown.push(b'/');
            }
            shown.extend_from_slice(name);
            op_len = walk.remaining();
        }
        if name == b"." {
            continue;
        }
        match sys::open_dir_at(fd.as_fd(), &c) {
            Ok(f) => {
                fd = f;
                fresh = false;
            }
            Err(Errno::NOENT) if cx.parents || last => {
                (fd, fresh) = create(cx, fd.as_fd(), &c, shown)?;
            }
            Err(e @ (Errno::NOTDIR | Errno::LOOP)) => {
                let m = sys::stat_at(fd.as_fd(), &c)?;
                if m.kind() != Kind::Symlink {
                    let e = if last && e == Errno::NOTDIR {
                        Errno::EXIST
                    } else {
                        e
                    };
                    return Err(e.into());
                }
                let dir = sys::fstat(&fd)?;
                if last && own {
                    return Err(Fail::LastLink(m.uid));
                }
                if !resolve::trusted_link(&m, &dir) {
                    return Err(Fail::Planted(m.uid));
                }
                if let Some(root) = walk.follow(fd.as_fd(), &c)? {
                    fd = root;
                }
            }
            Err(Errno::NOENT) => {
                return Err(Fail::NoParent);
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !fresh {
        // `chperms mkdir -o app -m 0775 $BASE/` with an empty BASE must not
        // re-own the root directory.
        let here = sys::fstat(&fd)?;
        // fstat(&OwnedFd), the instance used everywhere else, not a second
        // by-value one.
        let root = resolve::start(true).and_then(|r| sys::fstat(&r));
        if root.is_ok_and(|r| r.same_object(&here)) {
            return Err(Fail::Root);
        }
        correct(cx, &fd, shown)?;
    }
    Ok(())
}

/// Creates `name` in `parent` with mode 0, checks the handle is the fresh
/// directory, sets owner/group then the final mode, and reports it. Returns
/// the handle and whether it was made here (false: it appeared meanwhile).
fn create(
    cx: &mut Ctx,
    parent: BorrowedFd<'_>,
    name: &CStr,
    shown: &[u8],
) -> Result<(OwnedFd, bool), Fail> {
    match sys::mkdir_at(parent, name, 0) {
        Ok(()) => {}
        // Made concurrently by someone else: treat it as existing (like
        // `mkdir -p`), opened without following anything.
        Err(Errno::EXIST) => return Ok((sys::open_dir_at(parent, name)?, false)),
        Err(e) => return Err(e.into()),
    }
    let f = sys::open_dir_at(parent, name)?;
    let m = sys::fstat(&f)?;
    // A directory we just made with mode 0 is ours and still mode 0 (a
    // setgid parent adds 02000). Anything else was swapped in: refuse.
    if m.kind() != Kind::Dir || m.uid != cx.euid || m.perm() & !0o2000 != 0 {
        return Err(Fail::Race);
    }
    if cx.want.uid.is_some() || cx.want.gid.is_some() {
        sys::chown_fd(&f, cx.want.uid, cx.want.gid)?;
    }
    let mode = cx
        .want
        .mode
        .unwrap_or((0o777 & !cx.umask) | (m.perm() & 0o2000));
    sys::chmod_fd(&f, mode)?;
    let m = sys::fstat(&f)?;
    // OWNER:GROUP MODE
    let state = [
        cx.names.user_text(m.uid).as_str(),
        ":",
        cx.names.group_text(m.gid).as_str(),
        " ",
        mode_text(m.mode).as_str(),
    ]
    .concat();
    let mut out = Vec::new();
    note(cx.json, &mut out, shown, FKind::Missing, &state, "");
    emit(cx.json, out);
    Ok((f, true))
}

/// Brings an existing directory to the wanted owner/group/mode: narrows the
/// mode first when the owner changes too, so it is never more open than both
/// the old and the new state.
fn correct(cx: &mut Ctx, f: &OwnedFd, shown: &[u8]) -> Result<(), Fail> {
    let m = sys::fstat(f)?;
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
                sys::chmod_fd(f, narrow)?;
            }
        }
        sys::chown_fd(f, uid, gid)?;
    }
    if let Some(p) = mode {
        sys::chmod_fd(f, p)?;
    }
    let mut out = Vec::new();
    if let Some(u) = uid {
        let (new, old) = (cx.names.user_text(u), cx.names.user_text(m.uid));
        note(cx.json, &mut out, shown, FKind::Owner, &new, &old);
    }
    if let Some(g) = gid {
        let (new, old) = (cx.names.group_text(g), cx.names.group_text(m.gid));
        note(cx.json, &mut out, shown, FKind::Group, &new, &old);
    }
    if let Some(p) = mode {
        note(
            cx.json,
            &mut out,
            shown,
            FKind::Mode,
            &mode_text(p),
            &mode_text(m.mode),
        );
    }
    emit(cx.json, out);
    Ok(())
}

/// Adds one change of `path` to `out`: a JSON finding, or a piece of the
/// one text line (`PATH: created OWNER:GROUP MODE`, or
/// `PATH: owner NEW (was OLD), mode NEW (was OLD)`).
fn note(json: bool, out: &mut Vec<u8>, path: &[u8], kind: FKind, new: &str, old: &str) {
    if json {
        let action = if kind == FKind::Missing {
            Action::Created
        } else {
            Action::Fixed
        };
        json_finding(
            out,
            &Finding {
                path,
                kind,
                expected: new,
                actual: old,
                action,
                rule: None,
                detail: "",
            },
        );
        return;
    }
    if out.is_empty() {
        out.extend_from_slice(path);
        out.extend_from_slice(b": ");
    } else {
        out.extend_from_slice(b", ");
    }
    let parts = if kind == FKind::Missing {
        ["created ", new, "", "", "", ""]
    } else {
        [kind.word(), " ", new, " (was ", old, ")"]
    };
    for p in parts {
        out.extend_from_slice(p.as_bytes());
    }
}

/// Writes what [`note`] gathered to stdout (ending the text line).
fn emit(json: bool, mut out: Vec<u8>) {
    if !json {
        out.push(b'\n');
    }
    let _ = sys::write_all(sys::stdout_fd(), &out);
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
        assert_eq!(parse_mode("07777"), Some(0o7777));
        assert_eq!(parse_mode("10000"), None);
        assert_eq!(parse_mode("u+w,go-rwx"), Some(0o700));
        assert_eq!(parse_mode("=r,u+w"), Some(0o644));
        assert_eq!(parse_mode("u+x,"), None);
        assert_eq!(parse_mode(",u+x"), None);
        assert_eq!(parse_mode("u+x,,g+x"), None);
        // As GNU mkdir: a class copied, and leading zeros.
        assert_eq!(parse_mode("u=rwx,g=u,o="), Some(0o770));
        assert_eq!(parse_mode("000755"), Some(0o755));
    }
}
