//! Process rules (SPEC §4 `processes`, issue 5): a real process named
//! `gunicorn` run as root is reported by `check` (exit 2) and alerted by
//! `watch`; run as the app user it is clean. Never killed.
//!
//! One test function: the processes are system-wide, so the cases must not
//! run in parallel with each other.

mod common;

use common::{code, gid_of, set, stdout, uid_of, TempDir};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn policy(t: &TempDir) -> String {
    let base = t.join("app");
    std::fs::create_dir(&base).expect("base");
    set(&base, uid_of("chpv1"), gid_of("www-data"), 0o775);
    let file = t.join("app.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"base":"{}","rules":[{{"path":"","type":"dir","owner":"chpv1","group":"www-data","mode":"0775"}}],"processes":[{{"name":"gunicorn","user":"chpv1"}}]}}"#,
            base.display()
        ),
    )
    .expect("policy");
    file.to_string_lossy().into_owned()
}

/// `/bin/sleep` copied as `DIR/gunicorn`.
fn fake_gunicorn(t: &TempDir) -> String {
    let g = t.join("gunicorn");
    std::fs::copy("/bin/sleep", &g).expect("copy sleep");
    g.to_string_lossy().into_owned()
}

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(cmd: &mut Command) -> Proc {
    let p = Proc(cmd.stdout(Stdio::null()).spawn().expect("spawn"));
    // Wait until the final program runs (after setpriv's exec too).
    let cmdline = format!("/proc/{}/cmdline", p.0.id());
    let start = Instant::now();
    while !std::fs::read(&cmdline).is_ok_and(|c| {
        c.split(|&b| b == 0)
            .take(2)
            .any(|a| a.ends_with(b"/gunicorn"))
            && !c.starts_with(b"setpriv")
    }) {
        assert!(start.elapsed() < Duration::from_secs(5), "never exec'd");
        std::thread::sleep(Duration::from_millis(10));
    }
    p
}

fn check(pol: &str) -> std::process::Output {
    common::run(["check", "--policy", pol])
}

#[test]
fn gunicorn_as_root_is_drift_and_as_the_app_user_is_clean() {
    let t = TempDir::new("procs");
    let pol = policy(&t);
    let g = fake_gunicorn(&t);
    let o = check(&pol);
    assert_eq!(code(&o), 0, "clean before: {}", stdout(&o));

    // Root gunicorn (the incident): exit 2, named with its pid; still alive.
    let mut root = spawn(Command::new(&g).arg("30"));
    let pid = root.0.id();
    let o = check(&pol);
    let out = stdout(&o);
    assert_eq!(code(&o), 2, "{out}");
    assert!(
        out.contains(&format!(
            "process gunicorn (pid {pid}) runs as root, the policy wants chpv1"
        )),
        "{out}"
    );
    let j = common::run(["check", "--policy", &pol, "--format", "json"]);
    let js = stdout(&j);
    assert!(js.contains(&format!("\"path\":\"/proc/{pid}\",\"kind\":\"process\",\"expected\":\"chpv1\",\"actual\":\"root\",\"action\":\"reported\"")), "{js}");
    assert!(matches!(root.0.try_wait(), Ok(None)), "chperms killed it");
    // apply does not audit processes: its exit status stays 0/1.
    let o = common::run(["apply", "--policy", &pol]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));

    // watch alerts it once.
    let alerts = t.join("alerts");
    let script = t.join("notify.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat >> {}\n", alerts.display())).expect("script");
    set(&script, 0, 0, 0o755);
    let mut w = common::chperms()
        .args([
            "watch",
            "--policy",
            &pol,
            "--interval",
            "1",
            "--quiet",
            "--alert-cmd",
        ])
        .arg(&script)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("watch");
    let lines = |p: &Path| {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .count()
    };
    let start = Instant::now();
    while lines(&alerts) == 0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(2500)); // two more sweeps
    let _ = w.kill();
    let _ = w.wait();
    let a = std::fs::read_to_string(&alerts).unwrap_or_default();
    assert_eq!(lines(&alerts), 1, "{a}");
    assert!(a.contains("\"kind\":\"process\""), "{a}");
    drop(root);

    // An interpreter running gunicorn (python3 …/venv/bin/gunicorn).
    let venv = t.join("venv");
    std::fs::create_dir(&venv).expect("venv");
    let script = venv.join("gunicorn");
    std::fs::write(&script, "import time\ntime.sleep(30)\n").expect("py");
    if Command::new("python3")
        .arg("-c")
        .arg("1")
        .status()
        .is_ok_and(|s| s.success())
    {
        let py = spawn(Command::new("python3").arg(&script));
        let o = check(&pol);
        assert_eq!(code(&o), 2, "python3 …/gunicorn as root: {}", stdout(&o));
        assert!(stdout(&o).contains(&format!("(pid {})", py.0.id())));
    }

    // The app user's gunicorn is fine.
    let _user = spawn(Command::new("setpriv").args([
        "--reuid",
        "chpv1",
        "--regid",
        "chpv1",
        "--clear-groups",
        &g,
        "30",
    ]));
    let o = check(&pol);
    assert_eq!(code(&o), 0, "gunicorn as chpv1: {}", stdout(&o));
}
