//! GNU's `shell-escape-always` quoting (`'name'`, `"it's"`, `'a'$'\n''b'`),
//! which GNU `stat %N` and the `find`/`stat` error messages use, and C
//! `printf`-style padding shared by `stat -c` and `find -printf`.
//!
//! Padding writes into a [`Sink`]: a `Vec<u8>` for short internal text, or a
//! stream that writes itself out as it fills, so that a width of two billion
//! (which C's printf honours, and GNU stat and find print) costs a chunk of
//! memory, not gigabytes. A width or precision above `INT_MAX` is what C's
//! printf refuses (`EOVERFLOW`): [`Spec::overflow`] says so and the padding
//! functions then write nothing, as GNU's output shows.

use crate::budget::{OUTPUT_CHUNK, PRINTF_INT_MAX};
use crate::sys::{self, Errno};
use rustix::fd::BorrowedFd;

/// Appends `s` quoted the way GNU quotes file names in the C locale.
pub fn shell_quote(out: &mut Vec<u8>, s: &[u8]) {
    let plain = |c: u8| (0x20..0x7f).contains(&c);
    if s.iter().all(|&c| plain(c))
        && s.contains(&b'\'')
        && !s.iter().any(|c| b"\"$`\\!".contains(c))
    {
        out.push(b'"');
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let mut inq = true;
    out.push(b'\'');
    for &c in s {
        if c == b'\'' {
            if inq {
                out.push(b'\'');
            }
            out.extend_from_slice(b"\\'");
            inq = false;
        } else if plain(c) {
            if !inq {
                out.push(b'\'');
                inq = true;
            }
            out.push(c);
        } else {
            if inq {
                out.push(b'\'');
                inq = false;
            }
            out.extend_from_slice(b"$'");
            c_escape(out, c, b"");
            out.push(b'\'');
        }
    }
    if inq {
        out.push(b'\'');
    }
}

/// Appends byte `c` as C writes it in a string literal, the escaping GNU's
/// quoting shares (`stat %N`'s `$'…'`, find's `-ls` names and its quoted
/// message names): a letter escape (`\n`, `\t`, …) for the controls that
/// have one, a backslash before each byte of `backslashed` (the printable
/// bytes the caller's quoting gives a meaning: `\\`, `\'`, `\ `), other
/// printable ASCII as it is, and three octal digits (`\303`, C's `\\%03o`)
/// for the rest.
pub fn c_escape(out: &mut Vec<u8>, c: u8, backslashed: &[u8]) {
    let letter = match c {
        7 => b'a',
        8 => b'b',
        9 => b't',
        10 => b'n',
        11 => b'v',
        12 => b'f',
        13 => b'r',
        _ if backslashed.contains(&c) => c,
        _ => 0,
    };
    if letter != 0 {
        out.extend_from_slice(&[b'\\', letter]);
    } else if (0x20..0x7f).contains(&c) {
        out.push(c);
    } else {
        out.extend_from_slice(&[
            b'\\',
            b'0' + (c >> 6),
            b'0' + ((c >> 3) & 7),
            b'0' + (c & 7),
        ]);
    }
}

/// `shell_quote` into a fresh String (lossy), for messages.
pub fn quoted(s: &[u8]) -> String {
    let mut v = Vec::new();
    shell_quote(&mut v, s);
    String::from_utf8_lossy(&v).into_owned()
}

/// Appends the concatenated `parts` (one loop instead of a `write!` per
/// message shape).
pub fn put(out: &mut Vec<u8>, parts: &[&[u8]]) {
    for p in parts {
        out.extend_from_slice(p);
    }
}

/// Writes `prefix` and the concatenated `parts` as one line on stderr; a
/// write error is ignored, as for the report's diagnostics.
pub fn err_line(prefix: &[u8], parts: &[&[u8]]) {
    let mut v = prefix.to_vec();
    put(&mut v, parts);
    v.push(b'\n');
    to_stderr(&v);
}

/// Writes `text` to stdout in one piece and returns the exit status for it:
/// 0, or 1 when stdout would not take it (help and version text, `policy
/// show`, and other whole outputs printed just before exiting).
pub fn print_text(text: &[u8]) -> i32 {
    match sys::write_all(sys::stdout_fd(), text) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// Writes `bytes` to stderr in one piece, unbuffered (as std's stderr is);
/// a write error is ignored: there is nowhere left to report it.
pub fn to_stderr(bytes: &[u8]) {
    let _ = sys::write_all(sys::stderr_fd(), bytes);
}

/// printf-style flags of one directive.
#[derive(Clone, Copy, Default, Debug)]
pub struct Spec {
    pub minus: bool,
    pub plus: bool,
    pub space: bool,
    pub hash: bool,
    pub zero: bool,
    pub width: usize,
    pub prec: Option<usize>,
    /// A `.` with no digits after it (stat's `%.Y` means 9 digits).
    pub dot: bool,
    /// The width or the precision is above [`PRINTF_INT_MAX`]: C's printf
    /// prints nothing for such a directive (and fails with `EOVERFLOW`).
    /// `width` and `prec` then hold the digits' value, saturated.
    pub overflow: bool,
}

/// Where padded output goes. `Vec<u8>` collects it; a stream (stat's and
/// find's outputs) writes it out whenever its buffer passes a chunk, so that
/// `fill` with a huge count never holds more than a chunk in memory.
pub trait Sink {
    /// Appends bytes.
    fn put(&mut self, bytes: &[u8]);
    /// Appends `count` copies of `byte`.
    fn fill(&mut self, byte: u8, count: usize);
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn fill(&mut self, byte: u8, count: usize) {
        self.resize(self.len() + count, byte);
    }
}

/// A [`Sink`] that writes to a file descriptor through a buffer of
/// [`OUTPUT_CHUNK`] bytes. The first write error is kept (and nothing more
/// is written): callers report it with the stream's name.
pub struct FdSink<'fd> {
    fd: BorrowedFd<'fd>,
    buf: Vec<u8>,
    /// The first write error, if any.
    pub error: Option<Errno>,
}

impl<'fd> FdSink<'fd> {
    /// A stream writing to `fd` (stdout, or a file `find -fprint` opened).
    pub fn new(fd: BorrowedFd<'fd>) -> FdSink<'fd> {
        FdSink::with_buffer(fd, Vec::with_capacity(8192))
    }

    /// A stream writing to `fd` that starts with `buf` already pending.
    pub fn with_buffer(fd: BorrowedFd<'fd>, buf: Vec<u8>) -> FdSink<'fd> {
        FdSink {
            fd,
            buf,
            error: None,
        }
    }

    /// The pending bytes and the first write error, ending the stream.
    pub fn into_parts(self) -> (Vec<u8>, Option<Errno>) {
        (self.buf, self.error)
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) {
        if !self.buf.is_empty() && self.error.is_none() {
            if let Err(e) = sys::write_all(self.fd, &self.buf) {
                self.error = Some(e);
            }
        }
        self.buf.clear();
    }

    /// Bytes waiting in the buffer.
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    fn spill(&mut self) {
        if self.buf.len() >= OUTPUT_CHUNK {
            self.flush();
        }
    }
}

impl Sink for FdSink<'_> {
    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.spill();
    }
    fn fill(&mut self, byte: u8, mut count: usize) {
        if count >= 2 * OUTPUT_CHUNK {
            // Huge padding (a width of two billion): one chunk of `byte`,
            // written again and again, instead of refilling a buffer.
            self.flush();
            let chunk = vec![byte; OUTPUT_CHUNK];
            while count >= OUTPUT_CHUNK && self.error.is_none() {
                if let Err(e) = sys::write_all(self.fd, &chunk) {
                    self.error = Some(e);
                }
                count -= OUTPUT_CHUNK;
            }
            if self.error.is_some() {
                return;
            }
        }
        while count > 0 {
            let n = count.min(OUTPUT_CHUNK);
            self.buf.resize(self.buf.len() + n, byte);
            count -= n;
            self.spill();
        }
    }
}

/// Appends `body` padded to the width as C's `%s` does: the precision
/// truncates, the `0`, `+`, space and `#` flags change nothing. Returns false
/// (and writes nothing) when the spec overflows, as printf fails then.
pub fn pad_str(out: &mut dyn Sink, sp: &Spec, body: &[u8]) -> bool {
    if sp.overflow {
        return false;
    }
    let body = match sp.prec {
        Some(p) if p < body.len() => &body[..p],
        _ => body,
    };
    pad_parts(out, sp, b"", 0, body, false);
    true
}

/// Appends a number as C `printf` would with `%d`/`%u`/`%o`/`%x` (`radix`
/// 10, 8 or 16); `signed` allows the `+` and space flags. Callers pass
/// values that fit a `u64` magnitude (any `u64` or `i64`); the digits are
/// produced with 64-bit arithmetic, which keeps compiler_builtins' 128-bit
/// division (about 2 KB on MIPS) out of the binary. Returns false (and
/// writes nothing) when the spec overflows, as printf fails then.
pub fn pad_num(out: &mut dyn Sink, sp: &Spec, v: i128, radix: u32, signed: bool) -> bool {
    if sp.overflow {
        return false;
    }
    let neg = v < 0;
    let mut m = v.unsigned_abs() as u64;
    let radix = u64::from(radix);
    // Digits are written backwards from the end; the precision may ask for
    // more leading zeros than any number has, so those are padded below.
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    if !(sp.prec == Some(0) && v == 0) {
        loop {
            let d = (m % radix) as u8;
            i -= 1;
            buf[i] = if d < 10 { b'0' + d } else { b'a' + d - 10 };
            m /= radix;
            if m == 0 {
                break;
            }
        }
    }
    let ndig = buf.len() - i;
    // Zeros the precision asks for, plus the `#` flag's leading octal zero.
    let mut zeros = sp.prec.unwrap_or(0).saturating_sub(ndig);
    if sp.hash && radix == 8 && zeros == 0 && (ndig == 0 || buf[i] != b'0') {
        zeros = 1;
    }
    let prefix: &[u8] = if neg {
        b"-"
    } else if signed && sp.plus {
        b"+"
    } else if signed && sp.space {
        b" "
    } else if sp.hash && radix == 16 && v != 0 {
        b"0x"
    } else {
        b""
    };
    pad_parts(
        out,
        sp,
        prefix,
        zeros,
        &buf[i..],
        sp.zero && sp.prec.is_none(),
    );
    true
}

/// Writes `prefix`, `zeros` zero digits and `body`, padded to the width
/// (on the right with `-`, with zeros after the prefix when `zero`).
fn pad_parts(out: &mut dyn Sink, sp: &Spec, prefix: &[u8], zeros: usize, body: &[u8], zero: bool) {
    let len = prefix.len() + zeros + body.len();
    let fill = sp.width.saturating_sub(len);
    // Where the fill goes: after the body (`-`), between prefix and digits
    // (`0`), or in front.
    let (left, mid, right) = if sp.minus {
        (0, 0, fill)
    } else if zero {
        (0, fill, 0)
    } else {
        (fill, 0, 0)
    };
    out.fill(b' ', left);
    out.put(prefix);
    out.fill(b'0', mid + zeros);
    out.put(body);
    out.fill(b' ', right);
}

/// Parses printf flags, width and precision at the start of `f` (after the
/// `%`); returns the spec and the number of bytes consumed. Digits beyond
/// [`PRINTF_INT_MAX`] set [`Spec::overflow`] (the value saturates, it never
/// wraps).
pub fn parse_spec(f: &[u8], flags: &[u8]) -> (Spec, usize) {
    let mut sp = Spec::default();
    let mut i = 0;
    while i < f.len() && b"-+ #0'I".contains(&f[i]) {
        if flags.contains(&f[i]) {
            match f[i] {
                b'-' => sp.minus = true,
                b'+' => sp.plus = true,
                b' ' => sp.space = true,
                b'#' => sp.hash = true,
                b'0' => sp.zero = true,
                _ => {}
            }
        }
        i += 1;
    }
    while i < f.len() && f[i].is_ascii_digit() {
        sp.width = sp
            .width
            .saturating_mul(10)
            .saturating_add((f[i] - b'0') as usize);
        i += 1;
    }
    if i < f.len() && f[i] == b'.' {
        i += 1;
        let mut p = 0usize;
        while i < f.len() && f[i].is_ascii_digit() {
            p = p.saturating_mul(10).saturating_add((f[i] - b'0') as usize);
            i += 1;
        }
        sp.prec = Some(p);
        sp.dot = !f[i - 1].is_ascii_digit();
    }
    sp.overflow = sp.width > PRINTF_INT_MAX || sp.prec.is_some_and(|p| p > PRINTF_INT_MAX);
    (sp, i)
}

/// Decodes one backslash escape at `f[0]` (after the `\`) as GNU
/// `stat --printf` and `find -printf` do; returns (byte, consumed) or None
/// when unrecognised.
pub fn escape(f: &[u8], hex: bool) -> Option<(u8, usize)> {
    let c = *f.first()?;
    let simple = match c {
        b'a' => 7,
        b'b' => 8,
        b'f' => 12,
        b'n' => 10,
        b'r' => 13,
        b't' => 9,
        b'v' => 11,
        b'\\' => b'\\',
        b'"' if hex => b'"',
        b'e' if hex => 27,
        _ => 0,
    };
    if simple != 0 {
        return Some((simple, 1));
    }
    if (b'0'..=b'7').contains(&c) {
        let mut v = 0u32;
        let mut n = 0;
        while n < 3 && n < f.len() && (b'0'..=b'7').contains(&f[n]) {
            v = v * 8 + (f[n] - b'0') as u32;
            n += 1;
        }
        return Some((v as u8, n));
    }
    if hex && c == b'x' {
        let mut v = 0u32;
        let mut n = 1;
        while n < 3 && n < f.len() {
            let d = match f[n] {
                c @ b'0'..=b'9' => c - b'0',
                c @ (b'a'..=b'f' | b'A'..=b'F') => (c | 0x20) - b'a' + 10,
                _ => break,
            };
            v = v * 16 + u32::from(d);
            n += 1;
        }
        if n > 1 {
            return Some((v as u8, n));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `printf(fmt, v)` for a spec and conversion: `d` (signed), `u`, `o`, `x`.
    fn num(spec: &str, v: i128) -> String {
        let f = spec.as_bytes();
        let (sp, n) = parse_spec(f, b"-+ #0");
        let (radix, signed) = match f[n] {
            b'd' => (10, true),
            b'u' => (10, false),
            b'o' => (8, false),
            _ => (16, false),
        };
        let mut out = Vec::new();
        pad_num(&mut out, &sp, v, radix, signed);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn numbers_pad_like_printf() {
        // Expectations from glibc's printf.
        let cases: &[(&str, i128, &str)] = &[
            ("#o", 0, "0"),
            ("#.0o", 0, "0"),
            (".0d", 0, ""),
            ("5.0d", 0, "     "),
            ("#o", 8, "010"),
            ("#.3o", 8, "010"),
            ("#.4o", 8, "0010"),
            ("-+6d", 5, "+5    "),
            ("06d", -5, "-00005"),
            ("#x", 255, "0xff"),
            ("#x", 0, "0"),
            ("#08x", 255, "0x0000ff"),
            ("8.3d", -5, "    -005"),
            ("-8.3d", -5, "-005    "),
            ("08.3d", 5, "     005"),
            (" d", 5, " 5"),
            ("u", u64::MAX as i128, "18446744073709551615"),
            ("d", i64::MIN as i128, "-9223372036854775808"),
            ("o", u64::MAX as i128, "1777777777777777777777"),
            ("x", u64::MAX as i128, "ffffffffffffffff"),
        ];
        for &(spec, v, want) in cases {
            assert_eq!(num(spec, v), want, "%{spec} of {v}");
        }
    }

    #[test]
    fn hex_escapes_take_one_or_two_digits() {
        assert_eq!(escape(b"x41z", true), Some((0x41, 3)));
        assert_eq!(escape(b"xAf", true), Some((0xaf, 3)));
        assert_eq!(escape(b"x4g", true), Some((4, 2)));
        assert_eq!(escape(b"xg", true), None);
        assert_eq!(escape(b"x41", false), None);
    }

    #[test]
    fn c_escapes_letters_octal_and_the_callers_bytes() {
        let esc = |bytes: &[u8], backslashed: &[u8]| {
            let mut out = Vec::new();
            for &c in bytes {
                c_escape(&mut out, c, backslashed);
            }
            out
        };
        assert_eq!(
            esc(b"a b\n\x07\r\x00\x7f\xc3", b""),
            b"a b\\n\\a\\r\\000\\177\\303"
        );
        assert_eq!(esc(b"a b\\'", b"\\ "), b"a\\ b\\\\'");
        assert_eq!(esc(b"it's\\", b"\\'"), b"it\\'s\\\\");
    }

    #[test]
    fn control_bytes_quote_as_octal() {
        let mut out = Vec::new();
        shell_quote(&mut out, b"a\x01b\xff");
        assert_eq!(out, b"'a'$'\\001''b'$'\\377'");
    }
}
