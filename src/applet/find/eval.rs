//! Running the expression on one entry. An entry's metadata is fetched the
//! first time a test asks for it, so that `-name`, `-path`, `-regex`,
//! `-prune` and `-type` (with the type `getdents` reported) cost no `stat`
//! at all, as with GNU find; what was fetched is kept for the entry's second
//! evaluation under `-depth`.

use super::expr::{Follow, Node, NumField, PermRule, Program, TimeField};
use super::glob::fnmatch;
use super::ls;
use super::output::{say, Outputs, WriteResult};
use super::when::{self, Cmp, Timespec};
use crate::budget::{MOUNTINFO_MAX, PATH_MAX};
use crate::fmt_quote::Sink;
use crate::sys::{self, Errno, Kind, Meta};
use crate::users::NameCache;
use rustix::fd::{BorrowedFd, OwnedFd};
use std::ffi::CStr;

/// What is known about an entry, kept across its two evaluations.
pub(super) struct EntryState {
    /// The type `getdents` reported (`Unknown`: only a `stat` can tell).
    pub hint: Kind,
    /// Symlinks are followed here (`-L`, or `-H` on a start point).
    pub follow: bool,
    pub meta: Option<Meta>,
    /// `meta` describes the target of a followed symlink.
    pub followed: bool,
    /// The `stat` failed (and was reported).
    pub failed: bool,
}

impl EntryState {
    pub fn new(hint: Kind, follow: bool) -> EntryState {
        EntryState {
            hint,
            follow,
            meta: None,
            followed: false,
            failed: false,
        }
    }
}

/// The entry being evaluated.
pub(super) struct Entry<'e> {
    pub path: &'e [u8],
    /// Length of the start point it was found below.
    pub start_len: usize,
    pub depth: usize,
    /// The directory holding it, and its name there (one component; for a
    /// start point, the last component of its path).
    pub dir: BorrowedFd<'e>,
    pub name: &'e CStr,
    /// The walk's number for `dir` (`-execdir … +` batches by it).
    pub dir_gen: u64,
    pub state: &'e mut EntryState,
}

/// The running command: the program and everything that changes while the
/// trees are walked.
pub(super) struct Find<'a> {
    pub prog: Program<'a>,
    pub out: Outputs,
    pub names: NameCache,
    /// 1 once anything went wrong.
    pub status: i32,
    /// `-quit` ran (or standard output broke): stop everything.
    pub quit: bool,
    /// `-prune` ran on the current entry.
    pub prune: bool,
    pub now: Timespec,
    pub ls_widths: ls::Widths,
    /// `(device, file system type)` of each mount, read when first needed.
    pub mounts: Option<Vec<(u64, Vec<u8>)>>,
    /// The device of the current start point (`-xdev`).
    pub start_dev: u64,
    /// (device, inode, path length) of each directory being walked, for
    /// loop checks when symlinks are followed.
    pub ancestors: Vec<(u64, u64, usize)>,
    /// Numbers the directories as the walk opens them.
    pub dir_gen: u64,
    /// `/dev/null`, the standard input of `-ok` commands.
    pub dev_null: Option<OwnedFd>,
}

/// The last component of a path without trailing slashes (`/` stays `/`),
/// what `-name` matches.
pub(super) fn base_name(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    let s = &p[..end];
    match s.iter().rposition(|&c| c == b'/') {
        Some(i) if end > 1 => &s[i + 1..],
        _ => s,
    }
}

/// The timestamp a field names.
pub(super) fn time_of(m: &Meta, f: TimeField) -> Timespec {
    match f {
        TimeField::Access => m.atime,
        TimeField::Change => m.ctime,
        TimeField::Modify => m.mtime,
    }
}

impl<'a> Find<'a> {
    pub fn new(prog: Program<'a>, out: Outputs, now: Timespec) -> Find<'a> {
        Find {
            prog,
            out,
            names: NameCache::new(),
            status: 0,
            quit: false,
            prune: false,
            now,
            ls_widths: ls::Widths::default(),
            mounts: None,
            start_dev: 0,
            ancestors: Vec::new(),
            dir_gen: 0,
            dev_null: None,
        }
    }

    /// Reports `find: 'path': reason` (after writing out what is pending,
    /// as GNU's error() flushes stdout first) and remembers the failure.
    #[inline(never)]
    pub fn error(&mut self, path: &[u8], e: Errno) {
        self.flush();
        say("%q: %s", &[path, sys::errno_text(e).as_bytes()]);
        self.status = 1;
    }

    /// Writes out every output stream; a failure is reported by name.
    pub fn flush(&mut self) {
        if let Some((name, e)) = self.out.flush_all() {
            self.report_write_error(&name, e);
        }
    }

    /// GNU's report of a failed write to an output stream.
    pub fn report_write_error(&mut self, name: &str, e: Errno) {
        say("%q: %s", &[name.as_bytes(), sys::errno_text(e).as_bytes()]);
        self.status = 1;
    }

    /// Appends to stream `k`; a write error is reported once.
    #[inline(never)]
    pub fn write(&mut self, k: usize, f: &mut dyn FnMut(&mut dyn Sink)) {
        if let WriteResult::Failed(name, e) = self.out.with(k, f) {
            self.report_write_error(&name, e);
        }
    }

    /// The entry's metadata, fetched now if no test needed it before;
    /// `None` (reported once) when it cannot be read.
    #[inline(never)]
    pub fn meta<'m>(&mut self, e: &'m mut Entry<'_>) -> Option<&'m Meta> {
        if e.state.meta.is_none() && !e.state.failed {
            match stat_entry(e.dir, e.name, e.state.follow, self.prog.follow) {
                Ok((m, followed)) => {
                    e.state.meta = Some(m);
                    e.state.followed = followed;
                }
                Err(er) => {
                    e.state.failed = true;
                    if !(er == Errno::NOENT && self.prog.ignore_race) {
                        self.error(e.path, er);
                    }
                }
            }
        }
        e.state.meta.as_ref()
    }

    /// The entry's type: what `getdents` said when that settles it,
    /// otherwise from its metadata (`Unknown` when that fails).
    #[inline(never)]
    pub fn kind(&mut self, e: &mut Entry<'_>) -> Kind {
        let hint = e.state.hint;
        if hint != Kind::Unknown && !(hint == Kind::Symlink && e.state.follow) {
            return hint;
        }
        self.meta(e).map_or(Kind::Unknown, |m| m.kind())
    }

    /// Evaluates node `n` for entry `e`.
    pub fn eval(&mut self, n: usize, e: &mut Entry<'_>) -> bool {
        match self.prog.nodes[n] {
            // After -quit nothing more is evaluated (not even the implicit
            // -print).
            Node::And(k) => {
                for i in 0..k.len {
                    let child = self.prog.kids[k.start + i];
                    if self.quit || !self.eval(child, e) {
                        return false;
                    }
                }
                true
            }
            Node::Or(k) => {
                for i in 0..k.len {
                    let child = self.prog.kids[k.start + i];
                    if self.quit {
                        return false;
                    }
                    if self.eval(child, e) {
                        return true;
                    }
                }
                false
            }
            Node::Comma(k) => {
                let mut v = false;
                for i in 0..k.len {
                    let child = self.prog.kids[k.start + i];
                    if self.quit {
                        return false;
                    }
                    v = self.eval(child, e);
                }
                v
            }
            Node::Not(c) => !self.eval(c, e),
            Node::Const(v) => v,
            Node::Name(p, fold) => fnmatch(p, base_name(e.path), fold),
            Node::Path(p, fold) => fnmatch(p, e.path, fold),
            Node::Regex(k) => self.prog.regexes[k].matches_whole(e.path),
            Node::Type { types, of_target } => {
                let k = if of_target {
                    self.target_kind(e)
                } else {
                    self.kind(e)
                };
                k != Kind::Unknown && types.has(k)
            }
            Node::LinkTarget(p, fold) => {
                if e.state.hint != Kind::Symlink && e.state.hint != Kind::Unknown {
                    return false;
                }
                let is_link = self.meta(e).is_some_and(|m| m.kind() == Kind::Symlink);
                if !is_link {
                    return false;
                }
                match self.link_target(e) {
                    Some(t) => fnmatch(p, &t, fold),
                    None => false,
                }
            }
            Node::Perm {
                rule,
                file_bits,
                dir_bits,
            } => {
                let Some(m) = self.meta(e) else {
                    return false;
                };
                let want = if m.kind() == Kind::Dir {
                    dir_bits
                } else {
                    file_bits
                };
                let have = m.perm();
                match rule {
                    PermRule::AllOf => have & want == want,
                    PermRule::AnyOf => want == 0 || have & want != 0,
                    PermRule::Exact => have == want,
                }
            }
            Node::Number { field, cmp, value } => {
                let Some(m) = self.meta(e) else {
                    return false;
                };
                let v = match field {
                    NumField::Uid => u64::from(m.uid),
                    NumField::Gid => u64::from(m.gid),
                    NumField::Links => m.nlink,
                    NumField::Inode => m.ino,
                };
                cmp.test(v, value)
            }
            Node::Size { cmp, unit, value } => {
                let Some(m) = self.meta(e) else {
                    return false;
                };
                cmp.test((m.size.max(0) as u64).div_ceil(unit), value)
            }
            Node::Time(field, window) => self
                .meta(e)
                .is_some_and(|m| window.holds(time_of(m, field))),
            Node::Used(cmp, days) => self.meta(e).is_some_and(|m| {
                let used = when::sub(m.atime, m.ctime);
                used > (0, 0)
                    && match cmp {
                        Cmp::Greater => used > days,
                        Cmp::Less => used <= days,
                        Cmp::Equal => used > when::sub(days, (when::DAY, 0)) && used <= days,
                    }
            }),
            Node::Newer(field, reference) => {
                self.meta(e).is_some_and(|m| time_of(m, field) > reference)
            }
            Node::SameFile { dev, ino } => {
                self.meta(e).is_some_and(|m| m.dev == dev && m.ino == ino)
            }
            Node::NoUser => match self.meta(e) {
                Some(m) => {
                    let uid = m.uid;
                    self.names.user(uid).is_none()
                }
                None => false,
            },
            Node::NoGroup => match self.meta(e) {
                Some(m) => {
                    let gid = m.gid;
                    self.names.group(gid).is_none()
                }
                None => false,
            },
            Node::Empty => self.is_empty(e),
            Node::Access(how) => sys::access_at(e.dir, e.name, how),
            Node::FsType(t) => match self.meta(e) {
                Some(m) => {
                    let dev = m.dev;
                    self.fs_type(dev) == t
                }
                None => false,
            },
            Node::Print(k, terminator) => {
                let path = e.path;
                self.write(k, &mut |s: &mut dyn Sink| {
                    s.put(path);
                    s.put(&[terminator]);
                });
                true
            }
            Node::Printf(k, f) => {
                self.printf(k, f, e);
                true
            }
            Node::Ls(k) => {
                self.ls(k, e);
                true
            }
            Node::Prune => {
                self.prune = !self.prog.depth_first;
                true
            }
            Node::Quit => {
                self.quit = true;
                true
            }
            Node::Delete => self.delete(e),
            Node::Exec(k) => self.exec(k, e),
        }
    }

    /// `-xtype`: the type seen the other way round from the walk's (the
    /// target of a symlink under `-P`, the link itself under `-L`).
    fn target_kind(&mut self, e: &mut Entry<'_>) -> Kind {
        let k = self.kind(e);
        if e.state.follow {
            return if e.state.followed { Kind::Symlink } else { k };
        }
        if k != Kind::Symlink {
            return k;
        }
        match sys::stat_at_follow(e.dir, e.name) {
            Ok(t) => t.kind(),
            // A dangling link is a link, as for GNU (`ls -lL`).
            Err(Errno::NOENT | Errno::NOTDIR) => Kind::Symlink,
            Err(er) => {
                self.error(e.path, er);
                Kind::Unknown
            }
        }
    }

    /// A symlink's target (reported and `None` when it cannot be read).
    pub fn link_target(&mut self, e: &Entry<'_>) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; PATH_MAX];
        match sys::readlink_at(e.dir, e.name, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                Some(buf)
            }
            Err(er) => {
                self.error(e.path, er);
                None
            }
        }
    }

    /// `-empty`: an empty regular file or a directory with no entries.
    fn is_empty(&mut self, e: &mut Entry<'_>) -> bool {
        let Some(m) = self.meta(e) else {
            return false;
        };
        match m.kind() {
            Kind::File => m.size == 0,
            Kind::Dir => match sys::dir_is_empty_at(e.dir, e.name, e.state.followed) {
                Ok(v) => v,
                Err(er) => {
                    self.error(e.path, er);
                    false
                }
            },
            _ => false,
        }
    }

    /// The file system type of device `dev`, from `/proc/self/mountinfo`
    /// (GNU reads the mount table too); `unknown` when no mount has it.
    pub fn fs_type(&mut self, dev: u64) -> &[u8] {
        let mounts = self.mounts.get_or_insert_with(read_mounts);
        match mounts.iter().find(|(d, _)| *d == dev) {
            Some((_, t)) => t,
            None => b"unknown",
        }
    }
}

/// `lstat` of `name` in `dir`, following a symlink when asked: returns the
/// metadata and whether a link was followed. A dangling link is reported as
/// the link itself, as GNU does; a loop is an error under `-L`.
pub(super) fn stat_entry(
    dir: BorrowedFd<'_>,
    name: &CStr,
    follow: bool,
    mode: Follow,
) -> Result<(Meta, bool), Errno> {
    let m = sys::stat_at(dir, name)?;
    if follow && m.kind() == Kind::Symlink {
        match sys::stat_at_follow(dir, name) {
            Ok(t) => return Ok((t, true)),
            Err(Errno::LOOP) if mode == Follow::Always => return Err(Errno::LOOP),
            Err(_) => {}
        }
    }
    Ok((m, false))
}

/// `(device, file system type)` of every mount in `/proc/self/mountinfo`
/// (empty when it cannot be read).
fn read_mounts() -> Vec<(u64, Vec<u8>)> {
    let Ok(Some(text)) = sys::read_file_max("/proc/self/mountinfo", MOUNTINFO_MAX) else {
        return Vec::new();
    };
    let mut mounts = Vec::new();
    for line in text.split(|&c| c == b'\n') {
        if let Some(m) = parse_mountinfo_line(line) {
            mounts.push(m);
        }
    }
    mounts
}

/// One line: `ID PARENT MAJOR:MINOR ROOT POINT OPTIONS [TAGS] - TYPE SOURCE
/// SUPER`.
fn parse_mountinfo_line(line: &[u8]) -> Option<(u64, Vec<u8>)> {
    let mut fields = line.split(|&c| c == b' ');
    let dev = fields.nth(2)?;
    let colon = dev.iter().position(|&c| c == b':')?;
    let major = decimal(&dev[..colon])?;
    let minor = decimal(&dev[colon + 1..])?;
    let mut fstype = None;
    let mut after_dash = false;
    for f in fields {
        if after_dash {
            fstype = Some(f);
            break;
        }
        after_dash = f == b"-";
    }
    // glibc's makedev.
    let d = ((major & 0xffff_f000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffff_ff00) << 12)
        | (minor & 0xff);
    Some((d, fstype?.to_vec()))
}

fn decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |v, &b| {
        b.is_ascii_digit()
            .then(|| v.checked_mul(10)?.checked_add(u64::from(b - b'0')))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_names() {
        assert_eq!(base_name(b"a/b/"), b"b");
        assert_eq!(base_name(b"/"), b"/");
        assert_eq!(base_name(b"."), b".");
    }

    #[test]
    fn mountinfo_lines() {
        let l = b"36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw";
        assert_eq!(parse_mountinfo_line(l), Some(((98 << 8), b"ext3".to_vec())));
        let l = b"22 1 0:21 / /proc rw - proc proc rw";
        assert_eq!(parse_mountinfo_line(l), Some((21, b"proc".to_vec())));
    }
}
