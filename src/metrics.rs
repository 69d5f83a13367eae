//! `--metrics FILE`: Prometheus metrics for node_exporter's textfile
//! collector (SPEC §10), written by `apply`, `check` and `watch`.
//!
//! Map: [`Metrics`] is opened once per run ([`Metrics::open`]: the
//! directory of FILE is opened and held), counts findings by kind through a
//! report [`Gate`] it puts in front of the report's own ([`Metrics::attach`]),
//! measures each sweep of a tree ([`Metrics::begin`] / [`Metrics::end`]),
//! and replaces FILE with the latest figures ([`Metrics::write`]).
//!
//! What is written, one sample per tree (label `tree`, the tree's base as
//! the findings print it); every value is that tree's part of the JSON
//! summary of its last sweep, so the samples of one `check` add up to its
//! summary line:
//!
//! ```text
//! chperms_entries_checked{tree="/srv/a.org"} 28        summary "checked"
//! chperms_entries_changed{tree=…}                      "changed" (fixed or created)
//! chperms_entries_drift{tree=…}                        "drift" (left as they are)
//! chperms_drift_findings{tree=…,kind="owner"}          drift findings by kind:
//!                                                      owner group mode missing process
//! chperms_entries_refused{tree=…}                      "refused"
//! chperms_errors{tree=…}                               "errors"
//! chperms_last_run_timestamp_seconds{tree=…}           when the sweep ended (Unix time)
//! chperms_last_run_duration_seconds{tree=…}            how long it took
//! chperms_watch_events_total{tree=…}                   watch only: inotify events
//! chperms_watch_sweeps_total{tree=…}                   watch only: full sweeps
//! ```
//!
//! Safety (SPEC §5 applies to this file too: the textfile directory may be
//! writable by others): the directory is opened once through
//! [`crate::resolve::open_dir`] (no untrusted symlink on the way); the new
//! contents go to a temporary name created in it with
//! `O_CREAT|O_EXCL|O_NOFOLLOW` (never an existing file, never through a
//! symlink) and are then renamed over FILE, which replaces a symlink someone
//! put at FILE instead of following it. node_exporter never sees half a file.
//! No fsync: the figures are rewritten at every run or sweep, and routers keep
//! them on tmpfs; syncing flash every few seconds would wear it for nothing.

use crate::budget::METRICS_NAME_MAX;
use crate::fmt_time::push_num;
use crate::output::{Action, Finding, Gate, Kind, Report, Summary};
use crate::sys;
use rustix::fd::{AsFd, OwnedFd};
use std::cell::Cell;
use std::ffi::CString;
use std::rc::Rc;
use std::time::Instant;

/// The finding kinds that count as drift, in the order they are written.
const DRIFT_KINDS: [Kind; 5] = [
    Kind::Owner,
    Kind::Group,
    Kind::Mode,
    Kind::Missing,
    Kind::Process,
];

/// Drift findings seen so far, by [`DRIFT_KINDS`] index.
type KindCounts = [u64; DRIFT_KINDS.len()];

/// Where the metrics go: the held directory and the names in it.
struct Sink {
    dir: OwnedFd,
    /// FILE's last component.
    name: CString,
    /// `.NAME.PID.tmp`: a dot file without `.prom`, which the textfile
    /// collector ignores; the pid keeps two chperms runs (a cron `check` and
    /// the watcher) writing the same FILE out of each other's way.
    tmp: CString,
    /// FILE as the operator gave it, for messages.
    shown: String,
}

/// The figures of one tree's last sweep and, for `watch`, its counters.
#[derive(Clone, Debug, Default)]
struct TreeStats {
    tree: Vec<u8>,
    last: Summary,
    drift_kinds: KindCounts,
    /// Unix time in milliseconds at the end of the last sweep.
    ended_ms: u64,
    duration_us: u64,
    sweeps: u64,
    events: u64,
}

/// One sweep being measured (from [`Metrics::begin`]).
pub struct Run {
    started: Instant,
    summary: Summary,
    kinds: KindCounts,
}

/// The metrics of one run of chperms (see the module docs).
///
/// Invariant: `trees` is sorted by `tree` and holds each tree once.
pub struct Metrics {
    sink: Option<Sink>,
    /// Watch adds its event and sweep counters.
    watching: bool,
    trees: Vec<TreeStats>,
    /// Drift findings by kind, shared with the counting gate.
    kinds: Rc<Cell<KindCounts>>,
    /// A failed write was said; said again only after one succeeded.
    failing: bool,
}

impl Metrics {
    /// Opens the directory of `path` (`--metrics`; `None`: metrics off, every
    /// method does nothing that shows). Nothing is written yet. The error is
    /// a whole message naming the option.
    pub fn open(path: Option<&str>, watching: bool) -> Result<Metrics, String> {
        let sink = match path {
            None => None,
            Some(p) => Some(open_sink(p).map_err(|why| ["--metrics ", p, ": ", &why].concat())?),
        };
        Ok(Metrics {
            sink,
            watching,
            trees: Vec::new(),
            kinds: Rc::default(),
            failing: false,
        })
    }

    /// Counts `report`'s findings by kind from now on: a gate in front of
    /// the report's own gate (the watcher's "each drift once"), so that every
    /// finding is counted, whether or not it is shown again.
    pub fn attach(&self, report: &mut Report) {
        if self.sink.is_some() {
            report.gate = Some(Box::new(KindGate {
                kinds: Rc::clone(&self.kinds),
                inner: report.gate.take(),
            }));
        }
    }

    /// Starts measuring one sweep of one tree.
    pub fn begin(&self, report: &Report) -> Run {
        Run {
            started: Instant::now(),
            summary: report.summary,
            kinds: self.kinds.get(),
        }
    }

    /// Ends the sweep of `tree` begun with `run`: its figures are what
    /// `report`'s summary and the kind counts grew by since.
    pub fn end(&mut self, tree: &[u8], run: Run, report: &Report) {
        if self.sink.is_none() {
            return;
        }
        // The report's counts only grow during a sweep; saturating all the
        // same, so that a caller resetting them can never wrap a figure.
        let (now, then) = (report.summary, run.summary);
        let kinds_now = self.kinds.get();
        let s = self.stats(tree);
        s.last = Summary {
            checked: now.checked.saturating_sub(then.checked),
            changed: now.changed.saturating_sub(then.changed),
            drift: now.drift.saturating_sub(then.drift),
            refused: now.refused.saturating_sub(then.refused),
            errors: now.errors.saturating_sub(then.errors),
        };
        for (i, k) in s.drift_kinds.iter_mut().enumerate() {
            *k = kinds_now[i].saturating_sub(run.kinds[i]);
        }
        s.duration_us = run.started.elapsed().as_micros() as u64;
        s.ended_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
    }

    /// True when `--metrics` was given.
    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// Watch: `tree`'s inotify events handled and sweeps made so far, as
    /// the monitor counts them.
    pub fn watch_counts(&mut self, tree: &[u8], events: u64, sweeps: u64) {
        if self.sink.is_some() {
            let s = self.stats(tree);
            s.events = events;
            s.sweeps = sweeps;
        }
    }

    /// Replaces FILE with the figures of the trees in `trees` (the current
    /// targets; trees no longer watched are forgotten). The error is a whole
    /// message naming the option.
    pub fn write<'a>(&mut self, trees: impl Iterator<Item = &'a [u8]>) -> Result<(), String> {
        let Some(sink) = &self.sink else {
            return Ok(());
        };
        let mut keep: Vec<TreeStats> = Vec::with_capacity(self.trees.len());
        for t in trees {
            if let Ok(i) = self.trees.binary_search_by(|s| s.tree.as_slice().cmp(t)) {
                keep.push(self.trees[i].clone());
            }
        }
        keep.sort_unstable_by(|a, b| a.tree.cmp(&b.tree));
        keep.dedup_by(|a, b| a.tree == b.tree);
        self.trees = keep;
        replace(sink, &self.trees, self.watching)
            .map_err(|e| ["--metrics ", &sink.shown, ": ", sys::errno_text(e)].concat())
    }

    /// [`Self::write`] for the watcher: the message of a failure, only the
    /// first time in a row (a full disk must not fill the log too).
    pub fn write_or_say<'a>(&mut self, trees: impl Iterator<Item = &'a [u8]>) -> Option<String> {
        match self.write(trees) {
            Ok(()) => {
                self.failing = false;
                None
            }
            Err(msg) if !self.failing => {
                self.failing = true;
                Some(msg)
            }
            Err(_) => None,
        }
    }

    /// The stats of `tree`, added (in order) when new.
    fn stats(&mut self, tree: &[u8]) -> &mut TreeStats {
        let i = match self.trees.binary_search_by(|s| s.tree.as_slice().cmp(tree)) {
            Ok(i) => i,
            Err(i) => {
                self.trees.insert(
                    i,
                    TreeStats {
                        tree: tree.to_vec(),
                        ..TreeStats::default()
                    },
                );
                i
            }
        };
        &mut self.trees[i]
    }
}

/// Splits `--metrics` into its directory (opened) and file name (checked).
fn open_sink(path: &str) -> Result<Sink, String> {
    let (dir, name) = match path.rfind('/') {
        Some(0) => ("/", &path[1..]),
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (".", path),
    };
    if !name.ends_with(".prom") || name.starts_with('.') {
        return Err(
            "the file name must end in .prom and not start with a dot (node_exporter's \
             textfile collector reads only *.prom files)"
                .into(),
        );
    }
    if name.len() > METRICS_NAME_MAX {
        return Err(format!(
            "the file name is longer than {METRICS_NAME_MAX} bytes"
        ));
    }
    let c = |s: String| CString::new(s).map_err(|_| String::from("a NUL byte in the name"));
    let tmp = c(format!(".{name}.{}.tmp", std::process::id()))?;
    let name = c(name.into())?;
    let dir = crate::resolve::open_dir(dir.as_bytes()).map_err(|r| {
        [
            "directory ",
            &r.text(&mut crate::users::NameCache::new()),
            " (create it, or point --metrics at node_exporter's textfile directory)",
        ]
        .concat()
    })?;
    Ok(Sink {
        dir,
        name,
        tmp,
        shown: path.into(),
    })
}

/// Writes the whole text to the temporary name and renames it over FILE.
fn replace(sink: &Sink, trees: &[TreeStats], watching: bool) -> sys::SysResult<()> {
    let dir = sink.dir.as_fd();
    let fd = match sys::create_file_at(dir, &sink.tmp) {
        // Left by an earlier run with our pid (killed mid-write): it is
        // only a name in the metrics directory, never opened; remove it.
        Err(sys::Errno::EXIST) => {
            sys::unlink_at(dir, &sink.tmp)?;
            sys::create_file_at(dir, &sink.tmp)?
        }
        r => r?,
    };
    let written =
        fill(fd, trees, watching).and_then(|()| sys::rename_at(dir, &sink.tmp, &sink.name));
    if written.is_err() {
        let _ = sys::unlink_at(dir, &sink.tmp);
    }
    written
}

/// Makes the new file readable by node_exporter (it was created mode 0, so
/// nothing could read it half-written) and writes the text into it.
fn fill(fd: OwnedFd, trees: &[TreeStats], watching: bool) -> sys::SysResult<()> {
    sys::chmod_fd(&fd, 0o644)?;
    // `text` is the buffer: written out every 4 KiB and at the end.
    let mut text = Vec::with_capacity(256);
    let families = if watching {
        FAMILIES.len()
    } else {
        FAMILIES.len() - 2
    };
    for (name, kind, help) in &FAMILIES[..families] {
        for part in [
            "# HELP ",
            name,
            " ",
            help,
            "\n# TYPE ",
            name,
            " ",
            kind,
            "\n",
        ] {
            text.extend_from_slice(part.as_bytes());
        }
        for s in trees {
            if *name == "chperms_drift_findings" {
                for (i, k) in DRIFT_KINDS.iter().enumerate() {
                    sample(&mut text, name, &s.tree, Some(k.word()));
                    push_num(&mut text, s.drift_kinds[i] as i64, 0, b' ');
                    text.push(b'\n');
                }
                continue;
            }
            sample(&mut text, name, &s.tree, None);
            match *name {
                "chperms_last_run_timestamp_seconds" => push_fixed(&mut text, s.ended_ms, 3),
                "chperms_last_run_duration_seconds" => push_fixed(&mut text, s.duration_us, 6),
                _ => {
                    let v = match *name {
                        "chperms_entries_checked" => s.last.checked,
                        "chperms_entries_changed" => s.last.changed,
                        "chperms_entries_drift" => s.last.drift,
                        "chperms_entries_refused" => s.last.refused,
                        "chperms_errors" => s.last.errors,
                        "chperms_watch_events_total" => s.events,
                        _ => s.sweeps,
                    };
                    push_num(&mut text, v as i64, 0, b' ');
                }
            }
            text.push(b'\n');
            if text.len() >= 4096 {
                sys::write_all(fd.as_fd(), &text)?;
                text.clear();
            }
        }
    }
    sys::write_all(fd.as_fd(), &text)
}

/// (name, type, help) of each metric family, in the order written; the two
/// watch counters last.
const FAMILIES: [(&str, &str, &str); 10] = [
    ("chperms_entries_checked", "gauge", "Entries examined by the last sweep of the tree."),
    ("chperms_entries_changed", "gauge", "Entries changed or created by the last sweep of the tree."),
    ("chperms_entries_drift", "gauge", "Entries that differ from the policy and were left as they are (check, --dry-run, watch without --fix) in the last sweep."),
    ("chperms_drift_findings", "gauge", "Differences from the policy left as they are in the last sweep, by kind (one entry can differ in owner, group and mode)."),
    ("chperms_entries_refused", "gauge", "Entries refused as unsafe (hard links, symlinks or devices where the policy names a path) in the last sweep."),
    ("chperms_errors", "gauge", "Errors (unreadable directories, failed changes) in the last sweep of the tree."),
    ("chperms_last_run_timestamp_seconds", "gauge", "Unix time at which the last sweep of the tree ended."),
    ("chperms_last_run_duration_seconds", "gauge", "How long the last sweep of the tree took."),
    ("chperms_watch_events_total", "counter", "Inotify events the watcher handled for the tree since it started."),
    ("chperms_watch_sweeps_total", "counter", "Full sweeps of the tree since the watcher started (at start, every --interval, after an overflow)."),
];

/// `NAME{tree="…"[,kind="…"]} ` with the label values escaped as the text
/// format wants (`\\`, `\"`, `\n`; anything not UTF-8 replaced).
fn sample(out: &mut Vec<u8>, name: &str, tree: &[u8], kind: Option<&str>) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"{tree=\"");
    for c in String::from_utf8_lossy(tree).chars() {
        match c {
            '\\' => out.extend_from_slice(b"\\\\"),
            '"' => out.extend_from_slice(b"\\\""),
            '\n' => out.extend_from_slice(b"\\n"),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
    out.push(b'"');
    if let Some(k) = kind {
        for part in [",kind=\"", k, "\""] {
            out.extend_from_slice(part.as_bytes());
        }
    }
    out.extend_from_slice(b"} ");
}

/// `v` thousandths (`decimals` 3) or millionths (6) as a decimal number of
/// seconds (`1717171717.042`), without pulling float formatting into the
/// binary.
fn push_fixed(out: &mut Vec<u8>, v: u64, decimals: u32) {
    let unit = 10u64.pow(decimals);
    push_num(out, (v / unit) as i64, 0, b' ');
    out.push(b'.');
    push_num(out, (v % unit) as i64, decimals as usize, b'0');
}

/// Counts drift findings by kind, then asks the report's own gate.
struct KindGate {
    kinds: Rc<Cell<KindCounts>>,
    inner: Option<Box<dyn Gate>>,
}

impl Gate for KindGate {
    fn admit(&mut self, f: &Finding<'_>) -> bool {
        // Drift is what is left as it is: would-fix findings, and processes
        // (reported, never changed).
        if f.action == Action::WouldFix || f.kind == Kind::Process {
            if let Some(i) = DRIFT_KINDS.iter().position(|k| *k == f.kind) {
                let mut k = self.kinds.get();
                k[i] += 1;
                self.kinds.set(k);
            }
        }
        self.inner.as_mut().map_or(true, |g| g.admit(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut v = Vec::new();
        sample(&mut v, "chperms_errors", b"/srv/a\"b\\c\nd", Some("mode"));
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "chperms_errors{tree=\"/srv/a\\\"b\\\\c\\nd\",kind=\"mode\"} "
        );
    }

    #[test]
    fn millis_print_as_seconds() {
        let mut v = Vec::new();
        push_fixed(&mut v, 1_717_171_717_042, 3);
        assert_eq!(v, b"1717171717.042");
        v.clear();
        push_fixed(&mut v, 5, 6);
        assert_eq!(v, b"0.000005");
    }

    #[test]
    fn metrics_file_names_must_be_prom() {
        for bad in ["/tmp/chperms.txt", "/tmp/.chperms.prom", "chperms", "/tmp/"] {
            assert!(Metrics::open(Some(bad), false).is_err(), "{bad}");
        }
        let long = ["/tmp/", &"x".repeat(METRICS_NAME_MAX), ".prom"].concat();
        assert!(Metrics::open(Some(&long), false).is_err());
    }
}
