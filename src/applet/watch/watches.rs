//! The monitor's inotify watches, and how a watch leads back to its
//! directory — with little memory, and safely.
//!
//! Map: an [`Instance`] is one inotify fd (one per tree up to
//! [`MAX_INOTIFY_INSTANCES`], then shared) and its [`DirIndex`]; the
//! [`Placer`] is the walk's [`DirHook`] that places watches as sweeps and
//! subtree walks enter directories; [`reach`] turns a watch descriptor back
//! into an open [`Place`] and display path.
//!
//! How a watch leads back to its directory. Each watched directory costs
//! 10 bytes: its watch descriptor, its parent's, and 15 bits of its inode
//! number. Names are not kept (they are most of what a path costs, and a
//! user can rename a directory at any moment anyway). To reach watch `W`:
//! follow the parents up to the tree's base, then come back down from the
//! base's held handle one directory at a time: list the directory, take the
//! entries whose inode bits match the next watch, open each candidate
//! `O_NOFOLLOW|O_DIRECTORY` (never a symlink, never another filesystem
//! unless `--cross-mounts`, never a name a sweep would not enter), and keep
//! the one for which the kernel answers `inotify_add_watch` with the very
//! watch descriptor expected: the kernel saying "this is the same
//! directory". The rules' states are stepped along the names actually
//! walked, so a directory renamed by its user is examined under the rules
//! of where it is now, and a name swapped for a symlink is refused, not
//! followed. A wrong or stale table can make chperms look in the wrong
//! directory or not find it (the event is then covered by the walk that a
//! move triggers, or by the next sweep); it can never make chperms apply
//! one path's rules to another or leave the tree. The directory reached
//! last is kept open for the events that follow about it (see
//! `incremental`), so that a busy directory is reached once.
//!
//! [`MAX_INOTIFY_INSTANCES`]: crate::budget::MAX_INOTIFY_INSTANCES

use crate::applet::watch::fair::FairShare;
use crate::budget::MAX_DEPTH;
use crate::policy::Policy;
use crate::sys::{self, DirStream, Errno, Kind, Meta};
use crate::walk::{DirHook, Place};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

/// Set in a node's `hint` while a full sweep has visited it.
const MARK: u16 = 0x8000;

/// The inode bits kept as a hint to find a directory in its parent.
pub fn ino_hint(ino: u64) -> u16 {
    (ino as u16) & !MARK
}

/// A watch's parent when it is the base of the tree in slot `slot`.
pub fn root_of(slot: usize) -> i32 {
    -(slot as i32) - 1
}

/// One watched directory: 10 bytes.
#[derive(Clone, Copy)]
#[repr(C, packed(2))]
struct Node {
    wd: i32,
    /// The parent directory's watch, or [`root_of`] the tree for a base.
    parent: i32,
    /// [`ino_hint`] of the directory, plus [`MARK`].
    hint: u16,
}

/// The watches of one inotify instance.
///
/// Invariant: `nodes` is sorted by `wd`, without duplicates; a node's
/// parent chain ends at a base node (negative parent) within [`MAX_DEPTH`]
/// steps, or is broken (a parent was dropped: the node is dropped at its
/// tree's next full sweep).
#[derive(Default)]
pub struct DirIndex {
    nodes: Vec<Node>,
}

impl DirIndex {
    fn find(&self, wd: i32) -> Result<usize, usize> {
        self.nodes.binary_search_by_key(&wd, |n| n.wd)
    }

    /// How many watches.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True when `wd` is one of ours.
    pub fn contains(&self, wd: i32) -> bool {
        self.find(wd).is_ok()
    }

    /// Records watch `wd` below `parent` (a new one, or a known one that
    /// was moved); true when it is new.
    fn put(&mut self, wd: i32, parent: i32, hint: u16) -> bool {
        match self.find(wd) {
            Ok(i) => {
                let mark = self.nodes[i].hint & MARK;
                self.nodes[i] = Node {
                    wd,
                    parent,
                    hint: hint | mark,
                };
                false
            }
            Err(i) => {
                // Grown by an eighth, not doubled: the table is most of the
                // monitor's memory on a big tree (issue 12: 512 KiB at 1M
                // entries), and large blocks are mappings of their own.
                if self.nodes.len() == self.nodes.capacity() {
                    self.nodes.reserve_exact((self.nodes.len() / 8).max(16));
                }
                self.nodes.insert(i, Node { wd, parent, hint });
                true
            }
        }
    }

    fn mark(&mut self, wd: i32) {
        if let Ok(i) = self.find(wd) {
            self.nodes[i].hint |= MARK;
        }
    }

    /// Forgets watch `wd` (the kernel dropped it); true if it was ours.
    pub fn remove(&mut self, wd: i32) -> bool {
        match self.find(wd) {
            Ok(i) => {
                self.nodes.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// The tree slot of `wd`, and in `chain` the (watch, hint) of each
    /// directory from the base's child down to `wd` (empty when `wd` is the
    /// base). `None` for an unknown watch or a broken chain.
    pub fn chain(&self, wd: i32, chain: &mut Vec<(i32, u16)>) -> Option<usize> {
        chain.clear();
        let mut at = wd;
        for _ in 0..=MAX_DEPTH {
            let n = self.nodes[self.find(at).ok()?];
            if n.parent < 0 {
                chain.reverse();
                return Some((-(n.parent + 1)) as usize);
            }
            chain.push((n.wd, n.hint & !MARK));
            at = n.parent;
        }
        None
    }

    /// The tree slot of `wd` (see [`DirIndex::chain`]).
    pub fn slot_of(&self, wd: i32) -> Option<usize> {
        let mut at = wd;
        for _ in 0..=MAX_DEPTH {
            let n = self.nodes[self.find(at).ok()?];
            if n.parent < 0 {
                return Some((-(n.parent + 1)) as usize);
            }
            at = n.parent;
        }
        None
    }

    /// Drops (and unwatches) the watches of tree `slot` — all of them, or
    /// (`unmarked_only`) those a sweep did not mark — and those cut off
    /// from every base.
    fn drop_where(&mut self, ino: BorrowedFd<'_>, slot: usize, unmarked_only: bool) {
        let gone: Vec<bool> = self
            .nodes
            .iter()
            .map(|n| match self.slot_of(n.wd) {
                Some(s) => s == slot && (!unmarked_only || n.hint & MARK == 0),
                None => true,
            })
            .collect();
        let mut i = 0;
        self.nodes.retain(|n| {
            i += 1;
            if gone[i - 1] {
                sys::inotify_unwatch(ino, n.wd);
            }
            !gone[i - 1]
        });
    }

    /// After a full sweep of tree `slot`: drops (and unwatches) its watches
    /// that the sweep did not visit and those cut off from every base;
    /// clears the marks. Returns how many watches the tree has now.
    pub fn sweep_done(&mut self, slot: usize, ino: BorrowedFd<'_>) -> usize {
        self.drop_where(ino, slot, true);
        for n in self.nodes.iter_mut() {
            n.hint &= !MARK;
        }
        self.nodes
            .iter()
            .filter(|n| self.slot_of(n.wd) == Some(slot))
            .count()
    }

    /// Drops (and unwatches) every watch of tree `slot`.
    pub fn drop_tree(&mut self, slot: usize, ino: BorrowedFd<'_>) {
        self.drop_where(ino, slot, false);
    }
}

/// One inotify instance: its fd, its watches, how many trees use it.
pub struct Instance {
    pub fd: OwnedFd,
    pub index: DirIndex,
    pub trees: usize,
}

/// Why a directory got no watch (said once per tree).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unwatched {
    /// The tree used up its fair share of the watches.
    Share,
    /// The kernel refused (`ENOSPC`: `max_user_watches`, which counts every
    /// root process's watches).
    Kernel,
}

/// No watch: a directory at this depth of the walk is not watched.
const NONE: i32 = 0;

/// The walk's hook that places a watch on each directory entered, under the
/// tree's fair share, recording its parent.
pub struct Placer<'a> {
    ino: BorrowedFd<'a>,
    index: &'a mut DirIndex,
    share: &'a mut FairShare,
    slot: usize,
    /// The watch of the directory at each depth of the walk so far
    /// ([`NONE`] where there is none).
    stack: Vec<i32>,
    /// A full sweep: mark what it visits (see [`DirIndex::sweep_done`]).
    sweep: bool,
    /// Enter only directories that had no watch yet (a storm's scan: the
    /// known subdirectories were watched all along).
    only_new: bool,
    /// The instance is shared: a known watch must be this tree's.
    shared: bool,
    /// Why some directory got no watch, if one did not.
    pub unwatched: Option<Unwatched>,
}

impl<'a> Placer<'a> {
    /// A placer for a full sweep of tree `slot` (the base comes at depth 0).
    pub fn sweep(inst: &'a mut Instance, share: &'a mut FairShare, slot: usize) -> Placer<'a> {
        Placer::new(inst, share, slot, None)
    }

    /// A placer for a walk that starts in the watched directory `start`
    /// (its subdirectories come at depth 1).
    pub fn below(
        inst: &'a mut Instance,
        share: &'a mut FairShare,
        slot: usize,
        start: i32,
        only_new: bool,
    ) -> Placer<'a> {
        let mut p = Placer::new(inst, share, slot, Some(start));
        p.only_new = only_new;
        p
    }

    fn new(
        inst: &'a mut Instance,
        share: &'a mut FairShare,
        slot: usize,
        start: Option<i32>,
    ) -> Placer<'a> {
        let mut stack = Vec::with_capacity(16);
        stack.extend(start);
        Placer {
            ino: inst.fd.as_fd(),
            shared: inst.trees > 1,
            index: &mut inst.index,
            share,
            slot,
            stack,
            sweep: start.is_none(),
            only_new: false,
            unwatched: None,
        }
    }

    /// Watches `dir` below `parent`: its watch (or [`NONE`]) and whether it
    /// was not watched before.
    fn place(&mut self, dir: BorrowedFd<'_>, parent: i32, meta: &Meta) -> (i32, bool) {
        let wd = match sys::inotify_watch_fd(self.ino, dir, sys::WATCH_MASK) {
            Ok(wd) => wd,
            Err(Errno::NOSPC) => {
                self.unwatched = Some(Unwatched::Kernel);
                return (NONE, true);
            }
            Err(_) => return (NONE, true),
        };
        let known = self.index.contains(wd);
        if known && self.shared && self.index.slot_of(wd) != Some(self.slot) {
            // In a shared instance the same directory could be another
            // tree's (a bind mount): it stays that tree's.
            return (NONE, false);
        }
        if !known && !self.share.try_take(self.slot) {
            sys::inotify_unwatch(self.ino, wd);
            self.unwatched.get_or_insert(Unwatched::Share);
            return (NONE, true);
        }
        // Known: maybe moved, under a new parent now.
        self.index.put(wd, parent, ino_hint(meta.ino));
        if self.sweep {
            self.index.mark(wd);
        }
        (wd, !known)
    }
}

impl DirHook for Placer<'_> {
    fn entered(&mut self, dir: BorrowedFd<'_>, depth: usize, meta: &Meta) -> bool {
        self.stack.truncate(depth);
        let parent = match depth {
            0 => root_of(self.slot),
            d => self.stack.get(d - 1).copied().unwrap_or(NONE),
        };
        let (wd, new) = if parent == NONE {
            // Its parent has no watch: it cannot be keyed either.
            (NONE, true)
        } else {
            self.place(dir, parent, meta)
        };
        self.stack.push(wd);
        // A storm's scan enters only what was not watched before and could
        // be watched now (the rest is left to the sweeps).
        !self.only_new || (new && wd != NONE)
    }
}

/// What [`reach`] needs of a tree.
pub struct TreeAccess<'a> {
    /// The held handle of the tree's base.
    pub base: BorrowedFd<'a>,
    pub policy: &'a Policy,
    /// The base's display path.
    pub base_path: &'a [u8],
    pub cross_mounts: bool,
}

/// Reaches the watched directory at the end of `chain` (its chain from
/// the base, see [`DirIndex::chain`]) from the tree's base, safely (see the
/// module's text). Returns the directory and its display path
/// (`base_path/names`).
pub fn reach(
    tree: &TreeAccess<'_>,
    inst: &mut Instance,
    chain: &[(i32, u16)],
) -> Option<(Place, Vec<u8>)> {
    let mut path = Vec::with_capacity(tree.base_path.len() + 64);
    path.extend_from_slice(tree.base_path);
    let mut at = Place::base(tree.policy, tree.base).ok()?;
    for &(child, hint) in chain {
        let (next, name) = find_child(tree, inst, &at, child, hint)?;
        path.push(b'/');
        path.extend_from_slice(&name);
        at = next;
    }
    Some((at, path))
}

/// The subdirectory of `at` that is watch `wd` (inode bits `hint`), and its
/// name: each candidate is entered as a sweep would enter it and asked of
/// the kernel.
fn find_child(
    tree: &TreeAccess<'_>,
    inst: &mut Instance,
    at: &Place,
    wd: i32,
    hint: u16,
) -> Option<(Place, Vec<u8>)> {
    // A handle of its own to read, so that `at`'s stays where it is.
    let mut ds = DirStream::new(sys::open_dir_at(at.fd(), c".").ok()?);
    let mut name = Vec::with_capacity(256);
    while let Some(e) = ds.next_entry() {
        let e = e.ok()?;
        if !matches!(e.kind, Kind::Dir | Kind::Unknown) || ino_hint(e.ino) != hint {
            continue;
        }
        name.clear();
        name.extend_from_slice(e.name.to_bytes());
        let Ok(p) = at.enter(tree.policy, &name, tree.cross_mounts) else {
            continue;
        };
        if is_watch(inst, p.fd(), wd) {
            return Some((p, name));
        }
    }
    None
}

/// True when the kernel says the directory behind `dir` is watch `wd`
/// (adding a watch on an inode already watched returns its descriptor). A
/// watch that this creates by the way is removed again.
fn is_watch(inst: &mut Instance, dir: BorrowedFd<'_>, wd: i32) -> bool {
    match sys::inotify_watch_fd(inst.fd.as_fd(), dir, sys::WATCH_MASK) {
        Ok(got) if got == wd => true,
        Ok(got) => {
            if !inst.index.contains(got) {
                sys::inotify_unwatch(inst.fd.as_fd(), got);
            }
            false
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_is_ten_bytes() {
        assert_eq!(std::mem::size_of::<Node>(), 10);
    }

    #[test]
    fn chains_lead_from_the_base_down_and_stop_at_broken_links() {
        let mut ix = DirIndex::default();
        ix.put(5, root_of(2), 1);
        ix.put(9, 5, 2);
        ix.put(7, 9, 3);
        let mut chain = Vec::new();
        assert_eq!(ix.chain(7, &mut chain), Some(2));
        assert_eq!(chain, vec![(9, 2), (7, 3)]);
        assert_eq!(ix.chain(5, &mut chain), Some(2));
        assert!(chain.is_empty());
        // A directory moved: new parent.
        assert!(!ix.put(7, 5, 3));
        assert_eq!(ix.chain(7, &mut chain), Some(2));
        assert_eq!(chain, vec![(7, 3)]);
        // Its old parent gone: 9's children are cut off, 7 is not.
        ix.put(11, 9, 4);
        ix.remove(9);
        assert_eq!(ix.chain(11, &mut chain), None);
        assert_eq!(ix.slot_of(7), Some(2));
    }
}
