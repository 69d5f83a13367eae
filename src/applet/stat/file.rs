//! Rendering `stat` formats for a file: the directives of GNU coreutils
//! 9.1's `print_stat`, printf flags, widths and precisions included.

use super::Tok;
use crate::budget::PRINTF_INT_MAX;
use crate::fmt_quote::{pad_num, pad_str, shell_quote, Sink, Spec};
use crate::fmt_time;
use crate::sys::{self, Kind, Meta};
use crate::users::NameCache;
use std::ffi::CString;

/// The file being described.
pub(super) struct File<'a> {
    pub name: &'a [u8],
    pub c: &'a CString,
    pub m: &'a Meta,
    pub follow: bool,
    /// `%N` without quotes (GNU's default format quotes nothing).
    pub literal: bool,
}

/// glibc's `major()`/`minor()` of a `dev_t`.
pub fn major(d: u64) -> u64 {
    ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)
}
/// See [`major`].
pub fn minor(d: u64) -> u64 {
    (d & 0xff) | ((d >> 12) & !0xff)
}

/// `ls -l` style mode string (`drwxr-sr-x`).
pub fn mode_string(mode: u32) -> [u8; 10] {
    let t = match Kind::from_mode(mode) {
        Kind::Dir => b'd',
        Kind::File => b'-',
        Kind::Symlink => b'l',
        Kind::Socket => b's',
        Kind::Fifo => b'p',
        Kind::CharDev => b'c',
        Kind::BlockDev => b'b',
        Kind::Unknown => b'?',
    };
    let mut s = *b"?rwxrwxrwx";
    s[0] = t;
    for k in 0..9 {
        if mode & (0o400 >> k) == 0 {
            s[k + 1] = b'-';
        }
    }
    // setuid, setgid, sticky: lower case over an `x`, upper case without.
    for k in 0..3 {
        if mode & (0o4000 >> k) != 0 {
            let at = 3 + 3 * k;
            s[at] = if s[at] == b'-' { b"SST"[k] } else { b"sst"[k] };
        }
    }
    s
}

/// GNU's name for a file type.
fn type_name(m: &Meta) -> &'static str {
    match m.kind() {
        Kind::File if m.size == 0 => "regular empty file",
        Kind::File => "regular file",
        Kind::Dir => "directory",
        Kind::Symlink => "symbolic link",
        Kind::Fifo => "fifo",
        Kind::Socket => "socket",
        Kind::CharDev => "character special file",
        Kind::BlockDev => "block special file",
        Kind::Unknown => "weird file",
    }
}

/// GNU's `out_epoch_sec` (`%X %Y %Z %W` with a precision), step by step:
/// the precision and width are capped at `INT_MAX` as GNU caps them, the
/// seconds take what the width leaves after the point and the fraction,
/// digits past the ninth are zeros, and whatever that asks for is written
/// through the sink in chunks (a precision of two billion prints two
/// billion zeros, as GNU does, in bounded memory).
pub(super) fn epoch(out: &mut dyn Sink, sp: &Spec, t: (i64, u32)) {
    let Some(p) = sp.prec else {
        pad_num(out, sp, i128::from(t.0), 10, true);
        return;
    };
    let precision = if sp.dot { 9 } else { p.min(PRINTF_INT_MAX) };
    let width = sp.width.min(PRINTF_INT_MAX);
    // The seconds' own spec: GNU rebuilds it from the flags and, when the
    // width leaves room, the width minus the point and the fraction.
    let mut secs_sp = Spec {
        prec: None,
        overflow: false,
        ..*sp
    };
    if precision > 0 && width > 1 {
        let after_point = width - 1;
        if after_point > 1 && after_point > precision + 1 {
            let w = after_point - precision;
            secs_sp.width = if sp.minus { 0 } else { w };
            secs_sp.minus = false;
        } else {
            secs_sp.width = 0;
        }
    } else {
        secs_sp.width = width;
    }
    // Before 1970 with a fraction: the seconds round up and the fraction
    // counts from the other side (GNU prints -1.750 for -2 s + 250 ms).
    let divisor = 10u32.pow(9 - precision.min(9) as u32);
    let mut frac = t.1 / divisor;
    let mut secs = t.0;
    let mut minus_zero = false;
    if secs < 0 && t.1 != 0 && precision > 0 {
        let modulus = 1_000_000_000 / divisor;
        frac = modulus - frac - u32::from(t.1 % divisor != 0);
        if frac != 0 {
            secs += 1;
        }
        minus_zero = secs == 0;
    }
    // The seconds go straight to the sink (their width may be huge); their
    // printed length is the width or the digits, whichever is longer.
    let mut natural = Vec::new();
    let bare = Spec {
        width: 0,
        ..secs_sp
    };
    if minus_zero {
        pad_str(&mut natural, &bare, b"-0");
        pad_str(out, &secs_sp, b"-0");
    } else {
        pad_num(&mut natural, &bare, i128::from(secs), 10, true);
        pad_num(out, &secs_sp, i128::from(secs), 10, true);
    }
    let int_len = natural.len().max(secs_sp.width);
    if precision == 0 {
        return;
    }
    let prec = precision.min(9);
    out.put(b".");
    let mut fraction = Vec::new();
    fmt_time::push_num(&mut fraction, i64::from(frac), prec, b'0');
    out.put(&fraction);
    // `%-*.*d` of 0: the zeros past the ninth digit, left-justified in what
    // the width still asks for (C reads a negative width as a `-` flag).
    let trailing_width = if int_len < width && width - int_len > 1 {
        (width as i64 - int_len as i64 - 1 - prec as i64).unsigned_abs() as usize
    } else {
        0
    };
    let zeros = precision - prec;
    out.fill(b'0', zeros);
    out.fill(b' ', trailing_width.saturating_sub(zeros));
}

/// Renders the tokens for one file. Numeric directives only choose their
/// value and radix; a single `pad_num` call at the end prints them.
pub(super) fn render(out: &mut dyn Sink, toks: &[Tok], f: &File<'_>, names: &mut NameCache) {
    let m = f.m;
    for t in toks {
        let (sp, modc, conv) = match t {
            Tok::Lit(b) => {
                out.put(&[*b]);
                continue;
            }
            Tok::Dir(sp, modc, conv) => (sp, *modc, *conv),
        };
        // `%Hd` and friends: the major or minor number of dev or rdev.
        let dev = if conv == b'd' { m.dev } else { m.rdev };
        let (v, radix): (u64, u32) = match (modc, conv) {
            (b'H', _) => (major(dev), 10),
            (b'L', _) => (minor(dev), 10),
            (_, b'a') => (m.perm() as u64, 8),
            (_, b'b') => (m.blocks as u64, 10),
            (_, b'B') => (512, 10),
            (_, b'd') => (m.dev, 10),
            (_, b'D') => (m.dev, 16),
            (_, b'f') => (m.mode as u64, 16),
            (_, b'g') => (m.gid as u64, 10),
            (_, b'h') => (m.nlink, 10),
            (_, b'i') => (m.ino, 10),
            (_, b'o') => (m.blksize as u64, 10),
            (_, b't') => (major(m.rdev), 16),
            (_, b'T') => (minor(m.rdev), 16),
            (_, b'r') => (m.rdev, 10),
            (_, b'R') => (m.rdev, 16),
            (_, b'u') => (m.uid as u64, 10),
            (_, b's') => {
                // The only signed one.
                pad_num(out, sp, m.size as i128, 10, true);
                continue;
            }
            (_, b'N') => {
                let mut v = Vec::new();
                quote_name(&mut v, f.literal, f.name);
                pad_str(out, sp, &v);
                if m.kind() == Kind::Symlink && !f.follow {
                    let mut buf = vec![0u8; crate::budget::PATH_MAX];
                    if let Ok(n) = sys::readlink_base(f.c, &mut buf) {
                        out.put(b" -> ");
                        v.clear();
                        quote_name(&mut v, f.literal, &buf[..n]);
                        pad_str(out, sp, &v);
                    }
                }
                continue;
            }
            (_, c @ (b'w' | b'W' | b'x' | b'X' | b'y' | b'Y' | b'z' | b'Z')) => {
                let t = match c | 0x20 {
                    b'w' => sys::birth_at(sys::cwd(), f.c, f.follow),
                    b'x' => Some(m.atime),
                    b'y' => Some(m.mtime),
                    _ => Some(m.ctime),
                };
                if c.is_ascii_uppercase() {
                    epoch(out, sp, t.unwrap_or((0, 0)));
                } else if let Some(t) = t {
                    let mut v = Vec::new();
                    fmt_time::human(&mut v, t);
                    pad_str(out, sp, &v);
                } else {
                    pad_str(out, sp, b"-");
                }
                continue;
            }
            (_, c) => {
                let name = match c {
                    b'G' => names.group(m.gid),
                    b'U' => names.user(m.uid),
                    _ => None,
                };
                let mode = mode_string(m.mode);
                let text: &[u8] = match c {
                    b'A' => &mode,
                    b'F' => type_name(m).as_bytes(),
                    b'G' | b'U' => name.as_ref().map_or(b"UNKNOWN", |n| n.as_bytes()),
                    b'n' => f.name,
                    _ => {
                        out.put(b"?");
                        continue;
                    }
                };
                pad_str(out, sp, text);
                continue;
            }
        };
        pad_num(out, sp, v as i128, radix, false);
    }
}

/// `%N`'s name: as is in the default format, else shell-quoted.
fn quote_name(v: &mut Vec<u8>, literal: bool, s: &[u8]) {
    if literal {
        v.extend_from_slice(s)
    } else {
        shell_quote(v, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ls -l`'s rules spelled out bit by bit, for every permission mode.
    #[test]
    fn mode_strings_follow_ls() {
        for perm in 0..0o10000u32 {
            let s = mode_string(0o100000 | perm);
            assert_eq!(s[0], b'-');
            for k in 0..9 {
                let x = k % 3 == 2;
                let special = [0o4000, 0o2000, 0o1000][k / 3];
                let set = perm & (0o400 >> k) != 0;
                let want = match (x && perm & special != 0, set) {
                    (true, true) => b"sst"[k / 3],
                    (true, false) => b"SST"[k / 3],
                    (false, true) => b"rwx"[k % 3],
                    (false, false) => b'-',
                };
                assert_eq!(s[k + 1], want, "{perm:o}");
            }
        }
        assert_eq!(&mode_string(0o140755), b"srwxr-xr-x");
        assert_eq!(&mode_string(0o010644), b"prw-r--r--");
    }
}
