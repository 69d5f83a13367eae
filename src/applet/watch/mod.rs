//! `chperms watch` — the monitor (SPEC §7).
//!
//! ```text
//! chperms watch [VHOST...] [--all] [--policy FILE] [--fix] [--interval SECS]
//!               [--alert-cmd CMD] [--log FILE] [--syslog] [OPTIONS]
//! ```
//!
//! Runs in the foreground (procd, supervise-daemon and systemd supervise
//! it). A full sweep of every tree at start and every `--interval` seconds;
//! in between, repair is incremental (issue 12): an inotify event about
//! name N in directory D examines D/N only, and a directory created or
//! moved in is walked as a subtree, with the walker's own per-entry code
//! (same refusals, same findings, same JSON as a sweep). The cost of an
//! event is what changed, not the size of the tree.
//!
//! Map: [`main`] parses and runs [`Monitor::run`] (this file: the loop,
//! sweeps, signals, reload); `watches` keeps the inotify watches and leads
//! a watch back to its directory safely (its module text says how);
//! `incremental` handles events (and storms: a directory with too many
//! events at once is examined whole when quiet); `trees` holds each tree's
//! state and, with `--all`, the root's own watch (vhosts added and removed
//! while running); `fair` shares the watch and alert budgets between trees;
//! `seen` is the report's gate ("each drift once", counted as reported only
//! when its alert ran); alerts live in `crate::alert`.
//!
//! Full sweeps happen only at start, every `--interval`, after a tree's
//! event queue overflowed (one sweep of that tree when its burst is over,
//! said once), after SIGHUP, and where a watch could not be placed (a tree
//! past its share of watches, said once, relies on its interval sweeps).
//!
//! Deviations and choices:
//! - Each persisting drift is reported once and again only after it was
//!   gone (a sweep, or an event about that entry, found it in policy).
//!   Repairs (`fixed`, `created`) are always reported: each is an event.
//! - One wait point: `poll` on a signalfd (TERM, INT, HUP, CHLD) and the
//!   inotify fds, with a timeout to the next deadline. No busy loop; CPU is
//!   zero while idle.
//! - Memory: no state per entry; 10 bytes per watched directory, the
//!   budgets of `crate::budget` (watch section) for the rest.
//! - SIGHUP reopens `--log` (logrotate) and re-reads the policy; a bad new
//!   policy is reported and the old one kept.

pub mod fair;
mod incremental;
mod seen;
mod trees;
mod watches;

use crate::alert::{now_ms, AlertQueue, Alerts, NEVER};
use crate::applet::apply::{open_report, resolve, TreeOpts};
use crate::budget::{INOTIFY_BUF, MAX_WATCHED_DIRS, WATCH_DEBOUNCE_MS};
use crate::metrics::Metrics;
use crate::output::{Format, Level, Report};
use crate::sys;
use crate::walk::{walk_hooked, DirHook, WalkOpts};
use argh::FromArgs;
use fair::FairShare;
use incremental::{Current, Hot};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use seen::{AlertFeed, Seen, SeenGate};
use std::cell::RefCell;
use trees::{RootWatch, Tree};
use watches::{Instance, Placer, Unwatched};

#[derive(FromArgs)]
/// Watch trees and keep them in policy: a full sweep at start and every
/// --interval seconds; in between, each inotify event examines only the
/// entry it names (a new directory is walked whole), so a drift is repaired
/// within milliseconds at the cost of what changed. Each drift is reported
/// once. Runs in the foreground; SIGTERM stops it, SIGHUP re-reads the
/// policy and reopens --log.
#[argh(
    example = "chperms watch --all --fix --syslog\nchperms watch --all --fix --syslog --check-config\nchperms watch --policy /etc/chperms/app.json --fix --interval 300 \\\n    --alert-cmd /usr/local/bin/notify --log /var/log/chperms.log",
    note = "--alert-cmd runs CMD once per new finding (words split as sh does, quotes included, but no shell runs: | ; $ are refused unquoted), with the finding as a JSON line on stdin and CHPERMS_PATH, CHPERMS_KIND, CHPERMS_EXPECTED, CHPERMS_ACTUAL, CHPERMS_ACTION set; it is killed after 10 s. A drift whose alert was dropped is alerted when next seen.",
    note = "Budgets, shared fairly between trees (each is sure of its share): 65536 watched directories (or fs.inotify.max_user_watches), 64 queued alerts. Each tree has its own event queue (up to 16): one that overflows is swept in full, said once. A directory with over 128 events in 200 ms is examined whole when quiet."
)]
struct Args {
    /// vhosts under --root to watch
    #[argh(positional)]
    vhosts: Vec<String>,
    /// watch every vhost under --root
    #[argh(switch)]
    all: bool,
    /// a policy file (JSON) instead of the built-in NetServa model
    #[argh(option)]
    policy: Option<String>,
    /// repair drift (else only report it)
    #[argh(switch)]
    fix: bool,
    /// seconds between full sweeps (default 300)
    #[argh(option, default = "300")]
    interval: u64,
    /// command run once per new finding
    #[argh(option)]
    alert_cmd: Option<String>,
    /// also append each finding to FILE (reopened on SIGHUP)
    #[argh(option)]
    log: Option<String>,
    /// also send each finding to syslog (/dev/log)
    #[argh(switch)]
    syslog: bool,
    /// the directory holding vhosts (default /srv)
    #[argh(option, default = "String::from(\"/srv\")")]
    root: String,
    /// the vhost user, overriding discovery
    #[argh(option)]
    user: Option<String>,
    /// the web server's group (default www-data)
    #[argh(option, default = "String::from(\"www-data\")")]
    web_group: String,
    /// vhosts with uid > 1000 get a root:root 0755 top level
    #[argh(switch)]
    chroot: bool,
    /// descend into other filesystems below a base
    #[argh(switch)]
    cross_mounts: bool,
    /// text or json (JSON Lines)
    #[argh(option, default = "Format::Text")]
    format: Format,
    /// only errors
    #[argh(switch)]
    quiet: bool,
    /// check the configuration (policy, users, trees, --log, the alert
    /// command) as the watcher would at start, say whether it is OK, and exit
    /// 0 or 1 without watching or changing anything (for init scripts)
    #[argh(switch)]
    check_config: bool,
    /// write Prometheus metrics to FILE (*.prom) after each sweep or event batch
    #[argh(option)]
    metrics: Option<String>,
}

/// Runs `chperms watch`; `args` exclude "watch".
///
/// Not inlined into `chperms::run`: measured, the mipsel binary is smaller
/// with it kept apart (and its size can be read from the symbol table).
#[inline(never)]
pub fn main(args: &[&str]) -> i32 {
    let a = match Args::from_args(&["chperms watch"], args) {
        Ok(a) => a,
        Err(e) => return super::argh_exit("watch", e),
    };
    if a.syslog {
        crate::syslog::enable_status();
    }
    let check_config = a.check_config;
    let opts = crate::applet::apply::tree_opts!(a);
    if a.interval == 0 || a.interval > 7 * 86_400 {
        warn(
            Level::Err,
            format_args!("--interval: expected 1 to 604800 seconds (see 'chperms watch --help')"),
        );
        return 1;
    }
    if check_config {
        return match check_configuration(&opts, a.fix, a.interval, a.alert_cmd) {
            Ok(summary) => crate::fmt_quote::print_text(
                &[
                    b"chperms watch: configuration OK: ",
                    summary.as_bytes(),
                    b"\n",
                ]
                .concat(),
            ),
            Err(msg) => {
                warn(Level::Err, format_args!("{msg}"));
                1
            }
        };
    }
    match Monitor::start(opts, a.fix, a.interval, a.alert_cmd) {
        Ok(mut m) => {
            let code = m.run();
            // The process exits next and run() flushed the report: nothing
            // to tear down that exit does not (no drop glue for Monitor).
            std::mem::forget(m);
            code
        }
        Err(msg) => {
            warn(Level::Err, format_args!("{msg}"));
            1
        }
    }
}

/// `--check-config`: everything [`Monitor::start`] would check, nothing it
/// would start. Returns the one-line summary an operator wants to see.
fn check_configuration(
    opts: &TreeOpts,
    fix: bool,
    interval: u64,
    alert: Option<String>,
) -> Result<String, String> {
    let targets = resolve(opts)?;
    if opts.log.is_some() {
        open_report(opts)?;
    }
    if let Some(cmd) = alert {
        crate::alert::check_command(&cmd)?;
    }
    Metrics::open(opts.metrics.as_deref(), true)?;
    let mut s = format!("{} trees (", targets.len());
    for (i, t) in targets.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(&String::from_utf8_lossy(&t.base));
    }
    s.push_str(&format!(
        "), {}, full sweep every {interval} s",
        if fix { "fixing" } else { "reporting only" }
    ));
    Ok(s)
}

/// Says one status line or error of the watcher (not a finding):
/// `chperms watch: TEXT` on stderr and, with `--syslog`, once to syslog at
/// `level` — services that pass `--syslog` do not capture stderr.
#[inline(never)]
pub fn warn(level: Level, args: std::fmt::Arguments<'_>) {
    say(level, &[&args.to_string()]);
}

/// [`warn`] for a message in pieces (text, and numbers through [`num`]):
/// no formatting machinery at each call site, which costs bytes on MIPS.
pub fn say(level: Level, parts: &[&str]) {
    let text = parts.concat();
    crate::fmt_quote::err_line(b"chperms watch: ", &[text.as_bytes()]);
    crate::syslog::say(level, &text);
}

/// `n` in decimal, for [`say`].
pub fn num(n: u64) -> String {
    let mut b = Vec::with_capacity(20);
    crate::fmt_time::push_num(&mut b, n.min(i64::MAX as u64) as i64, 0, b' ');
    String::from_utf8(b).unwrap_or_default()
}

/// The running monitor.
///
/// Invariants: a live tree's slot in `trees` is its number everywhere
/// (watch table, fair shares, the gate, the alert queue) until it is
/// removed; `instances[i]` is `None` once closed; every watch of
/// `instances[i]` belongs to a live tree using that instance, or is dropped
/// at that tree's next sweep.
struct Monitor {
    opts: TreeOpts,
    fix: bool,
    /// Seconds between full sweeps.
    interval: u64,
    trees: Vec<Option<Tree>>,
    instances: Vec<Option<Instance>>,
    /// The watch budget, shared fairly between the trees.
    watch_share: FairShare,
    /// With `--all`: the watch on `--root` itself.
    root: Option<RootWatch>,
    report: Report,
    /// Shared with the report's gate and alert feed; leaked: it lives as
    /// long as the process (no reference counting needed).
    seen: &'static RefCell<Seen>,
    alerts: Option<Alerts>,
    alert_queue: Option<&'static AlertQueue>,
    signals: OwnedFd,
    /// Directories with many events at once (storms).
    hot: Hot,
    /// (slot, path from the base, when) of what a `create` rule wants and
    /// was deleted: made again when due.
    recreate: Vec<(usize, Vec<u8>, u64)>,
    /// The directory the last event was about, kept for the next ones
    /// (see `incremental`: dropped when any directory moves).
    held: Option<Current>,
    /// "inotify unavailable" was said.
    inotify_said: bool,
    /// The inotify read buffer (taken out while its events are handled).
    buf: Vec<u8>,
    /// Scratch for a watch's chain of parents.
    chain: Vec<(i32, u16)>,
    /// `--metrics`: each tree's last full sweep and its counters, written
    /// after every sweep and event batch.
    metrics: Metrics,
}

impl Monitor {
    fn start(
        opts: TreeOpts,
        fix: bool,
        secs: u64,
        alert: Option<String>,
    ) -> Result<Monitor, String> {
        let targets = resolve(&opts)?;
        let mut report = open_report(&opts)?;
        let seen: &'static RefCell<Seen> = Box::leak(Box::default());
        let (alerts, alert_queue) = match alert {
            Some(cmd) => {
                let (a, q) = Alerts::new(cmd)?;
                report
                    .listeners
                    .push(Box::new(AlertFeed { seen, alerts: q }));
                (Some(a), Some(q))
            }
            None => (None, None),
        };
        report.gate = Some(Box::new(SeenGate {
            seen,
            alerts: alert_queue,
        }));
        // In front of the "each drift once" gate: every finding is counted.
        let metrics = Metrics::open(opts.metrics.as_deref(), true)?;
        metrics.attach(&mut report);
        // A dead alert command or log reader must not kill the monitor.
        sys::ignore_sigpipe();
        let signals =
            sys::signalfd_for(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD])
                .map_err(|e| ["signalfd: ", sys::errno_text(e)].concat())?;
        let budget =
            sys::inotify_watch_limit().map_or(MAX_WATCHED_DIRS, |k| k.min(MAX_WATCHED_DIRS));
        let mut m = Monitor {
            fix,
            interval: secs,
            trees: Vec::new(),
            instances: Vec::new(),
            watch_share: FairShare::new(budget),
            root: None,
            report,
            seen,
            alerts,
            alert_queue,
            signals,
            hot: Hot::default(),
            held: None,
            recreate: Vec::new(),
            inotify_said: false,
            buf: vec![0u8; INOTIFY_BUF],
            chain: Vec::with_capacity(16),
            metrics,
            opts,
        };
        m.open_root();
        for t in targets {
            m.add_tree(t);
        }
        Ok(m)
    }

    /// The main loop; returns the exit status (0 on SIGTERM/SIGINT).
    fn run(&mut self) -> i32 {
        self.sweep_all();
        if !self.opts.quiet {
            warn(
                Level::Notice,
                format_args!(
                    "{} trees, {} directories watched, full sweep every {} s{}",
                    self.trees.iter().flatten().count(),
                    self.watched(),
                    self.interval,
                    if self.fix { ", fixing" } else { "" }
                ),
            );
        }
        self.after_work();
        // Deadlines in monotonic milliseconds; NEVER when there is none.
        let interval_ms = self.interval * 1000;
        let mut next_full = now_ms() + interval_ms;
        let mut batch = NEVER;
        let mut ready = Vec::new();
        loop {
            let mut wake = next_full.min(batch).min(self.next_deadline());
            if let Some(a) = self.alerts.as_mut() {
                a.pump();
                wake = wake.min(a.deadline());
            }
            self.say_dropped_alerts();
            let wait = wake.saturating_sub(now_ms());
            let ms = if wait == 0 {
                0
            } else {
                (wait + 1).min(i32::MAX as u64) as i32
            };
            let mut fds: Vec<BorrowedFd<'_>> = vec![self.signals.as_fd()];
            if batch == NEVER {
                // While a batch gathers, its queues are readable: poll
                // only the signals until it is due.
                fds.extend(self.root.as_ref().map(|r| r.ino.as_fd()));
                fds.extend(self.instances.iter().flatten().map(|i| i.fd.as_fd()));
            }
            ready.resize(fds.len(), false);
            sys::poll_readable(&fds, &mut ready, ms);
            drop(fds);
            if ready[0] {
                while let Some(s) = sys::signalfd_next(self.signals.as_fd()) {
                    match s {
                        libc::SIGTERM | libc::SIGINT => {
                            if let Some(a) = self.alerts.as_mut() {
                                a.shutdown();
                            }
                            if !self.opts.quiet {
                                warn(Level::Notice, format_args!("stopping"));
                            }
                            self.report.flush();
                            return 0;
                        }
                        libc::SIGHUP => {
                            self.reload();
                            next_full = now_ms() + interval_ms;
                        }
                        _ => {} // SIGCHLD: the pump at the top reaps.
                    }
                }
            }
            if batch == NEVER && ready[1..].iter().any(|&r| r) {
                // Let the burst gather: an application's create, write,
                // chmod is then seen once, finished.
                batch = now_ms() + WATCH_DEBOUNCE_MS;
            }
            let now = now_ms();
            let mut worked = false;
            if now >= batch {
                // One buffer per queue per turn; again at once while any
                // queue had something.
                batch = if self.read_events(now) { now } else { NEVER };
                worked = true;
            }
            worked |= self.run_due(now);
            if now >= next_full {
                if self.opts.all {
                    self.rescan_vhosts();
                }
                self.sweep_all();
                next_full = now_ms() + interval_ms;
                worked = true;
            }
            if worked {
                self.after_work();
            }
        }
    }

    /// Called after each event batch and each sweep: the place where the
    /// report is flushed and where a metrics writer belongs (each tree's
    /// [`trees::TreeStats`] and the report's summary are up to date here).
    fn after_work(&mut self) {
        self.report.flush();
        if !self.metrics.is_on() {
            return;
        }
        for t in self.trees.iter().flatten() {
            self.metrics
                .watch_counts(&t.target.base, t.stats.events, t.stats.sweeps);
        }
        let bases = self
            .trees
            .iter()
            .flatten()
            .map(|t| t.target.base.as_slice());
        if let Some(msg) = self.metrics.write_or_say(bases) {
            warn(Level::Err, format_args!("{msg}"));
        }
    }

    /// Directories watched, all trees together.
    fn watched(&self) -> usize {
        self.instances.iter().flatten().map(|i| i.index.len()).sum()
    }

    /// The earliest deadline of storms, overflow sweeps, directories to
    /// make again and new vhosts.
    fn next_deadline(&self) -> u64 {
        let trees = self.trees.iter().flatten().map(|t| t.sweep_due);
        let root = self.root.as_ref().map_or(NEVER, |r| r.deadline());
        let creates = self.recreate.iter().map(|r| r.2);
        trees
            .chain(creates)
            .fold(self.hot.deadline().min(root), u64::min)
    }

    /// Does what is due at `now`: storms over, sweeps after overflows, new
    /// vhosts settled. True when anything ran.
    fn run_due(&mut self, now: u64) -> bool {
        let mut worked = self.storms_due(now) | self.recreate_due(now);
        for slot in 0..self.trees.len() {
            if self.trees[slot]
                .as_ref()
                .is_some_and(|t| t.sweep_due <= now)
            {
                self.sweep_tree(slot);
                worked = true;
            }
        }
        worked | self.vhosts_due(now)
    }

    fn sweep_all(&mut self) {
        for slot in 0..self.trees.len() {
            self.sweep_tree(slot);
        }
    }

    /// One full sweep of tree `slot`, placing watches on every directory
    /// it enters (under the tree's share) and dropping those of directories
    /// it no longer found.
    fn sweep_tree(&mut self, slot: usize) {
        let Some(tree) = self.trees.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        tree.sweep_due = NEVER;
        tree.stats.sweeps += 1;
        self.hot.forget_tree(slot);
        self.held = None;
        let base = match tree.target.open_base() {
            Ok(fd) => fd,
            Err(e) => {
                tree.base = None;
                let path = tree.target.base.clone();
                self.report.error(&path, &["cannot open: ", &e].concat());
                return;
            }
        };
        // Held for the events until the next sweep opens it again.
        tree.base = sys::dup(&base).ok();
        self.seen.borrow_mut().begin(slot);
        let run = self.metrics.begin(&self.report);
        let opts = WalkOpts {
            fix: self.fix,
            cross_mounts: self.opts.cross_mounts,
        };
        let inst = tree.inst.and_then(|i| self.instances.get_mut(i)?.as_mut());
        let mut unwatched = None;
        match inst {
            Some(inst) => {
                let mut placer = Placer::sweep(inst, &mut self.watch_share, slot);
                walk_hooked(
                    &tree.target.policy,
                    base,
                    &tree.target.base,
                    opts,
                    &mut self.report,
                    &mut placer,
                );
                unwatched = placer.unwatched;
                let n = inst.index.sweep_done(slot, inst.fd.as_fd());
                self.watch_share.set_used(slot, n);
            }
            None => walk_hooked(
                &tree.target.policy,
                base,
                &tree.target.base,
                opts,
                &mut self.report,
                &mut EnterAll,
            ),
        }
        crate::procs::check_processes(&tree.target.policy.processes, &mut self.report);
        self.metrics.end(&tree.target.base, run, &self.report);
        self.seen.borrow_mut().end(slot);
        self.say_unwatched(slot, unwatched);
    }

    /// Says once per tree that some of its directories have no watch.
    fn say_unwatched(&mut self, slot: usize, why: Option<Unwatched>) {
        let Some(why) = why else { return };
        let Some(tree) = self.trees.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        if std::mem::replace(&mut tree.limit_said, true) {
            return;
        }
        let (used, share) = (
            num(self.watch_share.used(slot) as u64),
            num(self.watch_share.share() as u64),
        );
        let limit: [&str; 3] = match why {
            Unwatched::Share => [&used, " directories watched, this tree's share of ", &share],
            Unwatched::Kernel => ["fs.inotify.max_user_watches", "", ""],
        };
        say(
            Level::Warning,
            &[
                &tree.name(),
                ": inotify watch limit reached (",
                &limit.concat(),
                "): changes in the rest of this tree are seen at the sweeps (every ",
                &num(self.interval),
                " s)",
            ],
        );
    }

    /// Says, with their trees, the alerts dropped since the last time.
    fn say_dropped_alerts(&mut self) {
        let Some(q) = self.alert_queue else { return };
        for (slot, n) in q.take_drops() {
            let tree = self.trees.get(slot as usize).and_then(Option::as_ref);
            say(
                Level::Warning,
                &[
                    &tree.map_or_else(String::new, Tree::name),
                    ": ",
                    &num(n),
                    " alerts dropped (this tree's share of the alert queue, ",
                    &num(q.share() as u64),
                    ", was full): a drift among them is alerted when it is next seen",
                ],
            );
        }
    }

    /// SIGHUP: reopen the log, re-read the policy (keep the old one if the
    /// new one is bad), re-watch and re-sweep.
    fn reload(&mut self) {
        if let Some(path) = self.opts.log.as_deref() {
            if let Err(e) = self.report.open_log(path) {
                warn(Level::Err, format_args!("{path}: {}", sys::errno_text(e)));
            }
        }
        match resolve(&self.opts) {
            Ok(targets) => {
                for slot in 0..self.trees.len() {
                    self.remove_tree(slot);
                }
                self.instances.clear();
                self.trees.clear();
                self.open_root();
                for t in targets {
                    self.add_tree(t);
                }
                if !self.opts.quiet {
                    warn(Level::Notice, format_args!("policy re-read"));
                }
                self.sweep_all();
            }
            Err(mut msg) => {
                let what = self.opts.policy.as_deref().unwrap_or(&self.opts.root);
                msg.push_str(" (SIGHUP: keeping the policy in force)");
                self.report.error(what.as_bytes(), &msg);
                self.report.flush();
            }
        }
    }
}

/// Enters every directory (a tree without inotify).
struct EnterAll;

impl DirHook for EnterAll {
    fn entered(&mut self, _: BorrowedFd<'_>, _: usize, _: &sys::Meta) -> bool {
        true
    }
}
