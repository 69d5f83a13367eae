//! Users and groups from `/etc/passwd` and `/etc/group`.
//!
//! A static musl binary has no NSS, so these files are the whole truth (SPEC
//! §3). They are streamed line by line through a fixed buffer: a server with
//! ten thousand vhost users costs no more memory than a router.
//!
//! Map: [`user_by_name`], [`user_by_uid`], [`user_by_home`],
//! [`group_by_name`], [`group_by_gid`], [`groups_of`] look things up in the
//! system's files, as the same methods of a [`Db`] do in any (a [`Db`] can
//! be made from bytes: tests and fuzzing); [`scan_lines`] is the streaming
//! parser under all of them;
//! [`resolve_user`] / [`resolve_group`] accept a name or a number as an
//! operator would type it; [`NameCache`] turns ids into names for output.

use crate::budget::{MAX_DB_LINE, MAX_GROUPS, MAX_NAME, NAME_CACHE};
use std::io::Read;

/// A short owned name (user or group).
pub type Name = heapless::String<MAX_NAME>;

/// One `/etc/passwd` entry (the fields chperms needs).
#[derive(Clone, Debug)]
pub struct User {
    pub name: Name,
    pub uid: u32,
    pub gid: u32,
}

/// One `/etc/group` entry (without its member list).
#[derive(Clone, Debug)]
pub struct Group {
    pub name: Name,
    pub gid: u32,
}

const PASSWD: &str = "/etc/passwd";
const GROUP: &str = "/etc/group";

/// Where entries come from: the system's files, or bytes a caller holds.
#[derive(Clone, Copy, Debug)]
enum Source<'a> {
    File(&'static str),
    Bytes(&'a [u8]),
}

/// A user and group database: `/etc/passwd` and `/etc/group` ([`Db::SYSTEM`],
/// what every free function of this module reads), or the contents of such
/// files given as bytes ([`Db::from_bytes`]: tests and fuzzing, nothing is
/// opened). Files are read anew by each lookup, so an edit is seen at once.
#[derive(Clone, Copy, Debug)]
pub struct Db<'a> {
    passwd: Source<'a>,
    group: Source<'a>,
}

impl Db<'static> {
    /// The system's `/etc/passwd` and `/etc/group`.
    pub const SYSTEM: Db<'static> = Db {
        passwd: Source::File(PASSWD),
        group: Source::File(GROUP),
    };
}

/// Calls `f` with the colon-separated fields of each line of `src` until it
/// returns `Some`. Lines longer than [`MAX_DB_LINE`] are skipped whole.
/// (A thin generic shell over [`scan_lines`], so that the line reader exists
/// once in the binary rather than once per lookup.)
fn scan<T>(src: Source<'_>, mut f: impl FnMut(&[&[u8]]) -> Option<T>) -> Option<T> {
    let mut found = None;
    let mut each = |fields: &[&[u8]]| {
        found = f(fields);
        found.is_some()
    };
    match src {
        Source::File(path) => {
            if let Ok(mut file) = crate::sys::open_read(path) {
                scan_lines(&mut file, &mut each);
            }
        }
        Source::Bytes(mut b) => scan_lines(&mut b, &mut each),
    }
    found
}

/// Streams a passwd- or group-format file from `file` line by line through
/// a fixed buffer of [`MAX_DB_LINE`] bytes, calling `f` with each line's
/// colon-separated fields (at most 7; the last keeps any further colons)
/// until it returns true. Empty lines and `#` comments are skipped, and so
/// is every line of [`MAX_DB_LINE`] bytes or more (never cut short); a read
/// error ends the file.
pub fn scan_lines(file: &mut dyn Read, f: &mut dyn FnMut(&[&[u8]]) -> bool) {
    let mut buf = [0u8; MAX_DB_LINE];
    let mut len = 0usize;
    // buf[..searched] holds no newline: each byte is looked at once, however
    // small the reads (linear time for any reader).
    let mut searched = 0usize;
    let mut skipping = false;
    let mut eof = false;
    loop {
        if !eof && len < buf.len() {
            match file.read(&mut buf[len..]) {
                Ok(0) => eof = true,
                Ok(n) => len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(_) => eof = true,
            }
        }
        let mut start = 0;
        while let Some(nl) = buf[searched..len].iter().position(|&b| b == b'\n') {
            let line = &buf[start..searched + nl];
            start = searched + nl + 1;
            searched = start;
            if skipping {
                skipping = false;
                continue;
            }
            if with_fields(line, f) {
                return;
            }
        }
        if eof {
            if start < len && !skipping {
                with_fields(&buf[start..len], f);
            }
            return;
        }
        if start == 0 && len == buf.len() {
            // A line longer than the buffer: drop it up to its newline.
            skipping = true;
            len = 0;
            searched = 0;
            continue;
        }
        if start > 0 {
            buf.copy_within(start..len, 0);
            len -= start;
        }
        searched = len;
    }
}

fn with_fields(line: &[u8], f: &mut dyn FnMut(&[&[u8]]) -> bool) -> bool {
    if line.is_empty() || line[0] == b'#' {
        return false;
    }
    let mut fields: [&[u8]; 7] = [&[]; 7];
    let mut n = 0;
    for part in line.splitn(7, |&b| b == b':') {
        fields[n] = part;
        n += 1;
    }
    f(&fields[..n])
}

/// A decimal uid/gid/pid: at most 10 digits, no sign, no overflow.
pub fn parse_id(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (c - b'0') as u64;
    }
    u32::try_from(v).ok()
}

fn name_of(b: &[u8]) -> Option<Name> {
    let s = std::str::from_utf8(b).ok()?;
    Name::try_from(s).ok()
}

fn user_from(fields: &[&[u8]]) -> Option<User> {
    if fields.len() < 4 {
        return None;
    }
    Some(User {
        name: name_of(fields[0])?,
        uid: parse_id(fields[2])?,
        gid: parse_id(fields[3])?,
    })
}

impl<'a> Db<'a> {
    /// A database read from the given contents of `/etc/passwd` and
    /// `/etc/group` (nothing is opened).
    pub fn from_bytes(passwd: &'a [u8], group: &'a [u8]) -> Db<'a> {
        Db {
            passwd: Source::Bytes(passwd),
            group: Source::Bytes(group),
        }
    }

    /// The first passwd entry named `name` (that parses).
    pub fn user_by_name(&self, name: &str) -> Option<User> {
        scan(self.passwd, |f| {
            if f.first() == Some(&name.as_bytes()) {
                user_from(f)
            } else {
                None
            }
        })
    }

    /// The first passwd entry with uid `uid`.
    pub fn user_by_uid(&self, uid: u32) -> Option<User> {
        scan(self.passwd, |f| {
            let u = user_from(f)?;
            (u.uid == uid).then_some(u)
        })
    }

    /// The first passwd entry whose home directory is `home` (trailing
    /// slashes on either side are ignored).
    pub fn user_by_home(&self, home: &[u8]) -> Option<User> {
        let want = trim_slash(home);
        scan(self.passwd, |f| {
            if f.len() >= 6 && trim_slash(f[5]) == want {
                user_from(f)
            } else {
                None
            }
        })
    }

    /// The first group entry named `name` (that parses).
    pub fn group_by_name(&self, name: &str) -> Option<Group> {
        scan(self.group, |f| {
            if f.first() == Some(&name.as_bytes()) {
                group_from(f)
            } else {
                None
            }
        })
    }

    /// The first group entry with gid `gid`.
    pub fn group_by_gid(&self, gid: u32) -> Option<Group> {
        scan(self.group, |f| {
            let g = group_from(f)?;
            (g.gid == gid).then_some(g)
        })
    }

    /// Every gid `user` belongs to: its primary group plus each group entry
    /// listing it as a member (at most [`MAX_GROUPS`], like `initgroups`).
    pub fn groups_of(&self, user: &User) -> heapless::Vec<u32, MAX_GROUPS> {
        let mut out: heapless::Vec<u32, MAX_GROUPS> = heapless::Vec::new();
        let _ = out.push(user.gid);
        let _: Option<()> = scan(self.group, |f| {
            if f.len() >= 4 {
                let listed = f[3]
                    .split(|&b| b == b',')
                    .any(|m| m == user.name.as_bytes());
                if listed {
                    if let Some(gid) = parse_id(f[2]) {
                        if !out.contains(&gid) {
                            let _ = out.push(gid);
                        }
                    }
                }
            }
            None
        });
        out
    }

    /// Resolves an operator-typed owner: a user name, or a number (which
    /// need not exist). Returns the uid and, for a known user, the user's
    /// primary gid.
    pub fn resolve_user(&self, s: &str) -> Option<(u32, Option<u32>)> {
        if let Some(u) = self.user_by_name(s) {
            return Some((u.uid, Some(u.gid)));
        }
        let id = parse_id(s.as_bytes())?;
        Some((id, self.user_by_uid(id).map(|u| u.gid)))
    }

    /// Resolves an operator-typed group: a group name or a number.
    pub fn resolve_group(&self, s: &str) -> Option<u32> {
        if let Some(g) = self.group_by_name(s) {
            return Some(g.gid);
        }
        parse_id(s.as_bytes())
    }
}

fn trim_slash(b: &[u8]) -> &[u8] {
    let mut b = b;
    while b.len() > 1 && b[b.len() - 1] == b'/' {
        b = &b[..b.len() - 1];
    }
    b
}

fn group_from(fields: &[&[u8]]) -> Option<Group> {
    if fields.len() < 3 {
        return None;
    }
    Some(Group {
        name: name_of(fields[0])?,
        gid: parse_id(fields[2])?,
    })
}

/// The `/etc/passwd` entry named `name`.
pub fn user_by_name(name: &str) -> Option<User> {
    Db::SYSTEM.user_by_name(name)
}

/// The first `/etc/passwd` entry with uid `uid`.
pub fn user_by_uid(uid: u32) -> Option<User> {
    Db::SYSTEM.user_by_uid(uid)
}

/// The first `/etc/passwd` entry whose home directory is `home` (a trailing
/// slash on either side is ignored).
pub fn user_by_home(home: &[u8]) -> Option<User> {
    Db::SYSTEM.user_by_home(home)
}

/// The `/etc/group` entry named `name`.
pub fn group_by_name(name: &str) -> Option<Group> {
    Db::SYSTEM.group_by_name(name)
}

/// The first `/etc/group` entry with gid `gid`.
pub fn group_by_gid(gid: u32) -> Option<Group> {
    Db::SYSTEM.group_by_gid(gid)
}

/// Every gid `user` belongs to: its primary group plus each `/etc/group` entry
/// listing it as a member (at most [`MAX_GROUPS`], like `initgroups`).
pub fn groups_of(user: &User) -> heapless::Vec<u32, MAX_GROUPS> {
    Db::SYSTEM.groups_of(user)
}

/// Resolves an operator-typed owner: a user name, or a number (which need
/// not exist in `/etc/passwd`). Returns the uid and, for a known user, the
/// user's primary gid.
pub fn resolve_user(s: &str) -> Option<(u32, Option<u32>)> {
    Db::SYSTEM.resolve_user(s)
}

/// Resolves an operator-typed group: a group name or a number.
pub fn resolve_group(s: &str) -> Option<u32> {
    Db::SYSTEM.resolve_group(s)
}

/// A small cache from ids to names for printing findings, so that a tree of
/// a hundred thousand wrong entries does not rescan `/etc/passwd` for each.
pub struct NameCache {
    users: heapless::Deque<(u32, Option<Name>), NAME_CACHE>,
    groups: heapless::Deque<(u32, Option<Name>), NAME_CACHE>,
}

impl Default for NameCache {
    fn default() -> Self {
        Self::new()
    }
}

impl NameCache {
    /// An empty cache.
    pub const fn new() -> NameCache {
        NameCache {
            users: heapless::Deque::new(),
            groups: heapless::Deque::new(),
        }
    }

    /// The name of `uid`, or `None` when `/etc/passwd` has none.
    pub fn user(&mut self, uid: u32) -> Option<Name> {
        cached(&mut self.users, uid, |id| user_by_uid(id).map(|u| u.name))
    }

    /// The name of `gid`, or `None` when `/etc/group` has none.
    pub fn group(&mut self, gid: u32) -> Option<Name> {
        cached(&mut self.groups, gid, |id| group_by_gid(id).map(|g| g.name))
    }

    /// The user's name, or its number as text.
    pub fn user_text(&mut self, uid: u32) -> Name {
        self.user(uid).unwrap_or_else(|| number_name(uid))
    }

    /// The group's name, or its number as text.
    pub fn group_text(&mut self, gid: u32) -> Name {
        self.group(gid).unwrap_or_else(|| number_name(gid))
    }
}

fn cached(
    q: &mut heapless::Deque<(u32, Option<Name>), NAME_CACHE>,
    id: u32,
    load: impl FnOnce(u32) -> Option<Name>,
) -> Option<Name> {
    if let Some((_, n)) = q.iter().find(|(k, _)| *k == id) {
        return n.clone();
    }
    let n = load(id);
    if q.is_full() {
        q.pop_front();
    }
    let _ = q.push_back((id, n.clone()));
    n
}

/// `id` written in decimal as a [`Name`].
pub fn number_name(id: u32) -> Name {
    let mut s = Name::new();
    let _ = core::fmt::Write::write_fmt(&mut s, format_args!("{id}"));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_uid_zero() {
        let u = user_by_name("root").expect("root in /etc/passwd");
        assert_eq!((u.uid, u.gid), (0, 0));
        assert_eq!(
            user_by_uid(0).map(|u| u.name),
            Some(Name::try_from("root").unwrap())
        );
        assert_eq!(group_by_gid(0).map(|g| g.gid), Some(0));
    }

    #[test]
    fn numbers_resolve_without_entries() {
        assert_eq!(resolve_user("4000000"), Some((4_000_000, None)));
        assert_eq!(resolve_group("4000000"), Some(4_000_000));
        assert_eq!(resolve_user("no-such-user-xyz"), None);
        assert_eq!(parse_id(b"99999999999"), None);
    }

    #[test]
    fn a_db_from_bytes_reads_no_file() {
        let long = format!("long:x:7:7:{}:/h:/bin/sh\n", "g".repeat(MAX_DB_LINE));
        let passwd = format!(
            "# comment\n\nbad:x:1x:1::/h:/bin/sh\n{long}web:x:33:33::/srv/site.org/:/bin/sh\nlast:x:9:10::/h:/bin/sh"
        );
        let group = b"www:x:33:alice,last\nten:x:10:\nother:x:11:last,bob";
        let db = Db::from_bytes(passwd.as_bytes(), group);
        assert_eq!(db.user_by_name("bad").map(|u| u.uid), None);
        assert_eq!(
            db.user_by_name("long").map(|u| u.uid),
            None,
            "over-long line"
        );
        assert_eq!(
            db.user_by_uid(9).map(|u| u.gid),
            Some(10),
            "last line, no newline"
        );
        assert_eq!(db.user_by_home(b"/srv/site.org").map(|u| u.uid), Some(33));
        let last = db.user_by_name("last").expect("last");
        assert_eq!(db.groups_of(&last).as_slice(), &[10, 33, 11]);
        assert_eq!(
            db.group_by_gid(11).map(|g| g.name),
            Name::try_from("other").ok()
        );
        assert_eq!(db.resolve_user("7"), Some((7, None)));
        assert_eq!(db.resolve_group("www"), Some(33));
    }

    #[test]
    fn cache_returns_numbers_for_unknown_ids() {
        let mut c = NameCache::new();
        assert_eq!(c.user_text(3_999_999).as_str(), "3999999");
        assert_eq!(c.user_text(0).as_str(), "root");
    }
}
