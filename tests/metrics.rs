//! `--metrics FILE` (SPEC §10, issue 14): the node_exporter textfile is
//! written atomically and safely, and its values are the JSON summary's.
//! (`make fleet-test` also runs promtool and prometheus_client's parser on
//! it: tests/fleet/metrics.sh.)

mod common;

use common::{code, run, stderr, stdout, uid_of, TempDir};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Two vhosts with drift of every kind the model checks: a wrong owner,
/// group and mode, missing directories, a file with two hard links.
fn vhosts(t: &TempDir) -> PathBuf {
    let root = t.join("srv");
    for v in ["a.org", "b.org"] {
        std::fs::create_dir_all(root.join(v).join("web/app/public")).expect("mkdir");
    }
    std::fs::write(root.join("a.org/web/app/public/index.php"), "x").expect("file");
    std::fs::write(root.join("b.org/deploy.sh"), "x").expect("file");
    std::fs::set_permissions(
        root.join("b.org/deploy.sh"),
        std::fs::Permissions::from_mode(0o777),
    )
    .expect("chmod");
    std::fs::write(root.join("b.org/linked"), "x").expect("file");
    std::fs::hard_link(root.join("b.org/linked"), t.join("outside")).expect("link");
    root
}

/// One sample per (name, labels) key: `name{tree="…",kind="…"}` → value.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (key, value) = line.rsplit_once(' ').expect("sample line");
        let v: f64 = value.parse().expect("value");
        assert!(m.insert(key.to_string(), v).is_none(), "duplicate {key}");
    }
    m
}

/// The JSON summary's field `key` (`"checked":N`).
fn summary_field(out: &str, key: &str) -> f64 {
    let line = out
        .lines()
        .find(|l| l.starts_with("{\"summary\""))
        .expect("summary line");
    let at = line.find(&format!("\"{key}\":")).expect("field") + key.len() + 3;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .expect("digits")
        .parse()
        .expect("number")
}

/// Sum of the samples of metric `name` (over trees and kinds).
fn total(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m.iter()
        .filter(|(k, _)| k.starts_with(&format!("{name}{{")))
        .map(|(_, v)| v)
        .sum()
}

fn common_args(root: &Path, prom: &Path) -> Vec<String> {
    vec![
        "--all".into(),
        "--root".into(),
        root.display().to_string(),
        "--user".into(),
        "chpv1".into(),
        "--format".into(),
        "json".into(),
        "--metrics".into(),
        prom.display().to_string(),
    ]
}

#[test]
fn check_metrics_equal_the_json_summary_per_tree_and_kind() {
    let t = TempDir::new("metrics-check");
    let root = vhosts(&t);
    let prom = t.join("chperms.prom");
    let mut args = vec!["check".to_string()];
    args.extend(common_args(&root, &prom));
    let o = run(&args);
    assert_eq!(code(&o), 1, "refused hard link: exit 1\n{}", stderr(&o));
    let out = stdout(&o);
    let text = std::fs::read_to_string(&prom).expect("metrics written");
    let m = parse(&text);
    for (metric, field) in [
        ("chperms_entries_checked", "checked"),
        ("chperms_entries_changed", "changed"),
        ("chperms_entries_drift", "drift"),
        ("chperms_entries_refused", "refused"),
        ("chperms_errors", "errors"),
    ] {
        assert_eq!(total(&m, metric), summary_field(&out, field), "{metric}");
    }
    assert!(summary_field(&out, "drift") > 0.0 && summary_field(&out, "refused") == 1.0);
    // Per tree and kind: the would-fix findings of that vhost in the JSON.
    for v in ["a.org", "b.org"] {
        let tree = root.join(v).display().to_string();
        for kind in ["owner", "group", "mode", "missing"] {
            let want = out
                .lines()
                .filter(|l| {
                    l.contains(&format!("\"path\":\"{tree}"))
                        && l.contains(&format!("\"kind\":\"{kind}\""))
                        && l.contains("\"action\":\"would-fix\"")
                })
                .count() as f64;
            let key = format!("chperms_drift_findings{{tree=\"{tree}\",kind=\"{kind}\"}}");
            assert_eq!(m.get(&key), Some(&want), "{key}\n{text}");
        }
        let refused = if v == "b.org" { 1.0 } else { 0.0 };
        let key = format!("chperms_entries_refused{{tree=\"{tree}\"}}");
        assert_eq!(m.get(&key), Some(&refused), "{key}");
        let stamp = m[&format!("chperms_last_run_timestamp_seconds{{tree=\"{tree}\"}}")];
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs_f64();
        assert!((now - stamp).abs() < 60.0, "timestamp {stamp} vs now {now}");
        assert!(m.contains_key(&format!(
            "chperms_last_run_duration_seconds{{tree=\"{tree}\"}}"
        )));
    }
    // HELP and TYPE once per family; no watch counters from check.
    assert_eq!(
        text.matches("# TYPE chperms_entries_checked gauge\n")
            .count(),
        1
    );
    assert!(!text.contains("chperms_watch_"), "{text}");
    // Readable by node_exporter (it does not run as root), nothing left over.
    let meta = std::fs::metadata(&prom).expect("stat");
    assert_eq!(meta.mode() & 0o7777, 0o644);
    let names: Vec<_> = std::fs::read_dir(t.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.ends_with(".tmp")), "{names:?}");
}

#[test]
fn apply_metrics_count_the_changes() {
    let t = TempDir::new("metrics-apply");
    let root = vhosts(&t);
    std::fs::remove_file(root.join("b.org/linked")).expect("rm");
    let prom = t.join("chperms.prom");
    let mut args = vec!["apply".to_string()];
    args.extend(common_args(&root, &prom));
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let m = parse(&std::fs::read_to_string(&prom).expect("metrics"));
    let changed = summary_field(&stdout(&o), "changed");
    assert!(changed > 0.0);
    assert_eq!(total(&m, "chperms_entries_changed"), changed);
    assert_eq!(total(&m, "chperms_entries_drift"), 0.0);
    assert_eq!(total(&m, "chperms_drift_findings"), 0.0);
    assert_eq!(
        std::fs::metadata(root.join("a.org")).expect("stat").uid(),
        uid_of("chpv1")
    );
}

#[test]
fn a_symlink_at_the_metrics_file_is_replaced_not_followed() {
    let t = TempDir::new("metrics-link");
    let root = vhosts(&t);
    let victim = t.join("victim");
    std::fs::write(&victim, "precious\n").expect("victim");
    let prom = t.join("chperms.prom");
    std::os::unix::fs::symlink(&victim, &prom).expect("symlink");
    let mut args = vec!["check".to_string()];
    args.extend(common_args(&root, &prom));
    run(&args);
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n"
    );
    let meta = std::fs::symlink_metadata(&prom).expect("lstat");
    assert!(meta.is_file(), "the link was replaced by the metrics file");
    assert!(std::fs::read_to_string(&prom)
        .expect("read")
        .contains("chperms_entries_checked"));
}

#[test]
fn a_planted_temporary_name_is_never_written_through() {
    // Whatever sits at a temporary name (here a symlink to a victim, as a
    // user of a shared textfile directory could plant for any pid), the
    // file is made with O_EXCL|O_NOFOLLOW: never opened, never followed.
    let t = TempDir::new("metrics-tmp");
    let root = vhosts(&t);
    let victim = t.join("victim");
    std::fs::write(&victim, "precious\n").expect("victim");
    let prom = t.join("chperms.prom");
    let mut args = vec!["check".to_string()];
    args.extend(common_args(&root, &prom));
    // chperms runs as pid 1 of a new pid namespace, so the temporary name
    // it will use is known: .chperms.prom.1.tmp.
    let planted = t.join(".chperms.prom.1.tmp");
    std::os::unix::fs::symlink(&victim, &planted).expect("plant");
    // chperms (behind its emulator when cross-testing) inside `unshare`.
    let inner = common::chperms();
    let o = std::process::Command::new("unshare")
        .args(["--pid", "--fork"])
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(&args)
        .output()
        .expect("unshare");
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(
        std::fs::symlink_metadata(&planted).is_err(),
        "the planted name was met (and removed, never opened)"
    );
    assert_eq!(
        std::fs::read_to_string(&victim).expect("victim"),
        "precious\n"
    );
    assert!(std::fs::read_to_string(&prom)
        .expect("written")
        .contains("chperms_errors"));
}

#[test]
fn bad_metrics_paths_stop_before_anything_changes() {
    let t = TempDir::new("metrics-bad");
    let root = vhosts(&t);
    std::fs::remove_file(root.join("b.org/linked")).expect("rm");
    let before = common::snapshot(&root);
    for (path, says) in [
        (t.join("chperms.txt"), "must end in .prom"),
        (
            t.join("no/such/dir/chperms.prom"),
            "No such file or directory",
        ),
    ] {
        let mut args = vec!["apply".to_string()];
        args.extend(common_args(&root, &path));
        let o = run(&args);
        assert_eq!(code(&o), 1);
        let err = stderr(&o);
        assert!(err.contains("--metrics") && err.contains(says), "{err}");
        assert_eq!(common::snapshot(&root), before, "nothing changed");
    }
    // The watcher's --check-config (run by init scripts before start) says it.
    let o = run([
        "watch",
        "--check-config",
        "--all",
        "--root",
        &root.display().to_string(),
        "--user",
        "chpv1",
        "--metrics",
        &t.join("nowhere/chperms.prom").display().to_string(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("--metrics"), "{}", stderr(&o));
    // A directory whose path holds a symlink owned by a user is refused
    // (resolve's rule), as for --root.
    let real = t.join("real");
    std::fs::create_dir(&real).expect("mkdir");
    let link = t.join("userlink");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let chpv1 = uid_of("chpv1");
    std::os::unix::fs::lchown(&link, Some(chpv1), None).expect("lchown");
    let mut args = vec!["check".to_string()];
    args.extend(common_args(&root, &link.join("chperms.prom")));
    let o = run(&args);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(!real.join("chperms.prom").exists());
}

#[test]
fn a_metrics_file_that_cannot_be_written_is_an_error() {
    // FILE is a directory: the rename fails; the run says so and exits 1,
    // and the temporary file is removed.
    let t = TempDir::new("metrics-fail");
    let root = vhosts(&t);
    std::fs::remove_file(root.join("b.org/linked")).expect("rm");
    let prom = t.join("chperms.prom");
    std::fs::create_dir(&prom).expect("mkdir");
    std::fs::write(prom.join("keep"), "x").expect("file");
    let mut args = vec!["check".to_string()];
    args.extend(common_args(&root, &prom));
    let o = run(&args);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("--metrics") && stderr(&o).contains(&prom.display().to_string()),
        "{}",
        stderr(&o)
    );
    let left: Vec<_> = std::fs::read_dir(t.path())
        .expect("ls")
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn watch_writes_metrics_after_sweeps_and_event_batches() {
    let t = TempDir::new("metrics-watch");
    let root = vhosts(&t);
    std::fs::remove_file(root.join("b.org/linked")).expect("rm");
    let prom = t.join("chperms.prom");
    /// Kills the watcher when the test ends, passed or not.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = common::chperms()
        .args([
            "watch",
            "--all",
            "--fix",
            "--root",
            &root.display().to_string(),
            "--user",
            "chpv1",
            "--interval",
            "3600",
            "--metrics",
            &prom.display().to_string(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn watch");
    let watcher = Killed(child);
    let read = |want: &dyn Fn(&BTreeMap<String, f64>) -> bool| -> Option<BTreeMap<String, f64>> {
        let end = Instant::now() + Duration::from_secs(15);
        while Instant::now() < end {
            if let Ok(text) = std::fs::read_to_string(&prom) {
                let m = parse(&text);
                if want(&m) {
                    return Some(m);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    };
    let a = root.join("a.org").display().to_string();
    let sweeps = format!("chperms_watch_sweeps_total{{tree=\"{a}\"}}");
    let events = format!("chperms_watch_events_total{{tree=\"{a}\"}}");
    let changed = format!("chperms_entries_changed{{tree=\"{a}\"}}");
    let first = read(&|m| m.get(&sweeps).is_some_and(|n| *n >= 1.0));
    let first = first.expect("metrics after the first sweep");
    assert!(first.contains_key(&events));
    // The first sweep's own repairs are inotify events too: wait until the
    // watcher is quiet (the file unchanged for a second).
    let mut last = std::fs::read(&prom).expect("metrics");
    let quiet_by = Instant::now() + Duration::from_secs(20);
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = std::fs::read(&prom).expect("metrics");
        if now == last {
            break;
        }
        assert!(Instant::now() < quiet_by, "the watcher never settled");
        last = now;
    }
    let settled = parse(&String::from_utf8_lossy(&last));
    let b = root.join("b.org").display().to_string();
    let b_sweeps = format!("chperms_watch_sweeps_total{{tree=\"{b}\"}}");
    // A drift made now is an event batch: the watcher examines that one
    // file (no sweep: the figures stay those of the last full sweep) and
    // the file is rewritten with a.org's event counter grown; b.org saw no
    // event and no sweep.
    let f = root.join("a.org/web/app/public/index.php");
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o666)).expect("chmod");
    let after = read(&|m| m.get(&events) > settled.get(&events));
    drop(watcher);
    let after = after.expect("metrics after the event batch");
    assert_eq!(after[&sweeps], settled[&sweeps], "an event is not a sweep");
    assert_eq!(
        after[&changed], settled[&changed],
        "last full sweep's figure"
    );
    let b_events = format!("chperms_watch_events_total{{tree=\"{b}\"}}");
    assert_eq!(after[&b_sweeps], settled[&b_sweeps], "b.org saw no sweep");
    assert_eq!(after[&b_events], settled[&b_events], "b.org saw no event");
    assert_eq!(std::fs::metadata(&f).expect("stat").mode() & 0o7777, 0o640);
}
