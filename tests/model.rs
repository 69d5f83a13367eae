//! The NetServa model (SPEC §3) as a test table, applied by the real binary
//! to real trees, checked entry by entry, and then checked again by the
//! kernel with processes running as the web server and as an outsider.

mod common;

use common::*;
use std::path::Path;

/// Who owns a row: the vhost user, root.
#[derive(Clone, Copy)]
enum O {
    U,
    Root,
}
/// Which group: the user's primary group, the web group, root.
#[derive(Clone, Copy)]
enum G {
    U,
    W,
    Root,
}

/// (path relative to the vhost, is a directory, owner, group, mode) — SPEC §3.
const TABLE: &[(&str, char, O, G, u32)] = &[
    (".", 'd', O::U, G::W, 0o2750),
    ("other", 'd', O::U, G::W, 0o2750),
    ("other/deeper", 'd', O::U, G::W, 0o2750),
    ("other/file.txt", 'f', O::U, G::W, 0o640),
    (".ssh", 'd', O::U, G::U, 0o700),
    (".ssh/keys", 'd', O::U, G::U, 0o700),
    (".ssh/authorized_keys", 'f', O::U, G::U, 0o600),
    (".ssh/keys/id_ed25519", 'f', O::U, G::U, 0o600),
    (".gnupg", 'd', O::U, G::U, 0o700),
    (".gnupg/pubring.kbx", 'f', O::U, G::U, 0o600),
    (".rc", 'd', O::U, G::W, 0o2750),
    (".rc/bin", 'd', O::U, G::U, 0o700),
    (".rc/www", 'd', O::U, G::U, 0o700),
    (".rc/bin/backup", 'f', O::U, G::U, 0o700),
    (".rc/www/deploy", 'f', O::U, G::U, 0o700),
    ("msg", 'd', O::U, G::U, 0o750),
    ("msg/inbox", 'd', O::U, G::U, 0o750),
    ("msg/inbox/1.eml", 'f', O::U, G::U, 0o640),
    ("web", 'd', O::U, G::W, 0o755),
    ("web/app", 'd', O::U, G::W, 0o2750),
    ("web/app/public", 'd', O::U, G::W, 0o2750),
    ("web/app/public/.well-known", 'd', O::U, G::W, 0o2750),
    (
        "web/app/public/.well-known/acme-challenge",
        'd',
        O::U,
        G::W,
        0o2750,
    ),
    (
        "web/app/public/.well-known/acme-challenge/token",
        'f',
        O::U,
        G::W,
        0o640,
    ),
    ("web/app/public/index.php", 'f', O::U, G::W, 0o640),
    ("web/log", 'd', O::U, G::W, 0o2770),
    ("web/log/access.log", 'f', O::U, G::W, 0o660),
    ("web/log/error.log", 'f', O::U, G::W, 0o660),
    ("web/log/old.txt", 'f', O::U, G::W, 0o640),
    ("web/run", 'd', O::U, G::W, 0o2750),
    ("web/run/fpm.sock", 's', O::U, G::W, 0o660),
    ("web/tmp", 'd', O::U, G::W, 0o2750),
    ("web/app/public/lib", 'd', O::U, G::W, 0o2750),
    ("web/app/public/lib/sh", 'd', O::Root, G::Root, 0o700),
    ("web/app/public/lib/sh/tools", 'd', O::Root, G::Root, 0o700),
    (
        "web/app/public/lib/sh/script.sh",
        'f',
        O::Root,
        G::Root,
        0o700,
    ),
    (
        "web/app/public/lib/sh/tools/notes.txt",
        'f',
        O::Root,
        G::Root,
        0o700,
    ),
    (
        "web/app/public/lib/sh/index.html",
        'f',
        O::Root,
        G::W,
        0o640,
    ),
    ("web/app/public/deploy.sh", 'f', O::U, G::W, 0o700),
    ("other/run.sh", 'f', O::U, G::W, 0o700),
    ("web/app/public/configuration.php", 'f', O::U, G::W, 0o400),
    ("web/app/public/wp/wp-config.php", 'f', O::U, G::W, 0o400),
    ("web/app/public/wp", 'd', O::U, G::W, 0o2750),
];

/// Paths the model creates when missing (the table's "create" column).
const CREATED: &[&str] = &["msg", "web/tmp"];

/// Builds the tree of issue 2: every entry root:root, dirs 0755, files 0644,
/// `msg/` and `web/tmp` missing, a PHP-FPM socket in `web/run`.
fn build_broken_vhost(v: &Path) {
    for &(rel, t, ..) in TABLE {
        if CREATED
            .iter()
            .any(|c| rel == *c || rel.starts_with(&format!("{c}/")))
        {
            continue;
        }
        let p = if rel == "." {
            v.to_path_buf()
        } else {
            v.join(rel)
        };
        match t {
            'd' => std::fs::create_dir_all(&p).expect("mkdir"),
            'f' => {
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::fs::write(&p, b"x").expect("write");
            }
            's' => {
                std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
                std::os::unix::net::UnixListener::bind(&p).expect("bind socket");
            }
            _ => unreachable!(),
        }
    }
    for (path, t, ..) in snapshot(v) {
        let mode = if t == 'd' { 0o755 } else { 0o644 };
        set(&path, 0, 0, mode);
    }
}

fn expected(o: O, g: G, user: &str) -> (u32, u32) {
    let uid = match o {
        O::U => uid_of(user),
        O::Root => 0,
    };
    let gid = match g {
        G::U => gid_of(user),
        G::W => gid_of("www-data"),
        G::Root => 0,
    };
    (uid, gid)
}

fn assert_table(v: &Path, user: &str, web_mode: u32) {
    let mut bad = Vec::new();
    for &(rel, _, o, g, mode) in TABLE {
        if CREATED.iter().any(|c| rel.starts_with(&format!("{c}/"))) && !v.join(rel).exists() {
            continue; // below a directory the model created: checked where the test fills it
        }
        let (uid, gid) = expected(o, g, user);
        let mode = if rel == "web" { web_mode } else { mode };
        let got = ugm(&if rel == "." {
            v.to_path_buf()
        } else {
            v.join(rel)
        });
        if got != (uid, gid, mode) {
            bad.push(format!(
                "{rel}: got {}:{} {:04o}, want {uid}:{gid} {mode:04o}",
                got.0, got.1, got.2
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "model table mismatches:\n{}",
        bad.join("\n")
    );
}

fn vhost_args<'a>(root: &'a Path, user: &'a str) -> Vec<String> {
    vec![
        "goldcoast.org".into(),
        "--root".into(),
        root.display().to_string(),
        "--user".into(),
        user.into(),
    ]
}

#[test]
fn model_table_is_exact_and_second_run_changes_nothing() {
    let t = TempDir::new("model");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let o = run(vhost_args(t.path(), "chpv1"));
    assert_eq!(code(&o), 0, "apply: {}{}", stdout(&o), stderr(&o));
    assert_table(&v, "chpv1", 0o755);
    // Fill the directories the model created with wrong entries, as a user's
    // mail client or a root cron job would, and apply again.
    std::fs::create_dir_all(v.join("msg/inbox")).expect("mkdir");
    std::fs::write(v.join("msg/inbox/1.eml"), b"x").expect("write");
    set(&v.join("msg/inbox"), 0, 0, 0o777);
    set(&v.join("msg/inbox/1.eml"), 0, 0, 0o666);
    assert_eq!(code(&run(vhost_args(t.path(), "chpv1"))), 0);
    assert!(v.join("msg/inbox/1.eml").exists());
    assert_table(&v, "chpv1", 0o755);
    let before = snapshot(&v);
    let again = run(vhost_args(t.path(), "chpv1"));
    assert_eq!(code(&again), 0, "{}", stderr(&again));
    assert!(stdout(&again).contains(" 0 changed"), "{}", stdout(&again));
    assert_eq!(before, snapshot(&v), "second run changed something");
}

#[test]
fn kernel_agrees_www_data_reads_acme_and_outsider_reads_nothing() {
    let t = TempDir::new("kernel");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    assert_eq!(code(&run(vhost_args(t.path(), "chpv1"))), 0);
    let token = v.join("web/app/public/.well-known/acme-challenge/token");
    assert!(
        as_user_ok("www-data", &format!("cat '{}' >/dev/null", token.display())),
        "www-data cannot read the ACME challenge file"
    );
    assert!(
        as_user_ok(
            "chpv1",
            &format!(
                "cat '{}' >/dev/null && ls '{}/msg' >/dev/null",
                token.display(),
                v.display()
            )
        ),
        "the vhost user cannot read its own tree"
    );
    // An outsider (in neither chpv1's group nor www-data) can read or list
    // nothing below the vhost.
    for (rel, t, ..) in TABLE {
        let p = v.join(rel);
        let script = if *t == 'd' {
            format!("ls '{}' >/dev/null 2>&1", p.display())
        } else {
            format!("cat '{}' >/dev/null 2>&1", p.display())
        };
        assert!(!as_user_ok("chpout", &script), "outsider can reach {rel}");
    }
    // The root-only scripts stay hidden from the web server too.
    let script = v.join("web/app/public/lib/sh/script.sh");
    assert!(!as_user_ok(
        "www-data",
        &format!("cat '{}' >/dev/null 2>&1", script.display())
    ));
}

#[test]
fn dry_run_and_check_change_nothing_and_exit_2_on_drift() {
    let t = TempDir::new("dry");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let before = snapshot(&v);
    let mut args = vhost_args(t.path(), "chpv1");
    args.push("--dry-run".into());
    let o = run(&args);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stdout(&o).contains("would fix"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("/goldcoast.org/msg: missing dir"),
        "{}",
        stdout(&o)
    );
    assert_eq!(before, snapshot(&v), "--dry-run changed the tree");

    let mut c = vec!["check".to_string()];
    c.extend(vhost_args(t.path(), "chpv1"));
    let o = run(&c);
    assert_eq!(code(&o), 2);
    assert_eq!(before, snapshot(&v), "check changed the tree");

    c.push("--fix".into());
    let o = run(&c);
    assert_eq!(code(&o), 0, "check --fix: {}", stderr(&o));
    assert_table(&v, "chpv1", 0o755);
    c.pop();
    let o = run(&c);
    assert_eq!(code(&o), 0, "clean check: {}", stdout(&o));
}

/// The `missing` lines of a run's text output, as paths relative to `v`
/// with the action tag.
fn missing_lines(out: &str, v: &Path) -> Vec<String> {
    let prefix = format!("{}/", v.display());
    out.lines()
        .filter(|l| l.contains(": missing "))
        .map(|l| l.strip_prefix(&prefix).unwrap_or(l).to_string())
        .collect()
}

#[test]
fn dry_run_on_a_fresh_vhost_names_each_missing_directory_once() {
    let t = TempDir::new("fresh");
    let v = t.join("fresh.org");
    std::fs::create_dir(&v).expect("mkdir");
    set(&v, uid_of("chpv1"), gid_of("chpv1"), 0o755);
    let mut args = vhost_args(t.path(), "chpv1");
    args[0] = "fresh.org".into();
    let mut dry = args.clone();
    dry.push("--dry-run".into());
    let o = run(&dry);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    // It used to say "web: missing dir" four times (once per web/… rule).
    let said = missing_lines(&stdout(&o), &v);
    let web = "chpv1:www-data";
    assert_eq!(
        said,
        [
            "msg: missing dir chpv1:chpv1 0750 [would fix]".to_string(),
            format!("web: missing dir {web} 0755 [would fix]"),
            format!("web/log: missing dir {web} 02770 [would fix]"),
            format!("web/run: missing dir {web} 02750 [would fix]"),
            format!("web/tmp: missing dir {web} 02750 [would fix]"),
        ]
    );
    assert!(stdout(&o).contains(", 6 to change"), "{}", stdout(&o));
    // Apply creates exactly what the dry run named.
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let made: Vec<String> = missing_lines(&stdout(&o), &v)
        .iter()
        .map(|l| l.replace("[created]", "[would fix]"))
        .collect();
    assert_eq!(made, said);
}

#[test]
fn sysadm_vhost_has_web_02750() {
    let t = TempDir::new("sysadm");
    let v = t.join("mail.goldcoast.org");
    build_broken_vhost(&v);
    let admin = uid1000_name();
    let o = run([
        "mail.goldcoast.org",
        "--root",
        &t.path().display().to_string(),
        "--user",
        &admin,
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_table(&v, &admin, 0o2750);
}

#[test]
fn chroot_gives_root_top_level_only_above_uid_1000() {
    let t = TempDir::new("chroot");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let mut args = vhost_args(t.path(), "chpv1");
    args.push("--chroot".into());
    assert_eq!(code(&run(&args)), 0);
    assert_eq!(ugm(&v), (0, 0, 0o755), "chroot top level");
    assert_eq!(
        ugm(&v.join("web")),
        (uid_of("chpv1"), gid_of("www-data"), 0o755)
    );
    // uid 1000 is not above 1000: the chroot variant does not apply.
    let m = t.join("mail.goldcoast.org");
    build_broken_vhost(&m);
    let admin = uid1000_name();
    let o = run([
        "mail.goldcoast.org",
        "--root",
        &t.path().display().to_string(),
        "--user",
        &admin,
        "--chroot",
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(ugm(&m), (1000, gid_of("www-data"), 0o2750));
}

#[test]
fn all_skips_dot_directories_and_names_without_dots() {
    let t = TempDir::new("all");
    for d in ["a.example", "b.example", ".local", "nodot"] {
        std::fs::create_dir(t.join(d)).expect("mkdir");
        set(&t.join(d), uid_of("chpv1"), 0, 0o755);
    }
    let o = run(["--all", "--root", &t.path().display().to_string()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let w = gid_of("www-data");
    assert_eq!(ugm(&t.join("a.example")), (uid_of("chpv1"), w, 0o2750));
    assert_eq!(ugm(&t.join("b.example")), (uid_of("chpv1"), w, 0o2750));
    assert_eq!(ugm(&t.join(".local")), (uid_of("chpv1"), 0, 0o755));
    assert_eq!(ugm(&t.join("nodot")), (uid_of("chpv1"), 0, 0o755));
    assert!(t.join("a.example/web/log").is_dir());
}

#[test]
fn user_is_discovered_from_owner_and_refused_when_unknowable() {
    let t = TempDir::new("discover");
    let v = t.join("goldcoast.org");
    std::fs::create_dir(&v).expect("mkdir");
    set(&v, uid_of("chpv2"), 0, 0o755);
    let o = run(["goldcoast.org", "--root", &t.path().display().to_string()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(ugm(&v), (uid_of("chpv2"), gid_of("www-data"), 0o2750));

    let r = t.join("root.example");
    std::fs::create_dir(&r).expect("mkdir");
    set(&r, 0, 0, 0o755);
    let before = snapshot(t.path());
    let o = run(["root.example", "--root", &t.path().display().to_string()]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("cannot determine the user of vhost root.example: pass --user"),
        "{}",
        stderr(&o)
    );
    assert_eq!(before, snapshot(t.path()));
}

/// The incident's layout (seeds/000): thirteen directories, all
/// `wegweiser:www-data 0775`, created when missing — here with chpv1 as the
/// app user, from a policy file.
#[test]
fn incident_layout_from_a_policy_file() {
    let t = TempDir::new("wegweiser");
    let base = t.join("opt-wegweiser");
    std::fs::create_dir(&base).expect("mkdir");
    std::fs::create_dir(base.join("payloads")).expect("mkdir");
    std::fs::create_dir(base.join("payloads/queue")).expect("mkdir");
    set(&base.join("payloads/queue"), 0, 0, 0o755); // the incident: root:root 0755
    let dirs = INCIDENT_DIRS;
    let rules: Vec<String> = dirs
        .iter()
        .map(|d| {
            format!(r#"{{"path": "{d}", "type": "dir", "owner": "chpv1", "group": "www-data", "mode": "0775", "create": true}}"#)
        })
        .collect();
    let policy = format!(
        r#"{{"base": "{}", "rules": [{}], "processes": [{{"name": "gunicorn", "user": "chpv1"}}]}}"#,
        base.display(),
        rules.join(",\n")
    );
    let pf = t.join("app.json");
    std::fs::write(&pf, policy).expect("write policy");

    let o = run(["check", "--policy", &pf.display().to_string()]);
    assert_eq!(code(&o), 2, "drift expected: {}", stdout(&o));
    let o = run(["apply", "--policy", &pf.display().to_string()]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    for d in dirs {
        assert_eq!(
            ugm(&base.join(d)),
            (uid_of("chpv1"), gid_of("www-data"), 0o775),
            "{d}"
        );
    }
    assert!(
        as_user_ok(
            "chpv1",
            &format!("touch '{}/payloads/queue/upload'", base.display())
        ),
        "the app user cannot write its queue"
    );
    let o = run(["check", "--policy", &pf.display().to_string()]);
    // The policy's process rule sees every process on the machine: a root
    // `gunicorn` another test run started meanwhile (tests/procs.rs) is
    // drift too. Only findings about the tree must be gone.
    let out = stdout(&o);
    let tree_drift = out
        .lines()
        .filter(|l| l.contains(": ") && !l.starts_with("/proc/"))
        .count();
    assert!(code(&o) == 0 || (code(&o) == 2 && tree_drift == 0), "{out}");
}

#[test]
fn policy_show_prints_the_built_in_model_and_it_validates() {
    let o = run(["policy", "show"]);
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    assert!(text.contains(r#""base": "{root}/{vhost}""#));
    assert!(text.contains(r#""path": "web/log", "type": "dir", "owner": "{user}", "group": "{web}", "mode": "02770", "create": true"#));
    let t = TempDir::new("show");
    let f = t.join("model.json");
    std::fs::write(&f, text).expect("write");
    let o = run(["policy", "check", "--policy", &f.display().to_string()]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    // The copy applies exactly like the built-in model.
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let mut args = vhost_args(t.path(), "chpv1");
    args.extend(["--policy".to_string(), f.display().to_string()]);
    assert_eq!(code(&run(&args)), 0);
    assert_table(&v, "chpv1", 0o755);
}

#[test]
fn json_findings_name_the_deciding_rule() {
    let t = TempDir::new("rule");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let mut args = vec!["check".to_string()];
    args.extend(vhost_args(t.path(), "chpv1"));
    args.extend(["--format".to_string(), "json".to_string()]);
    let o = run(&args);
    assert_eq!(code(&o), 2);
    let out = stdout(&o);
    let line = out
        .lines()
        .find(|l| l.contains("/web/log\"") && l.contains("\"kind\":\"mode\""))
        .unwrap_or_else(|| panic!("no mode finding for web/log in:\n{out}"));
    assert!(
        line.contains(r#""expected":"02770","actual":"0755","action":"would-fix","rule":2"#),
        "{line}"
    );
    assert!(
        out.lines()
            .last()
            .unwrap_or("")
            .starts_with(r#"{"summary":{"checked":"#),
        "{out}"
    );
}

#[test]
fn log_gets_timestamped_lines_and_quiet_prints_only_the_summary() {
    let t = TempDir::new("log");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let log = t.join("chperms.log");
    let mut args = vhost_args(t.path(), "chpv1");
    args.extend(["--quiet".into(), "--log".into(), log.display().to_string()]);
    let o = run(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let out = stdout(&o);
    assert_eq!(
        out.lines().count(),
        1,
        "--quiet printed more than the summary:\n{out}"
    );
    assert!(out.contains(" changed, 0 refused, 0 errors"), "{out}");
    let text = std::fs::read_to_string(&log).expect("log written");
    let first = text.lines().next().expect("a log line");
    // 2026-11-23T12:00:00Z /path: owner ... [fixed]
    assert_eq!(first.as_bytes()[4], b'-', "{first}");
    assert!(
        first[..20].ends_with('Z') && first.contains("goldcoast.org: owner chpv1 (was root)"),
        "{first}"
    );
    assert!(
        text.lines()
            .all(|l| l.ends_with("[fixed]") || l.ends_with("[created]")),
        "{text}"
    );
    // JSON honours --quiet too: only the summary when nothing went wrong.
    build_broken_vhost(&t.join("b.example"));
    let o = run([
        "b.example",
        "--root",
        &t.path().display().to_string(),
        "--user",
        "chpv1",
        "--quiet",
        "--format",
        "json",
    ]);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("{\"summary\":"));
}

/// Regression: a single file bind-mounted into the tree (another
/// filesystem's file) was changed; only mounted directories were skipped.
#[test]
fn bind_mounted_file_is_not_changed() {
    let t = TempDir::new("bindfile");
    let v = t.join("goldcoast.org");
    build_broken_vhost(&v);
    let outside = TempDir::new("bindsrc");
    let src = outside.join("shadow");
    std::fs::write(&src, b"secret").expect("write");
    set(&src, 0, 0, 0o600);
    // Put the source on a different filesystem: a tmpfs inside `outside`.
    let mnt = outside.join("mnt");
    std::fs::create_dir(&mnt).expect("mkdir");
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "none", &mnt.display().to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("SKIPPED-LOUDLY: cannot mount tmpfs here");
        assert!(
            std::env::var_os("CHPERMS_ALLOW_NO_MOUNT").is_some(),
            "mount tmpfs failed"
        );
        return;
    }
    let foreign = mnt.join("shadow");
    std::fs::write(&foreign, b"secret").expect("write");
    set(&foreign, 0, 0, 0o600);
    let target = v.join("web/app/public/index.php");
    let ok = std::process::Command::new("mount")
        .args([
            "--bind",
            &foreign.display().to_string(),
            &target.display().to_string(),
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "bind mount failed");
    let o = run(vhost_args(t.path(), "chpv1"));
    let _ = std::process::Command::new("umount").arg(&target).status();
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("index.php: another filesystem is mounted here"),
        "{}",
        stdout(&o)
    );
    assert_eq!(
        ugm(&foreign),
        (0, 0, 0o600),
        "the bind-mounted file was changed"
    );
}
