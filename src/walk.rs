//! The tree engine: applies (or audits) a compiled [`Policy`] below one open
//! base directory, safely, as root, while untrusted users may be changing the
//! tree (SPEC §5).
//!
//! How the safety rules are kept:
//! - The walk starts from a held directory handle; every later syscall gets
//!   *(held directory fd, one name)* — see [`crate::sys`]. Directories are
//!   opened with `O_NOFOLLOW|O_DIRECTORY`: a directory swapped for a symlink
//!   makes the open fail, it is never followed.
//! - A directory is examined with `fstat` on its own handle and changed with
//!   `fchown`/`fchmod` on it. Anything else is examined with `fstatat(..,
//!   AT_SYMLINK_NOFOLLOW)` and, only when it needs a change, opened `O_PATH|
//!   O_NOFOLLOW` (which never runs a FIFO's or device's open), `fstat`ed, and
//!   changed through that handle only if it is still the same object, of the
//!   same type, with one link. In fix mode, once a regular file needed a
//!   change, the next regular files are opened `O_PATH|O_NOFOLLOW` first and
//!   examined with `fstat` on that handle (no `fstatat`), until one needs no
//!   change: the object examined is then the object changed.
//! - Symlinks are never changed. A symlink or device where a rule without
//!   `**` names a path is refused (exit 1); device nodes are never changed.
//! - Another filesystem (`st_dev` differs from the base's, and the entry is
//!   not on the base's own mount: see [`TreeFs::holds`] for overlayfs) is
//!   neither changed nor entered unless `cross_mounts` is set.
//! - When owner and mode both change, the mode is first narrowed to what both
//!   the old and the new mode allow, then the owner changes, then the final
//!   mode is set: never a moment more open than both. The result is read back
//!   from the handle and set again until it is what the policy says (the old
//!   owner may chmod between the steps), else reported as an error.
//! - Memory: one [`Level`] (a [`DIRENT_BUF`] and the rules' states) per open
//!   directory, at most [`MAX_DEPTH`] of them; no allocation per entry.

use crate::budget::{MAX_DEPTH, MAX_RULES, PATH_MAX, SETTLE_ATTEMPTS};
use crate::fmt_time::push_num;
use crate::glob::State;
use crate::output::{mode_text, Action, Finding, Kind as FKind, Report};
use crate::policy::{Expect, Policy, Select};
use crate::sys::{self, DirStream, Errno, Kind, Meta};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ffi::CStr;

/// How a walk behaves.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkOpts {
    /// Change what differs (apply, `check --fix`); otherwise only report.
    pub fix: bool,
    /// Enter and change other filesystems mounted inside the tree.
    pub cross_mounts: bool,
}

/// One open directory on the walk's stack.
///
/// Invariant: `path_len` is the length of this directory's display path in
/// `Walker::path`; `states[i]` is rule `i`'s NFA state for this directory
/// and bit `i` of `active` is set iff `states[i] != 0`.
struct Level {
    stream: DirStream,
    path_len: usize,
    states: [State; MAX_RULES],
    active: u64,
}

/// The state of one walk.
struct Walker<'a> {
    policy: &'a Policy,
    opts: WalkOpts,
    report: &'a mut Report,
    /// Display path of the entry being examined (base path + relative).
    path: Vec<u8>,
    fs: TreeFs,
    /// Fix mode: the last regular file examined needed a change, so the next
    /// one probably does too (a tree is usually all right or all wrong).
    predict_change: bool,
    /// Examining what an inotify event named ([`examine`]): a name that
    /// became a directory since is not an error (its own event walks it).
    after_event: bool,
}

/// The filesystem a tree lives on, as the walker recognises it: the base's
/// device, and the mount the base was reached through (`None` before Linux
/// 5.8, when the kernel does not say).
#[derive(Clone, Copy, Debug, Default)]
struct TreeFs {
    dev: u64,
    mnt: Option<u64>,
}

impl TreeFs {
    /// The filesystem of the base `base` (whose metadata is `meta`).
    fn of(base: BorrowedFd<'_>, meta: &Meta) -> TreeFs {
        TreeFs {
            dev: meta.dev,
            mnt: sys::mount_of_at(base, c"").map(|m| m.mnt),
        }
    }

    /// True when the entry `name` in `dir` (`dir` itself when `name` is
    /// empty), examined as `meta`, is on the tree's filesystem. Its device
    /// decides, with one exception: an entry on another device that is, in
    /// one `statx`, the same object (device, inode) on the tree's own mount
    /// belongs too. That is overlayfs — OpenWrt's root, containers, live
    /// systems — whose files report the device of the layer holding them,
    /// and a btrfs subvolume. A filesystem or a single file mounted inside
    /// the tree is another mount and stays out.
    fn holds(&self, meta: &Meta, dir: BorrowedFd<'_>, name: &CStr) -> bool {
        if meta.dev == self.dev {
            return true;
        }
        let Some(mnt) = self.mnt else {
            return false;
        };
        sys::mount_of_at(dir, name)
            .is_some_and(|m| m.mnt == mnt && m.dev == meta.dev && m.ino == meta.ino)
    }
}

/// A handle to an entry: directories are opened for reading (and can be
/// `fchmod`ed); anything else is an `O_PATH` handle.
enum Handle<'f> {
    Dir(BorrowedFd<'f>),
    Path(BorrowedFd<'f>),
}

/// What a walk tells its caller about the directories it enters.
pub trait DirHook {
    /// `dir` (metadata `meta`) was examined and settled, and is about to be
    /// entered `depth` levels below where the walk started (0: the start
    /// itself); none of its entries has been read yet. Returning false
    /// leaves it unentered.
    fn entered(&mut self, dir: BorrowedFd<'_>, depth: usize, meta: &Meta) -> bool;
}

/// Enters every directory (a plain sweep).
struct EnterAll;

impl DirHook for EnterAll {
    fn entered(&mut self, _: BorrowedFd<'_>, _: usize, _: &Meta) -> bool {
        true
    }
}

/// Walks the tree below `base` (an open directory whose display path is
/// `base_path`), applying or auditing `policy`. Findings and counts go to
/// `report`.
pub fn walk(policy: &Policy, base: OwnedFd, base_path: &[u8], opts: WalkOpts, report: &mut Report) {
    walk_hooked(policy, base, base_path, opts, report, &mut EnterAll);
}

/// [`walk`], telling `hook` about every directory entered (the base at
/// depth 0 included). The base is walked whatever the hook says.
pub fn walk_hooked(
    policy: &Policy,
    base: OwnedFd,
    base_path: &[u8],
    opts: WalkOpts,
    report: &mut Report,
    hook: &mut dyn DirHook,
) {
    let mut w = Walker::new(policy, opts, report, base_path);
    let meta = match sys::fstat(&base) {
        Ok(m) => m,
        Err(e) => {
            w.fail("cannot examine", e);
            return;
        }
    };
    w.fs = TreeFs::of(base.as_fd(), &meta);
    let mut states = [0 as State; MAX_RULES];
    let active = policy.initial_states(&mut states);
    w.report.summary.checked += 1;
    let (exp, _) = policy.expect(&states, active, Kind::Dir);
    w.settle(Handle::Dir(base.as_fd()), &meta, &exp);
    w.create_missing(base.as_fd());
    hook.entered(base.as_fd(), 0, &meta);
    let top = Level {
        stream: DirStream::new(base),
        path_len: w.path.len(),
        states,
        active,
    };
    w.descend(top, 0, 0, hook);
    w.report.flush();
}

/// A directory inside a tree, reached from the tree's base one name at a
/// time ([`Place::base`], then [`Place::enter`]) exactly as a sweep
/// descends: opened `O_NOFOLLOW|O_DIRECTORY` relative to the one above,
/// never onto another filesystem (unless `cross_mounts`), never through a
/// name the sweep would not enter; with every rule's state for its path.
///
/// Invariant: `states`/`active` are the rules' states after stepping along
/// the `depth` names entered from the base; `fs` is the base's filesystem.
pub struct Place {
    fd: OwnedFd,
    meta: Meta,
    states: [State; MAX_RULES],
    active: u64,
    fs: TreeFs,
    depth: usize,
}

impl Place {
    /// The base itself, through a handle of its own (`.` opened below the
    /// held `base`, so that reading it never moves the holder's offset).
    pub fn base(policy: &Policy, base: BorrowedFd<'_>) -> sys::SysResult<Place> {
        let fd = sys::open_dir_at(base, c".")?;
        let meta = sys::fstat(&fd)?;
        let mut states = [0 as State; MAX_RULES];
        let active = policy.initial_states(&mut states);
        let fs = TreeFs::of(fd.as_fd(), &meta);
        Ok(Place {
            fd,
            meta,
            states,
            active,
            fs,
            depth: 0,
        })
    }

    /// The directory `name` below this one, refused where a sweep would not
    /// enter: a name that is not one component (`EINVAL`) or not valid
    /// UTF-8 (`EILSEQ`), deeper than [`MAX_DEPTH`] (`ELOOP`), a symlink or
    /// not a directory (`ELOOP`, `ENOTDIR`), another filesystem (`EXDEV`).
    pub fn enter(&self, policy: &Policy, name: &[u8], cross_mounts: bool) -> sys::SysResult<Place> {
        if name.is_empty() || name.contains(&b'/') || name == b"." || name == b".." {
            return Err(Errno::INVAL);
        }
        if std::str::from_utf8(name).is_err() {
            return Err(Errno::ILSEQ);
        }
        if self.depth + 1 >= MAX_DEPTH {
            return Err(Errno::LOOP);
        }
        let mut c = [0u8; 256];
        if name.len() >= c.len() {
            return Err(Errno::NAMETOOLONG);
        }
        c[..name.len()].copy_from_slice(name);
        let cname = CStr::from_bytes_with_nul(&c[..=name.len()]).map_err(|_| Errno::INVAL)?;
        let fd = sys::open_dir_at(self.fd.as_fd(), cname)?;
        let meta = sys::fstat(&fd)?;
        if !cross_mounts && !self.fs.holds(&meta, fd.as_fd(), c"") {
            return Err(Errno::XDEV);
        }
        let mut states = [0 as State; MAX_RULES];
        let active = policy.step(&self.states, self.active, name, &mut states);
        Ok(Place {
            fd,
            meta,
            states,
            active,
            fs: self.fs,
            depth: self.depth + 1,
        })
    }

    /// The directory's handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The directory's metadata when it was entered.
    pub fn meta(&self) -> &Meta {
        &self.meta
    }
}

/// What an event says about the entry [`examine`] looks at.
#[derive(Clone, Copy, Debug)]
pub struct Named {
    /// It was a directory (inotify's `IN_ISDIR`); the entry itself decides.
    pub is_dir: bool,
    /// It was created or moved in: a directory is then walked whole, and a
    /// file most likely needs a change (with `fix`, its handle is opened
    /// first, as a sweep does after a file that needed one).
    pub new: bool,
}

/// Examines the entry `name` of `at` (whose display path is `at_path`) as a
/// sweep would: same checks, same change, same findings. A new directory
/// is entered, its whole subtree walked, when `hook` agrees (it sees it at
/// depth 1).
#[allow(clippy::too_many_arguments)]
pub fn examine(
    policy: &Policy,
    at: &Place,
    at_path: &[u8],
    name: &[u8],
    named: Named,
    opts: WalkOpts,
    report: &mut Report,
    hook: &mut dyn DirHook,
) {
    let mut c = [0u8; 256];
    if name.is_empty() || name.len() >= c.len() || name.contains(&0) || name.contains(&b'/') {
        return;
    }
    c[..name.len()].copy_from_slice(name);
    let mut w = Walker::new(policy, opts, report, at_path);
    w.fs = at.fs;
    w.after_event = true;
    w.predict_change = named.new;
    let kind = if named.is_dir { Kind::Dir } else { Kind::File };
    let mut child = [0 as State; MAX_RULES];
    let entered = w.entry(
        at.fd(),
        &c[..=name.len()],
        kind,
        &at.states,
        at.active,
        &mut child,
    );
    if let Some((fd, meta, active)) = entered {
        if !named.new {
            return;
        }
        if at.depth + 1 >= MAX_DEPTH {
            w.error_msg(&format!("deeper than {MAX_DEPTH} levels: not entered"));
        } else if hook.entered(fd.as_fd(), 1, &meta) {
            let level = Level {
                stream: DirStream::new(fd),
                path_len: w.path.len(),
                states: child,
                active,
            };
            w.descend(level, at.depth + 1, 1, hook);
        }
    }
}

/// Examines every entry of `at` (a directory where too much happened at
/// once to look at each event) as [`examine`] would, entering the
/// subdirectories `hook` accepts (it sees them at depth 1) and walking
/// those whole.
pub fn examine_entries(
    policy: &Policy,
    at: Place,
    at_path: &[u8],
    opts: WalkOpts,
    report: &mut Report,
    hook: &mut dyn DirHook,
) {
    let mut w = Walker::new(policy, opts, report, at_path);
    w.fs = at.fs;
    let level = Level {
        stream: DirStream::new(at.fd),
        path_len: w.path.len(),
        states: at.states,
        active: at.active,
    };
    w.descend(level, at.depth, 0, hook);
}

/// Examines the directory `at` itself (its own owner, group and mode) as a
/// sweep does when it reaches it.
pub fn examine_place(
    policy: &Policy,
    at: &Place,
    at_path: &[u8],
    opts: WalkOpts,
    report: &mut Report,
) {
    let mut w = Walker::new(policy, opts, report, at_path);
    w.fs = at.fs;
    w.report.summary.checked += 1;
    let (exp, _) = policy.expect(&at.states, at.active, Kind::Dir);
    w.settle(Handle::Dir(at.fd()), &at.meta, &exp);
}

/// True when a `create` rule names `rel` (relative to the base, names
/// joined by `/`) or something below it.
pub fn wants_created(policy: &Policy, rel: &[u8]) -> bool {
    policy.rules.iter().any(|r| {
        let p = r.pattern.as_str().trim_end_matches('/').as_bytes();
        r.create && p.starts_with(rel) && (p.len() == rel.len() || p[rel.len()] == b'/')
    })
}

/// After `rel` (relative to the base, names joined by `/`) was deleted or
/// moved away: creates again what a `create` rule at or below it requires,
/// as the start of a sweep does (or reports it missing).
pub fn recreate(
    policy: &Policy,
    base: BorrowedFd<'_>,
    base_path: &[u8],
    rel: &[u8],
    opts: WalkOpts,
    report: &mut Report,
) {
    if !wants_created(policy, rel) {
        return;
    }
    let mut w = Walker::new(policy, opts, report, base_path);
    match sys::fstat(base) {
        Ok(m) => w.fs = TreeFs::of(base, &m),
        Err(e) => return w.fail("cannot examine", e),
    }
    w.create_missing(base);
}

/// What happened when an entry was tried as a directory.
enum Visit {
    /// A directory of this filesystem: examined, settled, enter it.
    Descend(OwnedFd, Meta),
    /// Handled (or vanished, or another filesystem): nothing more to do.
    Done,
    /// Not a directory (any more): examine it as something else.
    NotDir,
}

impl<'a> Walker<'a> {
    fn new(policy: &'a Policy, opts: WalkOpts, report: &'a mut Report, path: &[u8]) -> Walker<'a> {
        let mut p = Vec::with_capacity(PATH_MAX);
        p.extend_from_slice(path);
        Walker {
            policy,
            opts,
            report,
            path: p,
            fs: TreeFs::default(),
            predict_change: false,
            after_event: false,
        }
    }
}

impl Walker<'_> {
    /// Walks everything below `top` (whose own depth below the base is
    /// `depth0`, and below the walk's start `hook0`, as the hook counts),
    /// depth first, with one open [`Level`] per directory.
    fn descend(&mut self, top: Level, depth0: usize, hook0: usize, hook: &mut dyn DirHook) {
        let mut levels: Vec<Level> = Vec::with_capacity(16);
        levels.push(top);
        let mut child = [0 as State; MAX_RULES];
        // The name being examined, NUL-terminated (NAME_MAX is 255).
        let mut name = [0u8; 256];
        while let Some(top) = levels.last_mut() {
            let (n, dkind) = match top.stream.next_entry() {
                None => {
                    levels.pop();
                    continue;
                }
                Some(Err(e)) => {
                    self.path.truncate(top.path_len);
                    self.fail("cannot read directory", e);
                    levels.pop();
                    continue;
                }
                Some(Ok(ent)) => {
                    let b = ent.name.to_bytes_with_nul();
                    let n = b.len().min(name.len());
                    name[..n].copy_from_slice(&b[..n]);
                    (n, ent.kind)
                }
            };
            let top = &levels[levels.len() - 1];
            self.path.truncate(top.path_len);
            let dir = top.stream.fd();
            let Some((fd, meta, active)) =
                self.entry(dir, &name[..n], dkind, &top.states, top.active, &mut child)
            else {
                continue;
            };
            if depth0 + levels.len() >= MAX_DEPTH {
                self.error_msg(&format!("deeper than {MAX_DEPTH} levels: not entered"));
                continue;
            }
            if hook.entered(fd.as_fd(), hook0 + levels.len(), &meta) {
                levels.push(Level {
                    stream: DirStream::new(fd),
                    path_len: self.path.len(),
                    states: child,
                    active,
                });
            }
        }
    }

    /// The per-entry code every walk shares: examines and settles the entry
    /// `name` (NUL-terminated) of the directory `dir` whose display path is
    /// in `self.path` and whose rule states are `states`/`active`; `dkind`
    /// is the type `getdents64` (or inotify) announced. Leaves the entry's
    /// path in `self.path`. Returns the entry's handle, metadata and active
    /// rules (its states in `child`) when it is a directory to enter.
    fn entry(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        dkind: Kind,
        states: &[State; MAX_RULES],
        active: u64,
        child: &mut [State; MAX_RULES],
    ) -> Option<(OwnedFd, Meta, u64)> {
        let cname = CStr::from_bytes_with_nul(name).ok()?;
        let bare = cname.to_bytes();
        self.path.push(b'/');
        self.path.extend_from_slice(bare);
        if self.path.len() > PATH_MAX {
            self.report.summary.checked += 1;
            self.error_msg(&format!("path longer than {PATH_MAX} bytes: skipped"));
            return None;
        }
        if std::str::from_utf8(bare).is_err() {
            self.report.summary.checked += 1;
            self.error_msg("name is not valid UTF-8: left unchanged and not entered");
            return None;
        }
        let child_active = self.policy.step(states, active, bare, child);
        let opened = if dkind == Kind::Dir || dkind == Kind::Unknown {
            self.visit_dir(dir, cname, child, child_active, dkind == Kind::Unknown)
        } else {
            Visit::NotDir
        };
        match opened {
            Visit::Descend(fd, meta) => Some((fd, meta, child_active)),
            Visit::Done => None,
            Visit::NotDir => {
                if self.opts.fix && self.predict_change && dkind == Kind::File {
                    self.visit_file_handle_first(dir, cname, child, child_active);
                } else {
                    self.visit_other(dir, cname, child, child_active);
                }
                None
            }
        }
    }

    /// Opens `name` as a directory (never following a symlink), examines and
    /// settles it through its handle.
    fn visit_dir(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        states: &[State; MAX_RULES],
        active: u64,
        unknown_type: bool,
    ) -> Visit {
        let fd = match sys::open_dir_at(dir, name) {
            Ok(fd) => fd,
            Err(Errno::LOOP) | Err(Errno::NOTDIR) => return Visit::NotDir,
            Err(Errno::NOENT) => return Visit::Done,
            Err(e) if unknown_type && e == Errno::ACCESS => return Visit::NotDir,
            Err(e) => {
                self.report.summary.checked += 1;
                self.fail("cannot open directory", e);
                return Visit::Done;
            }
        };
        self.report.summary.checked += 1;
        let meta = match sys::fstat(&fd) {
            Ok(m) => m,
            Err(e) => {
                self.fail("cannot examine", e);
                return Visit::Done;
            }
        };
        if !self.opts.cross_mounts && !self.fs.holds(&meta, fd.as_fd(), c"") {
            self.note_mount();
            return Visit::Done;
        }
        let (exp, _) = self.policy.expect(states, active, Kind::Dir);
        self.settle(Handle::Dir(fd.as_fd()), &meta, &exp);
        Visit::Descend(fd, meta)
    }

    /// Examines a non-directory entry and settles it through an `O_PATH`
    /// handle if it needs a change.
    fn visit_other(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        states: &[State; MAX_RULES],
        active: u64,
    ) {
        self.report.summary.checked += 1;
        let meta = match sys::stat_at(dir, name) {
            Ok(m) => m,
            Err(Errno::NOENT) => {
                self.report.summary.checked -= 1;
                return;
            }
            Err(e) => {
                self.fail("cannot examine", e);
                return;
            }
        };
        let kind = meta.kind();
        match kind {
            Kind::Dir => {
                // It became a directory after getdents said otherwise.
                self.report.summary.checked -= 1;
                let entered = self.visit_dir(dir, name, states, active, false);
                if matches!(entered, Visit::Descend(..)) && !self.after_event {
                    self.error_msg("replaced by a directory while being examined: not entered");
                }
                return;
            }
            Kind::Symlink => {
                let (_, named) = self.policy.expect(states, active, kind);
                if named {
                    self.refuse_type(
                        states,
                        active,
                        "symlink",
                        "a symlink where the policy names a path: never followed or changed",
                    );
                }
                return;
            }
            Kind::CharDev | Kind::BlockDev | Kind::Unknown => {
                let (exp, named) = self.policy.expect(states, active, Kind::File);
                if named || !exp.is_empty() {
                    self.refuse_type(
                        states,
                        active,
                        kind.word(),
                        "a device node inside the tree: never opened or changed",
                    );
                }
                return;
            }
            Kind::File | Kind::Socket | Kind::Fifo => {}
        }
        if self.other_fs(&meta, dir, name) {
            return;
        }
        let (exp, _) = self.policy.expect(states, active, kind);
        let differs = self.differs(&meta, &exp);
        if kind == Kind::File {
            self.predict_change = differs;
        }
        if !differs {
            return;
        }
        if meta.nlink > 1 {
            self.refuse_hardlink(&meta, &exp);
            return;
        }
        if !self.opts.fix {
            self.settle_report(&meta, &exp, Action::WouldFix);
            return;
        }
        let fd = match sys::open_path_at(dir, name) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return,
            Err(e) => {
                self.fail("cannot open", e);
                return;
            }
        };
        let now = match sys::fstat(&fd) {
            Ok(m) => m,
            Err(e) => {
                self.fail("cannot examine", e);
                return;
            }
        };
        if !now.same_object(&meta) || now.kind() != kind {
            self.error_msg("replaced while being examined: left alone");
            return;
        }
        if now.nlink > 1 {
            self.refuse_hardlink(&now, &exp);
            return;
        }
        self.settle(Handle::Path(fd.as_fd()), &now, &exp);
    }

    /// Fix mode, when the previous regular file needed a change: opens the
    /// `O_PATH|O_NOFOLLOW` handle first and decides from its `fstat`, saving
    /// the `fstatat` by name (5 syscalls per changed file instead of 6). The
    /// examined object is then the very one that is changed, so the §5.2
    /// check holds trivially. Anything but a regular file (swapped since
    /// `getdents`) goes back to [`Self::visit_other`].
    fn visit_file_handle_first(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        states: &[State; MAX_RULES],
        active: u64,
    ) {
        let fd = match sys::open_path_at(dir, name) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return,
            Err(_) => return self.visit_other(dir, name, states, active),
        };
        let meta = match sys::fstat(&fd) {
            Ok(m) if m.kind() == Kind::File => m,
            _ => {
                drop(fd);
                return self.visit_other(dir, name, states, active);
            }
        };
        self.report.summary.checked += 1;
        if self.other_fs(&meta, fd.as_fd(), c"") {
            return;
        }
        let (exp, _) = self.policy.expect(states, active, Kind::File);
        if !self.differs(&meta, &exp) {
            self.predict_change = false;
            return;
        }
        if meta.nlink > 1 {
            self.refuse_hardlink(&meta, &exp);
            return;
        }
        self.settle(Handle::Path(fd.as_fd()), &meta, &exp);
    }

    /// True (and noted) when a non-directory (`name` in `dir`, or the handle
    /// `dir` itself with an empty name) lives on another filesystem: a single
    /// file bind-mounted into the tree is as foreign as a mounted directory
    /// (SPEC §5.4).
    fn other_fs(&mut self, meta: &Meta, dir: BorrowedFd<'_>, name: &CStr) -> bool {
        if !self.opts.cross_mounts && !self.fs.holds(meta, dir, name) {
            self.note_mount();
            return true;
        }
        false
    }

    /// True when `meta` differs from what `exp` wants.
    fn differs(&self, meta: &Meta, exp: &Expect) -> bool {
        exp.uid.is_some_and(|(u, _)| u != meta.uid)
            || exp.gid.is_some_and(|(g, _)| g != meta.gid)
            || exp.mode.is_some_and(|(m, _)| m != meta.perm())
    }

    /// Brings the entry behind `h` (whose current metadata is `meta`) to
    /// `exp`, or reports what would change.
    fn settle(&mut self, h: Handle<'_>, meta: &Meta, exp: &Expect) {
        if !self.differs(meta, exp) {
            return;
        }
        if !self.opts.fix {
            self.settle_report(meta, exp, Action::WouldFix);
            return;
        }
        match change(&h, meta, exp) {
            Ok(()) => {
                self.report.summary.changed += 1;
                self.settle_report(meta, exp, Action::Fixed);
            }
            Err(Unsettled::Sys(e)) => self.fail("cannot change", e),
            Err(Unsettled::Raced(now)) => {
                let (u, g) = (self.report_user(now.uid), self.report_group(now.gid));
                let msg = [
                    "another process kept changing it while it was set (now ",
                    &u,
                    ":",
                    &g,
                    " ",
                    &mode_text(now.perm()),
                    "): not in policy",
                ]
                .concat();
                self.error_msg(&msg);
            }
        }
    }

    /// Reports the owner/group/mode differences of one entry.
    fn settle_report(&mut self, meta: &Meta, exp: &Expect, action: Action) {
        if action == Action::WouldFix {
            self.report.summary.drift += 1;
        }
        let mut texts: [heapless::String<72>; 6] = Default::default();
        let mut kinds: [(FKind, Option<usize>); 3] = [(FKind::Owner, None); 3];
        let mut n = 0;
        if let Some((u, r)) = exp.uid.filter(|(u, _)| *u != meta.uid) {
            texts[2 * n] = self.user_name(u);
            texts[2 * n + 1] = self.report_user(meta.uid);
            kinds[n] = (FKind::Owner, Some(r));
            n += 1;
        }
        if let Some((g, r)) = exp.gid.filter(|(g, _)| *g != meta.gid) {
            texts[2 * n] = self.group_name(g);
            texts[2 * n + 1] = self.report_group(meta.gid);
            kinds[n] = (FKind::Group, Some(r));
            n += 1;
        }
        if let Some((m, r)) = exp.mode.filter(|(m, _)| *m != meta.perm()) {
            texts[2 * n] = to72(mode_text(m).as_str());
            texts[2 * n + 1] = to72(mode_text(meta.perm()).as_str());
            kinds[n] = (FKind::Mode, Some(r));
            n += 1;
        }
        let mut fs: [Option<Finding<'_>>; 3] = [None, None, None];
        for i in 0..n {
            fs[i] = Some(Finding {
                path: &self.path,
                kind: kinds[i].0,
                expected: &texts[2 * i],
                actual: &texts[2 * i + 1],
                action,
                rule: kinds[i].1,
                detail: "",
            });
        }
        let list: heapless::Vec<Finding<'_>, 3> = fs.iter().flatten().copied().collect();
        self.report.entry(&list);
    }

    fn user_name(&mut self, uid: u32) -> heapless::String<72> {
        match self.policy.owner_name(uid) {
            Some(n) => to72(n),
            None => self.report_user(uid),
        }
    }

    fn group_name(&mut self, gid: u32) -> heapless::String<72> {
        match self.policy.group_name(gid) {
            Some(n) => to72(n),
            None => self.report_group(gid),
        }
    }

    fn report_user(&mut self, uid: u32) -> heapless::String<72> {
        to72(self.report.names.user_text(uid).as_str())
    }

    fn report_group(&mut self, gid: u32) -> heapless::String<72> {
        to72(self.report.names.group_text(gid).as_str())
    }

    /// Refuses a file with several hard links that would need a change.
    fn refuse_hardlink(&mut self, meta: &Meta, exp: &Expect) {
        let _ = exp;
        self.report.summary.refused += 1;
        let mut links = Vec::with_capacity(12);
        push_num(&mut links, meta.nlink.min(i64::MAX as u64) as i64, 0, b' ');
        let links = String::from_utf8_lossy(&links);
        let detail = [
            "has ",
            &links,
            " hard links: not changed (a hard link may be a file outside the tree)",
        ]
        .concat();
        self.report.one(Finding {
            path: &self.path,
            kind: FKind::Unsafe,
            expected: "1 link",
            actual: &[&links, " links"].concat(),
            action: Action::Refused,
            rule: None,
            detail: &detail,
        });
    }

    /// Refuses an entry whose type the policy cannot apply to.
    fn refuse_type(
        &mut self,
        states: &[State; MAX_RULES],
        active: u64,
        actual: &str,
        detail: &str,
    ) {
        self.report.summary.refused += 1;
        let want = self.wanted_type(states, active);
        self.report.one(Finding {
            path: &self.path,
            kind: FKind::Type,
            expected: want,
            actual,
            action: Action::Refused,
            rule: None,
            detail,
        });
    }

    /// The type the most specific matching rule names, for messages.
    fn wanted_type(&self, states: &[State; MAX_RULES], active: u64) -> &'static str {
        let mut want = "file or dir";
        for (i, r) in self.policy.rules.iter().enumerate() {
            if active & (1 << i) != 0 && r.pattern.accepts(states[i]) && r.select != Select::Any {
                // The stem `P` of `P/**` must be a directory, whatever
                // type the rule selects below it.
                want = if states[i] & crate::glob::STEM != 0 {
                    "dir"
                } else {
                    r.select.word()
                };
            }
        }
        want
    }

    /// Notes a mount point that is not entered (not an error).
    fn note_mount(&mut self) {
        self.report.one(Finding {
            path: &self.path,
            kind: FKind::Unsafe,
            expected: "",
            actual: "",
            action: Action::Reported,
            rule: None,
            detail: "another filesystem is mounted here: not entered (pass --cross-mounts to include it)",
        });
    }

    fn fail(&mut self, what: &str, e: Errno) {
        let msg = [what, ": ", sys::errno_text(e)].concat();
        self.report.error(&self.path.clone(), &msg);
    }

    fn error_msg(&mut self, msg: &str) {
        let p = self.path.clone();
        self.report.error(&p, msg);
    }

    /// Creates what `create` rules require and is missing (or reports it).
    fn create_missing(&mut self, base: BorrowedFd<'_>) {
        let base_len = self.path.len();
        let mut order: heapless::Vec<(usize, usize), MAX_RULES> = heapless::Vec::new();
        for (i, r) in self.policy.rules.iter().enumerate() {
            if r.create {
                let _ = order.push((r.pattern.components().count(), i));
            }
        }
        order.sort_unstable();
        // Dry run: the relative paths already reported missing. `web/log`,
        // `web/run` and `web/tmp` all need a missing `web`; it is one line.
        let mut reported: Vec<&str> = Vec::new();
        for &(_, i) in order.iter() {
            let Some(rule) = self.policy.rules.get(i) else {
                continue;
            };
            let file = rule.select == Select::File;
            let rel = rule.pattern.as_str().trim_end_matches('/');
            self.path.truncate(base_len);
            self.ensure(base, rel, file, &mut reported);
        }
        self.path.truncate(base_len);
    }

    /// Makes sure relative path `rel` exists below `base`, creating missing
    /// components as the policy wants them (the last one as an empty file
    /// when `file`). A dry run reports each component apply would create,
    /// once: `reported` holds the ones already said.
    fn ensure<'r>(
        &mut self,
        base: BorrowedFd<'_>,
        rel: &'r str,
        file: bool,
        reported: &mut Vec<&'r str>,
    ) {
        let comps: heapless::Vec<&str, 32> = rel.split('/').filter(|c| !c.is_empty()).collect();
        let mut held: Option<OwnedFd> = None;
        // Dry run: a component is missing, so everything below it is too.
        let mut absent = false;
        let mut sofar_len = 0usize;
        for (k, comp) in comps.iter().enumerate() {
            let last = k + 1 == comps.len();
            let parent = held.as_ref().map(|f| f.as_fd()).unwrap_or(base);
            self.path.push(b'/');
            self.path.extend_from_slice(comp.as_bytes());
            sofar_len += if sofar_len == 0 {
                comp.len()
            } else {
                comp.len() + 1
            };
            let sofar = &rel[..sofar_len];
            let Ok(cname) = std::ffi::CString::new(*comp) else {
                return;
            };
            let is_file = last && file;
            let found = if absent {
                Err(Errno::NOENT)
            } else {
                sys::stat_at(parent, &cname)
            };
            match found {
                Ok(m) => {
                    if last {
                        return; // present: the walk examines it
                    }
                    if m.kind() != Kind::Dir {
                        return; // the walk reports what is in the way
                    }
                    match sys::open_dir_at(parent, &cname) {
                        Ok(fd) => held = Some(fd),
                        Err(e) => {
                            self.fail("cannot open directory", e);
                            return;
                        }
                    }
                }
                Err(Errno::NOENT) => {
                    let kind = if is_file { Kind::File } else { Kind::Dir };
                    let exp = self.policy.expect_path(sofar, kind);
                    let u = exp.uid.map(|(u, _)| self.user_name(u)).unwrap_or_default();
                    let g = exp.gid.map(|(g, _)| self.group_name(g)).unwrap_or_default();
                    let m = exp.mode.map(|(m, _)| mode_text(m)).unwrap_or_default();
                    let want = [kind.word(), " ", &u, ":", &g, " ", &m].concat();
                    if !self.opts.fix {
                        if !reported.contains(&sofar) {
                            reported.push(sofar);
                            self.report.summary.drift += 1;
                            self.missing(&want, Action::WouldFix, "");
                        }
                        absent = true;
                        continue;
                    }
                    match self.create_one(parent, &cname, is_file, &exp) {
                        Ok(fd) => {
                            self.report.summary.changed += 1;
                            self.missing(&want, Action::Created, "");
                            held = Some(fd);
                        }
                        Err(e) => {
                            self.fail("cannot create", e);
                            return;
                        }
                    }
                }
                Err(e) => {
                    self.fail("cannot examine", e);
                    return;
                }
            }
        }
    }

    fn missing(&mut self, want: &str, action: Action, detail: &str) {
        self.report.one(Finding {
            path: &self.path,
            kind: FKind::Missing,
            expected: want,
            actual: "",
            action,
            rule: None,
            detail,
        });
    }

    /// Creates one directory (or empty file) with mode 0, checks the handle
    /// is what was just made, then sets owner and final mode on it.
    fn create_one(
        &self,
        parent: BorrowedFd<'_>,
        name: &CStr,
        file: bool,
        exp: &Expect,
    ) -> sys::SysResult<OwnedFd> {
        let fd = if file {
            sys::create_file_at(parent, name)?
        } else {
            sys::mkdir_at(parent, name, 0)?;
            sys::open_dir_at(parent, name)?
        };
        let m = sys::fstat(&fd)?;
        let want_kind = if file { Kind::File } else { Kind::Dir };
        // A setgid parent passes its setgid bit to a new directory; nothing
        // else may be set, and it must be ours: otherwise someone else's
        // object took the name between mkdir and open.
        if m.kind() != want_kind
            || m.perm() & !0o2000 != 0
            || m.uid != rustix::process::geteuid().as_raw()
            || !self.fs.holds(&m, fd.as_fd(), c"")
        {
            return Err(Errno::EXIST);
        }
        sys::chown_fd(&fd, exp.uid.map(|x| x.0), exp.gid.map(|x| x.0))?;
        sys::chmod_fd(
            &fd,
            exp.mode
                .map(|x| x.0)
                .unwrap_or(if file { 0o640 } else { 0o750 }),
        )?;
        Ok(fd)
    }
}

/// Why [`change`] could not bring an entry to the policy.
enum Unsettled {
    /// A syscall failed.
    Sys(Errno),
    /// Another process changed the entry again each time it was set: what
    /// it was at the last read-back.
    Raced(Meta),
}

impl From<Errno> for Unsettled {
    fn from(e: Errno) -> Self {
        Unsettled::Sys(e)
    }
}

/// Changes owner/group/mode through a handle, never leaving the entry more
/// open than both its old and its new state (SPEC §5.5), and reads the
/// result back from the handle until it is what the policy says.
///
/// The read-back is what makes the order safe against the old owner: a
/// vhost user who owns the entry until the chown can `chmod 0777` it between
/// the narrowing and the chown, and after a chown to root that mode would
/// otherwise stay (root:root 0777, exit 0). It is set again, at most
/// [`SETTLE_ATTEMPTS`] times, then reported. An entry root owned before the
/// change has no such owner: nothing to read back (one `fstat` less for
/// every file a root deploy left behind).
///
/// A non-directory whose owner or group changes keeps no setuid/setgid
/// bit the policy does not set: the kernel clears them on chown, and
/// restoring them would hand the old owner's program the new owner's
/// rights (a user's 04755 file chowned to root by a rule without a mode).
fn change(h: &Handle<'_>, meta: &Meta, exp: &Expect) -> Result<(), Unsettled> {
    let fd = match h {
        Handle::Dir(fd) | Handle::Path(fd) => fd,
    };
    let chmod = |m: u32| match h {
        Handle::Dir(fd) => sys::chmod_fd(fd, m),
        Handle::Path(fd) => sys::chmod_path_fd(fd, m),
    };
    let uid = exp.uid.map(|(u, _)| u);
    let gid = exp.gid.map(|(g, _)| g);
    let owner_changes = uid.is_some_and(|u| u != meta.uid) || gid.is_some_and(|g| g != meta.gid);
    let keep = if owner_changes && meta.kind() != Kind::Dir {
        !0o6000
    } else {
        0o7777
    };
    let new = exp.mode.map(|(m, _)| m).unwrap_or(meta.perm() & keep);
    let mut now = *meta;
    for attempt in 0..=SETTLE_ATTEMPTS {
        let set_uid = uid.filter(|&u| u != now.uid);
        let set_gid = gid.filter(|&g| g != now.gid);
        if set_uid.is_none() && set_gid.is_none() && now.perm() == new {
            return Ok(());
        }
        if attempt == SETTLE_ATTEMPTS {
            return Err(Unsettled::Raced(now));
        }
        let mut mode = now.perm();
        if set_uid.is_some() || set_gid.is_some() {
            let narrow = mode & new;
            if narrow != mode {
                chmod(narrow)?;
            }
            sys::chown_fd(fd, set_uid, set_gid)?;
            // chown clears setuid/setgid on non-directories.
            mode = if meta.kind() == Kind::Dir {
                narrow
            } else {
                narrow & !0o6000
            };
        }
        if mode != new {
            chmod(new)?;
        }
        // Only the owner and root can chmod or chown: when root owned the
        // entry before this round, no one else could have changed it
        // between the steps, so it now is what was set.
        if now.uid == 0 {
            return Ok(());
        }
        now = sys::fstat(fd)?;
    }
    Err(Unsettled::Raced(now))
}

fn to72(s: &str) -> heapless::String<72> {
    let mut out = heapless::String::new();
    for c in s.chars() {
        if out.push(c).is_err() {
            break;
        }
    }
    out
}
