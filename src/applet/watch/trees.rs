//! The monitor's trees: each target with its held base, its inotify
//! instance and its counters; and, with `--all`, the watch on `--root`
//! itself, through which a vhost created while the watcher runs is
//! monitored within seconds and a removed one is dropped.

use super::{num, say, Monitor};
use crate::alert::NEVER;
use crate::applet::apply::{list_vhosts, resolve, Target};
use crate::budget::{
    MAX_INOTIFY_INSTANCES, MAX_VHOSTS, OVERFLOW_MAX_WAIT_MS, OVERFLOW_QUIET_MS, VHOST_SETTLE_MS,
};
use crate::output::Level;
use crate::sys::{self, InotifyEvent};
use rustix::fd::{AsFd, OwnedFd};

use super::watches::{DirIndex, Instance};

/// What happened in one tree, for the operator and a metrics writer
/// (see [`Monitor::after_work`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct TreeStats {
    /// inotify events handled.
    pub events: u64,
    /// Full sweeps (start, interval, overflow, SIGHUP).
    pub sweeps: u64,
    /// Times its event queue overflowed (each ends in one sweep).
    pub overflows: u64,
    /// Directories examined whole after a storm of events.
    pub storms: u64,
}

/// One watched tree.
///
/// Invariant: `sweep_due` is [`NEVER`] unless an overflow sweep is pending
/// (events of the tree are then not looked at: the sweep covers them);
/// `overflow_since` is when that overflow began.
pub struct Tree {
    pub target: Target,
    /// With `--all`: its name under `--root`.
    pub vhost: Option<String>,
    /// The base, opened by the last full sweep and held since: events reach
    /// their directories from it, one name at a time.
    pub base: Option<OwnedFd>,
    /// Its inotify instance (`None`: no inotify, sweeps only).
    pub inst: Option<usize>,
    pub stats: TreeStats,
    /// The watch limit was said for this tree.
    pub limit_said: bool,
    /// An overflow was said for this tree.
    pub overflow_said: bool,
    pub sweep_due: u64,
    pub overflow_since: u64,
}

impl Tree {
    /// The base's display path, for messages.
    pub fn name(&self) -> String {
        String::from_utf8_lossy(&self.target.base).into_owned()
    }

    /// The tree's queue overflowed (or it had storms in more directories at
    /// once than are followed): one full sweep once its events are quiet.
    /// True the first time (to be said once).
    pub fn overflowed(&mut self, now: u64) -> bool {
        if self.sweep_due == NEVER {
            self.overflow_since = now;
            self.stats.overflows += 1;
        }
        self.still_busy(now);
        !std::mem::replace(&mut self.overflow_said, true)
    }

    /// An event while an overflow sweep waits: wait for quiet a little
    /// longer, within bounds.
    pub fn still_busy(&mut self, now: u64) {
        self.sweep_due = (now + OVERFLOW_QUIET_MS).min(self.overflow_since + OVERFLOW_MAX_WAIT_MS);
    }
}

/// With `--all`: the watch on `--root`.
pub struct RootWatch {
    pub ino: OwnedFd,
    /// Vhost names that appeared (or changed owner), and when to look up
    /// their user.
    pending: Vec<(String, u64)>,
    /// Names whose user could not be found, said already.
    said: Vec<String>,
    /// When to list `--root` again (its queue overflowed).
    rescan_due: u64,
}

impl RootWatch {
    /// The earliest thing due.
    pub fn deadline(&self) -> u64 {
        self.pending.iter().fold(self.rescan_due, |m, p| m.min(p.1))
    }
}

/// What `--all` takes as a vhost: a directory name with a dot that does
/// not start with one (SPEC §3).
fn vhost_name(name: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(name).ok()?;
    (!s.starts_with('.') && s.contains('.')).then_some(s)
}

impl Monitor {
    /// Adds a tree; its sweep places its watches. Returns its slot.
    pub(super) fn add_tree(&mut self, target: Target) -> usize {
        let slot = match self.trees.iter().position(Option::is_none) {
            Some(s) => s,
            None => {
                self.trees.push(None);
                self.trees.len() - 1
            }
        };
        let inst = self.instance_for_tree();
        if let Some(i) = inst.and_then(|i| self.instances.get_mut(i)?.as_mut()) {
            i.trees += 1;
        }
        self.watch_share.set_live(slot, true);
        if let Some(q) = self.alert_queue {
            q.set_tree(slot as u32, true);
        }
        let vhost = if self.opts.all {
            let b = &target.base;
            let name = b.rsplit(|&c| c == b'/').next().unwrap_or(b);
            Some(String::from_utf8_lossy(name).into_owned())
        } else {
            None
        };
        self.trees[slot] = Some(Tree {
            target,
            vhost,
            base: None,
            inst,
            stats: TreeStats::default(),
            limit_said: false,
            overflow_said: false,
            sweep_due: NEVER,
            overflow_since: 0,
        });
        slot
    }

    /// Removes the tree in `slot`: its watches, queued alerts and
    /// remembered findings go with it.
    pub(super) fn remove_tree(&mut self, slot: usize) {
        let Some(tree) = self.trees.get_mut(slot).and_then(Option::take) else {
            return;
        };
        if let Some(i) = tree.inst {
            if let Some(inst) = self.instances.get_mut(i).and_then(Option::as_mut) {
                inst.trees -= 1;
                if inst.trees == 0 {
                    // Closing the fd drops its watches.
                    self.instances[i] = None;
                } else {
                    inst.index.drop_tree(slot, inst.fd.as_fd());
                }
            }
        }
        self.watch_share.set_live(slot, false);
        if let Some(q) = self.alert_queue {
            q.set_tree(slot as u32, false);
        }
        self.seen.borrow_mut().forget_tree(slot);
        self.hot.forget_tree(slot);
        self.held = None;
        self.recreate.retain(|r| r.0 != slot);
    }

    /// An inotify instance for a new tree: its own while fewer than
    /// [`MAX_INOTIFY_INSTANCES`] are open (and the kernel gives one), else
    /// the least used one; `None` without inotify (said once).
    fn instance_for_tree(&mut self) -> Option<usize> {
        let open = self.instances.iter().flatten().count();
        if open < MAX_INOTIFY_INSTANCES {
            match sys::inotify_new() {
                Ok(fd) => {
                    let inst = Instance {
                        fd,
                        index: DirIndex::default(),
                        trees: 0,
                    };
                    return Some(match self.instances.iter().position(Option::is_none) {
                        Some(i) => {
                            self.instances[i] = Some(inst);
                            i
                        }
                        None => {
                            self.instances.push(Some(inst));
                            self.instances.len() - 1
                        }
                    });
                }
                Err(e) if !std::mem::replace(&mut self.inotify_said, true) => {
                    if open == 0 {
                        say(
                            Level::Warning,
                            &[
                                "inotify unavailable (",
                                sys::errno_text(e),
                                "): changes are seen only at the sweeps",
                            ],
                        );
                    } else {
                        say(
                            Level::Info,
                            &[
                                "no more inotify instances (",
                                sys::errno_text(e),
                                "): the trees share those open",
                            ],
                        );
                    }
                }
                Err(_) => {}
            }
        }
        self.instances
            .iter()
            .enumerate()
            .filter_map(|(i, x)| x.as_ref().map(|x| (x.trees, i)))
            .min()
            .map(|(_, i)| i)
    }

    /// With `--all`, watches `--root` for vhosts that come and go (said
    /// once when it cannot: they are then picked up at the sweeps).
    pub(super) fn open_root(&mut self) {
        self.root = None;
        if !self.opts.all {
            return;
        }
        let root = self.opts.root.trim_end_matches('/');
        let root = if root.is_empty() { "/" } else { root };
        let watched = crate::resolve::open_dir(root.as_bytes())
            .map_err(|_| sys::Errno::NOENT)
            .and_then(|dir| {
                let ino = sys::inotify_new()?;
                sys::inotify_watch_fd(ino.as_fd(), dir.as_fd(), sys::WATCH_MASK)?;
                Ok(ino)
            });
        match watched {
            Ok(ino) => {
                self.root = Some(RootWatch {
                    ino,
                    pending: Vec::new(),
                    said: Vec::new(),
                    rescan_due: NEVER,
                })
            }
            Err(e) => say(
                Level::Warning,
                &[
                    root,
                    ": cannot watch for new vhosts (",
                    sys::errno_text(e),
                    "): they are picked up at the sweeps (every ",
                    &num(self.interval),
                    " s)",
                ],
            ),
        }
    }

    /// An event on `--root`: a vhost directory appeared, changed owner,
    /// or went away.
    pub(super) fn root_event(&mut self, ev: &InotifyEvent<'_>, now: u64) {
        let Some(root) = self.root.as_mut() else {
            return;
        };
        if ev.mask & libc::IN_Q_OVERFLOW != 0 {
            root.rescan_due = now;
            return;
        }
        let Some(name) = vhost_name(ev.name).filter(|_| ev.mask & libc::IN_ISDIR != 0) else {
            return;
        };
        root.pending.retain(|p| p.0 != name);
        if ev.mask & (libc::IN_DELETE | libc::IN_MOVED_FROM) != 0 {
            let gone = self
                .trees
                .iter()
                .position(|t| t.as_ref().is_some_and(|t| t.vhost.as_deref() == Some(name)));
            if let Some(slot) = gone {
                self.drop_vhost(slot);
            }
        } else if ev.mask & (libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_ATTRIB) != 0 {
            // An operator's mkdir is followed by a chown: look the user up
            // once the directory has settled.
            let known = self
                .trees
                .iter()
                .flatten()
                .any(|t| t.vhost.as_deref() == Some(name));
            if !known && root.pending.len() < MAX_VHOSTS {
                root.pending.push((name.to_string(), now + VHOST_SETTLE_MS));
            }
        }
    }

    /// Adds the vhosts whose settling time is over, and lists `--root`
    /// again if its queue overflowed. True when anything ran.
    pub(super) fn vhosts_due(&mut self, now: u64) -> bool {
        let Some(root) = self.root.as_mut() else {
            return false;
        };
        let mut due = Vec::new();
        root.pending.retain(|p| {
            let ready = p.1 <= now;
            if ready {
                due.push(p.0.clone());
            }
            !ready
        });
        let rescan = root.rescan_due <= now;
        if rescan {
            root.rescan_due = NEVER;
        }
        let worked = !due.is_empty() || rescan;
        for name in due {
            self.add_vhost(&name);
        }
        if rescan {
            self.rescan_vhosts();
        }
        worked
    }

    /// Starts monitoring vhost `name` under `--root`: resolved exactly as
    /// at start-up (the same error when its user cannot be found, said once
    /// per name), then swept.
    fn add_vhost(&mut self, name: &str) {
        let known = self
            .trees
            .iter()
            .flatten()
            .any(|t| t.vhost.as_deref() == Some(name));
        if known || self.trees.iter().flatten().count() >= MAX_VHOSTS {
            return;
        }
        let mut one = self.opts.clone();
        one.all = false;
        one.vhosts = vec![name.to_string()];
        match resolve(&one) {
            Ok(mut targets) if targets.len() == 1 => {
                if let Some(r) = self.root.as_mut() {
                    r.said.retain(|s| s != name);
                }
                let slot = self.add_tree(targets.remove(0));
                self.sweep_tree(slot);
                if let Some(t) = self.trees[slot].as_ref() {
                    let n = t
                        .inst
                        .and_then(|i| self.instances.get(i)?.as_ref())
                        .map_or(0, |i| i.index.len());
                    say(
                        Level::Info,
                        &[
                            &t.name(),
                            ": added: ",
                            &num(n as u64),
                            " directories watched",
                        ],
                    );
                }
            }
            Ok(_) => {}
            Err(msg) => {
                let Some(r) = self.root.as_mut() else { return };
                if !r.said.iter().any(|s| s == name) {
                    r.said.push(name.to_string());
                    say(Level::Err, &[&msg]);
                }
            }
        }
    }

    /// Stops monitoring the vhost tree in `slot` (its directory is gone).
    fn drop_vhost(&mut self, slot: usize) {
        if let Some(t) = self.trees[slot].as_ref() {
            say(Level::Info, &[&t.name(), ": removed: no longer watched"]);
        }
        self.remove_tree(slot);
    }

    /// `--all`: the vhosts under `--root` now, compared with those
    /// monitored: new ones are added, vanished ones dropped (an error
    /// listing the root keeps the current set).
    pub(super) fn rescan_vhosts(&mut self) {
        let root = self.opts.root.trim_end_matches('/');
        let root = if root.is_empty() { "/" } else { root };
        let Ok(fd) = crate::resolve::open_dir(root.as_bytes()) else {
            return;
        };
        let Ok(names) = list_vhosts(fd, root) else {
            return;
        };
        for slot in 0..self.trees.len() {
            let gone = self.trees[slot]
                .as_ref()
                .and_then(|t| t.vhost.as_ref())
                .is_some_and(|v| !names.contains(v));
            if gone {
                self.drop_vhost(slot);
            }
        }
        for name in &names {
            self.add_vhost(name);
        }
    }
}
