//! What the monitor tests (`tests/monitor_*.rs`) share: a running watcher
//! they can read and measure, commands run as the vhost users, vhost trees
//! in the NetServa model, and host-global settings changed only inside a
//! guard that restores them.
//!
//! Under qemu (`CHPERMS_RUNNER` set by cross/test.sh) everything the watcher
//! does is ~10× slower: [`slow`] scales the timeouts (never the sizes or
//! the assertions); `CHPERMS_TEST_SLOWDOWN=N` overrides the factor.
#![allow(dead_code)]

use crate::common::{self, TempDir};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How much slower than the host the watcher runs here.
pub fn slow() -> f64 {
    if let Some(n) = std::env::var("CHPERMS_TEST_SLOWDOWN")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
    {
        return n.max(1.0);
    }
    match std::env::var_os("CHPERMS_RUNNER") {
        Some(r) if !r.is_empty() => 10.0,
        _ => 1.0,
    }
}

/// `secs` scaled by [`slow`].
pub fn secs(secs: f64) -> f64 {
    secs * slow()
}

/// Polls `cond` every 10 ms for up to `secs` (not scaled); how long it took.
pub fn wait_for(secs: f64, mut cond: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    loop {
        if cond() {
            return Some(start.elapsed());
        }
        if start.elapsed() > Duration::from_secs_f64(secs) {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A running `chperms watch`, killed on drop. Its stdout and stderr go to
/// files the test reads while it runs.
pub struct Watcher {
    pub child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Watcher {
    /// Starts `chperms watch ARGS` and waits for its start-up line.
    pub fn start(t: &TempDir, args: &[&str]) -> Watcher {
        let w = Watcher::spawn(t, &[], args, |_| {});
        w.ready();
        w
    }

    /// Spawns `WRAP... chperms watch ARGS` (e.g. inside `unshare`), letting
    /// `setup` adjust the command; does not wait.
    pub fn spawn(
        t: &TempDir,
        wrap: &[&str],
        args: &[&str],
        setup: impl FnOnce(&mut Command),
    ) -> Watcher {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let out = t.join(&format!("watch{n}.out"));
        let err = t.join(&format!("watch{n}.err"));
        let inner = common::chperms();
        let mut cmd = match wrap.split_first() {
            Some((first, rest)) => {
                let mut c = Command::new(first);
                c.args(rest).arg(inner.get_program()).args(inner.get_args());
                c
            }
            None => inner,
        };
        cmd.arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"));
        setup(&mut cmd);
        let child = cmd.spawn().expect("spawn watch");
        Watcher { child, out, err }
    }

    /// Waits for the start-up status line ("N trees, N directories
    /// watched").
    pub fn ready(&self) {
        let ok = wait_for(secs(15.0), || self.stderr().contains("directories watched"));
        assert!(ok.is_some(), "monitor did not start: {}", self.stderr());
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    pub fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// CPU time used so far (user + system), in seconds.
    pub fn cpu(&self) -> f64 {
        cpu_of(self.pid())
    }

    /// `Anonymous:` of /proc/PID/smaps_rollup in KiB.
    pub fn anon_kib(&self) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/smaps_rollup", self.pid()))
            .unwrap_or_default();
        s.lines()
            .find(|l| l.starts_with("Anonymous:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }

    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits until the watcher's CPU time stops growing (it finished what
    /// it was doing): two readings `quiet` apart that agree; gives up after
    /// `max` seconds.
    pub fn settle(&self, quiet: f64, max: f64) {
        let mut last = self.cpu();
        let _ = wait_for(max, || {
            std::thread::sleep(Duration::from_secs_f64(quiet));
            let now = self.cpu();
            let same = now == last;
            last = now;
            same
        });
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU seconds (utime + stime) of process `pid` from /proc/PID/stat.
pub fn cpu_of(pid: i32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
        + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    // SAFETY: sysconf with a valid name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    ticks as f64 / hz
}

/// CPU seconds used by `cmd` run to completion (its children's rusage).
pub fn cpu_of_run(cmd: &mut Command) -> (f64, std::process::Output) {
    let before = children_cpu();
    let o = cmd.output().expect("run");
    (children_cpu() - before, o)
}

fn children_cpu() -> f64 {
    // SAFETY: getrusage fills the struct we pass.
    let r = unsafe {
        let mut r: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut r);
        r
    };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(r.ru_utime) + tv(r.ru_stime)
}

/// A command run as `user` (uid, primary group and supplementary groups of
/// that user), through setpriv as the tests of tests/attacks.rs do.
pub fn as_user(user: &str, program: &str) -> Command {
    let mut c = Command::new("setpriv");
    c.args([
        "--reuid",
        user,
        "--regid",
        user,
        "--init-groups",
        "--",
        program,
    ]);
    c
}

/// The system's Python (`/usr/bin/python3`): one in root's home (pyenv)
/// is out of a vhost user's reach.
pub fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Runs a Python snippet as `user`; panics with its stderr when it fails.
pub fn python_as(user: &str, code: &str, args: &[&str]) {
    let o = as_user(user, python())
        .arg("-c")
        .arg(code)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        o.status.success(),
        "python as {user} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A vhost `root/name` owned by `user`, brought into the built-in model by
/// `chperms apply` (so it is compliant before the watcher starts), with
/// `web/app/public` holding `files` files.
pub fn vhost(root: &Path, name: &str, user: &str, files: usize) -> PathBuf {
    let v = root.join(name);
    std::fs::create_dir_all(v.join("web/app/public")).expect("mkdir vhost");
    for i in 0..files {
        std::fs::write(v.join(format!("web/app/public/f{i:04}.php")), b"").expect("file");
    }
    let o = common::run([
        "apply",
        name,
        "--root",
        &root.to_string_lossy(),
        "--user",
        user,
        "--quiet",
    ]);
    assert_eq!(common::code(&o), 0, "apply: {}", common::stderr(&o));
    v
}

/// (uid, mode) of `p` without following a symlink; `None` when gone.
pub fn owner_mode(p: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(p)
        .ok()
        .map(|m| (m.uid(), m.mode() & 0o7777))
}

pub fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A host-global sysctl (a `/proc/sys` file) set for the guard's lifetime
/// and restored when it is dropped (also when the test panics). A detached
/// watchdog restores it too should this process be killed before the
/// guard drops; it only writes if the value is still ours, so that it never
/// undoes a change someone else made meanwhile.
pub struct Sysctl {
    path: &'static str,
    old: String,
    ours: String,
    watchdog: Option<Child>,
}

impl Sysctl {
    pub fn set(path: &'static str, value: u64, watchdog_secs: u64) -> Sysctl {
        let old = std::fs::read_to_string(path)
            .expect("read sysctl")
            .trim()
            .to_string();
        let ours = value.to_string();
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "sleep {watchdog_secs}; [ \"$(cat {path})\" = {ours} ] && echo {old} > {path}"
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        std::fs::write(path, &ours).expect("write sysctl");
        eprintln!("{path}: {old} -> {ours} (restored when the guard drops)");
        Sysctl {
            path,
            old,
            ours,
            watchdog,
        }
    }

    /// Restores the old value now (idempotent).
    pub fn restore(&mut self) {
        if self.ours.is_empty() {
            return;
        }
        let now = std::fs::read_to_string(self.path).unwrap_or_default();
        if now.trim() == self.ours {
            let _ = std::fs::write(self.path, &self.old);
        }
        eprintln!("{}: restored to {}", self.path, self.old);
        self.ours.clear();
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

impl Drop for Sysctl {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Starts `chperms watch ARGS` as root in a new user namespace that maps
/// every uid and gid to itself (so chown works as outside) and whose
/// inotify watch limit (per user namespace since Linux 4.9) is `watches`:
/// the kernel's own limit, lowered for this watcher only.
pub fn watcher_with_watch_limit(t: &TempDir, watches: u32, args: &[&str]) -> Watcher {
    // `sh` started before its ids were mapped, so it has no capabilities:
    // the limit is written by a shell started after.
    let script = format!(
        "read go && sh -c 'echo {watches} > /proc/sys/user/max_inotify_watches' && exec \"$@\""
    );
    let wrap = ["unshare", "--user", "--", "sh", "-c", &script, "sh"];
    let mut w = Watcher::spawn(t, &wrap, args, |c| {
        c.stdin(Stdio::piped());
    });
    let pid = w.pid();
    // Real root may map the whole id range of a child user namespace.
    for map in ["uid_map", "gid_map"] {
        let path = format!("/proc/{pid}/{map}");
        let ok = wait_for(5.0, || std::fs::write(&path, "0 0 4294967295").is_ok());
        assert!(ok.is_some(), "cannot write {path}");
    }
    if let Some(mut stdin) = w.child.stdin.take() {
        stdin.write_all(b"go\n").expect("release the watcher");
    }
    w.ready();
    w
}
