//! The walk: fd-relative over `sys::DirStream` (no PATH_MAX bound on
//! paths), each directory opened `O_NOFOLLOW|O_DIRECTORY` through its held
//! parent (following only a symlink `-L`/`-H` asked to follow).
//!
//! Entries are evaluated with the type `getdents` reported; only a test
//! that needs more, an unknown type, or a symlink to follow costs a `stat`.
//! Each opened directory is `fstat`ed once (for `-xdev`, loop checks and to
//! check it is what was examined).

use super::eval::{stat_entry, Entry, EntryState, Find};
use super::expr::Follow;
use crate::budget::{MAX_DEPTH, PATH_MAX};
use crate::sys::{self, Errno, Kind};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ffi::{CStr, CString};

impl Find<'_> {
    /// Walks one start point.
    pub fn start(&mut self, p: &[u8]) {
        let Ok(c) = CString::new(p) else {
            self.error(p, Errno::INVAL);
            return;
        };
        let follow = self.prog.follow != Follow::Never;
        let (m, followed) = match stat_entry(sys::cwd(), &c, follow, self.prog.follow) {
            Ok(x) => x,
            Err(e) => return self.error(p, e),
        };
        // The start point is named through its parent (an operator path,
        // opened once) and its last component, like every other entry:
        // -execdir runs in that parent, -delete unlinks from it.
        let (parent, name) = match split_start(p) {
            Ok(x) => x,
            Err(e) => return self.error(p, e),
        };
        let dir = parent.as_ref().map_or(sys::cwd(), |fd| fd.as_fd());
        self.start_dev = m.dev;
        self.ancestors.clear();
        self.dir_gen += 1;
        let gen = self.dir_gen;
        // The type the entry has itself (a symlink, when it was followed).
        let own = if followed { Kind::Symlink } else { m.kind() };
        let mut state = EntryState::new(own, follow);
        state.meta = Some(m);
        state.followed = followed;
        let mut path = Vec::with_capacity(256);
        path.extend_from_slice(p);
        self.visit(&mut path, p.len(), 0, dir, &name, state, gen);
        self.finish_batches_of(gen);
    }

    /// Evaluates one entry and, for a directory, its subtree.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &mut self,
        path: &mut Vec<u8>,
        start_len: usize,
        depth: usize,
        dir: BorrowedFd<'_>,
        name: &CStr,
        mut state: EntryState,
        gen: u64,
    ) {
        let kind = {
            let mut e = Entry {
                path,
                start_len,
                depth,
                dir,
                name,
                dir_gen: gen,
                state: &mut state,
            };
            self.kind(&mut e)
        };
        let may_descend = kind == Kind::Dir && depth < self.prog.maxdepth;
        if may_descend && state.followed && self.in_loop(path, &state) {
            return;
        }
        if !self.prog.depth_first || !may_descend {
            self.prune = false;
            self.evaluate(path, start_len, depth, dir, name, &mut state, gen);
            if self.prune || self.quit || !may_descend {
                return;
            }
        }
        self.descend(path, start_len, depth, dir, name, &state);
        if self.prog.depth_first && !self.quit {
            self.evaluate(path, start_len, depth, dir, name, &mut state, gen);
        }
    }

    /// Runs the expression on one entry (when deep enough for -mindepth).
    #[allow(clippy::too_many_arguments)]
    fn evaluate(
        &mut self,
        path: &[u8],
        start_len: usize,
        depth: usize,
        dir: BorrowedFd<'_>,
        name: &CStr,
        state: &mut EntryState,
        gen: u64,
    ) {
        if depth < self.prog.mindepth {
            return;
        }
        let mut e = Entry {
            path,
            start_len,
            depth,
            dir,
            name,
            dir_gen: gen,
            state,
        };
        let root = self.prog.root;
        self.eval(root, &mut e);
    }

    /// Opens directory `name` in `dir` and visits its entries.
    fn descend(
        &mut self,
        path: &mut Vec<u8>,
        start_len: usize,
        depth: usize,
        dir: BorrowedFd<'_>,
        name: &CStr,
        state: &EntryState,
    ) {
        let opened = if state.followed {
            sys::open_dir_at_follow(dir, name)
        } else {
            sys::open_dir_at(dir, name)
        };
        let (fd, here) = match opened.and_then(|fd| sys::fstat(&fd).map(|m| (fd, m))) {
            Ok(x) => x,
            Err(e) => return self.error(path, e),
        };
        if state.meta.is_some_and(|m| !m.same_object(&here)) {
            // Swapped between the look and the open: not what was examined.
            return self.error(path, Errno::STALE);
        }
        if self.prog.same_fs && here.dev != self.start_dev {
            return;
        }
        if depth + 1 >= MAX_DEPTH {
            // The limit is spelled out in the text (no formatting).
            const _: () = assert!(MAX_DEPTH == 128);
            self.flush();
            super::output::say(
                "%q: directory nesting deeper than 128 levels; not entered",
                &[path],
            );
            self.status = 1;
            return;
        }
        self.dir_gen += 1;
        let gen = self.dir_gen;
        self.ancestors.push((here.dev, here.ino, path.len()));
        self.walk_entries(fd, path, start_len, depth, gen);
        self.ancestors.pop();
        self.finish_batches_of(gen);
    }

    /// Visits every entry of the open directory `fd` (found at `path`).
    fn walk_entries(
        &mut self,
        fd: OwnedFd,
        path: &mut Vec<u8>,
        start_len: usize,
        depth: usize,
        gen: u64,
    ) {
        let mut ds = sys::DirStream::new(fd);
        let base = path.len();
        // The child's NUL-terminated name, reused for every entry.
        let mut name = Vec::with_capacity(64);
        let follow = self.prog.follow == Follow::Always;
        while !self.quit {
            let hint = match ds.next_entry() {
                None => break,
                Some(Err(e)) => {
                    self.error(path, e);
                    break;
                }
                Some(Ok(ent)) => {
                    name.clear();
                    name.extend_from_slice(ent.name.to_bytes_with_nul());
                    ent.kind
                }
            };
            if path.last() != Some(&b'/') {
                path.push(b'/');
            }
            path.extend_from_slice(&name[..name.len() - 1]);
            if path.len() >= PATH_MAX * 16 {
                self.error(path, Errno::NAMETOOLONG);
            } else if let Ok(child) = CStr::from_bytes_with_nul(&name) {
                let state = EntryState::new(hint, follow);
                self.visit(path, start_len, depth + 1, ds.fd(), child, state, gen);
            }
            path.truncate(base);
        }
    }

    /// Whether the directory a followed symlink leads to is one being
    /// walked already (reported as GNU does: the entry is skipped).
    fn in_loop(&mut self, path: &[u8], state: &EntryState) -> bool {
        let Some(m) = state.meta else {
            return false;
        };
        let Some(&(_, _, len)) = self.ancestors.iter().find(|a| a.0 == m.dev && a.1 == m.ino)
        else {
            return false;
        };
        self.flush();
        super::output::say(
            "File system loop detected; %q is part of the same file system loop as %q.",
            &[path, &path[..len]],
        );
        self.status = 1;
        true
    }

    /// Runs the `-execdir … +` batches collected in directory `gen` (before
    /// the walk leaves it).
    fn finish_batches_of(&mut self, gen: u64) {
        for k in 0..self.prog.execs.len() {
            if self.prog.execs[k]
                .batch_dir
                .as_ref()
                .is_some_and(|(g, _)| *g == gen)
            {
                self.run_batch(k);
            }
        }
    }
}

/// A start point's parent directory (opened as an `O_PATH` handle; `None`
/// for the working directory) and its last component with any trailing
/// slashes (they make a symlink to a directory count as that directory).
fn split_start(p: &[u8]) -> Result<(Option<OwnedFd>, CString), Errno> {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    let cut = p[..end].iter().rposition(|&c| c == b'/');
    let (parent, name) = match cut {
        // `/`, `//`: the root itself, named absolutely.
        _ if p.iter().all(|&c| c == b'/') => (None, p),
        None => (None, p),
        Some(0) => (Some(&b"/"[..]), &p[1..]),
        Some(k) => (Some(&p[..k]), &p[k + 1..]),
    };
    let name = CString::new(name).map_err(|_| Errno::INVAL)?;
    let parent = match parent {
        Some(dir) => {
            let c = CString::new(dir).map_err(|_| Errno::INVAL)?;
            Some(sys::open_base_path(&c, true)?)
        }
        None => None,
    };
    Ok((parent, name))
}
