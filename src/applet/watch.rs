//! `chperms watch` — the monitor (SPEC §7).
//!
//! ```text
//! chperms watch [VHOST...] [--all] [--policy FILE] [--fix] [--interval SECS]
//!               [--alert-cmd CMD] [--log FILE] [--syslog] [OPTIONS]
//! ```
//!
//! Runs in the foreground (procd, supervise-daemon and systemd supervise it).
//! A full sweep of every target at start and every `--interval` seconds; in
//! between, inotify on every directory of the targets: the first event arms a
//! [`WATCH_DEBOUNCE_MS`] timer, then the targets that saw events are watched
//! again (new directories) and re-swept. A drift is therefore repaired or
//! reported within a second or so, whatever the interval.
//!
//! Map: [`main`] parses and runs [`Monitor::run`]; [`Watches`] owns the one
//! inotify fd and the watch-descriptor → target table; [`Seen`] is the
//! report's gate ("each drift once"); alerts live in `crate::alert`.
//!
//! Deviations and choices:
//! - Each persisting drift is reported once and again only after a sweep in
//!   which it was gone. Repairs (`fixed`, `created`) are always reported:
//!   each is an event.
//! - One wait point: `poll` on a signalfd (TERM, INT, HUP, CHLD) and the
//!   inotify fd, with a timeout to the next deadline. No busy loop; CPU is
//!   zero while idle.
//! - Directory handles are opened only while watches are being added (walk
//!   from the base with `open_dir_at`, watch through `/proc/self/fd/N`) and
//!   closed right after: one long-lived fd for inotify, one for signals.
//! - Without inotify (old kernel, `EMFILE`) or at the watch limit it says so
//!   once and relies on the sweeps.
//! - SIGHUP reopens `--log` (logrotate) and re-reads the policy; a bad new
//!   policy is reported and the old one kept.

use crate::alert::{now_ms, Alerts, NEVER};
use crate::applet::apply::{open_report, resolve, sweep, Target, TreeOpts};
use crate::budget::{
    INOTIFY_BUF, MAX_DEPTH, MAX_SEEN_FINDINGS, MAX_WATCHED_DIRS, WATCH_DEBOUNCE_MS,
};
use crate::output::{Action, Finding, Format, Gate, Level, Report};
use crate::sys::{self, DirStream, Errno, Kind as FsKind};
use argh::FromArgs;
use rustix::fd::{AsFd, OwnedFd};
use std::cell::RefCell;

#[derive(FromArgs)]
/// Watch trees and keep them in policy: a full sweep at start and every
/// --interval seconds, inotify in between (a drift is seen within seconds),
/// each drift reported once. Runs in the foreground; SIGTERM stops it,
/// SIGHUP re-reads the policy and reopens --log.
#[argh(
    example = "chperms watch --all --fix --syslog\nchperms watch --all --fix --syslog --check-config\nchperms watch --policy /etc/chperms/app.json --fix --interval 300 \\\n    --alert-cmd /usr/local/bin/notify --log /var/log/chperms.log",
    note = "--alert-cmd runs CMD once per new finding (words split as sh does, quotes included, but no shell runs: | ; $ are refused unquoted), with the finding as a JSON line on stdin and CHPERMS_PATH, CHPERMS_KIND, CHPERMS_EXPECTED, CHPERMS_ACTUAL, CHPERMS_ACTION set; it is killed after 10 s."
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
            Ok(summary) => {
                println!("chperms watch: configuration OK: {summary}");
                0
            }
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
    let text = args.to_string();
    eprintln!("chperms watch: {text}");
    crate::syslog::say(level, &text);
}

/// The running monitor.
struct Monitor {
    opts: TreeOpts,
    fix: bool,
    /// Seconds between full sweeps.
    interval: u64,
    targets: Vec<Target>,
    report: Report,
    /// Shared with the report's gate; leaked: it lives as long as the
    /// process (no reference counting needed).
    seen: &'static RefCell<Seen>,
    alerts: Option<Alerts>,
    signals: OwnedFd,
    watches: Watches,
    /// Targets that saw inotify events since the last re-sweep.
    dirty: Vec<bool>,
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
        report.gate = Some(Box::new(SeenGate(seen)));
        let alerts = match alert {
            Some(cmd) => {
                let (a, l) = Alerts::new(cmd)?;
                report.listeners.push(l);
                Some(a)
            }
            None => None,
        };
        // A dead alert command or log reader must not kill the monitor.
        sys::ignore_sigpipe();
        let signals =
            sys::signalfd_for(&[libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD])
                .map_err(|e| ["signalfd: ", sys::errno_text(e)].concat())?;
        let dirty = vec![false; targets.len()];
        Ok(Monitor {
            fix,
            interval: secs,
            targets,
            report,
            seen,
            alerts,
            signals,
            watches: Watches::new(opts.cross_mounts),
            dirty,
            opts,
        })
    }

    /// The main loop; returns the exit status (0 on SIGTERM/SIGINT).
    fn run(&mut self) -> i32 {
        self.sweep_all();
        if !self.opts.quiet {
            warn(
                Level::Notice,
                format_args!(
                    "{} trees, {} directories watched, full sweep every {} s{}",
                    self.targets.len(),
                    self.watches.wds.len(),
                    self.interval,
                    if self.fix { ", fixing" } else { "" }
                ),
            );
        }
        // Deadlines in monotonic milliseconds; NEVER when there is none.
        let interval_ms = self.interval * 1000;
        let mut next_full = now_ms() + interval_ms;
        let mut debounce = NEVER;
        let mut buf = vec![0u8; INOTIFY_BUF];
        loop {
            let mut wake = next_full.min(debounce);
            if let Some(a) = self.alerts.as_mut() {
                a.pump();
                wake = wake.min(a.deadline());
            }
            let wait = wake.saturating_sub(now_ms());
            let ms = (wait + 1).min(i32::MAX as u64) as i32;
            let [sig, ev] = {
                let ino = self
                    .watches
                    .fd
                    .as_ref()
                    .map_or(self.signals.as_fd(), |f| f.as_fd());
                sys::poll_readable([self.signals.as_fd(), ino], ms)
            };
            if sig {
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
            if ev && self.read_events(&mut buf) && debounce == NEVER {
                debounce = now_ms() + WATCH_DEBOUNCE_MS;
            }
            let now = now_ms();
            if now >= debounce {
                debounce = NEVER;
                for t in 0..self.targets.len() {
                    if std::mem::take(&mut self.dirty[t]) {
                        self.sweep_one(t);
                    }
                }
            }
            if now >= next_full {
                if self.opts.all {
                    self.rescan_vhosts();
                }
                self.sweep_all();
                next_full = now_ms() + interval_ms;
            }
        }
    }

    /// Drains inotify; marks targets dirty. True when any target became dirty.
    ///
    /// Events are handled as they are read (nothing is collected). More
    /// than [`MAX_EVENTS_ONE_BY_ONE`] in one drain count as an overflow, as
    /// does the kernel's own `IN_Q_OVERFLOW`: every target is re-swept.
    fn read_events(&mut self, buf: &mut [u8]) -> bool {
        // Taken out for the drain (the callback updates the watch table)
        // and put back unless reading failed.
        let Some(fd) = self.watches.fd.take() else {
            return false;
        };
        let (watches, dirty) = (&mut self.watches, &mut self.dirty);
        let mut any = false;
        let mut n = 0;
        let r = sys::inotify_drain(fd.as_fd(), buf, |e| {
            n += 1;
            if e.mask & libc::IN_Q_OVERFLOW != 0 || n > MAX_EVENTS_ONE_BY_ONE {
                dirty.fill(true);
                any = true;
                return;
            }
            if let Some(d) = watches.target_of(e.wd).and_then(|t| dirty.get_mut(t)) {
                *d = true;
                any = true;
            }
            if e.mask & libc::IN_IGNORED != 0 {
                watches.forget(e.wd);
            }
        });
        if let Err(e) = r {
            warn(
                Level::Warning,
                format_args!(
                    "reading inotify: {}: checking every {} s only",
                    sys::errno_text(e),
                    self.interval
                ),
            );
            self.watches.wds.clear();
            return false;
        }
        self.watches.fd = Some(fd);
        any
    }

    /// Watches (new directories included) then sweeps target `t`.
    fn sweep_one(&mut self, t: usize) {
        let Some(target) = self.targets.get(t) else {
            return;
        };
        self.watches.add_tree(t, target, self.interval);
        self.seen.borrow_mut().begin(t);
        sweep(target, self.fix, self.opts.cross_mounts, &mut self.report);
        crate::procs::check_processes(&target.policy.processes, &mut self.report);
        self.seen.borrow_mut().end(t);
        self.report.flush();
    }

    fn sweep_all(&mut self) {
        for t in 0..self.targets.len() {
            self.sweep_one(t);
        }
    }

    /// `--all`: vhosts added or removed under `--root` since the last full
    /// sweep are picked up (an error keeps the current set; the sweep that
    /// follows reports what is wrong with the trees themselves).
    fn rescan_vhosts(&mut self) {
        let Ok(t) = resolve(&self.opts) else { return };
        if t.len() == self.targets.len()
            && t.iter().zip(&self.targets).all(|(a, b)| a.base == b.base)
        {
            return;
        }
        self.targets = t;
        self.dirty = vec![false; self.targets.len()];
        self.watches.restart();
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
            Ok(t) => {
                self.targets = t;
                self.dirty = vec![false; self.targets.len()];
                self.watches.restart();
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

/// Inotify events in one drain beyond which the monitor stops looking at
/// them one by one and re-sweeps every target.
const MAX_EVENTS_ONE_BY_ONE: usize = 1024;

/// The inotify instance and which target each watch belongs to.
///
/// Invariants: `wds` is sorted by watch descriptor and holds at most
/// [`MAX_WATCHED_DIRS`] entries; `fd` is `None` when inotify is unavailable
/// (said once, in `said`).
struct Watches {
    fd: Option<OwnedFd>,
    wds: Vec<(i32, u32)>,
    cross_mounts: bool,
    said: bool,
}

impl Watches {
    fn new(cross_mounts: bool) -> Watches {
        let mut w = Watches {
            fd: None,
            wds: Vec::new(),
            cross_mounts,
            said: false,
        };
        w.restart();
        w
    }

    /// A fresh inotify instance (all old watches dropped with the old fd).
    fn restart(&mut self) {
        self.wds.clear();
        self.fd = None;
        match sys::inotify_new() {
            Ok(fd) => self.fd = Some(fd),
            Err(e) => self.say(&format!("inotify unavailable ({})", sys::errno_text(e)), 0),
        }
    }

    fn say(&mut self, what: &str, secs: u64) {
        if !self.said {
            self.said = true;
            if secs > 0 {
                warn(
                    Level::Warning,
                    format_args!(
                        "{what}: some changes are seen only at the next sweep (every {secs} s)"
                    ),
                );
            } else {
                warn(
                    Level::Warning,
                    format_args!("{what}: changes are seen only at the sweeps"),
                );
            }
        }
    }

    fn target_of(&self, wd: i32) -> Option<usize> {
        self.wds
            .binary_search_by_key(&wd, |&(w, _)| w)
            .ok()
            .map(|i| self.wds[i].1 as usize)
    }

    fn forget(&mut self, wd: i32) {
        if let Ok(i) = self.wds.binary_search_by_key(&wd, |&(w, _)| w) {
            self.wds.remove(i);
        }
    }

    /// Adds a watch on every directory of the tree at `base` (the base
    /// included) for target `t`. Directories are opened one name at a time
    /// below the base and closed again; symlinks are never followed; other
    /// filesystems are skipped unless `--cross-mounts`.
    fn add_tree(&mut self, t: usize, target: &Target, secs: u64) {
        // Taken out for the walk (self.watch needs &mut self) and put back.
        let Some(ino) = self.fd.take() else { return };
        self.walk(&ino, t, target, secs);
        self.fd = Some(ino);
    }

    fn walk(&mut self, ino: &OwnedFd, t: usize, target: &Target, secs: u64) {
        let Ok(root) = target.open_base() else {
            return; // The sweep reports a missing or unreadable base.
        };
        let Ok(root_meta) = sys::fstat(&root) else {
            return;
        };
        let mut stack: Vec<DirStream> = Vec::with_capacity(8);
        stack.push(DirStream::new(root));
        if !self.watch(ino, &stack[0], t, secs) {
            return;
        }
        let mut name = [0u8; 256];
        while let Some(top) = stack.last_mut() {
            let n = match top.next_entry() {
                None => {
                    stack.pop();
                    continue;
                }
                Some(Err(_)) => continue,
                Some(Ok(ent)) => {
                    if !matches!(ent.kind, FsKind::Dir | FsKind::Unknown) {
                        continue;
                    }
                    let b = ent.name.to_bytes_with_nul();
                    if b.len() > name.len() {
                        continue;
                    }
                    name[..b.len()].copy_from_slice(b);
                    b.len()
                }
            };
            let Ok(cname) = std::ffi::CStr::from_bytes_with_nul(&name[..n]) else {
                continue;
            };
            if stack.len() >= MAX_DEPTH {
                continue;
            }
            let Some(top) = stack.last() else { break };
            let dir = match sys::open_dir_at(top.fd(), cname) {
                Ok(d) => d,
                Err(_) => continue, // Not a directory, a symlink, or gone.
            };
            if !self.cross_mounts && sys::fstat(&dir).map_or(true, |m| m.dev != root_meta.dev) {
                continue;
            }
            let s = DirStream::new(dir);
            if !self.watch(ino, &s, t, secs) {
                return;
            }
            stack.push(s);
        }
    }

    /// Watches one open directory; false when no more watches can be added.
    fn watch(&mut self, ino: &OwnedFd, dir: &DirStream, t: usize, secs: u64) -> bool {
        match sys::inotify_watch_fd(ino.as_fd(), dir.fd(), sys::WATCH_MASK) {
            Ok(wd) => {
                if let Err(i) = self.wds.binary_search_by_key(&wd, |&(w, _)| w) {
                    if self.wds.len() >= MAX_WATCHED_DIRS {
                        self.say("more directories than chperms watches", secs);
                        return false;
                    }
                    self.wds.insert(i, (wd, t as u32));
                }
                true
            }
            Err(Errno::NOSPC) => {
                self.say(
                    "inotify watch limit reached (fs.inotify.max_user_watches)",
                    secs,
                );
                false
            }
            Err(_) => true,
        }
    }
}

/// Persisting findings seen in each target's last sweep, so that each is
/// reported once (the report's gate).
///
/// Invariants: `entries` is sorted by hash and holds at most
/// [`MAX_SEEN_FINDINGS`]; an entry `(hash, target, gen)` was seen in target's
/// sweep number `gen`; after `end(t)` every entry of `t` has `gen ==
/// gens[t]`.
#[derive(Default)]
struct Seen {
    entries: Vec<(u64, u32, u32)>,
    gens: Vec<u32>,
    current: u32,
    full_said: bool,
}

impl Seen {
    fn begin(&mut self, t: usize) {
        while self.gens.len() <= t {
            self.gens.push(0);
        }
        self.gens[t] = self.gens[t].wrapping_add(1);
        self.current = t as u32;
    }

    /// Forgets the findings of `t` that its last sweep did not see again.
    fn end(&mut self, t: usize) {
        let g = self.gens.get(t).copied().unwrap_or(0);
        let t = t as u32;
        // Vec::retain by hand (in place, order kept): less code.
        let mut kept = 0;
        for i in 0..self.entries.len() {
            let e = self.entries[i];
            if e.1 != t || e.2 == g {
                self.entries[kept] = e;
                kept += 1;
            }
        }
        self.entries.truncate(kept);
    }

    fn admit(&mut self, f: &Finding<'_>) -> bool {
        if matches!(f.action, Action::Fixed | Action::Created) {
            return true; // Repaired now: an event, not a persisting drift.
        }
        let t = self.current;
        let g = self.gens.get(t as usize).copied().unwrap_or(0);
        let h = finding_hash(f);
        match self.entries.binary_search_by_key(&h, |&(eh, _, _)| eh) {
            Ok(i) => {
                let e = &mut self.entries[i];
                let again = e.1 == t && (e.2 == g || e.2 == g.wrapping_sub(1));
                *e = (h, t, g);
                !again
            }
            Err(i) => {
                if self.entries.len() < MAX_SEEN_FINDINGS {
                    self.entries.insert(i, (h, t, g));
                } else if !self.full_said {
                    self.full_said = true;
                    warn(Level::Warning, format_args!("more than {MAX_SEEN_FINDINGS} drifts: the rest are reported at every sweep"));
                }
                true
            }
        }
    }
}

struct SeenGate(&'static RefCell<Seen>);

impl Gate for SeenGate {
    fn admit(&mut self, f: &Finding<'_>) -> bool {
        self.0.borrow_mut().admit(f)
    }
}

/// FNV-1a over (path, kind, expected, actual).
fn finding_hash(f: &Finding<'_>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in [
        f.path,
        f.kind.word().as_bytes(),
        f.expected.as_bytes(),
        f.actual.as_bytes(),
    ] {
        // Each part then 0xff (a byte that UTF-8 never holds) as separator;
        // a plain loop and a second step, not an iterator chain: less code.
        for &b in part {
            h = fnv_step(h, b);
        }
        h = fnv_step(h, 0xff);
    }
    h
}

/// One FNV-1a step.
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::Kind;

    fn f(path: &[u8], action: Action) -> Finding<'_> {
        Finding {
            path,
            kind: Kind::Mode,
            expected: "0775",
            actual: "0755",
            action,
            rule: None,
            detail: "",
        }
    }

    #[test]
    fn each_drift_is_reported_once_until_it_goes_away() {
        let mut s = Seen::default();
        s.begin(0);
        assert!(s.admit(&f(b"/a", Action::WouldFix)));
        s.end(0);
        s.begin(0);
        assert!(!s.admit(&f(b"/a", Action::WouldFix)));
        s.end(0);
        s.begin(0); // gone in this sweep
        s.end(0);
        s.begin(0);
        assert!(s.admit(&f(b"/a", Action::WouldFix)));
        s.end(0);
    }

    #[test]
    fn repairs_are_always_reported_and_targets_are_separate() {
        let mut s = Seen::default();
        s.begin(0);
        assert!(s.admit(&f(b"/a", Action::Fixed)));
        assert!(s.admit(&f(b"/b", Action::WouldFix)));
        s.end(0);
        s.begin(1); // another target's sweep does not forget target 0's drift
        s.end(1);
        s.begin(0);
        assert!(s.admit(&f(b"/a", Action::Fixed)));
        assert!(!s.admit(&f(b"/b", Action::WouldFix)));
        s.end(0);
    }
}
