//! SPEC §5 as tests: nothing outside the tree may change owner or mode,
//! whatever the vhost user plants in it or swaps in while chperms runs;
//! apply must not hang; refused entries make exit 1.
//!
//! Every test builds a real vhost tree (root:root, dirs 0755, files 0644)
//! under a TempDir in /tmp, plants a trap pointing at root-only files in
//! another TempDir ("OUTSIDE", same filesystem so hard links work), runs the
//! real binary as root with a deadline, and compares full owner/group/mode
//! snapshots of OUTSIDE before and after.

mod common;
mod jsonl;

use common::*;
use jsonl::Value;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const VH: &str = "goldcoast.org";

/// A vhost tree `ROOT/goldcoast.org` shaped like a fresh upload: every
/// entry root:root, dirs 0755, files 0644.
struct Vhost {
    root: TempDir,
    v: PathBuf,
}

fn vhost(tag: &str) -> Vhost {
    let root = TempDir::new(tag);
    let v = root.join(VH);
    for d in ["web/log", "web/app/public", "web/run", "web/tmp", "msg"] {
        std::fs::create_dir_all(v.join(d)).unwrap();
    }
    std::fs::write(v.join("web/app/public/index.php"), "<?php\n").unwrap();
    std::fs::write(v.join("web/log/error.log"), "").unwrap();
    for (p, ..) in snapshot(&v) {
        let m = if p.is_dir() { 0o755 } else { 0o644 };
        set(&p, 0, 0, m);
    }
    Vhost { root, v }
}

/// OUTSIDE: a root-only world the vhost user must never reach through
/// chperms: `secret` root 0600, `dir/` 0700 with `f` 0600 and `sub/f2`.
fn outside(tag: &str) -> TempDir {
    let o = TempDir::new(tag);
    std::fs::write(o.join("secret"), "root only\n").unwrap();
    std::fs::create_dir_all(o.join("dir/sub")).unwrap();
    std::fs::write(o.join("dir/f"), "f\n").unwrap();
    std::fs::write(o.join("dir/sub/f2"), "f2\n").unwrap();
    set(&o.join("secret"), 0, 0, 0o600);
    set(&o.join("dir"), 0, 0, 0o700);
    set(&o.join("dir/sub"), 0, 0, 0o700);
    set(&o.join("dir/f"), 0, 0, 0o600);
    set(&o.join("dir/sub/f2"), 0, 0, 0o600);
    o
}

/// What one bounded run of chperms produced.
struct Ran {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    /// Peak resident set of the child, KiB (includes an emulator's own
    /// footprint when CHPERMS_RUNNER is set).
    maxrss_kib: i64,
}

impl Ran {
    fn json(&self) -> Vec<Value> {
        jsonl::lines(&self.stdout)
    }
}

/// Runs chperms with `args`, failing the test if it is not done within
/// `secs` (it is killed first: a hang must never pass). The child is reaped
/// with wait4 (for its peak RSS), which clippy cannot see.
#[allow(clippy::zombie_processes)]
fn run_bounded(args: &[OsString], secs: u64) -> Ran {
    let mut child = chperms()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chperms");
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = so.read_to_end(&mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = se.read_to_end(&mut b);
        b
    });
    let pid = child.id() as libc::pid_t;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (status, ru) = loop {
        let mut st: libc::c_int = 0;
        // SAFETY: plain wait4 on our own child with valid out-pointers.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let r = unsafe { libc::wait4(pid, &mut st, libc::WNOHANG, &mut ru) };
        if r == pid {
            break (st, ru);
        }
        assert!(r == 0, "wait4 failed");
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chperms {args:?} did not finish within {secs} s: killed (a hang)");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -(libc::WTERMSIG(status))
    };
    let stdout = t_out.join().unwrap();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    Ran {
        code,
        stdout,
        stderr,
        // c_long: 32 bits on mipsel/armv7, 64 on x86_64.
        #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
        maxrss_kib: i64::from(ru.ru_maxrss),
    }
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// `chperms goldcoast.org --root ROOT --user chpv1 --format json [extra]`.
fn apply_json(vh: &Vhost, extra: &[&str]) -> Ran {
    let mut a = os(&[VH, "--root"]);
    a.push(vh.root.path().as_os_str().to_owned());
    a.extend(os(&["--user", "chpv1", "--format", "json"]));
    a.extend(os(extra));
    run_bounded(&a, 30)
}

/// The findings about `p` (exact path match).
fn findings_for<'a>(lines: &'a [Value], p: &Path) -> Vec<&'a Value> {
    let want = p.to_str().unwrap();
    lines.iter().filter(|l| l.s("path") == want).collect()
}

/// The summary object, which must be the last line and the only one.
fn summary(lines: &[Value]) -> &Value {
    let last = lines.last().expect("no output");
    let s = last.get("summary").expect("last line is not the summary");
    assert_eq!(
        lines.iter().filter(|l| l.get("summary").is_some()).count(),
        1
    );
    s
}

fn lstat_id(p: &Path) -> (u64, u64, u32, u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.dev(), m.ino(), m.uid(), m.gid(), m.mode())
}

#[test]
fn symlink_where_a_log_file_belongs_is_refused_not_followed() {
    let vh = vhost("s-loglink");
    let out = outside("s-loglink-out");
    let link = vh.v.join("web/log/access.log");
    symlink(out.join("secret"), &link).unwrap();
    let before_out = snapshot(out.path());
    let before_link = lstat_id(&link);

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(
        r.code, 1,
        "refused entry must make exit 1; stderr: {}",
        r.stderr
    );
    assert_eq!(
        snapshot(out.path()),
        before_out,
        "something outside changed"
    );
    assert_eq!(lstat_id(&link), before_link, "the symlink itself changed");
    let f = findings_for(&lines, &link);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].s("kind"), "type");
    assert_eq!(f[0].s("action"), "refused");
    assert_eq!(f[0].s("actual"), "symlink");
    assert_eq!(f[0].s("expected"), "file");
    assert_eq!(summary(&lines).n("refused"), Some(1));
    // The rest of the tree was still brought into policy.
    assert_eq!(ugm(&vh.v.join("web/log/error.log")), (1101, 33, 0o660));
}

#[test]
fn symlinked_directory_is_not_followed() {
    let vh = vhost("s-dirlink");
    let out = outside("s-dirlink-out");
    let link = vh.v.join("web/app/public/uploads");
    symlink(out.join("dir"), &link).unwrap();
    let before_out = snapshot(out.path());
    let before_link = lstat_id(&link);

    let r = apply_json(&vh, &[]);
    assert_eq!(
        snapshot(out.path()),
        before_out,
        "something outside changed"
    );
    assert_eq!(lstat_id(&link), before_link);
    // Only `**` rules match `uploads`: an ordinary symlink, not entered, no
    // finding, and the run is otherwise clean.
    let lines = r.json();
    assert!(findings_for(&lines, &link).is_empty(), "{lines:?}");
    assert!(
        !lines.iter().any(|l| l.s("path").contains("uploads/")),
        "entered the link"
    );
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
}

/// Regression: `.ssh` is only matched by the model's `.ssh/**` rules, and a
/// symlink there used to be skipped silently with exit 0.
#[test]
fn ssh_replaced_by_symlink_is_refused() {
    let vh = vhost("s-ssh");
    let out = outside("s-ssh-out");
    let link = vh.v.join(".ssh");
    symlink(out.join("dir"), &link).unwrap();
    let before_out = snapshot(out.path());

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(
        snapshot(out.path()),
        before_out,
        "something outside changed"
    );
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let f = findings_for(&lines, &link);
    assert_eq!(f.len(), 1, "{lines:?}");
    assert_eq!((f[0].s("kind"), f[0].s("action")), ("type", "refused"));
    assert_eq!((f[0].s("expected"), f[0].s("actual")), ("dir", "symlink"));
    // A symlink deeper below .ssh is an ordinary one (only `**` names it).
    let gnupg = vh.v.join(".gnupg/keys");
    std::fs::create_dir_all(&gnupg).unwrap();
    symlink(out.join("dir"), gnupg.join("l")).unwrap();
    std::fs::remove_file(&link).unwrap();
    let r = apply_json(&vh, &[]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(snapshot(out.path()), before_out);
}

#[test]
fn hard_link_to_root_file_outside_is_refused() {
    let vh = vhost("s-hard");
    let out = outside("s-hard-out");
    let hl = vh.v.join("web/app/public/config.inc.php");
    std::fs::hard_link(out.join("secret"), &hl).unwrap();
    let before_out = snapshot(out.path());

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert_eq!(snapshot(out.path()), before_out);
    assert_eq!(ugm(&out.join("secret")), (0, 0, 0o600));
    let f = findings_for(&lines, &hl);
    assert_eq!(f.len(), 1, "{lines:?}");
    assert_eq!((f[0].s("kind"), f[0].s("action")), ("unsafe", "refused"));
    assert_eq!(
        (f[0].s("expected"), f[0].s("actual")),
        ("1 link", "2 links")
    );
    assert_eq!(summary(&lines).n("refused"), Some(1));
    // check reports it the same way and changes nothing either.
    let mut a = os(&["check", VH, "--root"]);
    a.push(vh.root.path().as_os_str().to_owned());
    a.extend(os(&["--user", "chpv1"]));
    let r = run_bounded(&a, 30);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("hard links"), "{}", r.stderr);
    assert_eq!(snapshot(out.path()), before_out);
}

#[test]
fn fifo_never_hangs_and_is_changed_only_through_o_path() {
    let vh = vhost("s-fifo");
    let fifo = vh.v.join("web/app/public/pipe");
    let c = std::ffi::CString::new(fifo.as_os_str().as_bytes()).unwrap();
    // SAFETY: mkfifo with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    set(&fifo, 0, 0, 0o644);

    // The built-in model touches sockets only in web/run and leaves FIFOs
    // alone: no change, no finding, exit 0 — and no hang.
    let r = apply_json(&vh, &[]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(ugm(&fifo), (0, 0, 0o644));
    assert!(findings_for(&r.json(), &fifo).is_empty());

    // A policy that names it ("type": "any" includes FIFOs) changes it —
    // through an O_PATH handle, never opened (an open for reading would
    // block forever: the deadline catches that).
    let pol = vh.root.join("fifo.json");
    std::fs::write(
        &pol,
        format!(
            r#"{{"base": "{}", "rules": [{{"path": "web/app/public/pipe", "type": "any", "owner": "chpv1", "group": "www-data", "mode": "0620"}}]}}"#,
            vh.v.display()
        ),
    )
    .unwrap();
    let r = run_bounded(&os(&["apply", "--policy", pol.to_str().unwrap()]), 20);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(ugm(&fifo), (1101, 33, 0o620));
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo_like());
}

trait FifoLike {
    fn is_fifo_like(&self) -> bool;
}
impl FifoLike for std::fs::FileType {
    fn is_fifo_like(&self) -> bool {
        std::os::unix::fs::FileTypeExt::is_fifo(self)
    }
}

#[test]
fn device_node_is_refused_and_never_changed() {
    let vh = vhost("s-dev");
    let node = vh.v.join("web/app/public/null");
    let st = Command::new("mknod")
        .arg(&node)
        .args(["c", "1", "3"])
        .status()
        .unwrap();
    assert!(st.success(), "mknod failed");
    set(&node, 0, 0, 0o666);
    let before = lstat_id(&node);
    let devnull = lstat_id(Path::new("/dev/null"));

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert_eq!(lstat_id(&node), before);
    assert_eq!(lstat_id(Path::new("/dev/null")), devnull);
    let f = findings_for(&lines, &node);
    assert_eq!(f.len(), 1, "{lines:?}");
    assert_eq!((f[0].s("kind"), f[0].s("action")), ("type", "refused"));
    assert_eq!(f[0].s("actual"), "char-device");
}

/// Mounts a tmpfs at `at`, or explains loudly why it cannot; returns false
/// only when CHPERMS_ALLOW_NO_MOUNT=1 allows skipping.
fn mount_tmpfs(at: &Path) -> bool {
    let o = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m,mode=0755", "none"])
        .arg(at)
        .output()
        .expect("run mount");
    if o.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
    eprintln!("SKIPPED: cannot mount tmpfs here: {why}");
    if std::env::var("CHPERMS_ALLOW_NO_MOUNT").as_deref() == Ok("1") {
        return false;
    }
    panic!("cannot mount tmpfs here ({why}); set CHPERMS_ALLOW_NO_MOUNT=1 to skip knowingly");
}

#[test]
fn tmpfs_mounted_inside_is_reported_not_entered_unless_cross_mounts() {
    let vh = vhost("s-mount");
    let mnt = vh.v.join("web/app/public/mnt");
    std::fs::create_dir(&mnt).unwrap();
    set(&mnt, 0, 0, 0o755);
    if !mount_tmpfs(&mnt) {
        return;
    }
    std::fs::create_dir(mnt.join("sub")).unwrap();
    std::fs::write(mnt.join("f"), "x").unwrap();
    std::fs::write(mnt.join("sub/g"), "y").unwrap();
    set(&mnt, 0, 0, 0o755);
    set(&mnt.join("sub"), 0, 0, 0o755);
    set(&mnt.join("f"), 0, 0, 0o644);
    set(&mnt.join("sub/g"), 0, 0, 0o644);
    let before = snapshot(&mnt);

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(
        snapshot(&mnt),
        before,
        "something on the other filesystem changed"
    );
    let f = findings_for(&lines, &mnt);
    assert_eq!(f.len(), 1, "{lines:?}");
    assert_eq!((f[0].s("kind"), f[0].s("action")), ("unsafe", "reported"));
    assert!(
        !lines.iter().any(|l| l.s("path").contains("/mnt/")),
        "entered the mount"
    );
    // A mount point is reported, not an error: the rest is fine → exit 0.
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(summary(&lines).n("errors"), Some(0));
    assert_eq!(
        ugm(&vh.v.join("web/app/public/index.php")),
        (1101, 33, 0o640)
    );

    let r = apply_json(&vh, &["--cross-mounts"]);
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    assert_eq!(ugm(&mnt), (1101, 33, 0o2750));
    assert_eq!(ugm(&mnt.join("f")), (1101, 33, 0o640));
    assert_eq!(ugm(&mnt.join("sub/g")), (1101, 33, 0o640));
    let _ = Command::new("umount").arg(&mnt).status();
}

/// Mounts overlayfs at `merged` from `lower` (on the disk) and an upper layer
/// on a tmpfs mounted at `rw`: layers on two other filesystems, as OpenWrt's
/// root (squashfs + jffs2) or a container's. Same skip rule as tmpfs.
fn mount_overlay(lower: &Path, rw: &Path, merged: &Path) -> bool {
    if !mount_tmpfs(rw) {
        return false;
    }
    std::fs::create_dir(rw.join("upper")).unwrap();
    std::fs::create_dir(rw.join("work")).unwrap();
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        rw.join("upper").display(),
        rw.join("work").display()
    );
    let o = Command::new("mount")
        .args(["-t", "overlay", "overlay", "-o", &opts])
        .arg(merged)
        .output()
        .expect("run mount");
    if o.status.success() {
        return true;
    }
    let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
    eprintln!("SKIPPED: cannot mount overlayfs here: {why}");
    if std::env::var("CHPERMS_ALLOW_NO_MOUNT").as_deref() == Ok("1") {
        return false;
    }
    panic!("cannot mount overlayfs here ({why}); set CHPERMS_ALLOW_NO_MOUNT=1 to skip knowingly");
}

#[test]
fn a_tree_on_overlayfs_is_one_filesystem_but_a_file_mounted_inside_is_not() {
    // Files on overlayfs report the device of their layer, directories the
    // overlay's: chperms used to refuse every file there as "another
    // filesystem" (every vhost on an OpenWrt root).
    let vh = vhost("s-overlay");
    let td = TempDir::new("s-overlay-fs");
    let (rw, merged) = (td.join("rw"), td.join("merged"));
    std::fs::create_dir(&rw).unwrap();
    std::fs::create_dir(&merged).unwrap();
    if !mount_overlay(vh.root.path(), &rw, &merged) {
        return;
    }
    let v = merged.join(VH);
    // One file copied up to the tmpfs layer, the others still on the disk.
    std::fs::write(v.join("web/log/error.log"), "copied up\n").unwrap();
    let out = outside("s-overlay-out");
    let bound = v.join("web/app/public/bound.php");
    std::fs::write(&bound, "").unwrap();
    let ok = Command::new("mount")
        .arg("--bind")
        .arg(out.join("secret"))
        .arg(&bound)
        .status()
        .expect("mount --bind")
        .success();
    assert!(ok, "mount --bind of a file failed");
    let before = snapshot(out.path());

    let mut a = os(&[VH, "--root"]);
    a.push(merged.as_os_str().to_owned());
    a.extend(os(&["--user", "chpv1", "--format", "json"]));
    let r = run_bounded(&a, 30);
    let lines = r.json();
    // (TempDir's drop unmounts whatever an assertion leaves mounted.)
    let _ = Command::new("umount").arg(&bound).status();
    assert_eq!(
        snapshot(out.path()),
        before,
        "the bind-mounted file changed"
    );
    let mounts: Vec<&str> = lines
        .iter()
        .filter(|l| l.s("message").contains("another filesystem"))
        .map(|l| l.s("path"))
        .collect();
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    if std::env::var_os("CHPERMS_RUNNER").is_some_and(|r| !r.is_empty()) {
        // qemu-user 7.2 does not pass statx's mount id on: chperms keeps to
        // st_dev there and refuses the overlay's files too — the safe side.
        // Straight to stderr (not captured by the test harness): it must
        // show in CI's log.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"NOT RUN under an emulator: overlayfs files cannot be told from mounts \
              without statx's mount id; checked instead that nothing outside changed \
              and the bind-mounted file was reported\n",
        );
        assert!(mounts.contains(&bound.to_str().unwrap()), "{lines:?}");
        return;
    }
    assert_eq!(mounts, [bound.to_str().unwrap()], "{lines:?}");
    // Lower-layer files, the copied-up one and the directories: all fixed.
    assert_eq!(ugm(&v.join("web/app/public/index.php")), (1101, 33, 0o640));
    assert_eq!(ugm(&v.join("web/log/error.log")), (1101, 33, 0o660));
    assert_eq!(ugm(&v.join("web/app/public")), (1101, 33, 0o2750));
    let _ = Command::new("umount").arg(&merged).status();
    let _ = Command::new("umount").arg(&rw).status();
}

/// The attacker: runs as chpv1 and swaps `name` between the real entry and
/// prepared alternatives with rename(2) until `stop` exists; prints the
/// number of completed swap cycles.
const ATTACKER: &str = r#"
import os, sys
d, stop, name = sys.argv[1], sys.argv[2], sys.argv[3]
alts = sys.argv[4:]
os.chdir(d)
n = errs = 0
while True:
    if n % 64 == 0 and os.path.exists(stop):
        break
    try:
        for a in alts:
            os.rename(name, name + '.real')
            os.rename(a, name)
            os.rename(name, a)
            os.rename(name + '.real', name)
        n += 1
    except OSError:
        errs += 1
        if errs > 100000:
            break
print(n, errs)
"#;

/// A python3 the unprivileged attacker can execute (root's pyenv shims are
/// not reachable for chpv1).
fn python() -> &'static str {
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

/// Runs the attacker against `name` in `public` while apply runs again and
/// again; returns (runs, swap cycles, exit-code histogram, messages).
fn race(vh: &Vhost, public: &Path, name: &str, alts: &[&str], secs: u64) -> (usize, u64) {
    let stop = vh.root.join("stop-attacker");
    let mut attacker = Command::new("setpriv")
        .args([
            "--reuid",
            "chpv1",
            "--regid",
            "chpv1",
            "--init-groups",
            "--",
        ])
        .arg(python())
        .args(["-c", ATTACKER])
        .arg(public)
        .arg(&stop)
        .arg(name)
        .args(alts)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn attacker");
    std::thread::sleep(Duration::from_millis(200));
    let t0 = Instant::now();
    let mut runs = 0usize;
    let mut codes = std::collections::BTreeMap::<i32, usize>::new();
    let mut msgs = std::collections::BTreeMap::<String, usize>::new();
    let mut bad: Option<String> = None;
    while t0.elapsed() < Duration::from_secs(secs) && runs < 200 {
        let r = apply_json(vh, &[]);
        runs += 1;
        *codes.entry(r.code).or_default() += 1;
        if r.code != 0 && r.code != 1 {
            bad = Some(format!("exit {} in run {runs}: {}", r.code, r.stderr));
            break;
        }
        for l in r.json() {
            let a = l.s("action");
            if a == "refused" || a == "error" {
                let m = format!("{} {}: {}", l.s("kind"), a, l.s("message"));
                *msgs.entry(m).or_default() += 1;
            }
        }
    }
    std::fs::write(&stop, "").unwrap();
    let mut so = String::new();
    attacker
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut so)
        .unwrap();
    let st = attacker.wait().unwrap();
    let mut se = String::new();
    attacker
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut se)
        .unwrap();
    assert!(st.success(), "attacker failed: {se}");
    let mut it = so.split_whitespace().map(|x| x.parse::<u64>().unwrap_or(0));
    let (swaps, errs) = (it.next().unwrap_or(0), it.next().unwrap_or(0));
    eprintln!(
        "race on {name}: {runs} apply runs in {:.1} s, {swaps} swap cycles ({errs} failed), exit codes {codes:?}",
        t0.elapsed().as_secs_f64()
    );
    for (m, n) in &msgs {
        eprintln!("  {n:5} × {m}");
    }
    if let Some(b) = bad {
        panic!("{b}");
    }
    (runs, swaps)
}

#[test]
fn racing_attacker_swapping_a_directory_for_a_symlink_changes_nothing_outside() {
    let vh = vhost("s-race-dir");
    let out = outside("s-race-dir-out");
    let public = vh.v.join("web/app/public");
    std::fs::create_dir(public.join("swap")).unwrap();
    std::fs::write(public.join("swap/inner.php"), "x").unwrap();
    symlink(out.join("dir"), public.join("swap.l")).unwrap();
    // First run as root gives chpv1 the tree, so the attacker can rename.
    let r = apply_json(&vh, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::os::unix::fs::lchown(public.join("swap.l"), Some(1101), Some(1101)).unwrap();
    let before_out = snapshot(out.path());

    let (runs, swaps) = race(&vh, &public, "swap", &["swap.l"], 8);
    assert_eq!(
        snapshot(out.path()),
        before_out,
        "the attacker reached OUTSIDE"
    );
    assert!(runs >= 10, "only {runs} runs");
    assert!(
        swaps >= 1000,
        "only {swaps} swap cycles: the race did not really run"
    );
}

#[test]
fn racing_attacker_swapping_a_file_for_links_to_outside_changes_nothing_outside() {
    let vh = vhost("s-race-file");
    let out = outside("s-race-file-out");
    let public = vh.v.join("web/app/public");
    let r = apply_json(&vh, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // A symlink and a hard link to root-only files OUTSIDE, ready to be
    // renamed over index.php (protected_hardlinks stops chpv1 from making
    // the hard link itself, so root plants it for the attacker).
    symlink(out.join("secret"), public.join("index.l")).unwrap();
    std::fs::hard_link(out.join("dir/f"), public.join("index.h")).unwrap();
    std::os::unix::fs::lchown(public.join("index.l"), Some(1101), Some(1101)).unwrap();
    let before_out = snapshot(out.path());

    let (runs, swaps) = race(&vh, &public, "index.php", &["index.l", "index.h"], 8);
    assert_eq!(
        snapshot(out.path()),
        before_out,
        "the attacker reached OUTSIDE"
    );
    assert_eq!(ugm(&out.join("dir/f")), (0, 0, 0o600));
    assert!(runs >= 10, "only {runs} runs");
    assert!(
        swaps >= 1000,
        "only {swaps} swap cycles: the race did not really run"
    );
}

#[test]
fn tree_deeper_than_the_depth_budget_is_an_error_not_a_crash() {
    let vh = vhost("s-deep");
    let mut p = vh.v.join("web/app/public");
    for _ in 0..140 {
        p.push("d");
    }
    std::fs::create_dir_all(&p).unwrap();
    std::fs::write(p.join("bottom.php"), "x").unwrap();

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    let deep: Vec<_> = lines
        .iter()
        .filter(|l| l.s("kind") == "error" && l.s("message").contains("deeper than 128 levels"))
        .collect();
    assert_eq!(deep.len(), 1, "{:?}", r.stderr);
    assert_eq!(summary(&lines).n("errors"), Some(1));
    // Bottom never reached, so never changed; the levels above were.
    assert_eq!(ugm(&p.join("bottom.php")), (0, 0, 0o644));
    assert_eq!(ugm(&vh.v.join("web/app/public/d/d/d")), (1101, 33, 0o2750));
    eprintln!("deep tree: peak RSS {} KiB", r.maxrss_kib);
    assert!(r.maxrss_kib < 64 * 1024, "peak RSS {} KiB", r.maxrss_kib);
}

#[test]
fn path_longer_than_path_max_is_reported_not_a_panic() {
    let vh = vhost("s-long");
    // 18 levels of 250-byte names: well over 4096 bytes, made fd-relative
    // (mkdirat/openat) so no single syscall sees the long path.
    let comp = std::ffi::CString::new("n".repeat(250)).unwrap();
    let top = std::ffi::CString::new(vh.v.join("web/app/public").as_os_str().as_bytes()).unwrap();
    // SAFETY: libc calls with valid C strings; every fd is closed.
    unsafe {
        let mut fd = libc::open(top.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
        assert!(fd >= 0);
        for _ in 0..18 {
            assert_eq!(libc::mkdirat(fd, comp.as_ptr(), 0o755), 0);
            let next = libc::openat(fd, comp.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY);
            assert!(next >= 0);
            libc::close(fd);
            fd = next;
        }
        let f = libc::openat(
            fd,
            c"deep.php".as_ptr(),
            libc::O_CREAT | libc::O_WRONLY,
            0o644,
        );
        assert!(f >= 0);
        libc::close(f);
        libc::close(fd);
    }

    let r = apply_json(&vh, &[]);
    let lines = r.json();
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    let long: Vec<_> = lines
        .iter()
        .filter(|l| l.s("kind") == "error" && l.s("message").contains("path longer than 4096"))
        .collect();
    assert_eq!(long.len(), 1, "{lines:?}");
    assert_eq!(summary(&lines).n("errors"), Some(1));
}

#[test]
fn non_utf8_name_is_reported_and_output_stays_valid() {
    let vh = vhost("s-utf8");
    let public = vh.v.join("web/app/public");
    let bad = public.join(std::ffi::OsStr::from_bytes(b"bad\xff\xfe.php"));
    std::fs::write(&bad, "x").unwrap();
    set(&bad, 0, 0, 0o644);

    let r = apply_json(&vh, &[]);
    let lines = r.json(); // every line valid JSON
    assert_eq!(r.code, 1, "stderr: {}", r.stderr);
    assert_eq!(ugm(&bad), (0, 0, 0o644), "a name not validated was changed");
    let want = format!("{}/bad\\xff\\xfe.php", public.display());
    let f: Vec<_> = lines.iter().filter(|l| l.s("path") == want).collect();
    assert_eq!(f.len(), 1, "{lines:?}");
    assert_eq!((f[0].s("kind"), f[0].s("action")), ("error", "error"));
    assert!(f[0].s("message").contains("not valid UTF-8"));

    // Text: the report line is there, no panic, the summary counts it.
    let mut a = os(&[VH, "--root"]);
    a.push(vh.root.path().as_os_str().to_owned());
    a.extend(os(&["--user", "chpv1"]));
    let r = run_bounded(&a, 20);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("name is not valid UTF-8"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"));
    assert!(String::from_utf8_lossy(&r.stdout).contains("0 refused, 1 errors"));
}
