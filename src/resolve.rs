//! Operator-given directory paths, opened from `/` (or the current
//! directory) one component at a time, so that root never follows a symlink
//! that a user could have placed.
//!
//! Map: [`PathWalk`] splits a path into components and splices in the
//! targets of followed symlinks; [`trusted_link`] is the one rule that decides
//! whether a symlink may be followed; [`open_dir`] opens a whole path with
//! that rule (tree bases, `--root`). `chperms mkdir` drives a [`PathWalk`]
//! itself because it creates missing components on the way.
//!
//! The rule: every component is opened `O_NOFOLLOW|O_DIRECTORY` relative to
//! the handle of the one before. A symlink is followed only when root owns it
//! *and* the directory holding it, and no one else may write that directory:
//! then only root can have put it there (`/var/run -> /run`,
//! `/srv -> /data/srv`). Any other link is refused with its path and owner.
//! Why it matters: a policy's base `/srv/evil.org/web/app/data` resolved by
//! the kernel would follow `web/app`, which the vhost user can replace by a
//! link to `/root`, and chperms would then chown root's files to that user.

use crate::budget::{MAX_SYMLINKS, PATH_MAX, RESOLVE_BUF};
use crate::sys::{self, Errno, Kind, Meta};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ffi::CString;

/// True when a symlink whose `lstat` is `link`, found in the directory whose
/// `fstat` is `dir`, may be followed by root: root owns both and the
/// directory has no group or other write bit.
pub fn trusted_link(link: &Meta, dir: &Meta) -> bool {
    link.uid == 0 && dir.uid == 0 && dir.mode & 0o022 == 0
}

/// Opens `/` (`absolute`) or the current directory: where a walk starts.
pub fn start(absolute: bool) -> Result<OwnedFd, Errno> {
    if absolute {
        sys::open_base_dir(c"/")
    } else {
        sys::open_dir_at(sys::cwd(), c".")
    }
}

/// The part of a path still to be walked. Invariant: `pending[at..]` is
/// empty or starts with `/` between components; `links` counts the symlinks
/// followed so far (at most [`MAX_SYMLINKS`], like the kernel).
pub struct PathWalk {
    pending: Vec<u8>,
    at: usize,
    links: usize,
}

impl PathWalk {
    /// A walk over `path`; refuses an empty path (`ENOENT`) and one of
    /// `PATH_MAX` bytes or more (`ENAMETOOLONG`).
    pub fn new(path: &[u8]) -> Result<PathWalk, Errno> {
        if path.is_empty() {
            return Err(Errno::NOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::NAMETOOLONG);
        }
        Ok(PathWalk {
            pending: path.to_vec(),
            at: 0,
            links: 0,
        })
    }

    /// True when the walk starts at `/`.
    pub fn absolute(&self) -> bool {
        self.pending.first() == Some(&b'/')
    }

    /// Bytes not yet walked (the end of the operator's path, after any
    /// spliced link target has been used up).
    pub fn remaining(&self) -> usize {
        self.pending.len() - self.at
    }

    /// The next component and whether it is the last one; `None` at the end.
    /// A component with a NUL byte cannot be opened: `EINVAL`.
    pub fn next_component(&mut self) -> Option<Result<(CString, bool), Errno>> {
        let (s, e) = component_at(&self.pending, self.at)?;
        self.at = e;
        let last = component_at(&self.pending, e).is_none();
        Some(
            CString::new(&self.pending[s..e])
                .map(|c| (c, last))
                .map_err(|_| Errno::INVAL),
        )
    }

    /// Replaces the symlink `name` in `dir` (the component just returned) by
    /// its target, in front of what is left to walk. Returns a handle on `/`
    /// when the target is absolute (the walk restarts there), else `None`
    /// (it goes on from `dir`). The caller has checked [`trusted_link`].
    pub fn follow(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &std::ffi::CStr,
    ) -> Result<Option<OwnedFd>, Errno> {
        self.links += 1;
        if self.links > MAX_SYMLINKS {
            return Err(Errno::LOOP);
        }
        let mut target = vec![0u8; PATH_MAX];
        let n = sys::readlink_at(dir, name, &mut target)?;
        target.truncate(n);
        if n == 0 {
            return Err(Errno::NOENT);
        }
        if n + 1 + self.remaining() > RESOLVE_BUF {
            return Err(Errno::NAMETOOLONG);
        }
        let absolute = target[0] == b'/';
        target.extend_from_slice(&self.pending[self.at..]);
        self.pending = target;
        self.at = 0;
        if absolute {
            start(true).map(Some)
        } else {
            Ok(None)
        }
    }
}

/// The next component of `p` at or after `at` (leading slashes skipped), as
/// `start..end` indices.
fn component_at(p: &[u8], at: usize) -> Option<(usize, usize)> {
    let mut s = at;
    while s < p.len() && p[s] == b'/' {
        s += 1;
    }
    if s >= p.len() {
        return None;
    }
    let mut e = s;
    while e < p.len() && p[e] != b'/' {
        e += 1;
    }
    Some((s, e))
}

/// Why [`open_dir`] did not open a path; `at` is the physical path reached
/// (the component that failed included).
pub struct Refusal {
    pub at: Vec<u8>,
    pub why: Why,
}

/// The reason inside a [`Refusal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    Sys(Errno),
    /// A symlink owned by this uid, or in a directory others may write.
    Untrusted(u32),
}

impl Refusal {
    /// `PATH: reason`, for an operator.
    pub fn text(&self, names: &mut crate::users::NameCache) -> String {
        let at = String::from_utf8_lossy(&self.at);
        match self.why {
            Why::Sys(e) => [&at, ": ", sys::errno_text(e)].concat(),
            Why::Untrusted(uid) => [
                &at,
                ": a symlink owned by ",
                names.user_text(uid).as_str(),
                ", or in a directory others can write: not followed (only links that \
                 root owns in a directory only root can write are; name the real directory)",
            ]
            .concat(),
        }
    }
}

/// Opens the directory `path` (absolute, or relative to the current
/// directory) component by component under the [`trusted_link`] rule. The
/// last component may be a trusted link too.
pub fn open_dir(path: &[u8]) -> Result<OwnedFd, Refusal> {
    let mut at = Vec::with_capacity(path.len());
    let sys_err = |at: &Vec<u8>, e| Refusal {
        at: at.clone(),
        why: Why::Sys(e),
    };
    let mut walk = PathWalk::new(path).map_err(|e| sys_err(&at, e))?;
    let mut fd = start(walk.absolute()).map_err(|e| sys_err(&at, e))?;
    if walk.absolute() {
        at.push(b'/');
    }
    while let Some(next) = walk.next_component() {
        let (name, _) = next.map_err(|e| sys_err(&at, e))?;
        let bytes = name.as_bytes();
        if bytes == b"." {
            continue;
        }
        push_component(&mut at, bytes);
        match sys::open_dir_at(fd.as_fd(), &name) {
            Ok(f) => fd = f,
            Err(e @ (Errno::NOTDIR | Errno::LOOP)) => {
                let link = sys::stat_at(fd.as_fd(), &name).map_err(|e| sys_err(&at, e))?;
                if link.kind() != Kind::Symlink {
                    return Err(sys_err(&at, e));
                }
                let dir = sys::fstat(&fd).map_err(|e| sys_err(&at, e))?;
                if !trusted_link(&link, &dir) {
                    return Err(Refusal {
                        at,
                        why: Why::Untrusted(link.uid),
                    });
                }
                match walk.follow(fd.as_fd(), &name) {
                    Ok(Some(root)) => {
                        fd = root;
                        at.clear();
                        at.push(b'/');
                    }
                    Ok(None) => pop_component(&mut at),
                    Err(e) => return Err(sys_err(&at, e)),
                }
            }
            Err(e) => return Err(sys_err(&at, e)),
        }
    }
    Ok(fd)
}

/// Appends `name` to the physical path `at` (`..` removes the last name).
fn push_component(at: &mut Vec<u8>, name: &[u8]) {
    if name == b".." {
        pop_component(at);
        return;
    }
    if !at.is_empty() && at.last() != Some(&b'/') {
        at.push(b'/');
    }
    at.extend_from_slice(name);
}

/// Removes the last name from the physical path `at` (never the leading `/`).
fn pop_component(at: &mut Vec<u8>) {
    while at.len() > 1 && at.last() != Some(&b'/') {
        at.pop();
    }
    if at.len() > 1 {
        at.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_split_on_slashes() {
        let mut w = PathWalk::new(b"//a/bc//d/").expect("walk");
        let mut got = Vec::new();
        while let Some(Ok((c, last))) = w.next_component() {
            got.push((c.into_bytes(), last));
        }
        assert_eq!(
            got,
            vec![
                (b"a".to_vec(), false),
                (b"bc".to_vec(), false),
                (b"d".to_vec(), true)
            ]
        );
    }

    #[test]
    fn physical_path_follows_dot_dot() {
        let mut at = b"/".to_vec();
        push_component(&mut at, b"srv");
        push_component(&mut at, b"a");
        push_component(&mut at, b"..");
        push_component(&mut at, b"b");
        assert_eq!(at, b"/srv/b");
        pop_component(&mut at);
        pop_component(&mut at);
        pop_component(&mut at);
        assert_eq!(at, b"/");
    }

    #[test]
    fn trust_needs_root_link_in_root_only_directory() {
        let mk = |uid, mode| Meta {
            uid,
            mode,
            ..Meta::default()
        };
        assert!(trusted_link(&mk(0, 0o120777), &mk(0, 0o40755)));
        assert!(!trusted_link(&mk(1001, 0o120777), &mk(0, 0o40755)));
        assert!(!trusted_link(&mk(0, 0o120777), &mk(1001, 0o40755)));
        assert!(!trusted_link(&mk(0, 0o120777), &mk(0, 0o41777)));
        assert!(!trusted_link(&mk(0, 0o120777), &mk(0, 0o40775)));
    }
}
