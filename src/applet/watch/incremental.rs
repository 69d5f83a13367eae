//! Incremental repair: each inotify event examines what it names, not the
//! tree (issue 12).
//!
//! - An event about name N in watched directory D (created, moved in,
//!   metadata changed) examines D/N with the walker's per-entry code; a
//!   directory created or moved in is walked whole, its directories
//!   watched (a directory renamed inside the tree is thereby re-keyed under
//!   its new parent and examined under its new path's rules).
//! - N deleted or moved away: what a `create` rule wants there is made
//!   again, a moment later.
//! - D itself moved out of the tree: its watch is dropped. The base moved
//!   or deleted: the tree is swept (which opens it again by path).
//! - More than [`STORM_EVENTS`] events about one directory within
//!   [`STORM_WINDOW_MS`] (an unpacked archive): its events are only counted
//!   from then on, and the directory is examined whole once it was quiet
//!   for [`STORM_QUIET_MS`] (at the latest [`STORM_MAX_MS`] after the storm
//!   began). Reading an event then costs next to nothing, so the kernel's
//!   queue does not overflow, and the storm costs one scan.
//! - `IN_Q_OVERFLOW` (the kernel's queue of an instance was full): every
//!   tree of that instance is swept once its events are quiet
//!   ([`OVERFLOW_QUIET_MS`]), said once per tree.
//!
//! Each round reads one [`INOTIFY_BUF`] from every instance in turn (a busy
//! tree's queue never keeps another tree's waiting) and handles the events
//! at once; the directory of consecutive events about the same watch is
//! reached once.
//!
//! [`INOTIFY_BUF`]: crate::budget::INOTIFY_BUF
//! [`OVERFLOW_QUIET_MS`]: crate::budget::OVERFLOW_QUIET_MS

use super::watches::{self, Placer, TreeAccess};
use super::{num, say, Monitor};
use crate::alert::NEVER;
use crate::budget::{
    EVENT_ROUNDS, HOT_DIRS, MAX_RECREATE, OVERFLOW_QUIET_MS, RECREATE_AFTER_MS, STORM_EVENTS,
    STORM_MAX_MS, STORM_QUIET_MS, STORM_WINDOW_MS,
};
use crate::output::Level;
use crate::sys::{self, InotifyEvent};
use crate::walk::{self, Place, WalkOpts};
use rustix::fd::AsFd;

/// A directory with recent events.
#[derive(Clone, Copy)]
struct HotDir {
    inst: usize,
    wd: i32,
    slot: usize,
    /// When the current counting window began, and the events in it.
    window: u64,
    count: u32,
    /// When its storm began ([`NEVER`]: not a storm), and its last event.
    storm: u64,
    last: u64,
}

/// The directories with recent events: at most [`HOT_DIRS`].
#[derive(Default)]
pub struct Hot {
    dirs: Vec<HotDir>,
}

/// What to do with one event, by its directory's recent events.
enum Heat {
    /// Look at it.
    One,
    /// Its directory is in a storm: it will be examined whole.
    Storm,
    /// Storms in more directories than are followed: sweep the tree.
    Full,
}

impl Hot {
    fn note(&mut self, inst: usize, wd: i32, slot: usize, now: u64) -> Heat {
        if let Some(d) = self.dirs.iter_mut().find(|d| d.inst == inst && d.wd == wd) {
            if d.storm != NEVER {
                d.last = now;
                return Heat::Storm;
            }
            if now >= d.window + STORM_WINDOW_MS {
                d.window = now;
                d.count = 0;
            }
            d.count += 1;
            if d.count > STORM_EVENTS {
                d.storm = now;
                d.last = now;
                return Heat::Storm;
            }
            return Heat::One;
        }
        let new = HotDir {
            inst,
            wd,
            slot,
            window: now,
            count: 1,
            storm: NEVER,
            last: now,
        };
        if self.dirs.len() < HOT_DIRS {
            self.dirs.push(new);
            return Heat::One;
        }
        // Full: the quietest directory that is not in a storm makes room.
        match (0..self.dirs.len())
            .filter(|&i| self.dirs[i].storm == NEVER)
            .min_by_key(|&i| self.dirs[i].window)
        {
            Some(i) => {
                self.dirs[i] = new;
                Heat::One
            }
            None => Heat::Full,
        }
    }

    /// When the next storm is over ([`NEVER`] if none).
    pub fn deadline(&self) -> u64 {
        self.dirs
            .iter()
            .filter(|d| d.storm != NEVER)
            .map(|d| (d.last + STORM_QUIET_MS).min(d.storm + STORM_MAX_MS))
            .min()
            .unwrap_or(NEVER)
    }

    /// Takes the storms that are over at `now`.
    fn take_over(&mut self, now: u64) -> Vec<HotDir> {
        let mut over = Vec::new();
        self.dirs.retain(|d| {
            let done =
                d.storm != NEVER && (d.last + STORM_QUIET_MS).min(d.storm + STORM_MAX_MS) <= now;
            if done {
                over.push(*d);
            }
            !done
        });
        over
    }

    /// Forgets tree `slot`'s directories (it is swept or removed).
    pub fn forget_tree(&mut self, slot: usize) {
        self.dirs.retain(|d| d.slot != slot);
    }
}

/// A directory reached for the events about it.
pub(super) struct Current {
    inst: usize,
    wd: i32,
    slot: usize,
    place: Place,
    /// Its display path.
    path: Vec<u8>,
}

impl Monitor {
    /// Reads and handles events: rounds of [`Monitor::read_round`] while
    /// queues have some, at most [`EVENT_ROUNDS`] before the loop looks at
    /// signals and deadlines again. True when there may be more.
    pub(super) fn read_events(&mut self, now: u64) -> bool {
        (0..EVENT_ROUNDS).all(|_| self.read_round(now))
    }

    /// One round: one buffer of events from `--root`'s watch and from each
    /// instance, handled. True when any queue had events (there may be
    /// more).
    fn read_round(&mut self, now: u64) -> bool {
        let mut buf = std::mem::take(&mut self.buf);
        let mut more = false;
        if let Some(fd) = self.root.as_ref().map(|r| r.ino.as_fd()) {
            let n = sys::inotify_read(fd, &mut buf).unwrap_or(0);
            more |= n > 0;
            for ev in sys::inotify_events(&buf[..n]) {
                self.root_event(&ev, now);
            }
        }
        for i in 0..self.instances.len() {
            let Some(fd) = self
                .instances
                .get(i)
                .and_then(Option::as_ref)
                .map(|x| x.fd.as_fd())
            else {
                continue;
            };
            let n = match sys::inotify_read(fd, &mut buf) {
                Ok(n) => n,
                Err(e) => {
                    self.instance_failed(i, e);
                    continue;
                }
            };
            more |= n > 0;
            for ev in sys::inotify_events(&buf[..n]) {
                self.event(i, &ev, now);
            }
        }
        self.buf = buf;
        more
    }

    /// Reading an instance failed (it should not): its trees are watched
    /// no more, said once; the sweeps go on.
    fn instance_failed(&mut self, i: usize, e: sys::Errno) {
        say(
            Level::Warning,
            &[
                "reading inotify: ",
                sys::errno_text(e),
                ": checking every ",
                &num(self.interval),
                " s only",
            ],
        );
        self.instances[i] = None;
        for t in self.trees.iter_mut().flatten() {
            if t.inst == Some(i) {
                t.inst = None;
            }
        }
    }

    /// Handles one event of instance `i`.
    ///
    /// The directory reached for an event is kept ([`Monitor::held`]) for
    /// the next events about the same watch, until any directory of the
    /// instance is moved, deleted or unwatched (or a sweep runs): events
    /// are read in the order they happened, so an event that follows a
    /// rename is never looked at through the old path. One that preceded
    /// it is looked at under the path it happened in, and the rename's own
    /// walk then examines the moved subtree under its new path.
    fn event(&mut self, i: usize, ev: &InotifyEvent<'_>, now: u64) {
        const RESHAPE: u32 = libc::IN_MOVE_SELF
            | libc::IN_DELETE_SELF
            | libc::IN_IGNORED
            | libc::IN_UNMOUNT
            | libc::IN_Q_OVERFLOW;
        let moved_dir = ev.mask & libc::IN_ISDIR != 0
            && ev.mask & (libc::IN_MOVED_FROM | libc::IN_MOVED_TO) != 0;
        if ev.mask & RESHAPE != 0 || moved_dir {
            self.held = None;
        }
        if ev.mask & libc::IN_Q_OVERFLOW != 0 {
            return self.overflowed(i, now);
        }
        let Some(inst) = self.instances.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        if ev.mask & libc::IN_IGNORED != 0 {
            // The watch is gone (directory deleted, or unwatched): the
            // tree's count of watches is taken again at its next sweep.
            inst.index.remove(ev.wd);
            return;
        }
        let Some(slot) = inst.index.chain(ev.wd, &mut self.chain) else {
            return; // Not ours (any more), or cut off from its base.
        };
        let Some(tree) = self.trees.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        tree.stats.events += 1;
        if tree.sweep_due != NEVER {
            return tree.still_busy(now); // The sweep to come covers it.
        }
        let base_itself = self.chain.is_empty();
        if ev.mask & (libc::IN_DELETE_SELF | libc::IN_MOVE_SELF | libc::IN_UNMOUNT) != 0 {
            if base_itself {
                // Swept (opened again by path) once things settle: with
                // --all, a vhost deleted is dropped by --root's watch first.
                if tree.sweep_due == NEVER {
                    tree.sweep_due = now + OVERFLOW_QUIET_MS;
                }
            } else if ev.mask & libc::IN_MOVE_SELF != 0 && self.reach(i, ev.wd).is_none() {
                // Moved out of the tree (a move inside was re-keyed by the
                // walk of its MOVED_TO): not ours any more. What was below
                // it is dropped at the tree's next sweep.
                if let Some(inst) = self.instances.get_mut(i).and_then(Option::as_mut) {
                    inst.index.remove(ev.wd);
                    sys::inotify_unwatch(inst.fd.as_fd(), ev.wd);
                }
            }
            return;
        }
        if ev.name.is_empty() {
            // About the directory itself: its parent's watch tells the same
            // with its name, except for the base, examined here.
            if base_itself && ev.mask & libc::IN_ATTRIB != 0 {
                let opts = self.walk_opts();
                let c = self.reach(i, ev.wd);
                if let (Some(c), Some(t)) = (c, self.trees.get(slot).and_then(Option::as_ref)) {
                    self.seen.borrow_mut().enter(slot);
                    walk::examine_place(
                        &t.target.policy,
                        &c.place,
                        &c.path,
                        opts,
                        &mut self.report,
                    );
                }
            }
            return;
        }
        match self.hot.note(i, ev.wd, slot, now) {
            Heat::One => {}
            Heat::Storm => return,
            Heat::Full => return self.tree_overflowed(slot, now),
        }
        if !self
            .held
            .as_ref()
            .is_some_and(|c| c.inst == i && c.wd == ev.wd)
        {
            self.held = self.reach(i, ev.wd);
        }
        // Not found now: moved (the move's own walk examines it) or gone.
        let Some(c) = self.held.take() else { return };
        if ev.mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0 {
            self.deleted(&c, ev.name, now);
        } else if ev.mask & (libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_ATTRIB) != 0 {
            self.examine_entry(&c, ev, slot);
        }
        self.held = Some(c);
    }

    /// Examines the entry an event named in directory `c` (tree `slot`).
    fn examine_entry(&mut self, c: &Current, ev: &InotifyEvent<'_>, slot: usize) {
        let i = c.inst;
        let mut entry = c.path.clone();
        entry.push(b'/');
        entry.extend_from_slice(ev.name);
        let opts = self.walk_opts();
        let Monitor {
            trees,
            instances,
            watch_share,
            report,
            seen,
            ..
        } = self;
        let (Some(tree), Some(inst)) = (
            trees.get(slot).and_then(Option::as_ref),
            instances.get_mut(i).and_then(Option::as_mut),
        ) else {
            return;
        };
        {
            let mut s = seen.borrow_mut();
            s.enter(slot);
            s.examine_begin(&entry);
        }
        let mut placer = Placer::below(inst, watch_share, slot, ev.wd, false);
        walk::examine(
            &tree.target.policy,
            &c.place,
            &c.path,
            ev.name,
            walk::Named {
                is_dir: ev.mask & libc::IN_ISDIR != 0,
                new: ev.mask & (libc::IN_CREATE | libc::IN_MOVED_TO) != 0,
            },
            opts,
            report,
            &mut placer,
        );
        let unwatched = placer.unwatched;
        seen.borrow_mut().examine_end();
        self.say_unwatched(slot, unwatched);
    }

    fn walk_opts(&self) -> WalkOpts {
        WalkOpts {
            fix: self.fix,
            cross_mounts: self.opts.cross_mounts,
        }
    }

    /// Reaches watch `wd` of instance `i` from its tree's held base.
    fn reach(&mut self, i: usize, wd: i32) -> Option<Current> {
        let inst = self.instances.get_mut(i)?.as_mut()?;
        let slot = inst.index.chain(wd, &mut self.chain)?;
        let tree = self.trees.get(slot)?.as_ref()?;
        let access = TreeAccess {
            base: tree.base.as_ref()?.as_fd(),
            policy: &tree.target.policy,
            base_path: &tree.target.base,
            cross_mounts: self.opts.cross_mounts,
        };
        let (place, path) = watches::reach(&access, inst, &self.chain)?;
        Some(Current {
            inst: i,
            wd,
            slot,
            place,
            path,
        })
    }

    /// `name` was deleted from (or moved out of) directory `c`: if a
    /// `create` rule wants it, it is made again in [`RECREATE_AFTER_MS`]
    /// (not at once: `rm -rf` of a tree would find it back and fail).
    fn deleted(&mut self, c: &Current, name: &[u8], now: u64) {
        let Some(tree) = self.trees.get(c.slot).and_then(Option::as_ref) else {
            return;
        };
        let base_len = tree.target.base.len();
        let mut rel = c.path.get(base_len + 1..).unwrap_or(&[]).to_vec();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(name);
        if !walk::wants_created(&tree.target.policy, &rel) {
            return;
        }
        if self.recreate.iter().any(|r| r.0 == c.slot && r.1 == rel) {
            return;
        }
        if self.recreate.len() >= MAX_RECREATE {
            return self.tree_overflowed(c.slot, now);
        }
        self.recreate.push((c.slot, rel, now + RECREATE_AFTER_MS));
    }

    /// Makes again what was deleted and is wanted, when due. True when
    /// anything was.
    pub(super) fn recreate_due(&mut self, now: u64) -> bool {
        let mut due = Vec::new();
        self.recreate.retain(|r| {
            if r.2 <= now {
                due.push((r.0, r.1.clone()));
            }
            r.2 > now
        });
        let opts = self.walk_opts();
        for (slot, rel) in &due {
            let Some(tree) = self.trees.get(*slot).and_then(Option::as_ref) else {
                continue;
            };
            let Some(base) = tree.base.as_ref() else {
                continue;
            };
            self.seen.borrow_mut().enter(*slot);
            walk::recreate(
                &tree.target.policy,
                base.as_fd(),
                &tree.target.base,
                rel,
                opts,
                &mut self.report,
            );
        }
        !due.is_empty()
    }

    /// Examines the directories whose storm is over, each whole. True when
    /// any was.
    pub(super) fn storms_due(&mut self, now: u64) -> bool {
        let over = self.hot.take_over(now);
        for d in &over {
            let Some(c) = self.reach(d.inst, d.wd) else {
                continue;
            };
            let opts = self.walk_opts();
            let Monitor {
                trees,
                instances,
                watch_share,
                report,
                seen,
                ..
            } = self;
            let (Some(tree), Some(inst)) = (
                trees.get_mut(c.slot).and_then(Option::as_mut),
                instances.get_mut(c.inst).and_then(Option::as_mut),
            ) else {
                continue;
            };
            tree.stats.storms += 1;
            seen.borrow_mut().enter(c.slot);
            let mut placer = Placer::below(inst, watch_share, c.slot, c.wd, true);
            walk::examine_entries(
                &tree.target.policy,
                c.place,
                &c.path,
                opts,
                report,
                &mut placer,
            );
            let unwatched = placer.unwatched;
            self.say_unwatched(c.slot, unwatched);
        }
        !over.is_empty()
    }

    /// Instance `i`'s queue overflowed: each of its trees is swept once
    /// quiet; said once per tree.
    fn overflowed(&mut self, i: usize, now: u64) {
        for slot in 0..self.trees.len() {
            if self
                .trees
                .get(slot)
                .and_then(Option::as_ref)
                .is_some_and(|t| t.inst == Some(i))
            {
                self.tree_overflowed(slot, now);
            }
        }
    }

    /// Tree `slot` lost events: one full sweep when they are quiet.
    fn tree_overflowed(&mut self, slot: usize, now: u64) {
        self.hot.forget_tree(slot);
        let Some(t) = self.trees.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if t.overflowed(now) {
            say(
                Level::Warning,
                &[
                    &t.name(),
                    ": events overflowed (more changes at once than the kernel queues, \
                     fs.inotify.max_queued_events): this tree is swept in full once quiet; \
                     said once, later overflows are only counted",
                ],
            );
        }
    }
}
