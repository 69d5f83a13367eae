//! `/proc` parsing (`src/procs.rs`): `scan_processes` over a `/proc` held
//! in memory, against a reference model written here from the module's
//! documentation — a process matches a rule when its `comm` (between the
//! first `(` and the last `)` of `stat`) is the name or its first 15 bytes,
//! when `argv[0]`'s basename (or its first word) is the name, or when
//! `argv[0]` is an interpreter and its first argument not starting with `-`
//! has the name as basename; it offends when the real or effective uid of
//! its `Uid:` line is not the rule's.
//!
//! Input: a byte stream read field by field (missing bytes read as zero):
//! a rule count (0-3), each rule as name length, name and uid (4 bytes);
//! then processes, each as pid (2 bytes) and `stat`, `cmdline`, `status`,
//! each a 2-byte length and that many bytes.

#![no_main]

use chperms::policy::ProcessRule;
use chperms::procs::{self, ProcSource, PROC_READ};
use libfuzzer_sys::fuzz_target;

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    fn num(&mut self, bytes: usize) -> u32 {
        self.take(bytes)
            .iter()
            .fold(0, |v, &b| v << 8 | u32::from(b))
    }
    fn field(&mut self) -> &'a [u8] {
        let n = self.num(2) as usize;
        self.take(n)
    }
}

/// One process: pid and its `stat`, `cmdline`, `status`.
type Proc<'a> = (u32, &'a [u8], &'a [u8], &'a [u8]);

/// A `/proc` in memory; reads are cut to the caller's buffer like `read(2)`.
struct Fake<'a>(Vec<Proc<'a>>);

impl ProcSource for Fake<'_> {
    fn pids(&mut self, each: &mut dyn FnMut(u32)) -> Result<(), &'static str> {
        self.0.iter().for_each(|p| each(p.0));
        Ok(())
    }
    fn read(&mut self, pid: u32, file: &str, buf: &mut [u8]) -> Option<usize> {
        let p = self.0.iter().find(|p| p.0 == pid)?;
        let b = match file {
            "stat" => p.1,
            "cmdline" => p.2,
            "status" => p.3,
            _ => panic!("unexpected /proc file {file}"),
        };
        let n = b.len().min(buf.len());
        buf[..n].copy_from_slice(&b[..n]);
        Some(n)
    }
}

fn basename(a: &[u8]) -> &[u8] {
    a.rsplit(|&b| b == b'/').next().unwrap_or(a)
}

fn runs(comm: &[u8], cmdline: &[u8], name: &[u8]) -> bool {
    if comm == name || (comm.len() == 15 && name.len() > 15 && name.starts_with(comm)) {
        return true;
    }
    let argv: Vec<&[u8]> = cmdline.split(|&b| b == 0).collect();
    let prog = basename(argv[0]);
    let word = prog
        .split(|&b| b == b' ' || b == b':')
        .next()
        .unwrap_or(prog);
    if prog == name || word == name {
        return true;
    }
    const INTERPRETERS: [&[u8]; 8] = [
        b"python", b"perl", b"ruby", b"node", b"php", b"sh", b"bash", b"dash",
    ];
    if !INTERPRETERS.iter().any(|i| prog.starts_with(i)) {
        return false;
    }
    match argv[1..].iter().find(|a| !a.starts_with(b"-")) {
        Some(a) => basename(a) == name,
        None => false,
    }
}

fn uids(status: &[u8]) -> Option<(u32, u32)> {
    let line = status
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"Uid:"))?;
    let mut words = line[4..]
        .split(|&b| b == b'\t' || b == b' ')
        .filter(|w| !w.is_empty());
    let mut id = || -> Option<u32> {
        let w = words.next()?;
        if w.len() > 10 || !w.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(w)
            .ok()?
            .parse::<u64>()
            .ok()?
            .try_into()
            .ok()
    };
    Some((id()?, id()?))
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor(data);
    let mut rules = Vec::new();
    for _ in 0..c.num(1) % 4 {
        let n = c.num(1) as usize;
        let name = String::from_utf8_lossy(c.take(n)).into_owned();
        let uid = c.num(4);
        let Ok(name) = name.as_str().try_into() else {
            continue;
        };
        rules.push(ProcessRule {
            name,
            user: "u".try_into().unwrap(),
            uid,
        });
    }
    let mut fake = Fake(Vec::new());
    while !c.0.is_empty() && fake.0.len() < 32 {
        let pid = c.num(2);
        let (stat, cmdline, status) = (c.field(), c.field(), c.field());
        if fake.0.iter().all(|p| p.0 != pid) {
            fake.0.push((pid, stat, cmdline, status));
        }
    }

    let mut want = Vec::new();
    for &(pid, stat, cmdline, status) in &fake.0 {
        let stat = &stat[..stat.len().min(PROC_READ)];
        let (Some(open), Some(close)) = (
            stat.iter().position(|&b| b == b'('),
            stat.iter().rposition(|&b| b == b')'),
        ) else {
            continue;
        };
        if close <= open {
            continue;
        }
        let comm = &stat[open + 1..close];
        let comm = &comm[..comm.len().min(64)];
        let cmdline = &cmdline[..cmdline.len().min(PROC_READ)];
        for (i, r) in rules.iter().enumerate() {
            if !runs(comm, cmdline, r.name.as_bytes()) {
                continue;
            }
            let Some((real, eff)) = uids(&status[..status.len().min(PROC_READ)]) else {
                continue;
            };
            if real != r.uid || eff != r.uid {
                want.push((pid, i, real, eff));
            }
        }
    }
    let mut got = Vec::new();
    procs::scan_processes(&mut fake, &rules, &mut |o| {
        got.push((o.pid, o.rule, o.real_uid, o.effective_uid))
    })
    .expect("an in-memory /proc lists");
    assert_eq!(got, want);
});
