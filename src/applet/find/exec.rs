//! The actions with effects outside find: `-exec`, `-execdir`, `-ok`,
//! `-okdir` (commands run directly, no shell) and `-delete`.
//!
//! `-execdir` and `-okdir` run in the entry's own directory, entered through
//! the handle the walk holds (`fchdir` in the child), with `./NAME`: a
//! directory renamed or swapped for a symlink meanwhile cannot move them
//! elsewhere. `-delete` removes `NAME` from that same held directory with
//! `unlinkat`, never by path, so what it removes is always an entry of a
//! directory the walk really opened inside the tree.

use super::eval::{Entry, Find};
use super::output::say;
use crate::budget::{EXEC_ARG_MAX, PATH_MAX};
use crate::sys::{self, Errno, Kind};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

impl Find<'_> {
    /// Runs (`;`) or queues (`{} +`) `-exec`-style action `k` for `e`;
    /// its value is whether the command exited 0 (`{} +`: always true).
    pub fn exec(&mut self, k: usize, e: &mut Entry<'_>) -> bool {
        let kind = self.prog.execs[k].kind;
        let arg = if kind.in_dir() {
            dir_argument(e)
        } else {
            e.path.to_vec()
        };
        if self.prog.execs[k].batch_mode {
            self.queue(k, e, &arg);
            return true;
        }
        if kind.asks() && !self.ask(k, e.path) {
            return false;
        }
        let mut words = Vec::new();
        for w in self.prog.execs[k].argv {
            replace_braces(&mut words, w.as_bytes(), &arg);
            words.push(0);
        }
        // The working directory needs no fchdir (and AT_FDCWD has none).
        let dir = Some(e.dir).filter(|d| kind.in_dir() && !sys::is_cwd(*d));
        if kind.asks() && self.dev_null.is_none() {
            self.dev_null = sys::open_dev_null().ok();
        }
        self.flush();
        let stdin = self
            .dev_null
            .as_ref()
            .filter(|_| kind.asks())
            .map(|fd| fd.as_fd());
        run_command(&[], &words, dir, stdin) == Some(0)
    }

    /// Adds `arg` to the pending `{} +` batch of action `k`, running the
    /// batch first when it is full or (`-execdir`) belongs to another
    /// directory.
    fn queue(&mut self, k: usize, e: &Entry<'_>, arg: &[u8]) {
        let x = &self.prog.execs[k];
        let other_dir =
            x.kind.in_dir() && x.batch_dir.as_ref().is_some_and(|(g, _)| *g != e.dir_gen);
        let full = !x.batch.is_empty() && x.batch.len() + arg.len() + 1 > EXEC_ARG_MAX;
        if other_dir || full {
            self.run_batch(k);
        }
        if self.prog.execs[k].kind.in_dir() && self.prog.execs[k].batch_dir.is_none() {
            let held = if sys::is_cwd(e.dir) {
                sys::open_dir_at_follow(e.dir, c".")
            } else {
                sys::dup_fd(e.dir)
            };
            match held {
                Ok(fd) => self.prog.execs[k].batch_dir = Some((e.dir_gen, fd)),
                Err(er) => {
                    self.error(e.path, er);
                    return;
                }
            }
        }
        let b = &mut self.prog.execs[k].batch;
        b.extend_from_slice(arg);
        b.push(0);
    }

    /// Runs the pending `{} +` batch of action `k`; a failing command makes
    /// find exit 1.
    pub fn run_batch(&mut self, k: usize) {
        let batch = std::mem::take(&mut self.prog.execs[k].batch);
        let dir: Option<OwnedFd> = self.prog.execs[k].batch_dir.take().map(|(_, fd)| fd);
        if batch.is_empty() {
            return;
        }
        self.flush();
        let argv = self.prog.execs[k].argv;
        if run_command(argv, &batch, dir.as_ref().map(|d| d.as_fd()), None) != Some(0) {
            self.status = 1;
        }
    }

    /// Runs every pending batch (at the end, and after `-quit`).
    pub fn run_all_batches(&mut self) {
        for k in 0..self.prog.execs.len() {
            self.run_batch(k);
        }
    }

    /// `-ok`/`-okdir`: asks on stderr, reads the answer from stdin.
    fn ask(&mut self, k: usize, path: &[u8]) -> bool {
        self.flush();
        let program = self.prog.execs[k].argv[0].as_bytes();
        message_raw(&[b"< ", program, b" ... ", path, b" > ? "]);
        match sys::read_stdin_line(PATH_MAX) {
            Some(line) => matches!(line.first(), Some(b'y' | b'Y')),
            None => false,
        }
    }

    /// `-delete`: removes the entry from the directory the walk holds.
    /// `.` as a start point is left alone, as GNU does.
    pub fn delete(&mut self, e: &mut Entry<'_>) -> bool {
        if e.depth == 0 && e.path == b"." {
            return true;
        }
        let is_dir = self.kind(e) == Kind::Dir;
        let mut r = sys::remove_at(e.dir, e.name, is_dir);
        if r == Err(Errno::ISDIR) && !is_dir {
            // The type was not known: unlink said it is a directory.
            r = sys::remove_at(e.dir, e.name, true);
        }
        match r {
            Ok(()) => true,
            Err(Errno::NOENT) if self.prog.ignore_race => true,
            Err(er) => {
                self.flush();
                say(
                    "cannot delete %q: %s",
                    &[e.path, sys::errno_text(er).as_bytes()],
                );
                self.status = 1;
                false
            }
        }
    }
}

/// Runs `head` followed by the NUL-terminated words of `tail`, directly
/// (no shell; the caller has written out find's own output first); its
/// exit code, `None` when it could not start or was killed.
fn run_command(
    head: &[&str],
    tail: &[u8],
    dir: Option<BorrowedFd<'_>>,
    stdin: Option<BorrowedFd<'_>>,
) -> Option<i32> {
    let mut args: Vec<&[u8]> = head.iter().map(|a| a.as_bytes()).collect();
    let mut rest = tail;
    while let Some(k) = rest.iter().position(|&c| c == 0) {
        args.push(&rest[..k]);
        rest = &rest[k + 1..];
    }
    let o = sys::SpawnOpts {
        dir,
        stdin,
        ..Default::default()
    };
    match sys::spawn(&args, &o).and_then(|pid| sys::wait_child(pid, true)) {
        Ok(st) => st.and_then(sys::exit_code),
        Err(e) => {
            say("%q: %s", &[args[0], sys::errno_text(e).as_bytes()]);
            None
        }
    }
}

/// What `{}` stands for with `-execdir`: `./NAME` in the entry's directory.
/// For a start point GNU keeps one trailing slash (`d/` is `./d/`) and `/`
/// stays `/`.
fn dir_argument(e: &Entry<'_>) -> Vec<u8> {
    let name = e.name.to_bytes();
    if e.depth > 0 {
        return [b"./", name].concat();
    }
    if e.path.iter().all(|&c| c == b'/') {
        return b"/".to_vec();
    }
    let trimmed = name
        .iter()
        .rposition(|&c| c != b'/')
        .map_or(name, |k| &name[..=k]);
    let mut v = [b"./", trimmed].concat();
    if trimmed.len() < name.len() {
        v.push(b'/');
    }
    v
}

/// Appends an `-exec … ;` word to `v` with every `{}` replaced by `path`.
fn replace_braces(v: &mut Vec<u8>, a: &[u8], path: &[u8]) {
    let mut i = 0;
    while i < a.len() {
        if a[i..].starts_with(b"{}") {
            v.extend_from_slice(path);
            i += 2;
        } else {
            v.push(a[i]);
            i += 1;
        }
    }
}

/// Writes the pieces on stderr as they are (the `-ok` prompt has no
/// `find: ` and no newline).
fn message_raw(pieces: &[&[u8]]) {
    let _ = sys::write_all(sys::stderr_fd(), &pieces.concat());
}
