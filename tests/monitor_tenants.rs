//! One vhost user against another through the shared monitor (issue 12):
//! `chperms watch evil.test victim.test`, chpv2 the attacker, chpv1 the
//! victim, each attack done as that user.
//!
//! - Blinding: the attacker makes more directories than there are watches;
//!   the victim's drift is still repaired within seconds, because each tree
//!   keeps its share of the watches.
//! - Silencing: the attacker makes hundreds of findings in the same moment
//!   as the victim's one; the victim's alert still runs, because each tree
//!   keeps its share of the alert queue, and the attacker's dropped alerts
//!   are sent later (a finding counts as reported only once its alert ran).

mod common;
mod monitor;

use common::TempDir;
use monitor::{owner_mode, python_as, secs, vhost, wait_for, Watcher};
use std::path::Path;
use std::time::Duration;

fn chmod_as(user: &str, p: &Path, mode: u32) {
    python_as(
        user,
        "import os, sys; os.chmod(sys.argv[1], int(sys.argv[2], 8))",
        &[&p.to_string_lossy(), &format!("{mode:o}")],
    );
}

#[test]
fn one_tenant_cannot_blind_another_by_using_up_the_watches() {
    let t = TempDir::new("mon-blind");
    let root = t.join("srv");
    std::fs::create_dir(&root).expect("root");
    let evil = vhost(&root, "evil.test", "chpv2", 1);
    let victim = vhost(&root, "victim.test", "chpv1", 2);
    let r = root.to_string_lossy().into_owned();
    // The kernel gives this watcher 600 watches (its own user namespace's
    // limit); the attacker's tree alone will want 1,500.
    let w = monitor::watcher_with_watch_limit(
        &t,
        600,
        &[
            "evil.test",
            "victim.test",
            "--root",
            &r,
            "--fix",
            "--interval",
            "600",
        ],
    );
    python_as(
        "chpv2",
        r#"
import os, sys
top = os.path.join(sys.argv[1], "web/app/public/flood")
for i in range(1500):
    os.makedirs(os.path.join(top, "a%02d" % (i // 50), "b%02d" % (i % 50)))
"#,
        &[&evil.to_string_lossy()],
    );
    w.settle(0.5, secs(20.0));
    // The victim makes a new directory and a file in it, then (after the
    // watcher has placed its watch) breaks the file's mode.
    let newdir = victim.join("web/app/public/uploads");
    let secret = newdir.join("secret.txt");
    python_as(
        "chpv1",
        "import os, sys; os.mkdir(sys.argv[1]); open(sys.argv[2], 'w').close()",
        &[&newdir.to_string_lossy(), &secret.to_string_lossy()],
    );
    assert!(
        wait_for(secs(5.0), || owner_mode(&secret).map(|m| m.1)
            == Some(0o640))
        .is_some(),
        "{}",
        w.stderr()
    );
    w.settle(0.3, secs(5.0));
    chmod_as("chpv1", &secret, 0o644);
    let took = wait_for(secs(5.0), || {
        owner_mode(&secret).map(|m| m.1) == Some(0o640)
    });
    assert!(
        took.is_some(),
        "the victim's drift waited for the interval sweep: {}",
        w.stderr()
    );
    let old = victim.join("web/app/public/f0001.php");
    chmod_as("chpv1", &old, 0o666);
    assert!(wait_for(secs(5.0), || owner_mode(&old).map(|m| m.1) == Some(0o640)).is_some());
    eprintln!(
        "victim repaired in {} ms with the attacker's 1,500 directories in place",
        took.map_or(0, |d| d.as_millis())
    );
    // The attacker's chmod every 100 ms costs the watcher little.
    let target = evil.join("web/app/public/f0000.php");
    let cpu0 = w.cpu();
    for i in 0..30 {
        chmod_as("chpv2", &target, if i % 2 == 0 { 0o666 } else { 0o644 });
        std::thread::sleep(Duration::from_millis(100));
    }
    w.settle(0.3, secs(5.0));
    let cpu = w.cpu() - cpu0;
    eprintln!("30 attacker chmods cost the watcher {cpu:.3} CPU-s");
    assert!(cpu < 0.5 * monitor::slow(), "{cpu:.3} CPU-s for 30 events");
    // The limit is said once, for the attacker's tree only.
    let err = w.stderr();
    assert_eq!(
        err.matches("inotify watch limit reached").count(),
        1,
        "{err}"
    );
    let line = err
        .lines()
        .find(|l| l.contains("inotify watch limit reached"))
        .unwrap_or("");
    assert!(line.contains("evil.test"), "{line}");
}

/// An alert command that appends `ACTION ACTUAL PATH` to `log`, taking a
/// little time like a mailer would.
fn alert_script(t: &TempDir, log: &Path) -> String {
    let script = t.join("alert.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncat >/dev/null\nprintf '%s %s %s\\n' \"$CHPERMS_ACTION\" \"$CHPERMS_ACTUAL\" \"$CHPERMS_PATH\" >> {}\nsleep 0.05\n",
            log.display()
        ),
    )
    .expect("script");
    monitor::chmod(&script, 0o755);
    script.to_string_lossy().into_owned()
}

fn alerts(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The attack: 400 files 0666 from chpv2 and, in the same instant, the
/// victim's secret.txt made 0644.
fn flood_and_break(evil: &Path, secret: &Path) {
    python_as(
        "chpv2",
        r#"
import os, sys
pub = os.path.join(sys.argv[1], "web/app/public")
for i in range(400):
    p = os.path.join(pub, "x%03d.php" % i)
    os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(p, 0o666)
"#,
        &[&evil.to_string_lossy()],
    );
    chmod_as("chpv1", secret, 0o644);
}

#[test]
fn one_tenant_cannot_silence_another_by_flooding_the_alert_queue() {
    for fix in [false, true] {
        let t = TempDir::new("mon-silence");
        let root = t.join("srv");
        std::fs::create_dir(&root).expect("root");
        let evil = vhost(&root, "evil.test", "chpv2", 1);
        let victim = vhost(&root, "victim.test", "chpv1", 1);
        let secret = victim.join("web/app/public/secret.txt");
        std::fs::write(&secret, b"s").expect("secret");
        let o = common::run([
            "apply",
            "victim.test",
            "--quiet",
            "--root",
            &root.to_string_lossy(),
        ]);
        assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
        let log = t.join("alerts.log");
        let script = alert_script(&t, &log);
        let r = root.to_string_lossy().into_owned();
        let mut args = vec![
            "evil.test",
            "victim.test",
            "--root",
            &r,
            "--interval",
            "600",
            "--alert-cmd",
            &script,
        ];
        if fix {
            args.push("--fix");
        }
        let w = Watcher::start(&t, &args);
        flood_and_break(&evil, &secret);
        let victim_alerted = || {
            alerts(&log)
                .iter()
                .any(|l| l.ends_with("/victim.test/web/app/public/secret.txt"))
        };
        let took = wait_for(secs(10.0), victim_alerted);
        assert!(
            took.is_some(),
            "fix={fix}: the victim's alert never ran ({} alerts ran): {}",
            alerts(&log).len(),
            w.stderr()
        );
        eprintln!(
            "fix={fix}: victim alerted after {} ms; {} alerts so far",
            took.map_or(0, |d| d.as_millis()),
            alerts(&log).len()
        );
        // The drops are said with the tree they belong to (the attacker's).
        let dropped = wait_for(secs(5.0), || w.stderr().contains("alerts dropped"));
        assert!(dropped.is_some(), "fix={fix}: {}", w.stderr());
        for l in w.stderr().lines().filter(|l| l.contains("alerts dropped")) {
            assert!(l.contains("evil.test") && !l.contains("victim.test"), "{l}");
        }
    }
}

#[test]
fn a_dropped_alert_is_sent_later_and_each_finding_once() {
    let t = TempDir::new("mon-retry");
    let root = t.join("srv");
    std::fs::create_dir(&root).expect("root");
    let evil = vhost(&root, "evil.test", "chpv2", 1);
    let victim = vhost(&root, "victim.test", "chpv1", 1);
    let secret = victim.join("web/app/public/secret.txt");
    std::fs::write(&secret, b"s").expect("secret");
    let o = common::run([
        "apply",
        "victim.test",
        "--quiet",
        "--root",
        &root.to_string_lossy(),
    ]);
    assert_eq!(common::code(&o), 0, "{}", common::stderr(&o));
    let log = t.join("alerts.log");
    let script = alert_script(&t, &log);
    let r = root.to_string_lossy().into_owned();
    // Reporting only, a sweep every second: each of the attacker's 400
    // drifts must be alerted once in the end, none twice.
    let w = Watcher::start(
        &t,
        &[
            "evil.test",
            "victim.test",
            "--root",
            &r,
            "--interval",
            "1",
            "--alert-cmd",
            &script,
        ],
    );
    flood_and_break(&evil, &secret);
    let drifts_alerted = || {
        let mut p: Vec<String> = alerts(&log)
            .iter()
            .filter(|l| l.contains("/evil.test/web/app/public/x"))
            .filter_map(|l| l.rsplit(' ').next().map(str::to_string))
            .collect();
        p.sort();
        p.dedup();
        p.len()
    };
    let all = wait_for(secs(60.0), || drifts_alerted() >= 400);
    let got = alerts(&log);
    let mut evil_paths: Vec<&String> = got
        .iter()
        .filter(|l| l.contains("/evil.test/web/app/public/x"))
        .collect();
    assert!(
        all.is_some(),
        "only {} of the 400 drifts were alerted ({} alerts): {}",
        drifts_alerted(),
        evil_paths.len(),
        w.stderr()
    );
    std::thread::sleep(Duration::from_secs_f64(secs(2.5))); // two more sweeps
    let got = alerts(&log);
    evil_paths = got
        .iter()
        .filter(|l| l.contains("/evil.test/web/app/public/x"))
        .collect();
    // Each finding (path and what was there) alerted once: none twice.
    let n = evil_paths.len();
    evil_paths.sort();
    evil_paths.dedup();
    assert_eq!(n, evil_paths.len(), "some findings were alerted twice");
    let mut paths: Vec<&str> = evil_paths
        .iter()
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 400, "every drift alerted");
    assert_eq!(
        got.iter()
            .filter(|l| l.ends_with("/victim.test/web/app/public/secret.txt"))
            .count(),
        1,
        "{got:?}"
    );
    eprintln!(
        "all 400 dropped alerts sent again within {} ms",
        all.map_or(0, |d| d.as_millis())
    );
}
