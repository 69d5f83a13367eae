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

// Defect 7: `change()` narrowed the mode, chowned, and skipped the final
// chmod when the narrowed mode already was the target. A `chmod 0777` the
// vhost user slipped in between survived the chown to root: `--chroot`
// top level (and `lib/sh`) ended root:root 0777 while apply exited 0.

/// The attacker: as chpv1, `chmod 0777` every path given, in a tight loop,
/// until the file `stop` exists (EPERM once root owns a path is expected);
/// prints the number of chmod calls that succeeded.
const CHMOD_LOOP: &str = r#"
import os, sys
stop, paths = sys.argv[1], sys.argv[2:]
n = ok = 0
while True:
    n += 1
    if n % 256 == 0 and os.path.exists(stop):
        break
    for p in paths:
        try:
            os.chmod(p, 0o777)
            ok += 1
        except OSError:
            pass
print(ok)
"#;

/// Runs `apply_args` again and again (at most `runs` times or `secs`
/// seconds: about 1000 applies natively, a few hundred under qemu) while
/// the attacker chmods `targets` to 0777; before each run `reset` gives the
/// targets back to the user. Every run that exits 0 must leave each target
/// exactly as `want` says (before the fix, one apply in eight went wrong
/// at the top level, one in four in lib/sh). Returns the number of runs.
fn race_chmod(
    s: &Scene,
    apply_args: &[&str],
    targets: &[(std::path::PathBuf, (u32, u32, u32))],
    reset: &dyn Fn(),
    runs: usize,
    secs: u64,
) -> usize {
    let stop = s.td.join("stop-chmod");
    let attacker = std::process::Command::new("setpriv")
        .args([
            "--reuid",
            "chpv1",
            "--regid",
            "chpv1",
            "--init-groups",
            "--",
        ])
        .arg(python())
        .args(["-c", CHMOD_LOOP])
        .arg(&stop)
        .args(targets.iter().map(|t| &t.0))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn attacker");
    let t0 = std::time::Instant::now();
    let mut n = 0;
    let mut wrong = Vec::new();
    let mut codes = std::collections::BTreeMap::<i32, usize>::new();
    while n < runs && t0.elapsed() < std::time::Duration::from_secs(secs) {
        reset();
        let o = run(apply_args);
        n += 1;
        *codes.entry(code(&o)).or_default() += 1;
        if code(&o) != 0 {
            assert_eq!(code(&o), 1, "run {n}: {}{}", stdout(&o), stderr(&o));
            continue;
        }
        for (p, want) in targets {
            let got = ugm(p);
            if got != *want {
                wrong.push(format!(
                    "run {n}: exit 0 but {} is {}:{} {:o}, the policy says {}:{} {:o}",
                    p.display(),
                    got.0,
                    got.1,
                    got.2,
                    want.0,
                    want.1,
                    want.2
                ));
            }
        }
    }
    std::fs::write(&stop, "").expect("stop attacker");
    let out = attacker.wait_with_output().expect("wait attacker");
    eprintln!(
        "{n} applies in {:.1} s against {} successful chmod 0777s; exit codes {codes:?}",
        t0.elapsed().as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    assert!(
        wrong.is_empty(),
        "{} of {n} runs:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    n
}

/// A python3 the unprivileged attacker can execute.
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

#[test]
fn chroot_top_level_stays_root_0755_under_a_racing_chmod() {
    let s = Scene::new("race-chroot-top");
    let v = s.vhost();
    let (u, www) = (uid_of("chpv1"), gid_of("www-data"));
    // The model's directories exist, so each run only settles the top level.
    let root = s.td.join("srv").display().to_string();
    let args = [
        "apply", "evil.org", "--root", &root, "--user", "chpv1", "--chroot", "--quiet",
    ];
    let o = run(args);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(ugm(&v), (0, 0, 0o755));
    // 0755 owned by the user: narrowing to root's 0755 is a no-op, which
    // is the path where the final chmod used to be skipped.
    let reset = || set(&v, u, www, 0o755);
    let n = race_chmod(&s, &args, &[(v.clone(), (0, 0, 0o755))], &reset, 1000, 20);
    assert!(n >= 100, "only {n} applies ran");
    s.secret_untouched();
}

#[test]
fn lib_sh_stays_root_0700_under_a_racing_chmod() {
    let s = Scene::new("race-lib-sh");
    let v = s.vhost();
    let sh = v.join("web/app/public/lib/sh");
    std::fs::create_dir_all(&sh).expect("mkdir");
    std::fs::write(sh.join("backup.sh"), "#!/bin/sh\n").expect("write");
    let (u, g) = (uid_of("chpv1"), gid_of("chpv1"));
    let root = s.td.join("srv").display().to_string();
    let args = [
        "apply", "evil.org", "--root", &root, "--user", "chpv1", "--quiet",
    ];
    let o = run(args);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    assert_eq!(ugm(&sh), (0, 0, 0o700));
    // The user owns lib/sh and its script again, at the policy's mode.
    let reset = || {
        set(&sh, u, g, 0o700);
        set(&sh.join("backup.sh"), u, g, 0o700);
    };
    let targets = [
        (sh.clone(), (0, 0, 0o700)),
        (sh.join("backup.sh"), (0, 0, 0o700)),
    ];
    let n = race_chmod(&s, &args, &targets, &reset, 1000, 20);
    assert!(n >= 100, "only {n} applies ran");
}

// Found with defect 7, in the same function: after the chown (which makes
// the kernel clear setuid/setgid on a file) the old mode was set again, so
// a rule setting only an owner or a group turned the user's 04755 program
// into root's setuid program (or a setgid-www-data one).

#[test]
fn a_rule_without_a_mode_never_makes_the_users_program_setuid_root() {
    let s = Scene::new("suid-no-mode");
    let data = s.vhost().join("web/app/data");
    s.as_user("cp /bin/true web/app/data/su && chmod 04755 web/app/data/su");
    s.as_user("cp /bin/true web/app/data/sg && chmod 02755 web/app/data/sg");
    let pol = s.td.join("owner-only.json");
    std::fs::write(
        &pol,
        format!(
            r#"{{"base": "{}", "rules": [
                {{"path": "su", "type": "file", "owner": "root"}},
                {{"path": "sg", "type": "file", "group": "www-data"}}]}}"#,
            data.display()
        ),
    )
    .expect("write policy");
    let o = run(["apply", "--policy", pol.to_str().expect("utf8")]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
    let (u, g) = (uid_of("chpv1"), gid_of("chpv1"));
    assert_eq!(ugm(&data.join("su")), (0, g, 0o755));
    assert_eq!(ugm(&data.join("sg")), (u, gid_of("www-data"), 0o755));
    // A second run has nothing left to do.
    let o = run(["check", "--policy", pol.to_str().expect("utf8")]);
    assert_eq!(code(&o), 0, "{}{}", stdout(&o), stderr(&o));
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
