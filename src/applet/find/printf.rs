//! `-printf`/`-fprintf`: the format is parsed once into pieces and rendered
//! per entry, as GNU find 4.9 does it (`print.c`): every directive is
//! printed as a C string (`%s`: the precision cuts, `0` and `+` do nothing)
//! except `%d` (`%d`), `%m` (`%o`) and `%S` (`%g`), which honour all flags.

use super::output::say;
use crate::fmt_quote::{escape, parse_spec, Spec};

/// What a directive prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    /// `%p`
    Path,
    /// `%P`: the path below the start point.
    BelowStart,
    /// `%H`: the start point.
    Start,
    /// `%f`: the last component.
    Base,
    /// `%h`: the leading directories.
    Dir,
    /// `%d`
    Depth,
    /// `%m`: permission bits in octal.
    Perm,
    /// `%M`: `ls -l`'s `-rwxr-xr-x`.
    ModeString,
    /// `%u`: user name (or number).
    User,
    /// `%U`
    Uid,
    /// `%g`: group name (or number).
    Group,
    /// `%G`
    Gid,
    /// `%s`
    Size,
    /// `%k`: 1 KiB blocks.
    Kilobytes,
    /// `%b`: 512-byte blocks.
    Blocks,
    /// `%i`
    Inode,
    /// `%n`
    Links,
    /// `%l`: a symlink's target.
    LinkTarget,
    /// `%y`
    Type,
    /// `%Y`: the type a symlink points to (`N` dangling, `L` a loop).
    TargetType,
    /// `%F`: the file system type.
    FsType,
    /// `%D`: the device number.
    Device,
    /// `%S`: sparseness, `512 * blocks / size`.
    Sparseness,
    /// `%Z`: the SELinux context.
    Context,
    /// `%a`, `%c`, `%t`: `ctime`-like with nanoseconds.
    CTime(TimeOf),
    /// `%Ak`, `%Ck`, `%Tk`: the strftime letter `k` (plus `@`, `+`).
    Time(TimeOf, u8),
    /// `%Bk`: birth time, which GNU find 4.9 on Linux never knows (empty).
    Birth,
}

/// Which timestamp a time directive prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeOf {
    Access,
    Change,
    Modify,
}

/// One piece of a parsed format.
#[derive(Clone, Debug)]
pub(super) enum Piece {
    Text(Vec<u8>),
    Field(Spec, Field),
    /// `\c`: stop printing this format (and flush).
    Stop,
}

/// A parsed `-printf` format.
#[derive(Clone, Debug, Default)]
pub(super) struct Format {
    pub pieces: Vec<Piece>,
}

impl Field {
    /// Whether printing this needs the entry's metadata (a `stat`).
    pub fn needs_meta(self) -> bool {
        !matches!(
            self,
            Field::Path
                | Field::BelowStart
                | Field::Start
                | Field::Base
                | Field::Dir
                | Field::Depth
                | Field::Context
                | Field::Birth
        )
    }
}

/// The directive letter `c` (and for `%A`/`%C`/`%T`/`%B` the time letter).
fn field_of(c: u8, time: u8) -> Option<Field> {
    Some(match c {
        b'p' => Field::Path,
        b'P' => Field::BelowStart,
        b'H' => Field::Start,
        b'f' => Field::Base,
        b'h' => Field::Dir,
        b'd' => Field::Depth,
        b'm' => Field::Perm,
        b'M' => Field::ModeString,
        b'u' => Field::User,
        b'U' => Field::Uid,
        b'g' => Field::Group,
        b'G' => Field::Gid,
        b's' => Field::Size,
        b'k' => Field::Kilobytes,
        b'b' => Field::Blocks,
        b'i' => Field::Inode,
        b'n' => Field::Links,
        b'l' => Field::LinkTarget,
        b'y' => Field::Type,
        b'Y' => Field::TargetType,
        b'F' => Field::FsType,
        b'D' => Field::Device,
        b'S' => Field::Sparseness,
        b'Z' => Field::Context,
        b'a' => Field::CTime(TimeOf::Access),
        b'c' => Field::CTime(TimeOf::Change),
        b't' => Field::CTime(TimeOf::Modify),
        b'A' => Field::Time(TimeOf::Access, time),
        b'C' => Field::Time(TimeOf::Change, time),
        b'T' => Field::Time(TimeOf::Modify, time),
        b'B' => Field::Birth,
        _ => return None,
    })
}

/// A format GNU refuses outright (the whole command fails).
pub(super) struct FatalFormat;

/// Parses a format as GNU's `insert_fprintf` does, printing its warnings.
pub(super) fn parse(f: &[u8]) -> Result<Format, FatalFormat> {
    let mut pieces = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    while i < f.len() {
        let c = f[i];
        i += 1;
        if c == b'\\' {
            match f.get(i) {
                None => {
                    say("warning: escape `\\' followed by nothing at all", &[]);
                    text.push(b'\\');
                }
                Some(b'c') => {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Stop);
                    return Ok(Format { pieces });
                }
                Some(&e) => match escape(&f[i..], false) {
                    Some((b, n)) => {
                        text.push(b);
                        i += n;
                    }
                    None => {
                        let mut ch = [0; 4];
                        let ch = (e as char).encode_utf8(&mut ch);
                        say("warning: unrecognized escape `\\%s'", &[ch.as_bytes()]);
                        text.extend_from_slice(&[b'\\', e]);
                        i += 1;
                    }
                },
            }
            continue;
        }
        if c != b'%' {
            text.push(c);
            continue;
        }
        let start = i - 1;
        if i >= f.len() {
            say("error: %% at end of format string", &[]);
            return Err(FatalFormat);
        }
        // GNU takes the flags `-+ #`, then digits (a leading 0 among them
        // is the zero flag), then a precision.
        let mut j = i;
        if f[j] != b'%' {
            while j < f.len() && b"-+ #".contains(&f[j]) {
                j += 1;
            }
            while j < f.len() && f[j].is_ascii_digit() {
                j += 1;
            }
            if j < f.len() && f[j] == b'.' {
                j += 1;
                while j < f.len() && f[j].is_ascii_digit() {
                    j += 1;
                }
            }
        }
        let Some(&conv) = f.get(j) else {
            // Flags and digits, then the end: an unrecognized directive
            // of nothing, printed as is.
            say("warning: unrecognized format directive `%%'", &[]);
            text.extend_from_slice(&f[start..]);
            i = f.len();
            continue;
        };
        if conv == b'%' {
            // `%%` is `%`; `%5%` prints `%5` (GNU writes the directive's
            // text without its final `%`).
            text.extend_from_slice(&f[start..j.max(start + 1)]);
            i = j + 1;
            continue;
        }
        if b"{[(".contains(&conv) {
            let d = [b'%', conv];
            say(
                "error: the format directive `%s' is reserved for future use",
                &[&d],
            );
            return Err(FatalFormat);
        }
        let two = b"ABCT".contains(&conv);
        let time = if two { f.get(j + 1).copied() } else { Some(0) };
        let field = time.and_then(|t| field_of(conv, t));
        let Some(field) = field else {
            let mut ch = [0; 4];
            let ch = (conv as char).encode_utf8(&mut ch);
            if two {
                say(
                    "warning: format directive `%%%s' should be followed by another character",
                    &[ch.as_bytes()],
                );
            } else {
                say(
                    "warning: unrecognized format directive `%%%s'",
                    &[ch.as_bytes()],
                );
            }
            text.extend_from_slice(&f[start..=j]);
            i = j + 1;
            continue;
        };
        let (spec, _) = parse_spec(&f[i..j], b"-+ #0");
        pieces.push(Piece::Text(std::mem::take(&mut text)));
        pieces.push(Piece::Field(spec, field));
        i = j + if two { 2 } else { 1 };
    }
    pieces.push(Piece::Text(text));
    Ok(Format { pieces })
}

/// `%h`: the leading directories of `path`, as GNU computes them (one
/// trailing slash run is dropped unless the path is all slashes; no slash
/// at all is `.`).
pub(super) fn dir_part(path: &[u8]) -> &[u8] {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    // GNU strips the trailing slashes only when more than one character
    // precedes them.
    let p = if end > 1 { &path[..end] } else { path };
    match p.iter().rposition(|&c| c == b'/') {
        Some(k) => &p[..k],
        None => b".",
    }
}

/// `%f`: gnulib's `base_name`, the last component with one trailing
/// slash when it had any (`d/` for `d//`, `/` for `/`).
pub(super) fn base_part(path: &[u8]) -> Vec<u8> {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    let start = match path[..end].iter().rposition(|&c| c == b'/') {
        Some(k) if end > 1 => k + 1,
        _ => 0,
    };
    let mut v = path[start..end].to_vec();
    if end < path.len() && v != b"/" {
        v.push(b'/');
    }
    v
}

/// `%S` for blocks of 512 bytes over `size` bytes, as C's `%g` prints the
/// double GNU computes (six significant digits unless a precision says
/// otherwise): `inf` for blocks over an empty file, `1` for nothing over
/// nothing. Appends the unpadded text.
pub(super) fn sparseness(body: &mut Vec<u8>, sp: &Spec, blocks: i64, size: i64) {
    let prec = sp.prec.unwrap_or(6).clamp(1, 40);
    if size <= 0 {
        if blocks == 0 || size < 0 {
            g_format(body, 1, 1, prec, sp.hash);
        } else {
            body.extend_from_slice(b"inf");
        }
        return;
    }
    let num = (blocks.max(0) as u64).saturating_mul(512);
    g_format(body, num, size as u64, prec, sp.hash);
}

/// C's `%g` of the non-negative ratio `num / den` with `prec` significant
/// digits (`#`: keep trailing zeros), by long division in 64 bits (both
/// sides are first scaled below 2^59, far more precision than %g shows);
/// an exact tie rounds to even, as C's does for an exact binary value.
fn g_format(out: &mut Vec<u8>, mut num: u64, mut den: u64, prec: usize, keep_zeros: bool) {
    while num >= 1 << 59 || den >= 1 << 59 {
        num >>= 1;
        den = (den >> 1).max(1);
    }
    // The significant digits, most significant first; `exp` is the power
    // of ten of the first.
    let mut digits = [0u8; 64];
    let mut n = 0;
    let mut int = num / den;
    let mut rem = num % den;
    let mut reversed = [0u8; 20];
    while int > 0 {
        reversed[n] = (int % 10) as u8;
        int /= 10;
        n += 1;
    }
    let mut exp = n as i32 - 1;
    for k in 0..n {
        digits[k] = reversed[n - 1 - k];
    }
    if n == 0 && rem != 0 {
        // Below 1: skip the zeros after the point.
        loop {
            rem *= 10;
            let d = (rem / den) as u8;
            rem %= den;
            if d != 0 {
                digits[0] = d;
                n = 1;
                break;
            }
            exp -= 1;
        }
    }
    if n == 0 {
        // The value is 0.
        exp = 0;
        n = 1;
    }
    while n <= prec {
        rem *= 10;
        digits[n] = (rem / den) as u8;
        rem %= den;
        n += 1;
    }
    let next = digits[prec];
    let rest = rem != 0 || digits[prec + 1..n].iter().any(|&d| d != 0);
    if next > 5 || (next == 5 && (rest || digits[prec - 1] % 2 == 1)) {
        let mut k = prec;
        loop {
            if k == 0 {
                // 9.99 rounded up to 10.0: one more digit in front.
                digits.copy_within(0..prec - 1, 1);
                digits[0] = 1;
                exp += 1;
                break;
            }
            k -= 1;
            if digits[k] == 9 {
                digits[k] = 0;
            } else {
                digits[k] += 1;
                break;
            }
        }
    }
    let scientific = exp < -4 || exp >= prec as i32;
    // Digits up to the point are always printed; trailing zeros after it
    // go unless `#`.
    let whole = if scientific {
        1
    } else {
        (exp + 1).max(0) as usize
    };
    let mut last = prec;
    if !keep_zeros {
        while last > whole.max(1) && digits[last - 1] == 0 {
            last -= 1;
        }
    }
    let ascii = |d: &u8| b'0' + d;
    if scientific {
        out.push(ascii(&digits[0]));
        if last > 1 {
            out.push(b'.');
            out.extend(digits[1..last].iter().map(ascii));
        }
        out.extend_from_slice(if exp < 0 { b"e-" } else { b"e+" });
        crate::fmt_time::push_num(out, i64::from(exp.unsigned_abs()), 2, b'0');
    } else if exp >= 0 {
        out.extend(digits[..whole].iter().map(ascii));
        if last > whole {
            out.push(b'.');
            out.extend(digits[whole..last].iter().map(ascii));
        }
    } else {
        out.extend_from_slice(b"0.");
        out.resize(out.len() + (-exp - 1) as usize, b'0');
        out.extend(digits[..last].iter().map(ascii));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parts_like_gnu() {
        assert_eq!(dir_part(b"d/"), b"d");
        assert_eq!(dir_part(b"d/e/"), b"d");
        assert_eq!(dir_part(b"/"), b"");
        assert_eq!(dir_part(b"."), b".");
        assert_eq!(dir_part(b"a//b"), b"a/");
        assert_eq!(dir_part(b"/etc"), b"");
        assert_eq!(base_part(b"d/e/"), b"e/");
        assert_eq!(base_part(b"nested//"), b"nested/");
        assert_eq!(base_part(b"/"), b"/");
        assert_eq!(base_part(b"./x"), b"x");
    }

    fn g(num: u64, den: u64, prec: usize) -> String {
        let mut v = Vec::new();
        g_format(&mut v, num, den, prec, false);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn percent_g_like_c() {
        assert_eq!(g(1, 1, 6), "1");
        assert_eq!(g(1, 3, 6), "0.333333");
        assert_eq!(g(4096, 3, 6), "1365.33");
        assert_eq!(g(4096 * 1000, 3, 6), "1.36533e+06");
        assert_eq!(g(512, 1_048_576, 6), "0.000488281");
        assert_eq!(g(1, 100_000, 6), "1e-05");
        assert_eq!(g(2, 3, 2), "0.67");
        assert_eq!(g(5, 2, 1), "2");
        assert_eq!(g(0, 1, 6), "0");
        assert_eq!(g(9_999_995, 10, 6), "1e+06");
        let mut v = Vec::new();
        g_format(&mut v, 0, 1, 6, true);
        assert_eq!(v, b"0.00000");
    }

    #[test]
    fn formats_parse_like_gnu() {
        let f = parse(b"%5%|%p\\c%q").ok().unwrap();
        assert!(matches!(&f.pieces[0], Piece::Text(t) if t == b"%5|"));
        assert!(matches!(f.pieces[1], Piece::Field(_, Field::Path)));
        assert!(matches!(f.pieces.last(), Some(Piece::Stop)));
        assert!(parse(b"x%").is_err());
        assert!(parse(b"%{").is_err());
    }
}
