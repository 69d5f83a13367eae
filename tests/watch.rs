//! `chperms watch` against real trees, real signals, real alert commands
//! (SPEC §7, issue 5). The tree is the incident's: thirteen directories of
//! `/opt/wegweiser`, here under a temporary base, `chpv1:www-data 0775`.

mod common;

use common::{gid_of, set, ugm, uid_of, TempDir};
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const DIRS: [&str; 13] = common::INCIDENT_DIRS;

/// Writes the incident's policy for `base` into `file`: the thirteen
/// directories (created when missing) and anything below `payloads`.
fn write_policy(file: &Path, base: &Path) {
    let mut rules = String::new();
    for d in DIRS {
        rules.push_str(&format!(
            r#"{{"path":"{d}","type":"dir","owner":"chpv1","group":"www-data","mode":"0775","create":true}},"#
        ));
    }
    rules.push_str(
        r#"{"path":"payloads/**","type":"dir","owner":"chpv1","group":"www-data","mode":"0775"}"#,
    );
    let json = format!(
        r#"{{"base":"{}","rules":[{rules}],"processes":[{{"name":"gunicorn","user":"chpv1"}}]}}"#,
        base.display()
    );
    std::fs::write(file, json).expect("write policy");
}

fn want() -> (u32, u32, u32) {
    (uid_of("chpv1"), gid_of("www-data"), 0o775)
}

/// The incident's tree, already in policy.
fn good_tree(t: &TempDir) -> PathBuf {
    let base = t.join("app");
    std::fs::create_dir(&base).expect("mkdir base");
    let (u, g, m) = want();
    for d in DIRS {
        let p = base.join(d);
        std::fs::create_dir(&p).expect("mkdir");
        set(&p, u, g, m);
    }
    base
}

/// A running monitor; killed on drop. Its stdout/stderr go to files so that
/// the test can read them while it runs.
struct Monitor {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Monitor {
    fn start(t: &TempDir, args: &[&str]) -> Monitor {
        Monitor::start_env(t, args, &[])
    }

    fn start_env(t: &TempDir, args: &[&str], env: &[(&str, &str)]) -> Monitor {
        Monitor::start_wrapped(t, &[], args, env)
    }

    /// Starts `WRAP... chperms watch ARGS...` (e.g. inside `unshare`).
    fn start_wrapped(t: &TempDir, wrap: &[&str], args: &[&str], env: &[(&str, &str)]) -> Monitor {
        let out = t.join("watch.out");
        let err = t.join("watch.err");
        let mut cmd = common::chperms();
        if let Some((first, rest)) = wrap.split_first() {
            let inner = cmd;
            cmd = std::process::Command::new(first);
            cmd.args(rest)
                .arg(inner.get_program())
                .args(inner.get_args());
        }
        cmd.arg("watch")
            .args(args)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("out"))
            .stderr(std::fs::File::create(&err).expect("err"));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().expect("spawn watch");
        let m = Monitor { child, out, err };
        if args.contains(&"--quiet") {
            std::thread::sleep(Duration::from_millis(500));
        } else {
            let ready = wait_for(10.0, || m.stderr().contains("directories watched"));
            assert!(ready.is_some(), "monitor did not start: {}", m.stderr());
        }
        m
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(self.pid(), sig);
        }
    }

    fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// (utime + stime in ticks, VmRSS kB, VmHWM kB, open fds).
    fn usage(&self) -> (u64, u64, u64, usize) {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
        let after = stat.rsplit(')').next().unwrap_or("");
        let f: Vec<&str> = after.split_whitespace().collect();
        let ticks = f.get(11).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0)
            + f.get(12).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let kb = |k: &str| {
            status
                .lines()
                .find(|l| l.starts_with(k))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(0)
        };
        let fds = std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0);
        (ticks, kb("VmRSS:"), kb("VmHWM:"), fds)
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `cond` every 10 ms for up to `secs`; the time it took.
fn wait_for(secs: f64, mut cond: impl FnMut() -> bool) -> Option<Duration> {
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

fn in_policy(p: &Path) -> bool {
    std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir()) && ugm(p) == want()
}

/// Waits for `p` to be back in policy; asserts it takes under 5 s.
fn assert_repaired(p: &Path, what: &str) -> Duration {
    let took = wait_for(5.0, || in_policy(p));
    let took = took.unwrap_or_else(|| panic!("{what}: {} not repaired within 5 s", p.display()));
    eprintln!("{what}: repaired in {} ms", took.as_millis());
    took
}

fn chown(p: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).expect("chown");
}

fn chmod(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn fix_repairs_each_kind_of_break_within_seconds() {
    let t = TempDir::new("watch-fix");
    let base = t.join("app");
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    std::fs::create_dir(&base).expect("mkdir base");
    let pol = policy.to_string_lossy().into_owned();
    let _m = Monitor::start(&t, &["--policy", &pol, "--fix", "--interval", "600"]);
    // The start-up sweep creates the whole layout.
    for d in DIRS {
        assert!(in_policy(&base.join(d)), "{d} not created at start");
    }
    let queue = base.join("payloads/queue");
    chown(&queue, 0, 0); // the incident: a root gunicorn's makedirs
    assert_repaired(&queue, "chown root:root");
    let dev = base.join("deviceFiles");
    chmod(&dev, 0o700);
    assert_repaired(&dev, "chmod 0700");
    let tmp = base.join("tmp");
    std::fs::remove_dir(&tmp).expect("rmdir");
    assert_repaired(&tmp, "deleted required dir");
    // A new directory appears (as root, wrong), is repaired, and is then
    // itself watched: a directory created inside it is repaired too.
    let newq = base.join("payloads/newq");
    std::fs::create_dir(&newq).expect("mkdir newq");
    chmod(&newq, 0o700);
    assert_repaired(&newq, "new subdir");
    let inner = newq.join("inner");
    std::fs::create_dir(&inner).expect("mkdir inner");
    chmod(&inner, 0o700);
    assert_repaired(&inner, "dir inside the new subdir");
    chown(&newq, 0, 0);
    assert_repaired(&newq, "new subdir broken again");
}

#[test]
fn without_fix_each_drift_alerts_once_and_again_after_it_returns() {
    let t = TempDir::new("watch-alert");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let alerts = t.join("alerts.txt");
    let script = t.join("notify.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nline=$(cat)\nprintf '%s|PATH=%s|KIND=%s|EXPECTED=%s|ACTUAL=%s|ACTION=%s\\n' \"$line\" \"$CHPERMS_PATH\" \"$CHPERMS_KIND\" \"$CHPERMS_EXPECTED\" \"$CHPERMS_ACTUAL\" \"$CHPERMS_ACTION\" >> {}\n",
            alerts.display()
        ),
    )
    .expect("script");
    chmod(&script, 0o755);
    let log = t.join("chperms.log");
    let (pol, sc, lg) = (
        policy.to_string_lossy().into_owned(),
        script.to_string_lossy().into_owned(),
        log.to_string_lossy().into_owned(),
    );
    let m = Monitor::start(
        &t,
        &[
            "--policy",
            &pol,
            "--interval",
            "600",
            "--alert-cmd",
            &sc,
            "--log",
            &lg,
        ],
    );
    // Process findings are left out: the policy's process rule sees every
    // process on the machine, including a root `gunicorn` that another test
    // run (tests/procs.rs) may have started meanwhile.
    let count = || {
        std::fs::read_to_string(&alerts)
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.contains("\"kind\":\"process\""))
            .count()
    };
    assert_eq!(count(), 0, "a tree in policy raised alerts");
    let queue = base.join("payloads/queue");
    chmod(&queue, 0o700);
    let took = wait_for(5.0, || count() == 1).expect("no alert within 5 s");
    eprintln!("alert after {} ms", took.as_millis());
    // More events on the same, persisting drift: no new alert.
    for _ in 0..5 {
        chmod(&queue, 0o700);
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1200));
    let text = std::fs::read_to_string(&alerts).unwrap_or_default();
    assert_eq!(count(), 1, "persisting drift alerted again:\n{text}");
    let q = queue.to_string_lossy();
    assert!(text.contains(&format!("{{\"path\":\"{q}\"")), "{text}");
    assert!(text.contains("\"kind\":\"mode\""), "{text}");
    assert!(
        text.contains(&format!(
            "|PATH={q}|KIND=mode|EXPECTED=0775|ACTUAL=0700|ACTION="
        )),
        "{text}"
    );
    // The log has the line, with a timestamp.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    let line = logged.lines().find(|l| l.contains(&*q)).expect("log line");
    assert!(
        line.starts_with("20") && line.as_bytes().get(19) == Some(&b'Z'),
        "{line}"
    );
    // Resolved, then back: alerted again.
    chmod(&queue, 0o775);
    // Room for the debounced sweep that sees it resolved, even under load.
    std::thread::sleep(Duration::from_millis(1500));
    chmod(&queue, 0o700);
    wait_for(5.0, || count() == 2).expect("a drift that came back was not alerted");
    // logrotate: move the log away, SIGHUP, the next finding goes to a new file.
    std::fs::rename(&log, t.join("chperms.log.1")).expect("rotate");
    m.signal(libc::SIGHUP);
    wait_for(5.0, || m.stderr().contains("policy re-read")).expect("SIGHUP not handled");
    chown(&base.join("wlog"), 0, 0);
    wait_for(5.0, || {
        std::fs::read_to_string(&log).is_ok_and(|s| s.contains("/wlog: "))
    })
    .expect("log not reopened on SIGHUP");
    assert!(m.stdout().contains("/wlog: "), "{}", m.stdout());
}

#[test]
fn sighup_with_a_broken_policy_keeps_the_old_one() {
    let t = TempDir::new("watch-hup");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let pol = policy.to_string_lossy().into_owned();
    let mut m = Monitor::start(&t, &["--policy", &pol, "--fix", "--interval", "600"]);
    std::fs::write(&policy, "{\"base\": \"/x\", \"rules\": [{\"pa").expect("break policy");
    m.signal(libc::SIGHUP);
    wait_for(3.0, || m.stderr().contains("keeping the policy in force"))
        .unwrap_or_else(|| panic!("no error reported: {}", m.stderr()));
    assert!(m.alive(), "monitor died on a bad policy");
    let logs = base.join("logs");
    chown(&logs, 0, 0);
    assert_repaired(&logs, "after a bad SIGHUP");
}

#[test]
fn sigterm_and_sigint_stop_it_within_a_second_with_status_0() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        let t = TempDir::new("watch-term");
        let base = good_tree(&t);
        let policy = t.join("app.json");
        write_policy(&policy, &base);
        let pol = policy.to_string_lossy().into_owned();
        let mut m = Monitor::start(&t, &["--policy", &pol, "--interval", "600"]);
        let start = Instant::now();
        m.signal(sig);
        let st = loop {
            if let Ok(Some(st)) = m.child.try_wait() {
                break st;
            }
            assert!(
                start.elapsed() < Duration::from_secs(1),
                "still running 1 s after {sig}"
            );
            std::thread::sleep(Duration::from_millis(5));
        };
        eprintln!("signal {sig}: exited in {} ms", start.elapsed().as_millis());
        assert_eq!(st.code(), Some(0));
    }
}

#[test]
fn idle_cpu_is_near_zero_and_memory_and_fds_stay_flat() {
    let t = TempDir::new("watch-flat");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let pol = policy.to_string_lossy().into_owned();
    let m = Monitor::start(
        &t,
        &["--policy", &pol, "--fix", "--interval", "600", "--quiet"],
    );
    let (t0, ..) = m.usage();
    std::thread::sleep(Duration::from_secs(3));
    let (t1, ..) = m.usage();
    eprintln!("idle 3 s: {} ticks of CPU", t1 - t0);
    assert!(t1 - t0 <= 2, "busy while idle: {} ticks in 3 s", t1 - t0);
    let round = |n: u32| {
        for i in 0..n {
            for d in DIRS {
                chmod(&base.join(d), if i % 2 == 0 { 0o700 } else { 0o750 });
            }
            for d in DIRS {
                assert_repaired_quiet(&base.join(d));
            }
        }
    };
    round(3);
    let (_, rss0, hwm0, fds0) = m.usage();
    round(20); // 260 more drift events, each repaired
    let (_, rss1, hwm1, fds1) = m.usage();
    eprintln!("after 39 events: VmRSS {rss0} kB, VmHWM {hwm0} kB, {fds0} fds; after 299: VmRSS {rss1} kB, VmHWM {hwm1} kB, {fds1} fds");
    assert!(hwm1 <= hwm0 + 128, "peak RSS grew from {hwm0} to {hwm1} kB");
    assert!(rss1 <= rss0 + 128, "RSS grew from {rss0} to {rss1} kB");
    assert_eq!(fds0, fds1, "fds grew");
}

fn assert_repaired_quiet(p: &Path) {
    assert!(
        wait_for(5.0, || in_policy(p)).is_some(),
        "{} not repaired",
        p.display()
    );
}

/// `recv`, retried when a signal to the test process interrupts it.
fn recv(s: &UnixDatagram, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        match s.recv(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

#[test]
fn syslog_gets_rfc3164_datagrams() {
    let t = TempDir::new("watch-syslog");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let sock = t.join("log.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let pol = policy.to_string_lossy().into_owned();
    let s = sock.to_string_lossy().into_owned();
    let _m = Monitor::start_env(
        &t,
        &["--policy", &pol, "--fix", "--interval", "600", "--syslog"],
        &[("CHPERMS_SYSLOG_SOCKET", &s)],
    );
    chown(&base.join("snippets"), 0, 0);
    let mut buf = [0u8; 2048];
    // Skip process findings (see without_fix_each_drift_alerts_once...)
    // and the watcher's status lines.
    let msg = loop {
        let n = recv(&server, &mut buf).expect("a syslog datagram within 5 s");
        let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
        if msg.contains("/snippets") {
            break msg;
        }
    };
    // daemon.notice for a repair; timestamp; ident with pid.
    assert!(msg.starts_with("<29>"), "{msg}");
    assert!(msg.contains(" chperms["), "{msg}");
    assert!(msg.contains("/snippets: owner "), "{msg}");
}

/// Children of `pid` whose command line is exactly `argv`.
fn children_running(pid: Option<i32>, argv: &[&str]) -> usize {
    let want: String = argv.iter().map(|a| format!("{a}\0")).collect();
    std::fs::read_dir("/proc")
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    let p = e.path();
                    let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
                    let ppid = stat
                        .rsplit(')')
                        .next()
                        .and_then(|s| s.split_whitespace().nth(1))
                        .and_then(|s| s.parse::<i32>().ok());
                    (pid.is_none() || ppid == pid)
                        && std::fs::read(p.join("cmdline")).is_ok_and(|c| c == want.as_bytes())
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn a_hanging_alert_command_never_blocks_the_monitor() {
    let t = TempDir::new("watch-hang");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let pol = policy.to_string_lossy().into_owned();
    let mut m = Monitor::start(
        &t,
        &[
            "--policy",
            &pol,
            "--fix",
            "--interval",
            "600",
            "--alert-cmd",
            "sleep 37",
        ],
    );
    // Thirteen repairs, thirteen alerts that never finish: at most a few
    // run at once, the rest wait, the repairs are not held up.
    for d in DIRS {
        chmod(&base.join(d), 0o700);
    }
    for d in DIRS {
        assert_repaired_quiet(&base.join(d));
    }
    let running = children_running(Some(m.pid()), &["sleep", "37"]);
    assert!(
        (1..=4).contains(&running),
        "{running} alert commands at once"
    );
    chown(&base.join("data"), 0, 0);
    assert_repaired(&base.join("data"), "with every alert slot hung");
    let start = Instant::now();
    m.signal(libc::SIGTERM);
    while matches!(m.child.try_wait(), Ok(None)) {
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "SIGTERM not honoured"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(
        m.child.try_wait().ok().flatten().and_then(|s| s.code()),
        Some(0)
    );
    assert_eq!(
        children_running(None, &["sleep", "37"]),
        0,
        "alert commands left running"
    );
}

#[test]
fn check_and_apply_take_syslog_too() {
    let t = TempDir::new("check-syslog");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    chmod(&base.join("backups"), 0o777);
    let sock = t.join("log.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    server
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let o = common::chperms()
        .args(["check", "--syslog", "--policy"])
        .arg(&policy)
        .env("CHPERMS_SYSLOG_SOCKET", &sock)
        .output()
        .expect("check");
    assert_eq!(common::code(&o), 2);
    let mut buf = [0u8; 2048];
    let n = recv(&server, &mut buf).expect("datagram");
    let msg = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(msg.starts_with("<28>"), "{msg}"); // daemon.warning: drift left as is
    assert!(
        msg.contains("/backups: mode 0775 (was 0777) [would-fix]"),
        "{msg}"
    );
}

/// Runs the monitor in a new user namespace whose inotify limit (per user
/// namespace since Linux 4.9) is `limit` of `what` (`watches`/`instances`).
fn limited(what: &str, limit: u32) -> Vec<String> {
    vec![
        "unshare".into(),
        "--user".into(),
        "--map-root-user".into(),
        "sh".into(),
        "-c".into(),
        format!("echo {limit} > /proc/sys/user/max_inotify_{what} && exec \"$@\""),
        "sh".into(),
    ]
}

#[test]
fn at_the_watch_limit_or_without_inotify_it_says_so_once_and_sweeps() {
    for (what, limit, says) in [
        ("watches", 1, "inotify watch limit reached"),
        ("instances", 0, "inotify unavailable"),
    ] {
        let t = TempDir::new("watch-limit");
        let base = good_tree(&t);
        // Root-owned, mode-only policy: in the namespace only root is mapped.
        for d in DIRS {
            chown(&base.join(d), 0, 0);
        }
        let policy = t.join("app.json");
        std::fs::write(
            &policy,
            format!(
                r#"{{"base":"{}","rules":[{{"path":"**","type":"dir","mode":"0775"}}]}}"#,
                base.display()
            ),
        )
        .expect("policy");
        let pol = policy.to_string_lossy().into_owned();
        let wrap = limited(what, limit);
        let wrap: Vec<&str> = wrap.iter().map(String::as_str).collect();
        let m = Monitor::start_wrapped(
            &t,
            &wrap,
            &["--policy", &pol, "--fix", "--interval", "1"],
            &[],
        );
        let (c0, ..) = m.usage();
        let deep = base.join("payloads/queue"); // its parent is not watched
        chmod(&deep, 0o700);
        let took = wait_for(3.0, || ugm(&deep).2 == 0o775).unwrap_or_else(|| {
            panic!("{what}={limit}: not repaired by the sweeps: {}", m.stderr())
        });
        eprintln!(
            "{what}={limit}: repaired by a sweep in {} ms",
            took.as_millis()
        );
        std::thread::sleep(Duration::from_millis(2100)); // two more sweeps
        let (c1, ..) = m.usage();
        let err = m.stderr();
        assert_eq!(err.matches(says).count(), 1, "{err}");
        assert!(
            c1 - c0 <= 10,
            "{what}={limit}: {} ticks of CPU in ~3 s",
            c1 - c0
        );
    }
}

#[test]
fn with_all_a_new_vhost_is_picked_up_at_the_next_sweep() {
    let t = TempDir::new("watch-all");
    let root = t.join("srv");
    std::fs::create_dir(&root).expect("root");
    let (u, g) = (uid_of("chpv1"), gid_of("www-data"));
    let a = root.join("a.test");
    std::fs::create_dir(&a).expect("a");
    set(&a, u, g, 0o2750);
    let r = root.to_string_lossy().into_owned();
    let _m = Monitor::start(&t, &["--all", "--root", &r, "--fix", "--interval", "1"]);
    assert!(
        a.join("web/log").is_dir(),
        "a.test not brought into the model"
    );
    let b = root.join("b.test");
    std::fs::create_dir(&b).expect("b");
    set(&b, u, g, 0o755);
    let took = wait_for(4.0, || b.join("web/log").is_dir() && ugm(&b).2 == 0o2750)
        .expect("new vhost not picked up");
    eprintln!("new vhost picked up in {} ms", took.as_millis());
    // And it is watched from then on.
    std::thread::sleep(Duration::from_millis(300));
    chmod(&b.join("web"), 0o700);
    assert!(wait_for(4.0, || ugm(&b.join("web")).2 == 0o755).is_some());
}

/// Every datagram that reaches `server` within `secs` (until quiet).
fn drain(server: &UnixDatagram, secs: u64) -> Vec<String> {
    server
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let end = std::time::Instant::now() + Duration::from_secs(secs);
    let mut got = Vec::new();
    let mut buf = [0u8; 2048];
    while std::time::Instant::now() < end {
        if let Ok(n) = recv(server, &mut buf) {
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    got
}

#[test]
fn syslog_gets_status_lines_and_findings_once_each_at_their_level() {
    let t = TempDir::new("watch-levels");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    let sock = t.join("log.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    let pol = policy.to_string_lossy().into_owned();
    let s = sock.to_string_lossy().into_owned();
    let m = Monitor::start_env(
        &t,
        &["--policy", &pol, "--fix", "--interval", "600", "--syslog"],
        &[("CHPERMS_SYSLOG_SOCKET", &s)],
    );
    chmod(&base.join("backups"), 0o777);
    assert_repaired(&base.join("backups"), "backups");
    m.signal(libc::SIGHUP);
    assert!(wait_for(5.0, || m.stderr().contains("policy re-read")).is_some());
    m.signal(libc::SIGTERM);
    let got: Vec<String> = drain(&server, 2)
        .into_iter()
        .filter(|l| !l.contains(": process "))
        .collect();
    let with = |needle: &str| {
        got.iter()
            .filter(|l| l.contains(needle))
            .collect::<Vec<_>>()
    };
    // daemon.notice (29) for start, reload, stop and the repair; each once.
    for needle in [
        "directories watched",
        "policy re-read",
        "stopping",
        "/backups: mode",
    ] {
        let lines = with(needle);
        assert_eq!(lines.len(), 1, "{needle}: {got:#?}");
        assert!(lines[0].starts_with("<29>"), "{needle}: {}", lines[0]);
    }
}

#[test]
fn check_config_says_ok_or_why_not_on_stderr_and_in_syslog() {
    let t = TempDir::new("check-config");
    let base = good_tree(&t);
    let policy = t.join("app.json");
    write_policy(&policy, &base);
    chmod(&base.join("backups"), 0o777);
    let before = common::snapshot(&base);
    let sock = t.join("log.sock");
    let server = UnixDatagram::bind(&sock).expect("bind");
    let ok = common::chperms()
        .args(["watch", "--check-config", "--fix", "--syslog", "--policy"])
        .arg(&policy)
        .env("CHPERMS_SYSLOG_SOCKET", &sock)
        .output()
        .expect("run");
    assert_eq!(common::code(&ok), 0, "{}", common::stderr(&ok));
    assert!(
        common::stdout(&ok).starts_with("chperms watch: configuration OK: 1 trees ("),
        "{}",
        common::stdout(&ok)
    );
    assert_eq!(common::snapshot(&base), before, "nothing may change");
    let missing = t.join("no-such-root");
    let bad = common::chperms()
        .args(["watch", "--check-config", "--all", "--syslog", "--root"])
        .arg(&missing)
        .env("CHPERMS_SYSLOG_SOCKET", &sock)
        .output()
        .expect("run");
    assert_eq!(common::code(&bad), 1);
    let err = common::stderr(&bad);
    assert!(
        err.contains("No such file or directory (the directory that holds the vhosts"),
        "{err}"
    );
    let got = drain(&server, 1);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].starts_with("<27>"), "daemon.err: {}", got[0]);
    assert!(got[0].contains("no-such-root: No such file"), "{}", got[0]);
    let cmd = common::chperms()
        .args([
            "watch",
            "--check-config",
            "--alert-cmd",
            "/nonexistent/alert x",
            "--policy",
        ])
        .arg(&policy)
        .output()
        .expect("run");
    assert_eq!(common::code(&cmd), 1);
    assert!(
        common::stderr(&cmd).contains("/nonexistent/alert: no such executable file"),
        "{}",
        common::stderr(&cmd)
    );
}
