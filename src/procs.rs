//! Process rules (SPEC §4 `processes`): "processes named `gunicorn` must
//! run as `wegweiser`", checked from `/proc`, reported, never killed.
//!
//! Map: [`check_processes`] scans `/proc` once for all rules and reports each
//! offending process as a `process` finding counted as drift;
//! [`scan_processes`] does the scanning over any [`ProcSource`] (the real
//! `/proc` is [`SysProc`]); [`stat_comm`], [`comm_matches`],
//! [`proc_name_matches`] and [`parse_uids`] are the parsers, tested and
//! fuzzed on their own.
//!
//! A process matches a rule's name when its `comm` (from `/proc/PID/stat`,
//! at most 15 bytes, so the name is compared on its first 15 bytes), the
//! basename of `argv[0]`, or — when `argv[0]` is an interpreter such as
//! `python3` — the basename of `argv[1]` equals it: gunicorn runs as
//! `python3 …/venv/bin/gunicorn`. It offends when its real *or* effective uid
//! is not the rule's user (a root master that dropped only its effective uid
//! still offends).

use crate::output::{Action, Finding, Kind, Report};
use crate::policy::ProcessRule;
use std::fmt::Write as _;

/// Bytes read from each `/proc/PID/*` file (`status` keeps `Uid:` in its
/// first lines; longer command lines only lose arguments after `argv[1]`).
pub const PROC_READ: usize = 4096;

/// Interpreters whose `argv[1]` names the program really running.
const INTERPRETERS: [&[u8]; 8] = [
    b"python", b"perl", b"ruby", b"node", b"php", b"sh", b"bash", b"dash",
];

/// Where the process files come from: `/proc` ([`SysProc`]), or bytes a
/// test or fuzz target holds. chperms parses them; a source only lists pids
/// and reads files.
pub trait ProcSource {
    /// Calls `each` with every pid (the numeric entries of `/proc`); an
    /// error listing them is returned as its text.
    fn pids(&mut self, each: &mut dyn FnMut(u32)) -> Result<(), &'static str>;
    /// Reads up to `buf.len()` bytes of `/proc/PID/FILE` (`stat`, `cmdline`
    /// or `status`) into `buf`; `None` when the process or file is gone.
    fn read(&mut self, pid: u32, file: &str, buf: &mut [u8]) -> Option<usize>;
}

/// The real `/proc`.
pub struct SysProc {
    path: String,
}

impl ProcSource for SysProc {
    fn pids(&mut self, each: &mut dyn FnMut(u32)) -> Result<(), &'static str> {
        let proc_fd = crate::sys::open_base_dir(c"/proc").map_err(crate::sys::errno_text)?;
        let mut dir = crate::sys::DirStream::new(proc_fd);
        while let Some(ent) = dir.next_entry() {
            let Ok(ent) = ent else { break };
            if let Some(pid) = crate::users::parse_id(ent.name.to_bytes()) {
                each(pid);
            }
        }
        Ok(())
    }

    fn read(&mut self, pid: u32, file: &str, buf: &mut [u8]) -> Option<usize> {
        self.path.clear();
        let _ = write!(self.path, "/proc/{pid}/{file}");
        crate::sys::read_prefix(&self.path, buf).ok()
    }
}

/// A process breaking a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offence {
    pub pid: u32,
    /// Index of the rule in the slice given to [`scan_processes`].
    pub rule: usize,
    pub real_uid: u32,
    pub effective_uid: u32,
}

/// Reports every process breaking one of `rules`; adds one to
/// `report.summary.drift` per offending process (and rule).
pub fn check_processes(rules: &[ProcessRule], report: &mut Report) {
    if rules.is_empty() {
        return;
    }
    let mut offences = Vec::new();
    let mut src = SysProc {
        path: String::with_capacity(32),
    };
    if let Err(e) = scan_processes(&mut src, rules, &mut |o| offences.push(o)) {
        let msg = ["cannot read /proc: ", e, ": process rules not checked"].concat();
        report.error(b"/proc", &msg);
        return;
    }
    let mut path = String::with_capacity(32);
    for o in offences {
        let rule = &rules[o.rule];
        let (real, eff) = (o.real_uid, o.effective_uid);
        let bad = if eff != rule.uid { eff } else { real };
        let actual = report.names.user_text(bad);
        let mut detail = format!(
            "process {} (pid {}) runs as {actual}, the policy wants {}",
            rule.name, o.pid, rule.user
        );
        if real != eff {
            let _ = write!(detail, " (real uid {real}, effective uid {eff})");
        }
        path.clear();
        let _ = write!(path, "/proc/{}", o.pid);
        report.summary.drift += 1;
        report.one(Finding {
            path: path.as_bytes(),
            kind: Kind::Process,
            expected: rule.user.as_str(),
            actual: actual.as_str(),
            action: Action::Reported,
            rule: None,
            detail: &detail,
        });
    }
}

/// Calls `offence` for every process of `src` that breaks one of `rules`
/// (once per process and rule), reading at most [`PROC_READ`] bytes of each
/// file. Vanished processes and kernel threads are skipped.
pub fn scan_processes(
    src: &mut dyn ProcSource,
    rules: &[ProcessRule],
    offence: &mut dyn FnMut(Offence),
) -> Result<(), &'static str> {
    let mut pids = Vec::new();
    src.pids(&mut |pid| pids.push(pid))?;
    let mut buf = [0u8; PROC_READ];
    let mut status = [0u8; PROC_READ];
    for pid in pids {
        let Some(n) = src.read(pid, "stat", &mut buf) else {
            continue;
        };
        let Some(c) = stat_comm(&buf[..n]) else {
            continue;
        };
        // Kept apart from `buf`, which is read again for cmdline.
        let mut comm = [0u8; 64];
        let comm_len = c.len().min(comm.len());
        comm[..comm_len].copy_from_slice(&c[..comm_len]);
        let comm = &comm[..comm_len];
        let mut argv: Option<usize> = None;
        for (i, rule) in rules.iter().enumerate() {
            let name = rule.name.as_bytes();
            let mut hit = comm_matches(comm, name);
            if !hit {
                let n =
                    *argv.get_or_insert_with(|| src.read(pid, "cmdline", &mut buf).unwrap_or(0));
                hit = proc_name_matches(&buf[..n], name);
            }
            if !hit {
                continue;
            }
            let Some(n) = src.read(pid, "status", &mut status) else {
                continue;
            };
            let Some((real, eff)) = parse_uids(&status[..n]) else {
                continue;
            };
            if real != rule.uid || eff != rule.uid {
                offence(Offence {
                    pid,
                    rule: i,
                    real_uid: real,
                    effective_uid: eff,
                });
            }
        }
    }
    Ok(())
}

/// The command name in `/proc/PID/stat`: between the first `(` and the
/// last `)` (the name itself may hold parentheses).
pub fn stat_comm(stat: &[u8]) -> Option<&[u8]> {
    let open = stat.iter().position(|&b| b == b'(')?;
    let close = stat.iter().rposition(|&b| b == b')')?;
    (close > open).then(|| &stat[open + 1..close])
}

/// `comm` is the first 15 bytes of the executable's name.
pub fn comm_matches(comm: &[u8], name: &[u8]) -> bool {
    comm == name || (comm.len() == 15 && name.len() > 15 && name.starts_with(comm))
}

/// Splits `s` at the first `sep`: the bytes before it and, when there is
/// one, the bytes after it (`slice::split` semantics, as a plain loop).
fn cut(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == sep) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    }
}

/// The part of a path after its last `/`.
fn base(a: &[u8]) -> &[u8] {
    match a.iter().rposition(|&b| b == b'/') {
        Some(i) => &a[i + 1..],
        None => a,
    }
}

/// Whether a NUL-separated command line runs `name`: `argv[0]`'s basename,
/// or `argv[1]`'s when `argv[0]` is an interpreter.
pub fn proc_name_matches(cmdline: &[u8], name: &[u8]) -> bool {
    let (a0, mut rest) = cut(cmdline, 0);
    let b0 = base(a0);
    // Forked workers rename themselves ("gunicorn: worker [app]").
    let word_end = b0.iter().position(|&b| b == b' ' || b == b':');
    let b0_word = &b0[..word_end.unwrap_or(b0.len())];
    if b0 == name || b0_word == name {
        return true;
    }
    if !INTERPRETERS.iter().any(|i| b0.starts_with(i)) {
        return false;
    }
    // `python3 -u app`: flags are not the program.
    while let Some(r) = rest {
        let (a, next) = cut(r, 0);
        if !a.starts_with(b"-") {
            return base(a) == name;
        }
        rest = next;
    }
    false
}

/// (real, effective) uid from the `Uid:` line of `/proc/PID/status`.
pub fn parse_uids(status: &[u8]) -> Option<(u32, u32)> {
    let mut rest = Some(status);
    let line = loop {
        let (l, next) = cut(rest?, b'\n');
        if l.starts_with(b"Uid:") {
            break &l[4..];
        }
        rest = next;
    };
    // The first two words (tab- or space-separated) are the real and
    // effective uids.
    let mut ids = [0u32; 2];
    let mut i = 0;
    for id in &mut ids {
        while i < line.len() && (line[i] == b'\t' || line[i] == b' ') {
            i += 1;
        }
        let start = i;
        while i < line.len() && line[i] != b'\t' && line[i] != b' ' {
            i += 1;
        }
        if start == i {
            return None;
        }
        *id = crate::users::parse_id(&line[start..i])?;
    }
    Some((ids[0], ids[1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gunicorn_under_python_matches() {
        let c = b"/opt/wegweiser/venv/bin/python3.12\0/opt/wegweiser/venv/bin/gunicorn\0-w\x004\0";
        assert!(proc_name_matches(c, b"gunicorn"));
        assert!(proc_name_matches(
            b"/usr/bin/python3\0-u\0/x/gunicorn\0",
            b"gunicorn"
        ));
        assert!(proc_name_matches(b"gunicorn: worker [app]\0", b"gunicorn"));
        assert!(proc_name_matches(
            b"/usr/bin/gunicorn\0app:app\0",
            b"gunicorn"
        ));
        // An editor opening a file called gunicorn is not gunicorn.
        assert!(!proc_name_matches(b"vi\0gunicorn\0", b"gunicorn"));
        assert!(!proc_name_matches(b"", b"gunicorn"));
        assert!(!proc_name_matches(b"python3\0-u\0", b"gunicorn"));
        assert!(proc_name_matches(b"sh\0-c\0/x/gunicorn", b"gunicorn"));
    }

    #[test]
    fn uids_come_from_the_status_line() {
        let s = b"Name:\tx\nUmask:\t0022\nUid:\t0\t1101\t0\t0\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_uids(s), Some((0, 1101)));
        assert_eq!(parse_uids(b"Name:\tx\n"), None);
        assert_eq!(parse_uids(b"Uid:  4294967295 7"), Some((u32::MAX, 7)));
        assert_eq!(parse_uids(b"Uid:\t4294967296\t7\n"), None);
        assert_eq!(parse_uids(b"Uid:\t+1\t7\n"), None);
        assert_eq!(parse_uids(b"Uid:\t1\n"), None);
        assert_eq!(crate::users::parse_id(b"00000000001"), None);
    }

    /// One process: (pid, stat, cmdline, status).
    type FakeProc = (u32, &'static [u8], &'static [u8], &'static [u8]);

    /// A `/proc` held in memory.
    struct Fake(Vec<FakeProc>);

    impl ProcSource for Fake {
        fn pids(&mut self, each: &mut dyn FnMut(u32)) -> Result<(), &'static str> {
            self.0.iter().for_each(|p| each(p.0));
            Ok(())
        }
        fn read(&mut self, pid: u32, file: &str, buf: &mut [u8]) -> Option<usize> {
            let p = self.0.iter().find(|p| p.0 == pid)?;
            let b = match file {
                "stat" => p.1,
                "cmdline" => p.2,
                _ => p.3,
            };
            let n = b.len().min(buf.len());
            buf[..n].copy_from_slice(&b[..n]);
            Some(n)
        }
    }

    #[test]
    fn offenders_are_found_in_any_source() {
        let rule = ProcessRule {
            name: "gunicorn".try_into().unwrap(),
            user: "app".try_into().unwrap(),
            uid: 1101,
        };
        let mut src = Fake(vec![
            (7, b"7 (gunicorn) S 1", b"", b"Uid:\t0\t0\t0\t0\n"),
            (
                8,
                b"8 (python3) S 1",
                b"python3\0/v/gunicorn\0",
                b"Uid:\t1101\t0\n",
            ),
            (9, b"9 (gunicorn) S 1", b"", b"Uid:\t1101\t1101\n"),
            (10, b"10 (a) (b)) S", b"", b"Uid:\t0\t0\n"),
            (11, b"no parens", b"gunicorn\0", b"Uid:\t0\t0\n"),
        ]);
        let mut got = Vec::new();
        scan_processes(&mut src, &[rule], &mut |o| {
            got.push((o.pid, o.real_uid, o.effective_uid))
        })
        .unwrap();
        assert_eq!(got, [(7, 0, 0), (8, 1101, 0)]);
        assert_eq!(stat_comm(b"10 (a) (b)) S"), Some(&b"a) (b)"[..]));
    }

    #[test]
    fn long_names_match_a_truncated_comm() {
        assert!(comm_matches(b"gunicorn", b"gunicorn"));
        assert!(comm_matches(b"very-long-daemo", b"very-long-daemon-name"));
        assert!(!comm_matches(b"gunicor", b"gunicorn"));
    }
}
