//! Helpers shared by the integration tests: run the real binary (through an
//! emulator when cross-testing), make real trees in temporary directories,
//! read back exact owner/group/mode.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// The chperms binary under test: `$CHPERMS_BIN`, else cargo's build.
pub fn bin() -> PathBuf {
    match std::env::var_os("CHPERMS_BIN") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_BIN_EXE_chperms")),
    }
}

/// A `Command` running chperms, prefixed by `$CHPERMS_RUNNER` (e.g.
/// `qemu-mipsel-static`) when set.
pub fn chperms() -> Command {
    match std::env::var_os("CHPERMS_RUNNER").filter(|r| !r.is_empty()) {
        Some(r) => {
            let mut c = Command::new(r);
            c.arg(bin());
            c
        }
        None => Command::new(bin()),
    }
}

/// Runs chperms with `args`, returning its output.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    chperms().args(args).output().expect("spawn chperms")
}

/// stdout as a String.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as a String.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The exit code (-1 when killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

/// A temporary directory removed on drop. Created mode 0755 under /tmp so
/// that test users can reach what the tests open up to them.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "chperms-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir temp");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod temp");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn join(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Undo anything a test mounted inside before removing.
        let _ = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "grep -o ' {}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l",
                self.0.display()
            ))
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// (uid, gid, permission bits incl. setuid/setgid/sticky) of `p`, not
/// following a final symlink.
pub fn ugm(p: &Path) -> (u32, u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("lstat {}: {e}", p.display()));
    (m.uid(), m.gid(), m.mode() & 0o7777)
}

/// uid of a user name from /etc/passwd (panics when missing: run
/// tests/setup-users.sh).
pub fn uid_of(name: &str) -> u32 {
    let o = Command::new("id").arg("-u").arg(name).output().expect("id");
    assert!(
        o.status.success(),
        "user {name} missing: run tests/setup-users.sh as root"
    );
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .parse()
        .expect("uid")
}

/// gid of a group name from /etc/group.
pub fn gid_of(name: &str) -> u32 {
    let o = Command::new("getent")
        .arg("group")
        .arg(name)
        .output()
        .expect("getent");
    assert!(
        o.status.success(),
        "group {name} missing: run tests/setup-users.sh as root"
    );
    String::from_utf8_lossy(&o.stdout)
        .split(':')
        .nth(2)
        .expect("gid field")
        .trim()
        .parse()
        .expect("gid")
}

/// Name of the user with uid 1000 (the sysadm case).
pub fn uid1000_name() -> String {
    let o = Command::new("getent")
        .args(["passwd", "1000"])
        .output()
        .expect("getent");
    assert!(
        o.status.success(),
        "no uid 1000: run tests/setup-users.sh as root"
    );
    String::from_utf8_lossy(&o.stdout)
        .split(':')
        .next()
        .unwrap_or("")
        .to_string()
}

/// Runs `sh -c script` as `user` (with that user's groups) and returns
/// whether it succeeded — the kernel's own verdict on access.
pub fn as_user_ok(user: &str, script: &str) -> bool {
    Command::new("setpriv")
        .args([
            "--reuid",
            user,
            "--regid",
            user,
            "--init-groups",
            "--",
            "sh",
            "-c",
            script,
        ])
        .output()
        .expect("setpriv")
        .status
        .success()
}

/// chown + chmod by path (test set-up only).
pub fn set(p: &Path, uid: u32, gid: u32, mode: u32) {
    std::os::unix::fs::lchown(p, Some(uid), Some(gid)).expect("lchown");
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// Snapshot of every entry below `root`: path, type char, uid, gid, mode.
pub fn snapshot(root: &Path) -> Vec<(PathBuf, char, u32, u32, u32)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let m = std::fs::symlink_metadata(&p).expect("lstat");
        let t = if m.is_dir() {
            'd'
        } else if m.file_type().is_symlink() {
            'l'
        } else if m.is_file() {
            'f'
        } else {
            'o'
        };
        out.push((p.clone(), t, m.uid(), m.gid(), m.mode() & 0o7777));
        if t == 'd' {
            if let Ok(rd) = std::fs::read_dir(&p) {
                for e in rd.flatten() {
                    stack.push(e.path());
                }
            }
        }
    }
    out.sort();
    out
}

/// Runs one differential table (`tests/cases/NAME.cases`) through the sh
/// harness a router also runs, comparing chperms with GNU's tools; panics
/// with the harness's report when any case differs.
pub fn run_case_table(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let bin = bin();
    let cmd = match std::env::var("CHPERMS_RUNNER") {
        Ok(r) if !r.is_empty() => format!("{r} {}", bin.display()),
        _ => bin.display().to_string(),
    };
    let o = Command::new("sh")
        .arg(dir.join("run-cases.sh"))
        .arg(dir.join(format!("{name}.cases")))
        .env("CHPERMS", cmd)
        .env("VERBOSE", "1")
        .output()
        .expect("run sh harness");
    let text = String::from_utf8_lossy(&o.stdout);
    eprintln!("{text}{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        o.status.success(),
        "differential {name} cases failed:\n{text}"
    );
}

/// Runs chperms through a symlink named `applet` (BusyBox-style multi-call)
/// in `dir`, with `args`.
pub fn run_as_symlink(applet: &str, dir: &Path, args: &[&str]) -> Output {
    let link = dir.join(applet);
    std::os::unix::fs::symlink(bin(), &link).expect("symlink");
    let mut c = match std::env::var_os("CHPERMS_RUNNER").filter(|r| !r.is_empty()) {
        Some(r) => {
            let mut c = Command::new(r);
            c.arg(&link);
            c
        }
        None => Command::new(&link),
    };
    c.args(args).current_dir(dir).output().expect("spawn")
}

/// The incident's thirteen directories (seeds/000): all
/// `wegweiser:www-data 0775`, created when missing.
pub const INCIDENT_DIRS: [&str; 13] = [
    "payloads",
    "payloads/queue",
    "payloads/invalid",
    "payloads/noDeviceUuid",
    "deviceFiles",
    "logs",
    "wlog",
    "data",
    "downloads",
    "tmp",
    "flask_session",
    "backups",
    "snippets",
];
