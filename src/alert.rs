//! `--alert-cmd CMD`: run a command once per new finding, never blocking.
//!
//! Map: [`Alerts::new`] splits CMD into words ([`split_command`]: quotes as
//! in sh, but no shell runs and nothing is expanded) and returns the
//! runner plus the [`AlertQueue`] that the monitor's report feeds
//! ([`AlertQueue::offer`]: each tree may queue its fair share of
//! [`MAX_ALERT_QUEUE`], so that one tree's flood cannot push another
//! tree's alert out); the monitor's loop calls [`Alerts::pump`] to reap
//! finished commands, kill those past [`ALERT_TIMEOUT_SECS`] and start
//! queued ones, at most [`MAX_ALERT_CHILDREN`] at a time, taking the trees
//! in turn; [`AlertQueue::take_drops`] tells it what was dropped, per tree.
//!
//! Each command gets the finding as one JSON line on stdin and
//! `CHPERMS_PATH`, `CHPERMS_KIND`, `CHPERMS_EXPECTED`, `CHPERMS_ACTUAL`,
//! `CHPERMS_ACTION` in its environment. It runs in its own process group
//! (a timeout kills what it started too); its stdout goes to our stderr so
//! that `--format json` output stays clean.

use crate::applet::watch::fair::FairShare;
use crate::applet::watch::warn;
use crate::budget::{ALERT_TIMEOUT_SECS, MAX_ALERT_CHILDREN, MAX_ALERT_QUEUE};
use crate::output::{json_finding, Finding, Level};
use rustix::fd::AsFd;
use std::cell::RefCell;

/// Milliseconds on the monotonic clock since the first call; plain `u64`
/// arithmetic for the monitor's deadlines. Read through std's `Instant`:
/// rustix's `clock_gettime` on MIPS goes through its libc backend and
/// musl's 32-bit-time compatibility symbol, which gave deadlines that never
/// came (the periodic sweep stopped on mipsel).
pub fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let d = START.get_or_init(std::time::Instant::now).elapsed();
    d.as_secs() * 1000 + u64::from(d.subsec_millis())
}

/// "No deadline" for the `u64` millisecond deadlines.
pub const NEVER: u64 = u64::MAX;

/// The environment names, in the order of [`Alert::ends`].
const ENV_NAMES: [&str; 5] = [
    "CHPERMS_PATH=",
    "CHPERMS_KIND=",
    "CHPERMS_EXPECTED=",
    "CHPERMS_ACTUAL=",
    "CHPERMS_ACTION=",
];

/// One queued alert: everything the command receives, in one buffer (one
/// allocation): the JSON line, then the five `CHPERMS_*=value` entries.
struct Alert {
    buf: Vec<u8>,
    /// Where the JSON line and each environment entry end in `buf`.
    ends: [usize; 6],
    /// The tree (slot) the finding belongs to.
    tree: u32,
}

/// Alerts waiting for a free slot, oldest first (a `Vec`: a few dozen short
/// entries), each tree's count under its fair share, and how many each
/// tree had dropped since that was last said.
#[derive(Default)]
struct Pending {
    queue: Vec<Alert>,
    share: FairShare,
    /// (tree, alerts dropped) not said yet.
    dropped: Vec<(u32, u64)>,
    /// The tree whose alert started last (the trees take turns).
    last_tree: Option<u32>,
}

/// The alerts waiting to run, shared fairly between the monitor's trees.
pub struct AlertQueue(RefCell<Pending>);

impl AlertQueue {
    /// Queues an alert for finding `f` of tree `tree` if the tree's share
    /// of the queue has room; false (counted as dropped) otherwise.
    pub fn offer(&self, f: &Finding<'_>, tree: u32) -> bool {
        let mut p = self.0.borrow_mut();
        if !p.share.try_take(tree as usize) {
            match p.dropped.iter_mut().find(|d| d.0 == tree) {
                Some(d) => d.1 += 1,
                None => p.dropped.push((tree, 1)),
            }
            return false;
        }
        let mut buf = Vec::with_capacity(256);
        json_finding(&mut buf, f);
        let mut ends = [buf.len(); 6];
        let values = [
            f.path,
            f.kind.word().as_bytes(),
            f.expected.as_bytes(),
            f.actual.as_bytes(),
            f.action.word().as_bytes(),
        ];
        for i in 0..5 {
            buf.extend_from_slice(ENV_NAMES[i].as_bytes());
            buf.extend_from_slice(values[i]);
            ends[i + 1] = buf.len();
        }
        p.queue.push(Alert { buf, ends, tree });
        true
    }

    /// Tree `tree` starts (`live`) or stops being monitored; a stopped
    /// tree's queued alerts are dropped silently (its findings were
    /// printed and logged).
    pub fn set_tree(&self, tree: u32, live: bool) {
        let mut p = self.0.borrow_mut();
        if !live {
            p.queue.retain(|a| a.tree != tree);
            p.dropped.retain(|d| d.0 != tree);
        }
        p.share.set_live(tree as usize, live);
    }

    /// How many alerts each tree may have waiting for sure.
    pub fn share(&self) -> usize {
        self.0.borrow().share.share()
    }

    /// (tree, count) of the alerts dropped since the last call.
    pub fn take_drops(&self) -> Vec<(u32, u64)> {
        std::mem::take(&mut self.0.borrow_mut().dropped)
    }

    /// The next alert to start: the oldest of the first tree after the one
    /// served last (by slot number, wrapping round), so that the trees take
    /// turns.
    fn next(&self) -> Option<Alert> {
        let mut p = self.0.borrow_mut();
        let after = p.last_tree;
        let i = p
            .queue
            .iter()
            .enumerate()
            .min_by_key(|&(i, a)| (after.is_some_and(|l| a.tree <= l), a.tree, i))
            .map(|(i, _)| i)?;
        let a = p.queue.remove(i);
        p.share.give_back(a.tree as usize);
        p.last_tree = Some(a.tree);
        Some(a)
    }
}

/// Runs alert commands.
///
/// Invariant: `running.len() <= MAX_ALERT_CHILDREN`; each entry's deadline
/// (monotonic ms) is [`NEVER`] once it was killed (it is then only waited
/// for).
pub struct Alerts {
    argv: Vec<&'static [u8]>,
    /// `argv[0]` for messages.
    program: &'static str,
    pending: &'static AlertQueue,
    running: Vec<(i32, u64)>,
}

impl Alerts {
    /// A runner for `cmd` and the queue feeding it; an empty `cmd` is an
    /// error.
    ///
    /// One runner lives as long as the monitor, that is until the process
    /// exits: its command line and queue are leaked to `&'static` instead of
    /// being reference-counted.
    pub fn new(cmd: String) -> Result<(Alerts, &'static AlertQueue), String> {
        let words = split_command(&cmd)?;
        let Some(first) = words.first() else {
            return Err("--alert-cmd: empty command".into());
        };
        let program: &'static str = first.clone().leak();
        let argv: Vec<&'static [u8]> = words.into_iter().map(|w| w.leak().as_bytes()).collect();
        let pending: &'static AlertQueue = Box::leak(Box::new(AlertQueue(RefCell::new(Pending {
            share: FairShare::new(MAX_ALERT_QUEUE),
            ..Pending::default()
        }))));
        let a = Alerts {
            argv,
            program,
            pending,
            running: Vec::with_capacity(MAX_ALERT_CHILDREN),
        };
        Ok((a, pending))
    }

    /// Reaps finished commands, kills overdue ones, starts queued ones.
    pub fn pump(&mut self) {
        let now = now_ms();
        // Vec::retain_mut by hand (order kept): less code.
        let mut i = 0;
        while let Some(&mut (child, ref mut deadline)) = self.running.get_mut(i) {
            let keep = match crate::sys::wait_child(child, false) {
                Ok(Some(st)) => {
                    // Printed as std's ExitStatus did: -1 when killed by a
                    // signal.
                    match crate::sys::exit_code(st) {
                        Some(0) => {}
                        code => warn(
                            Level::Warning,
                            format_args!("alert command failed (status {})", code.unwrap_or(-1)),
                        ),
                    }
                    false
                }
                Ok(None) => {
                    if now >= *deadline {
                        warn(
                            Level::Warning,
                            format_args!(
                                "alert command still running after {ALERT_TIMEOUT_SECS} s: killed"
                            ),
                        );
                        crate::sys::kill_group(child as u32);
                        *deadline = NEVER;
                    }
                    true
                }
                Err(_) => false,
            };
            if keep {
                i += 1;
            } else {
                self.running.remove(i);
            }
        }
        while self.running.len() < MAX_ALERT_CHILDREN {
            let Some(a) = self.pending.next() else { break };
            self.start(&a, now);
        }
    }

    fn start(&mut self, a: &Alert, now: u64) {
        // CHPERMS_*=value entries added to the child's environment.
        let e = &a.ends;
        let mut env: [&[u8]; 5] = [&[]; 5];
        for (i, entry) in env.iter_mut().enumerate() {
            *entry = &a.buf[e[i]..e[i + 1]];
        }
        let spawned =
            rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).and_then(|(r, w)| {
                let o = crate::sys::SpawnOpts {
                    stdin: Some(r.as_fd()),
                    stdout: Some(rustix::stdio::stderr()),
                    env: &env,
                    new_group: true,
                    ..Default::default()
                };
                crate::sys::spawn(&self.argv, &o).map(|pid| (pid, w))
            });
        match spawned {
            Ok((pid, w)) => {
                // One line, far below a pipe's capacity: one write into
                // the new, empty pipe takes all of it (what write_all would
                // do). Non-blocking anyway so that a command that never
                // reads cannot stall us.
                let _ = crate::sys::set_nonblocking(&w);
                let _ = rustix::io::write(&w, &a.buf[..e[0]]);
                self.running.push((pid, now + ALERT_TIMEOUT_SECS * 1000));
            }
            Err(e) => warn(
                Level::Warning,
                format_args!(
                    "cannot run alert command {}: {}",
                    self.program,
                    crate::sys::errno_text(e)
                ),
            ),
        }
    }

    /// The earliest moment (monotonic ms) [`Alerts::pump`] must run again
    /// (a timeout; queued alerts waiting for a slot are started on
    /// `SIGCHLD`), or [`NEVER`].
    pub fn deadline(&self) -> u64 {
        self.running.iter().fold(NEVER, |m, &(_, d)| m.min(d))
    }

    /// Kills what still runs (the monitor is stopping).
    pub fn shutdown(&mut self) {
        for &(child, _) in &self.running {
            crate::sys::kill_group(child as u32);
            let _ = crate::sys::wait_child(child, true);
        }
        self.running.clear();
    }
}

/// Splits `--alert-cmd` into words as sh would, without running a shell:
/// blanks separate words; `'…'` is literal; in `"…"` a backslash escapes
/// `" \\ $` and `` ` ``; outside quotes a backslash escapes the next byte.
/// Nothing is expanded. A character that only means something to a shell
/// (`| & ; < > ( ) $` and `` ` ``), unquoted, is refused rather than passed
/// on as a word: the operator meant a shell.
pub fn split_command(cmd: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                continue;
            }
            '\'' => loop {
                match chars.next() {
                    Some('\'') => break,
                    Some(q) => word.push(q),
                    None => return Err("--alert-cmd: a ' quote is not closed".into()),
                }
            },
            '"' => loop {
                match chars.next() {
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some(e @ ('"' | '\\' | '$' | '`')) => word.push(e),
                        Some(e) => {
                            word.push('\\');
                            word.push(e);
                        }
                        None => return Err("--alert-cmd: a \" quote is not closed".into()),
                    },
                    Some(q) => word.push(q),
                    None => return Err("--alert-cmd: a \" quote is not closed".into()),
                }
            },
            '\\' => match chars.next() {
                Some(e) => word.push(e),
                None => return Err("--alert-cmd: ends with a lone backslash".into()),
            },
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' => {
                return Err(format!(
                    "--alert-cmd: '{c}' needs a shell, and chperms runs the command without \
                     one; quote it to pass it as text, or write sh -c '...' if you mean a shell"
                ));
            }
            c => word.push(c),
        }
        in_word = true;
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

/// For `watch --check-config`: the alert command splits and its program
/// can be run (a path is an executable file; a bare name is found in
/// `PATH`, as the alert's spawn will search it).
pub fn check_command(cmd: &str) -> Result<(), String> {
    let words = split_command(cmd)?;
    let Some(program) = words.first() else {
        return Err("--alert-cmd: empty command".into());
    };
    let found = if program.contains('/') {
        crate::sys::is_executable_file(program)
    } else {
        let path = crate::sys::env_str(c"PATH").unwrap_or("/usr/local/bin:/bin:/usr/bin");
        path.split(':')
            .filter(|d| !d.is_empty())
            .any(|d| crate::sys::is_executable_file(&[d, "/", program].concat()))
    };
    if found {
        Ok(())
    } else {
        Err(format!(
            "--alert-cmd: {program}: no such executable file (give its full path)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alert_commands_split_like_sh_without_a_shell() {
        let w = |s: &str| split_command(s).expect(s);
        assert_eq!(w("  /bin/alert  -x  "), ["/bin/alert", "-x"]);
        assert_eq!(
            w(r#"/usr/local/bin/alert --subject "drift found""#),
            ["/usr/local/bin/alert", "--subject", "drift found"]
        );
        assert_eq!(
            w(r#"a 'it''s' b\ c "\"q\" \n""#),
            ["a", "its", "b c", "\"q\" \\n"]
        );
        assert_eq!(w("a '|' \\;"), ["a", "|", ";"]);
        assert_eq!(w("a ''"), ["a", ""]);
        assert!(w("").is_empty());
        for bad in ["a | b", "a; b", "a $HOME", "a `x`", "a 'b", "a \"b", "a \\"] {
            assert!(split_command(bad).is_err(), "{bad}");
        }
    }

    /// The monitor's clock advances like real time on every target (qemu
    /// included): a broken clock left the periodic sweep waiting forever.
    #[test]
    fn now_ms_follows_real_time() {
        let a = now_ms();
        std::thread::sleep(std::time::Duration::from_millis(120));
        let b = now_ms();
        assert!((100..5_000).contains(&(b - a)), "{a} -> {b}");
    }
}
