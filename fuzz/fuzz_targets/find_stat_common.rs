//! Shared by the `find_expr`, `find_printf` and `stat_format` targets
//! (included with `#[path]`): the small fixed tree they run on, running an
//! applet in-process with its standard output and error captured, and the
//! input filters.
//!
//! The applets write to file descriptors 1 and 2 directly, so a run points
//! those at two scratch files and puts the fuzzer's own back afterwards
//! (a panic hook restores standard error first, so libFuzzer's report and
//! the panic message are seen).

#![allow(dead_code)] // each target uses part of this file

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

extern "C" {
    fn dup(fd: i32) -> i32;
    fn dup2(old: i32, new: i32) -> i32;
}

/// The fuzzer's own standard error, saved while an applet runs.
static SAVED_STDERR: AtomicI32 = AtomicI32::new(-1);

/// What one applet run did.
pub struct Run {
    /// The exit status the applet returned.
    pub status: i32,
    /// Its standard output (empty when it went to /dev/null).
    pub out: Vec<u8>,
    /// Its standard error.
    pub err: Vec<u8>,
}

/// The fixed tree and the files that capture output.
pub struct Fixture {
    /// The tree's top directory.
    pub root: String,
    /// Every entry below it, as `stat` operands.
    pub entries: Vec<String>,
    out: File,
    err: File,
    null: File,
    saved_stdout: i32,
}

/// The fixture, made once per process: regular files of several sizes and
/// modes, a directory two levels deep, a symlink, a dangling one, one that
/// loops (`sub/up` -> `..`), a socket, a name with a newline and one that
/// is not UTF-8. Every time that can be set is set to a fixed moment in
/// 2020 (with a fraction), and the tree is read once, so that directories'
/// access times have settled (relatime) before anything compares runs.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(make_fixture)
}

fn make_fixture() -> Fixture {
    let top = std::env::temp_dir().join(format!("chperms-fuzz-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&top);
    let t = top.join("tree");
    std::fs::create_dir_all(t.join("sub/deep")).expect("mkdir the fuzz tree");
    let files: [(&[u8], usize, u32); 6] = [
        (b"f.txt", 6, 0o644),
        (b"empty", 0, 0o600),
        (b"run.sh", 40, 0o755),
        (b"sub/a.log", 5000, 0o640),
        (b"sub/deep/x", 1, 0o4711),
        (b"nl\nname", 2, 0o444),
    ];
    for (name, len, mode) in files {
        let p = t.join(OsStr::from_bytes(name));
        std::fs::write(&p, vec![b'x'; len]).expect("write a fuzz tree file");
        set_mode(&p, mode);
    }
    std::fs::write(t.join(OsStr::from_bytes(b"hi\xffthere")), b"h").expect("write");
    let _ = std::os::unix::fs::symlink("f.txt", t.join("link"));
    let _ = std::os::unix::fs::symlink("nowhere", t.join("dangling"));
    let _ = std::os::unix::fs::symlink("..", t.join("sub/up"));
    let sock = std::os::unix::net::UnixListener::bind(t.join("sock"));
    std::mem::forget(sock);
    // Files first, directories after (setting a file's times does not
    // touch its directory's, but creating files does).
    let fixed = SystemTime::UNIX_EPOCH + Duration::new(1_577_934_245, 250_000_000);
    for entry in walk(&t) {
        if !entry.is_dir() && !entry.is_symlink() && entry.is_file() {
            set_times(&entry, fixed);
        }
    }
    for dir in [t.join("sub/deep"), t.join("sub"), t.clone()] {
        set_times(&dir, fixed);
    }
    let open = |name: &str| {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(top.join(name))
            .expect("create a capture file")
    };
    let null = OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .expect("open /dev/null");
    // SAFETY: dup of the process's own standard output and error.
    let (saved_stdout, saved_stderr) = unsafe { (dup(1), dup(2)) };
    assert!(saved_stdout >= 0 && saved_stderr >= 0, "dup failed");
    SAVED_STDERR.store(saved_stderr, Ordering::SeqCst);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_stderr();
        previous(info);
    }));
    let entries = walk(&t)
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| !p.contains('\u{fffd}'))
        .collect();
    let fixture = Fixture {
        root: t.to_string_lossy().into_owned(),
        entries,
        out: open("stdout"),
        err: open("stderr"),
        null,
        saved_stdout,
    };
    // The settling read (see above).
    let _ = fixture.run(chperms::applet::find::main, &[&fixture.root], false);
    fixture
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn set_times(p: &Path, when: SystemTime) {
    let times = std::fs::FileTimes::new()
        .set_accessed(when)
        .set_modified(when);
    File::open(p)
        .and_then(|f| f.set_times(times))
        .expect("set the fuzz tree's times");
}

/// Every path below `dir`, depth first, without following symlinks.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut all = Vec::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    for p in names {
        all.push(p.clone());
        if p.is_dir() && !p.is_symlink() {
            all.extend(walk(&p));
        }
    }
    all
}

fn restore_stderr() {
    let saved = SAVED_STDERR.load(Ordering::SeqCst);
    if saved >= 0 {
        // SAFETY: puts back the descriptor saved when the fixture was made.
        unsafe { dup2(saved, 2) };
    }
}

/// Everything written to `file` since the last run, then empties it.
fn take(file: &File) -> Vec<u8> {
    let len = file.metadata().map(|m| m.len()).unwrap_or(0) as usize;
    let mut bytes = vec![0; len];
    file.read_exact_at(&mut bytes, 0)
        .expect("read a capture file");
    file.set_len(0).expect("truncate a capture file");
    // The descriptor 1 or 2 shares this file's offset: back to the start.
    let mut f = file;
    std::io::Seek::rewind(&mut f).expect("rewind a capture file");
    bytes
}

impl Fixture {
    /// Runs `applet` with `args`; standard output goes to /dev/null when
    /// `discard` (inputs that print megabytes), else it is captured.
    pub fn run(&self, applet: fn(&[&str]) -> i32, args: &[&str], discard: bool) -> Run {
        let out_fd = if discard {
            self.null.as_raw_fd()
        } else {
            self.out.as_raw_fd()
        };
        // SAFETY: points 1 and 2 at files this fixture keeps open.
        unsafe {
            dup2(out_fd, 1);
            dup2(self.err.as_raw_fd(), 2);
        }
        let status = applet(args);
        // SAFETY: puts the fuzzer's own descriptors back.
        unsafe { dup2(self.saved_stdout, 1) };
        restore_stderr();
        Run {
            status,
            out: if discard { Vec::new() } else { take(&self.out) },
            err: take(&self.err),
        }
    }
}

/// The fuzzer's bytes as arguments: NUL-separated UTF-8 (the applets take
/// `&str`); `None` for anything else. (The committed regressions hold up
/// to 28,001 words; libFuzzer's own inputs stay under 4 KB.)
pub fn split_args(data: &[u8]) -> Option<Vec<&str>> {
    let text = std::str::from_utf8(data).ok()?;
    Some(text.split('\0').collect())
}

/// Whether a format asks for a width or precision of five digits or more:
/// legitimate (GNU prints up to `INT_MAX` spaces or zeros, and so does
/// chperms), but megabytes to gigabytes of output, so such runs go to
/// /dev/null and are only checked for not failing.
pub fn prints_megabytes(format: &str) -> bool {
    format
        .as_bytes()
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() >= 5)
}
