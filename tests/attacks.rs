//! A hostile vhost user against root running chperms: each test is one way
//! the hardening review (issue 9) found for the user to get root's help,
//! played for real. The user (`chpv1`) plants or swaps things in a tree it
//! owns, with its own uid (setpriv); root then runs chperms as an operator
//! would; the test asserts that nothing outside the tree changed and that
//! the user's program never ran as root.

mod common;

use common::*;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;

/// `TEMP/srv/evil.org` owned by chpv1 (dirs 0755) with `web/app/data/f`,
/// and `TEMP/rootonly` (root 0700) holding `secret` (root 0600).
struct Scene {
    td: TempDir,
}

impl Scene {
    fn new(tag: &str) -> Scene {
        let td = TempDir::new(tag);
        let v = td.join("srv/evil.org");
        std::fs::create_dir_all(v.join("web/app/data")).expect("mkdir");
        std::fs::write(v.join("web/app/data/f"), "f\n").expect("write");
        let u = uid_of("chpv1");
        let g = gid_of("chpv1");
        for (p, t, ..) in snapshot(&v) {
            set(&p, u, g, if t == 'd' { 0o755 } else { 0o644 });
        }
        std::fs::create_dir(td.join("rootonly")).expect("mkdir");
        std::fs::write(td.join("rootonly/secret"), "root only\n").expect("write");
        set(&td.join("rootonly"), 0, 0, 0o700);
        set(&td.join("rootonly/secret"), 0, 0, 0o600);
        Scene { td }
    }
    fn vhost(&self) -> std::path::PathBuf {
        self.td.join("srv/evil.org")
    }
    /// Runs `script` as the vhost user, in the vhost directory.
    fn as_user(&self, script: &str) {
        let ok = as_user_ok(
            "chpv1",
            &format!("cd '{}' && {script}", self.vhost().display()),
        );
        assert!(ok, "the vhost user's set-up failed: {script}");
    }
    fn secret_untouched(&self) {
        assert_eq!(ugm(&self.td.join("rootonly")), (0, 0, 0o700));
        assert_eq!(ugm(&self.td.join("rootonly/secret")), (0, 0, 0o600));
    }
    /// A policy making everything below its base the vhost user's, 0666.
    fn policy(&self, base: &Path) -> std::path::PathBuf {
        let p = self.td.join("grab.json");
        std::fs::write(
            &p,
            format!(
                r#"{{"base": "{}", "rules": [
                    {{"path": "**", "type": "file", "owner": "chpv1", "mode": "0666"}},
                    {{"path": "**", "type": "dir", "owner": "chpv1", "mode": "0777"}}]}}"#,
                base.display()
            ),
        )
        .expect("write policy");
        p
    }
}

// Defect 5: `find -execdir CMD` with `.` (or an empty or relative entry) in
// PATH ran the vhost user's own `./CMD` as root.

#[test]
fn execdir_refuses_a_path_that_lets_the_tree_supply_the_command() {
    let s = Scene::new("execdir-path");
    let marker = s.td.join("pwned");
    s.as_user(&format!(
        "printf '#!/bin/sh\\nid -u > {}\\n' > web/app/data/wc && chmod 755 web/app/data/wc",
        marker.display()
    ));
    let vh = s.vhost().to_string_lossy().into_owned();
    for (path, says) in [
        (
            ".:/usr/bin:/bin",
            "The current directory is included in the PATH",
        ),
        (
            "/usr/bin::/bin",
            "The current directory is included in the PATH",
        ),
        (
            "/usr/bin:/bin:",
            "The current directory is included in the PATH",
        ),
        (
            "/usr/bin:web/app/data:/bin",
            "The relative path 'web/app/data' is included",
        ),
    ] {
        let o = chperms()
            .args(["find", &vh, "-name", "f", "-execdir", "wc", "-c", "{}", ";"])
            .env("PATH", path)
            // GNU's wording in the C locale (a UTF-8 one quotes with ‘’).
            .env("LC_ALL", "C")
            .current_dir("/")
            .output()
            .expect("spawn");
        assert_eq!(code(&o), 1, "PATH={path}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "PATH={path}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("insecure in combination with the -execdir action of find"),
            "{}",
            stderr(&o)
        );
        assert_eq!(stdout(&o), "", "nothing may run");
        assert!(!marker.exists(), "PATH={path}: the user's ./wc ran as root");
    }
    // With a PATH of absolute directories the real wc runs, on ./f.
    let o = chperms()
        .args(["find", &vh, "-name", "f", "-execdir", "wc", "-c", "{}", ";"])
        .env("PATH", "/usr/bin:/bin")
        .current_dir("/")
        .output()
        .expect("spawn");
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(stdout(&o), "2 ./f\n");
    assert!(!marker.exists());
}

// Defect 6: a policy's absolute base was resolved by the kernel, so a
// symlink the vhost user swapped into its path sent root's chown and chmod
// into a root-only directory.

#[test]
fn absolute_base_through_a_swapped_in_directory_link_is_refused() {
    let s = Scene::new("base-swap-dir");
    let pol = s.policy(&s.vhost().join("web/app/data"));
    let target = s.td.join("rootonly").display().to_string();
    // The user replaces web/app by a link to the root-only directory, whose
    // `data` then stands where the policy's base is.
    std::fs::create_dir(s.td.join("rootonly/data")).expect("mkdir");
    set(&s.td.join("rootonly/data"), 0, 0, 0o700);
    std::fs::write(s.td.join("rootonly/data/key"), "k\n").expect("write");
    set(&s.td.join("rootonly/data/key"), 0, 0, 0o600);
    s.as_user(&format!(
        "mv web/app web/app.old && ln -s '{target}' web/app"
    ));
    let o = run(["apply", "--policy", pol.to_str().expect("utf8")]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("evil.org/web/app: a symlink owned by chpv1") && err.contains("not followed"),
        "{err}"
    );
    assert_eq!(ugm(&s.td.join("rootonly/data")), (0, 0, 0o700));
    assert_eq!(ugm(&s.td.join("rootonly/data/key")), (0, 0, 0o600));
    s.secret_untouched();
}

#[test]
fn absolute_base_that_is_itself_a_user_link_is_refused() {
    let s = Scene::new("base-swap-last");
    let pol = s.policy(&s.vhost().join("web/app/data"));
    let target = s.td.join("rootonly").display().to_string();
    s.as_user(&format!(
        "rm -r web/app/data && ln -s '{target}' web/app/data"
    ));
    for cmd in ["apply", "check"] {
        let o = run([cmd, "--policy", pol.to_str().expect("utf8")]);
        assert_eq!(code(&o), 1, "{cmd}: {}{}", stdout(&o), stderr(&o));
        assert!(
            stderr(&o).contains("web/app/data: a symlink owned by chpv1"),
            "{cmd}: {}",
            stderr(&o)
        );
        assert!(!stdout(&o).contains("rootonly"), "{}", stdout(&o));
    }
    s.secret_untouched();
}

#[test]
fn watch_reopening_a_base_the_user_swapped_meanwhile_changes_nothing_outside() {
    let s = Scene::new("base-swap-watch");
    let pol = s.policy(&s.vhost().join("web/app/data"));
    let child = chperms()
        .args(["watch", "--fix", "--interval", "1", "--policy"])
        .arg(&pol)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn watch");
    // The first sweep fixes the real tree; then the user swaps the base.
    let f = s.vhost().join("web/app/data/f");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while ugm(&f).2 != 0o666 {
        assert!(
            std::time::Instant::now() < deadline,
            "first sweep never fixed f"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let target = s.td.join("rootonly").display().to_string();
    s.as_user(&format!(
        "mv web/app/data web/app/data.old && ln -s '{target}' web/app/data"
    ));
    // Two more interval sweeps (1 s each) go by.
    std::thread::sleep(std::time::Duration::from_millis(3500));
    // SAFETY: plain kill of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let o = child.wait_with_output().expect("wait");
    s.secret_untouched();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("a symlink owned by chpv1"), "{err}");
}

#[test]
fn links_only_root_could_have_made_are_still_followed() {
    let s = Scene::new("base-trusted");
    // TEMP is root 0755: a link there can only be root's.
    symlink(s.vhost().join("web/app"), s.td.join("app-link")).expect("symlink");
    let pol = s.policy(&s.td.join("app-link/data"));
    let o = run(["apply", "--policy", pol.to_str().expect("utf8")]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let f = s.vhost().join("web/app/data/f");
    assert_eq!(ugm(&f), (uid_of("chpv1"), gid_of("chpv1"), 0o666));
    s.secret_untouched();
}

#[test]
fn root_through_a_user_link_is_refused() {
    let s = Scene::new("root-swap");
    // --root ROOT/srv/evil.org/sites, where `sites` is the user's link to a
    // root-only directory holding a vhost-looking name.
    std::fs::create_dir(s.td.join("rootonly/victim.org")).expect("mkdir");
    set(&s.td.join("rootonly/victim.org"), 0, 0, 0o700);
    let target = s.td.join("rootonly").display().to_string();
    s.as_user(&format!("ln -s '{target}' sites"));
    let root = s.vhost().join("sites");
    let o = run([
        "check",
        "--all",
        "--user",
        "chpv1",
        "--root",
        root.to_str().expect("utf8"),
    ]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stderr(&o).contains("--root") && stderr(&o).contains("a symlink owned by chpv1"),
        "{}",
        stderr(&o)
    );
    assert_eq!(ugm(&s.td.join("rootonly/victim.org")), (0, 0, 0o700));
    // The scene's own files stayed the user's.
    let m = std::fs::metadata(s.vhost()).expect("stat");
    assert_eq!(m.uid(), uid_of("chpv1"));
}

// --- issue 13: `find -delete` run by root over a tree the vhost user writes ---
//
// The user swaps each directory of the tree for a symlink to a root-only
// directory and back, as fast as it can, while root deletes the tree. A
// find that resolved paths (or followed the link it finds where a directory
// was) would delete root's files; chperms opens every directory through its
// held parent with O_NOFOLLOW and unlinks names from held directories, so
// the worst a swap achieves is an error for that one directory.

/// `count` directories `d0..` of `files` files each under `dir`, the user's.
fn deletable_tree(dir: &Path, count: usize, files: usize) {
    let u = uid_of("chpv1");
    let g = gid_of("chpv1");
    std::fs::create_dir_all(dir).expect("mkdir");
    set(dir, u, g, 0o755);
    for i in 0..count {
        let d = dir.join(format!("d{i}"));
        std::fs::create_dir(&d).expect("mkdir");
        for f in 0..files {
            let p = d.join(format!("f{f}"));
            std::fs::write(&p, b"x").expect("write");
            set(&p, u, g, 0o644);
        }
        set(&d, u, g, 0o755);
    }
}

#[test]
fn delete_while_the_user_swaps_directories_for_links_deletes_nothing_outside() {
    let s = Scene::new("delete-race");
    let target = s.td.join("rootonly");
    // Root's files carry the names the tree's files have (f0..f4): a
    // deletion by path through a swapped-in link would hit them.
    let names: Vec<String> = (0..60).map(|f| format!("f{f}")).collect();
    for n in &names {
        let p = target.join(n);
        std::fs::write(&p, b"root's\n").expect("write");
        set(&p, 0, 0, 0o600);
    }
    let tmp = s.vhost().join("web/tmp");
    let mut errors_seen = 0;
    const ROUNDS: usize = 16;
    for round in 0..ROUNDS {
        deletable_tree(&tmp, 8, 60);
        // Each swap holds the link a few milliseconds: while root works
        // inside the real directory (renamed away), its path leads to root's.
        let script = format!(
            "cd '{}' || exit 1; i=0; while :; do i=$(( (i + 1) % 8 )); \
             mv d$i x$i 2>/dev/null && ln -s '{}' d$i 2>/dev/null; sleep 0.003; \
             rm -f d$i 2>/dev/null; mv x$i d$i 2>/dev/null; done",
            tmp.display(),
            target.display()
        );
        let mut attacker = std::process::Command::new("setpriv")
            .args([
                "--reuid",
                "chpv1",
                "--regid",
                "chpv1",
                "--init-groups",
                "--",
                "sh",
                "-c",
                &script,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("attacker");
        // Let the swapping get going before root starts.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let tmp_s = tmp.to_string_lossy().into_owned();
        let o = run(["find", &tmp_s, "-mindepth", "1", "-delete"]);
        attacker.kill().expect("kill attacker");
        attacker.wait().expect("reap attacker");
        assert!(
            code(&o) == 0 || code(&o) == 1,
            "round {round}: {}",
            stderr(&o)
        );
        if code(&o) == 1 {
            errors_seen += 1;
        }
        for n in &names {
            let p = target.join(n);
            assert!(
                p.exists(),
                "round {round}: root's {} was deleted",
                p.display()
            );
            assert_eq!(ugm(&p), (0, 0, 0o600));
        }
        s.secret_untouched();
        // Whatever the race left (a directory mid-swap) goes before the next
        // round; links in the tree are removed, never followed.
        let o = run(["find", &tmp_s, "-mindepth", "1", "-delete"]);
        assert!(code(&o) == 0 || code(&o) == 1, "{}", stderr(&o));
        let _ = std::fs::remove_dir_all(&tmp);
    }
    eprintln!("delete race: {errors_seen} of {ROUNDS} rounds met a swapped directory (reported, not followed)");
}

#[test]
fn delete_with_follow_is_refused_since_gnu_deletes_through_links() {
    let s = Scene::new("delete-follow");
    let link = s.vhost().join("web/app/data/out");
    s.as_user(&format!(
        "ln -s '{}' web/app/data/out",
        s.td.join("rootonly").display()
    ));
    let d = s
        .vhost()
        .join("web/app/data")
        .to_string_lossy()
        .into_owned();
    for follow in [&["-L", &d][..], &[&d, "-follow"][..]] {
        let mut args = vec!["find"];
        args.extend_from_slice(follow);
        args.push("-delete");
        let o = chperms()
            .args(&args)
            .env("LC_ALL", "C")
            .output()
            .expect("spawn");
        assert_eq!(code(&o), 1, "{}", stderr(&o));
        assert!(
            stderr(&o).contains("-delete with -L or -follow would delete outside the tree"),
            "{}",
            stderr(&o)
        );
    }
    assert!(
        link.symlink_metadata().is_ok(),
        "nothing may have been deleted"
    );
    s.secret_untouched();
}

#[test]
fn okdir_refuses_a_path_that_lets_the_tree_supply_the_command() {
    // Defect 5's check, for -okdir too (it runs in the entry's directory).
    let s = Scene::new("okdir-path");
    let marker = s.td.join("pwned");
    s.as_user(&format!(
        "printf '#!/bin/sh\\nid -u > {}\\n' > web/app/data/wc && chmod 755 web/app/data/wc",
        marker.display()
    ));
    let vh = s.vhost().to_string_lossy().into_owned();
    for path in [".:/usr/bin:/bin", "/usr/bin::/bin", "web/app/data:/bin"] {
        // Root answers "y": without the check, the user's wc would run.
        let mut child = chperms()
            .args(["find", &vh, "-name", "f", "-okdir", "wc", "-c", "{}", ";"])
            .env("PATH", path)
            .env("LC_ALL", "C")
            .current_dir("/")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("spawn");
        if let Some(mut answers) = child.stdin.take() {
            use std::io::Write;
            let _ = answers.write_all(b"y\ny\ny\n");
        }
        let o = child.wait_with_output().expect("wait");
        assert_eq!(code(&o), 1, "PATH={path}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("insecure in combination with the -okdir action of find"),
            "{}",
            stderr(&o)
        );
        assert!(!marker.exists(), "PATH={path}: the user's ./wc ran as root");
    }
}
