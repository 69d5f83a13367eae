//! `--alert-cmd CMD`: run a command once per new finding, never blocking.
//!
//! Map: [`Alerts::new`] splits CMD on whitespace (no shell) and returns the
//! runner plus an [`AlertListener`] for the report; the listener only queues
//! (bounded by [`MAX_ALERT_QUEUE`]); the monitor's loop calls
//! [`Alerts::pump`] to reap finished commands, kill those past
//! [`ALERT_TIMEOUT_SECS`] and start queued ones, at most
//! [`MAX_ALERT_CHILDREN`] at a time.
//!
//! Each command gets the finding as one JSON line on stdin and
//! `CHPERMS_PATH`, `CHPERMS_KIND`, `CHPERMS_EXPECTED`, `CHPERMS_ACTUAL`,
//! `CHPERMS_ACTION` in its environment. It runs in its own process group
//! (a timeout kills what it started too); its stdout goes to our stderr so
//! that `--format json` output stays clean.

use crate::budget::{ALERT_TIMEOUT_SECS, MAX_ALERT_CHILDREN, MAX_ALERT_QUEUE};
use crate::output::{json_finding, Finding, Listener};
use rustix::fd::AsFd;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// One queued alert: everything the command receives.
struct Alert {
    json: Vec<u8>,
    path: Vec<u8>,
    kind: &'static str,
    expected: String,
    actual: String,
    action: &'static str,
}

/// Alerts waiting for a free slot, and how many were dropped since the last
/// time that was said.
#[derive(Default)]
struct Pending {
    queue: VecDeque<Alert>,
    dropped: u64,
}

/// Queues each finding it is given as an alert.
pub struct AlertListener(Rc<RefCell<Pending>>);

impl Listener for AlertListener {
    fn finding(&mut self, f: &Finding<'_>) {
        let mut p = self.0.borrow_mut();
        if p.queue.len() >= MAX_ALERT_QUEUE {
            p.dropped += 1;
            return;
        }
        let mut json = Vec::with_capacity(160);
        json_finding(&mut json, f);
        p.queue.push_back(Alert {
            json,
            path: f.path.to_vec(),
            kind: f.kind.word(),
            expected: f.expected.into(),
            actual: f.actual.into(),
            action: f.action.word(),
        });
    }
}

/// Runs alert commands.
///
/// Invariant: `running.len() <= MAX_ALERT_CHILDREN`; each entry's deadline
/// is `None` once it was killed (it is then only waited for).
pub struct Alerts {
    argv: Vec<String>,
    pending: Rc<RefCell<Pending>>,
    running: Vec<(i32, Option<Instant>)>,
}

impl Alerts {
    /// A runner for `cmd` and the listener feeding it; an empty `cmd` is an
    /// error.
    pub fn new(cmd: &str) -> Result<(Alerts, Box<dyn Listener>), String> {
        let argv: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        if argv.is_empty() {
            return Err("--alert-cmd: empty command".into());
        }
        let pending = Rc::new(RefCell::new(Pending::default()));
        let l = Box::new(AlertListener(pending.clone()));
        let a = Alerts {
            argv,
            pending,
            running: Vec::with_capacity(MAX_ALERT_CHILDREN),
        };
        Ok((a, l))
    }

    /// Reaps finished commands, kills overdue ones, starts queued ones.
    pub fn pump(&mut self) {
        let now = Instant::now();
        self.running.retain_mut(|(child, deadline)| match crate::sys::wait_child(*child, false) {
            Ok(Some(st)) => {
                // ExitStatus only to print it as before ("exit status: 1").
                let st = std::process::ExitStatus::from_raw(st);
                if !st.success() {
                    let code = st.code().unwrap_or(-1);
                    eprintln!("chperms watch: alert command failed (status {code})");
                }
                false
            }
            Ok(None) => {
                if deadline.is_some_and(|d| now >= d) {
                    eprintln!(
                        "chperms watch: alert command still running after {ALERT_TIMEOUT_SECS} s: killed"
                    );
                    crate::sys::kill_group(*child as u32);
                    *deadline = None;
                }
                true
            }
            Err(_) => false,
        });
        while self.running.len() < MAX_ALERT_CHILDREN {
            let next = {
                let mut p = self.pending.borrow_mut();
                if p.dropped > 0 {
                    eprintln!(
                        "chperms watch: {} alerts dropped (more than {MAX_ALERT_QUEUE} waiting)",
                        p.dropped
                    );
                    p.dropped = 0;
                }
                p.queue.pop_front()
            };
            let Some(a) = next else { break };
            self.start(&a, now);
        }
    }

    fn start(&mut self, a: &Alert, now: Instant) {
        // CHPERMS_*=value entries added to the child's environment.
        let env = |k: &str, v: &[u8]| [k.as_bytes(), b"=", v].concat();
        let env = [
            env("CHPERMS_PATH", &a.path),
            env("CHPERMS_KIND", a.kind.as_bytes()),
            env("CHPERMS_EXPECTED", a.expected.as_bytes()),
            env("CHPERMS_ACTUAL", a.actual.as_bytes()),
            env("CHPERMS_ACTION", a.action.as_bytes()),
        ];
        let env: Vec<&[u8]> = env.iter().map(|e| e.as_slice()).collect();
        let argv: Vec<&[u8]> = self.argv.iter().map(|s| s.as_bytes()).collect();
        let spawned =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).and_then(|(r, w)| {
                let o = crate::sys::SpawnOpts {
                    stdin: Some(r.as_fd()),
                    stdout: Some(rustix::stdio::stderr()),
                    env: &env,
                    new_group: true,
                    ..Default::default()
                };
                crate::sys::spawn(&argv, &o).map(|pid| (pid, w))
            });
        match spawned {
            Ok((pid, w)) => {
                let mut stdin = std::fs::File::from(w);
                // One line, far below a pipe's capacity; non-blocking
                // anyway so a command that never reads cannot stall us.
                let _ = crate::sys::set_nonblocking(&stdin);
                let _ = stdin.write_all(&a.json);
                let deadline = now + Duration::from_secs(ALERT_TIMEOUT_SECS);
                self.running.push((pid, Some(deadline)));
            }
            Err(e) => eprintln!(
                "chperms watch: cannot run alert command {}: {}",
                self.argv[0],
                crate::sys::errno_text(e)
            ),
        }
    }

    /// The earliest moment [`Alerts::pump`] must run again (a timeout, or
    /// queued alerts waiting for a slot are started on `SIGCHLD`).
    pub fn deadline(&self) -> Option<Instant> {
        self.running.iter().filter_map(|(_, d)| *d).min()
    }

    /// Kills what still runs (the monitor is stopping).
    pub fn shutdown(&mut self) {
        for (child, _) in self.running.iter_mut() {
            crate::sys::kill_group(*child as u32);
            let _ = crate::sys::wait_child(*child, true);
        }
        self.running.clear();
    }
}
