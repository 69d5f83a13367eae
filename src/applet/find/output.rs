//! Where `find` writes: its output streams (standard output and the files
//! `-fprint`, `-fprint0`, `-fprintf` and `-fls` name) and its messages.
//!
//! Messages quote names as GNU find does (gnulib's `locale` quoting style):
//! `'a\nb'` with C escapes in the C locale, `‘a\nb’` in a UTF-8 one, where
//! printable multibyte characters stay as they are.

use crate::fmt_quote::{c_escape, FdSink, Sink};
use crate::sys::{self, Errno};
use rustix::fd::{AsFd, OwnedFd};
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};

/// The first stream: standard output.
pub(super) const STDOUT: usize = 0;

/// One output stream. Invariant: `fd` is `None` exactly for standard
/// output and standard error, which are written through their numbers.
struct Stream {
    /// GNU's name for it in messages: `standard output`, or the path.
    name: String,
    /// The file `-fprint` opened (kept open until the end).
    fd: Option<OwnedFd>,
    to_stderr: bool,
    buf: Vec<u8>,
    /// A write failed: the error was reported; nothing more is written.
    failed: bool,
}

/// Every output stream of one `find` run, by index ([`STDOUT`] first).
pub(super) struct Outputs {
    streams: Vec<Stream>,
}

/// What [`Outputs::with`] needs reported after writing.
pub(super) enum WriteResult {
    Ok,
    /// A write error on the stream (already marked failed).
    Failed(String, Errno),
}

impl Outputs {
    pub fn new() -> Outputs {
        Outputs {
            streams: vec![Stream::standard("standard output", false)],
        }
    }

    /// The stream for `path` (`-fprint PATH`): opened (created, truncated)
    /// once; the same path again shares it, as GNU does. `/dev/stdout` and
    /// `/dev/stderr` are the process's own streams.
    pub fn open(&mut self, path: &str) -> Result<usize, Errno> {
        if path == "/dev/stdout" {
            return Ok(STDOUT);
        }
        if let Some(k) = self.streams.iter().position(|s| s.name == path) {
            return Ok(k);
        }
        let stream = if path == "/dev/stderr" {
            Stream::standard("standard error", true)
        } else {
            let c = CString::new(path).map_err(|_| Errno::INVAL)?;
            let fd = sys::create_output_file(&c)?;
            Stream {
                name: path.to_owned(),
                fd: Some(fd),
                to_stderr: false,
                buf: Vec::new(),
                failed: false,
            }
        };
        self.streams.push(stream);
        Ok(self.streams.len() - 1)
    }

    /// Appends to stream `k` through `f`, writing out when a chunk is full.
    /// A write error is returned once, to be reported by the caller.
    pub fn with(&mut self, k: usize, f: &mut dyn FnMut(&mut dyn Sink)) -> WriteResult {
        let s = &mut self.streams[k];
        if s.failed {
            return WriteResult::Ok;
        }
        let fd = s.fd.as_ref().map_or_else(
            || {
                if s.to_stderr {
                    sys::stderr_fd()
                } else {
                    sys::stdout_fd()
                }
            },
            |fd| fd.as_fd(),
        );
        // The stream's own buffer is lent to an FdSink for the call, so
        // that padding of any size goes out in chunks.
        let mut sink = FdSink::with_buffer(fd, std::mem::take(&mut s.buf));
        f(&mut sink);
        let (buf, err) = sink.into_parts();
        s.buf = buf;
        match err {
            None => WriteResult::Ok,
            Some(e) => {
                s.failed = true;
                s.buf.clear();
                WriteResult::Failed(s.name.clone(), e)
            }
        }
    }

    /// Writes out every stream's buffer; returns the first error.
    pub fn flush_all(&mut self) -> Option<(String, Errno)> {
        let mut first = None;
        for s in &mut self.streams {
            if s.buf.is_empty() || s.failed {
                continue;
            }
            let fd = match &s.fd {
                Some(fd) => fd.as_fd(),
                None if s.to_stderr => sys::stderr_fd(),
                None => sys::stdout_fd(),
            };
            let r = sys::write_all(fd, &s.buf);
            s.buf.clear();
            if let Err(e) = r {
                s.failed = true;
                first.get_or_insert((s.name.clone(), e));
            }
        }
        first
    }

    /// The name of stream `k` for messages (`standard output`, or the path).
    pub fn name(&self, k: usize) -> &str {
        &self.streams[k].name
    }
}

impl Stream {
    fn standard(name: &str, to_stderr: bool) -> Stream {
        Stream {
            name: name.to_owned(),
            fd: None,
            to_stderr,
            buf: Vec::with_capacity(8192),
            failed: false,
        }
    }
}

/// Appends `s` quoted as GNU find quotes file names in messages (gnulib's
/// `locale` style): between `'` and `'` (`‘` and `’` in a UTF-8 locale),
/// with C escapes (`\n`, `\\`, `\'`, `\ooo`) for what is not printable.
#[inline(never)]
pub(super) fn quote_into(out: &mut Vec<u8>, s: &[u8], utf8: bool) {
    let (open, close): (&[u8], &[u8]) = if utf8 {
        ("\u{2018}".as_bytes(), "\u{2019}".as_bytes())
    } else {
        (b"'", b"'")
    };
    out.extend_from_slice(open);
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if utf8 && c >= 0x80 {
            // A valid, printable multibyte character is kept whole.
            let n = utf8_len(&s[i..]);
            if n > 0 {
                if let Some(ch) = std::str::from_utf8(&s[i..i + n])
                    .ok()
                    .and_then(|t| t.chars().next())
                {
                    if !ch.is_control() {
                        out.extend_from_slice(&s[i..i + n]);
                        i += n;
                        continue;
                    }
                }
            }
        }
        // In the C locale `'` is escaped too (it closes the quotes there).
        c_escape(out, c, if utf8 { b"\\" } else { b"\\'" });
        i += 1;
    }
    out.extend_from_slice(close);
}

/// The length of the UTF-8 sequence starting `s` (0 when it is not one).
fn utf8_len(s: &[u8]) -> usize {
    let n = match s[0] {
        0xc2..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf4 => 4,
        _ => return 0,
    };
    if s.len() >= n && std::str::from_utf8(&s[..n]).is_ok() {
        n
    } else {
        0
    }
}

/// Messages quote names for a UTF-8 locale (set once, at start).
static UTF8: AtomicBool = AtomicBool::new(false);

/// Sets whether messages quote for a UTF-8 locale.
pub(super) fn set_utf8(on: bool) {
    UTF8.store(on, Ordering::Relaxed);
}

/// Whether the locale is UTF-8.
pub(super) fn utf8() -> bool {
    UTF8.load(Ordering::Relaxed)
}

/// Appends `template` with each `%s` replaced by the next of `args` as it
/// is, each `%q` by the next quoted as GNU quotes names, `%%` by `%`: the
/// messages read like GNU's own message ids.
pub(super) fn expand(out: &mut Vec<u8>, template: &str, args: &[&[u8]]) {
    let t = template.as_bytes();
    let mut next = args.iter();
    let mut i = 0;
    while i < t.len() {
        if t[i] == b'%' && i + 1 < t.len() {
            i += 2;
            match t[i - 1] {
                b's' => out.extend_from_slice(next.next().copied().unwrap_or_default()),
                b'q' => quote_into(out, next.next().copied().unwrap_or_default(), utf8()),
                c => out.push(c),
            }
        } else {
            out.push(t[i]);
            i += 1;
        }
    }
}

/// Writes `find: ` and the expanded `template` (see [`expand`]) as one line
/// on stderr.
#[inline(never)]
pub(super) fn say(template: &str, args: &[&[u8]]) {
    let mut line = b"find: ".to_vec();
    expand(&mut line, template, args);
    line.push(b'\n');
    let _ = sys::write_all(sys::stderr_fd(), &line);
}
