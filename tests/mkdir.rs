//! `chperms mkdir`: the incident's ensure_directory, checked on real trees
//! (run as root, after tests/setup-users.sh).

mod common;

use common::{code, gid_of, set, snapshot, stderr, stdout, ugm, uid_of, TempDir};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Output;

/// Runs chperms with a given umask (to show it does not matter).
fn run_umask(umask: u32, args: &[&str]) -> Output {
    let mut c = common::chperms();
    c.args(args);
    // SAFETY: umask is async-signal-safe; nothing else runs in the child.
    unsafe {
        c.pre_exec(move || {
            libc::umask(umask as libc::mode_t);
            Ok(())
        });
    }
    c.output().expect("spawn chperms")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

#[test]
fn parents_get_exact_owner_group_mode_whatever_the_umask() {
    let t = TempDir::new("mkdir-p");
    let d = t.join("a/b/c");
    let o = run_umask(
        0o077,
        &[
            "mkdir",
            "-o",
            "chpv1",
            "-g",
            "www-data",
            "-m",
            "0775",
            "-p",
            s(&d),
        ],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let want = (uid_of("chpv1"), gid_of("www-data"), 0o775);
    for rel in ["a", "a/b", "a/b/c"] {
        assert_eq!(ugm(&t.join(rel)), want, "{rel}");
    }
    assert_eq!(
        stdout(&o).lines().count(),
        3,
        "one line per created directory: {}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("created chpv1:www-data 0775"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn second_run_changes_nothing_and_is_quiet() {
    let t = TempDir::new("mkdir-idem");
    let d = t.join("x/y");
    let args = [
        "mkdir",
        "-o",
        "chpv1",
        "-g",
        "www-data",
        "-m",
        "02775",
        "-p",
        s(&d),
    ];
    assert_eq!(code(&run_umask(0o022, &args)), 0);
    let before = snapshot(t.path());
    let o = run_umask(0o022, &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing changed, nothing printed");
    assert_eq!(snapshot(t.path()), before);
}

#[test]
fn existing_directory_is_corrected_field_by_field() {
    let t = TempDir::new("mkdir-fix");
    let d = t.join("queue");
    std::fs::create_dir(&d).unwrap();
    set(&d, 0, 0, 0o755);
    let o = common::run([
        "mkdir",
        "-o",
        "chpv1",
        "-g",
        "www-data",
        "-m",
        "0775",
        s(&d),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(ugm(&d), (uid_of("chpv1"), gid_of("www-data"), 0o775));
    let out = stdout(&o);
    assert!(
        out.contains("owner chpv1 (was root)") && out.contains("mode 0775 (was 0755)"),
        "{out}"
    );
    // Only the fields given are touched.
    let o = common::run(["mkdir", "-m", "0750", s(&d)]);
    assert_eq!(code(&o), 0);
    assert_eq!(ugm(&d), (uid_of("chpv1"), gid_of("www-data"), 0o750));
}

#[test]
fn unknown_user_or_group_changes_nothing() {
    let t = TempDir::new("mkdir-unknown");
    let before = snapshot(t.path());
    for args in [
        ["mkdir", "-o", "no-such-user-chp", "-p", "X"],
        ["mkdir", "-g", "no-such-group-chp", "-p", "X"],
        ["mkdir", "-m", "u+s", "-p", "X"],
        ["mkdir", "-m", "0999", "-p", "X"],
    ] {
        let d = t.join("new/dir");
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "X" { s(&d) } else { a })
            .collect();
        let o = common::run(&args);
        assert_eq!(code(&o), 1, "{args:?}");
        assert!(stderr(&o).starts_with("chperms mkdir: "), "{}", stderr(&o));
        assert_eq!(snapshot(t.path()), before, "{args:?} created something");
    }
}

#[test]
fn missing_parent_without_p_is_an_error_naming_it() {
    let t = TempDir::new("mkdir-nop");
    let d = t.join("missing/child");
    let o = common::run(["mkdir", "-m", "0700", s(&d)]);
    assert_eq!(code(&o), 1);
    let e = stderr(&o);
    assert!(
        e.contains(&format!(
            "{}: No such file or directory",
            s(&t.join("missing"))
        )),
        "{e}"
    );
    assert!(!t.join("missing").exists());
    // A file in the way.
    std::fs::write(t.join("file"), b"").unwrap();
    let o = common::run(["mkdir", "-p", s(&t.join("file/sub"))]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("Not a directory"), "{}", stderr(&o));
}

#[test]
fn planted_symlink_is_refused_and_victim_untouched() {
    let t = TempDir::new("mkdir-link");
    let victim = t.join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("keep"), b"x").unwrap();
    set(&victim, 0, 0, 0o755);
    let user_dir = t.join("home");
    std::fs::create_dir(&user_dir).unwrap();
    set(&user_dir, uid_of("chpv1"), gid_of("chpv1"), 0o755);
    // The user plants link -> victim (and a root-owned one, as if left there).
    for (name, owner) in [("link", uid_of("chpv1")), ("rootlink", 0)] {
        let l = user_dir.join(name);
        std::os::unix::fs::symlink(&victim, &l).unwrap();
        std::os::unix::fs::lchown(&l, Some(owner), Some(owner)).unwrap();
    }
    let before = snapshot(&victim);
    for name in ["link", "rootlink"] {
        let through = user_dir.join(name).join("x");
        for args in [
            vec!["mkdir", "-o", "chpv1", "-m", "0777", "-p", s(&through)],
            vec!["mkdir", "-o", "chpv1", "-m", "0777", s(&through)],
            vec![
                "mkdir",
                "-o",
                "chpv1",
                "-m",
                "0777",
                s(&user_dir.join(name)),
            ],
        ] {
            let o = common::run(&args);
            assert_eq!(code(&o), 1, "{args:?}: {}", stdout(&o));
            assert!(stderr(&o).contains("symlink"), "{}", stderr(&o));
            assert_eq!(snapshot(&victim), before, "{args:?} changed the victim");
        }
    }
    assert!(!victim.join("x").exists());
}

#[test]
fn root_only_symlink_is_followed() {
    // Like /var/run -> /run: root owns the link and its directory, nobody
    // else can write there.
    let t = TempDir::new("mkdir-rootlink");
    std::fs::create_dir(t.join("real")).unwrap();
    std::os::unix::fs::symlink("real", t.join("run")).unwrap();
    let o = common::run([
        "mkdir",
        "-o",
        "chpv2:",
        "-m",
        "0750",
        "-p",
        s(&t.join("run/app/x")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(
        ugm(&t.join("real/app/x")),
        (uid_of("chpv2"), gid_of("chpv2"), 0o750)
    );
    assert!(
        stdout(&o).contains(&format!("{}: created", s(&t.join("run/app/x")))),
        "{}",
        stdout(&o)
    );
}

#[test]
fn incident_layout_is_created_as_wegweiser_would_need() {
    let t = TempDir::new("mkdir-wegweiser");
    let base = t.join("opt/wegweiser");
    std::fs::create_dir_all(&base).unwrap();
    let dirs = common::INCIDENT_DIRS;
    let paths: Vec<String> = dirs.iter().map(|d| s(&base.join(d)).to_string()).collect();
    let mut args = vec!["mkdir", "-o", "chpv1", "-g", "www-data", "-m", "0775", "-p"];
    args.extend(paths.iter().map(String::as_str));
    let o = run_umask(0o077, &args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 13, "{}", stdout(&o));
    let want = (uid_of("chpv1"), gid_of("www-data"), 0o775);
    for d in dirs {
        assert_eq!(ugm(&base.join(d)), want, "{d}");
    }
    // The incident: a queue recreated as root:root 0755 is corrected.
    set(&base.join("payloads/queue"), 0, 0, 0o755);
    let o = run_umask(0o077, &args);
    assert_eq!(code(&o), 0);
    assert_eq!(stdout(&o).lines().count(), 1, "{}", stdout(&o));
    assert_eq!(ugm(&base.join("payloads/queue")), want);
}

#[test]
fn setgid_is_kept_when_given_and_mode_is_exact() {
    let t = TempDir::new("mkdir-sgid");
    let p = t.join("p");
    let o = common::run([
        "mkdir",
        "-g",
        "www-data",
        "-m",
        "02775",
        "-p",
        s(&p.join("q")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(ugm(&p).2, 0o2775);
    assert_eq!(ugm(&p.join("q")).2, 0o2775);
    // Exact: below a setgid parent, 0775 means no setgid.
    let o = common::run(["mkdir", "-m", "0775", s(&p.join("r"))]);
    assert_eq!(code(&o), 0);
    assert_eq!(ugm(&p.join("r")).2, 0o775);
    // Symbolic, with setgid.
    let o = common::run(["mkdir", "-m", "u=rwx,g=rwxs,o=rx", s(&p.join("s"))]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(ugm(&p.join("s")).2, 0o2775);
}

#[test]
fn defaults_are_like_mkdir() {
    let t = TempDir::new("mkdir-defaults");
    let o = run_umask(0o027, &["mkdir", s(&t.join("plain"))]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(ugm(&t.join("plain")), (0, 0, 0o750));
    // Under a setgid parent the kernel's group and setgid are inherited.
    let sg = t.join("sg");
    std::fs::create_dir(&sg).unwrap();
    set(&sg, 0, gid_of("www-data"), 0o2755);
    let o = run_umask(0o022, &["mkdir", s(&sg.join("child"))]);
    assert_eq!(code(&o), 0);
    assert_eq!(ugm(&sg.join("child")), (0, gid_of("www-data"), 0o2755));
}

#[test]
fn json_output_uses_findings() {
    let t = TempDir::new("mkdir-json");
    let o = common::run([
        "mkdir",
        "--format",
        "json",
        "-o",
        "chpv1",
        "-m",
        "0700",
        s(&t.join("j")),
    ]);
    assert_eq!(code(&o), 0);
    let out = stdout(&o);
    assert!(
        out.starts_with('{') && out.contains("\"action\":\"created\""),
        "{out}"
    );
}

#[test]
fn help_shows_an_example() {
    let o = common::run(["mkdir", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("chperms mkdir -o wegweiser -g www-data -m 0775 -p"));
}

#[test]
fn root_directory_is_never_re_owned() {
    let before = common::ugm(Path::new("/"));
    for target in ["/", "/tmp/..", "//."] {
        let o = common::run(["mkdir", "-o", "chpv1", "-m", "0777", target]);
        assert_eq!(code(&o), 1, "{target}");
        assert!(stderr(&o).contains("refusing"), "{}", stderr(&o));
    }
    assert_eq!(common::ugm(Path::new("/")), before);
}
