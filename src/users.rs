//! Users and groups from `/etc/passwd` and `/etc/group`.
//!
//! A static musl binary has no NSS, so these files are the whole truth (SPEC
//! §3). They are streamed line by line through a fixed buffer: a server with
//! ten thousand vhost users costs no more memory than a router.
//!
//! Map: [`user_by_name`], [`user_by_uid`], [`user_by_home`],
//! [`group_by_name`], [`group_by_gid`], [`groups_of`] look things up;
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

/// Calls `f` with the colon-separated fields of each line of `path` until it
/// returns `Some`. Lines longer than [`MAX_DB_LINE`] are skipped whole.
/// (A thin generic shell over [`scan_lines`], so that the line reader exists
/// once in the binary rather than once per lookup.)
fn scan<T>(path: &str, mut f: impl FnMut(&[&[u8]]) -> Option<T>) -> Option<T> {
    let mut found = None;
    scan_lines(path, &mut |fields| {
        found = f(fields);
        found.is_some()
    });
    found
}

/// Streams `path` line by line through a fixed buffer, calling `f` with each
/// line's fields until it returns true.
fn scan_lines(path: &str, f: &mut dyn FnMut(&[&[u8]]) -> bool) {
    let Ok(mut file) = crate::sys::open_read(path) else {
        return;
    };
    let mut buf = [0u8; MAX_DB_LINE];
    let mut len = 0usize;
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
        while let Some(nl) = buf[start..len].iter().position(|&b| b == b'\n') {
            let line = &buf[start..start + nl];
            start += nl + 1;
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
            continue;
        }
        buf.copy_within(start..len, 0);
        len -= start;
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

/// The `/etc/passwd` entry named `name`.
pub fn user_by_name(name: &str) -> Option<User> {
    scan(PASSWD, |f| {
        if f.first() == Some(&name.as_bytes()) {
            user_from(f)
        } else {
            None
        }
    })
}

/// The first `/etc/passwd` entry with uid `uid`.
pub fn user_by_uid(uid: u32) -> Option<User> {
    scan(PASSWD, |f| {
        let u = user_from(f)?;
        (u.uid == uid).then_some(u)
    })
}

/// The first `/etc/passwd` entry whose home directory is `home` (a trailing
/// slash on either side is ignored).
pub fn user_by_home(home: &[u8]) -> Option<User> {
    let want = trim_slash(home);
    scan(PASSWD, |f| {
        if f.len() >= 6 && trim_slash(f[5]) == want {
            user_from(f)
        } else {
            None
        }
    })
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

/// The `/etc/group` entry named `name`.
pub fn group_by_name(name: &str) -> Option<Group> {
    scan(GROUP, |f| {
        if f.first() == Some(&name.as_bytes()) {
            group_from(f)
        } else {
            None
        }
    })
}

/// The first `/etc/group` entry with gid `gid`.
pub fn group_by_gid(gid: u32) -> Option<Group> {
    scan(GROUP, |f| {
        let g = group_from(f)?;
        (g.gid == gid).then_some(g)
    })
}

/// Every gid `user` belongs to: its primary group plus each `/etc/group` entry
/// listing it as a member (at most [`MAX_GROUPS`], like `initgroups`).
pub fn groups_of(user: &User) -> heapless::Vec<u32, MAX_GROUPS> {
    let mut out: heapless::Vec<u32, MAX_GROUPS> = heapless::Vec::new();
    let _ = out.push(user.gid);
    let _: Option<()> = scan(GROUP, |f| {
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

/// Resolves an operator-typed owner: a user name, or a number (which need
/// not exist in `/etc/passwd`). Returns the uid and, for a known user, the
/// user's primary gid.
pub fn resolve_user(s: &str) -> Option<(u32, Option<u32>)> {
    if let Some(u) = user_by_name(s) {
        return Some((u.uid, Some(u.gid)));
    }
    let id = parse_id(s.as_bytes())?;
    Some((id, user_by_uid(id).map(|u| u.gid)))
}

/// Resolves an operator-typed group: a group name or a number.
pub fn resolve_group(s: &str) -> Option<u32> {
    if let Some(g) = group_by_name(s) {
        return Some(g.gid);
    }
    parse_id(s.as_bytes())
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
    fn cache_returns_numbers_for_unknown_ids() {
        let mut c = NameCache::new();
        assert_eq!(c.user_text(3_999_999).as_str(), "3999999");
        assert_eq!(c.user_text(0).as_str(), "root");
    }
}
