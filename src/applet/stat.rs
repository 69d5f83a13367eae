//! `chperms stat` — GNU coreutils-compatible `stat` for hosts whose BusyBox
//! has none. The format is parsed once into tokens, then rendered per file.

const HELP: &str = "\
Usage: stat [OPTION]... FILE...
Display file status (GNU coreutils compatible).

  -L, --dereference     follow links
  -c, --format=FORMAT   use FORMAT instead of the default; a newline follows
      --printf=FORMAT   like --format, but interpret backslash escapes and
                        print no trailing newline
  -t, --terse           print the information in terse form
      --help            display this help and exit

FORMAT directives (printf flags, width and precision allowed, e.g. %-6U %08o):
  %a access rights in octal (%#a: with leading 0)   %A access rights, ls style
  %b blocks allocated (%B bytes each)    %d %D device number (decimal/hex)
  %Hd %Ld major/minor device    %f raw mode (hex)    %F file type
  %g %G group id/name    %h hard links    %i inode    %n name
  %N quoted name, dereferenced if a symlink (-> 'target')
  %o optimal I/O size    %s size    %t %T major/minor device type (hex)
  %r %R %Hr %Lr device type (decimal/hex/major/minor)
  %u %U user id/name    %w %W birth (human / epoch; - and 0 when unknown)
  %x %X access, %y %Y modification, %z %Z change (human / epoch seconds;
  %.3Y gives fractions)    %% a percent sign

Example:
  stat -c '%a %U:%G %n' /srv/*/web     mode, owner, group of each web dir

Deviations from GNU stat:
  -f/--file-system, %C (SELinux context) and %m (mount point) are not
  supported (%C and %m print '?'); --cached is ignored; names print as in
  the C locale (QUOTING_STYLE and LC_* are ignored); user and group names
  come from /etc/passwd and /etc/group only (no NSS); '%Y' style fractions
  with precisions above 9 are padded with zeros.
";

use crate::fmt_quote::{err_line, pad_num, pad_str, parse_spec, shell_quote, Spec};
use crate::fmt_time;
use crate::sys::{self, Kind, Meta};
use crate::users::NameCache;
use std::ffi::CString;
use std::io::Write;

/// One piece of a parsed format: a literal byte or a directive. (A token
/// per literal byte needs no heap-owning variant, so no drop code.)
enum Tok {
    Lit(u8),
    /// `%` directive: spec, modifier (`H`/`L`/0) and conversion byte.
    Dir(Spec, u8, u8),
}

const TERSE: &str = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n";
const LONG_HEAD: &str = "  File: %N\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n";
const LONG_DEV: &str = "Device: %Hd,%Ld\tInode: %-10i  Links: %-5h Device type: %Hr,%Lr\n";
const LONG_NODEV: &str = "Device: %Hd,%Ld\tInode: %-10i  Links: %h\n";
const LONG_TAIL: &str = "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n\
Access: %x\nModify: %y\nChange: %z\n Birth: %w\n";

/// Writes `stat: ` and the concatenated `parts` as one line on stderr.
fn say(parts: &[&[u8]]) {
    err_line(b"stat: ", parts);
}

fn usage_err(parts: &[&[u8]]) -> i32 {
    say(parts);
    err_line(b"Try 'stat --help' for more information.", &[]);
    1
}

/// `c` as Rust's `c as char` prints it (bytes above 0x7f become two-byte
/// UTF-8), for messages quoting an option or escape letter.
fn char_text(c: u8, buf: &mut [u8; 4]) -> &[u8] {
    (c as char).encode_utf8(buf).as_bytes()
}

/// Long options; a unique prefix selects one. `main` matches on the
/// indexes: keep the order.
const LONG: [&str; 8] = [
    "dereference",
    "format",
    "printf",
    "terse",
    "help",
    "cached",
    "file-system",
    "version",
];

/// Runs `chperms stat`.
pub fn main(args: &[&str]) -> i32 {
    let mut follow = false;
    let mut terse = false;
    let mut fmt: Option<(&str, bool)> = None;
    let mut files: Vec<&str> = Vec::new();
    let mut i = 0;
    let mut opts_done = false;
    while i < args.len() {
        let a = args[i];
        i += 1;
        if opts_done || a == "-" || !a.starts_with('-') {
            files.push(a);
            continue;
        }
        if a == "--" {
            opts_done = true;
            continue;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, val) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            // An exact name wins; otherwise the prefix must be unique.
            let mut hit = 0;
            let mut hits = 0;
            for (k, opt) in LONG.iter().enumerate() {
                if *opt == name {
                    hit = k;
                    hits = 1;
                    break;
                }
                if opt.starts_with(name) {
                    hit = k;
                    hits += 1;
                }
            }
            match hits {
                1 => {}
                0 => return usage_err(&[b"unrecognized option '", a.as_bytes(), b"'"]),
                _ => return usage_err(&[b"option '", a.as_bytes(), b"' is ambiguous"]),
            }
            // Indexes into LONG (matching on them avoids string compares).
            match hit {
                1 | 2 | 5 => {
                    let v = match val {
                        Some(v) => v,
                        None if i < args.len() => {
                            i += 1;
                            args[i - 1]
                        }
                        None => {
                            return usage_err(&[
                                b"option '--",
                                LONG[hit].as_bytes(),
                                b"' requires an argument",
                            ])
                        }
                    };
                    // --cached=MODE is accepted and ignored.
                    if hit != 5 {
                        fmt = Some((v, hit == 2));
                    }
                }
                0 => follow = true,
                3 => terse = true,
                4 => {
                    print!("{HELP}");
                    return 0;
                }
                7 => {
                    print!(concat!("stat (chperms) ", env!("CARGO_PKG_VERSION"), "\n"));
                    return 0;
                }
                _ => return usage_err(&[b"--file-system is not supported by chperms stat"]),
            }
            continue;
        }
        let b = a.as_bytes();
        let mut j = 1;
        while j < b.len() {
            match b[j] {
                b'L' => follow = true,
                b't' => terse = true,
                b'c' => {
                    let v = if j + 1 < b.len() {
                        &a[j + 1..]
                    } else if i < args.len() {
                        i += 1;
                        args[i - 1]
                    } else {
                        return usage_err(&[b"option requires an argument -- 'c'"]);
                    };
                    fmt = Some((v, false));
                    break;
                }
                b'f' => {
                    return usage_err(&[b"-f (--file-system) is not supported by chperms stat"])
                }
                c => return usage_err(&[b"invalid option -- '", char_text(c, &mut [0; 4]), b"'"]),
            }
            j += 1;
        }
    }
    if files.is_empty() {
        return usage_err(&[b"missing operand"]);
    }
    let printf = fmt.is_some_and(|(_, p)| p);
    let toks = match fmt {
        Some((f, _)) => match parse(f.as_bytes(), printf) {
            Some(t) => Some(t),
            None => return 1,
        },
        None => None,
    };
    let mut names = NameCache::new();
    let mut out = Vec::with_capacity(512);
    let mut status = 0;
    let stdout = std::io::stdout();
    for f in files {
        let Ok(c) = CString::new(f) else {
            status = 1;
            continue;
        };
        let m = match sys::stat_base(&c, follow) {
            Ok(m) => m,
            Err(e) => {
                let mut q = Vec::new();
                shell_quote(&mut q, f.as_bytes());
                say(&[b"cannot statx ", &q, b": ", sys::errno_text(e).as_bytes()]);
                status = 1;
                continue;
            }
        };
        let file = File {
            name: f.as_bytes(),
            c: &c,
            m: &m,
            follow,
            literal: toks.is_none() && !terse,
        };
        out.clear();
        match &toks {
            Some(t) => {
                render(&mut out, t, &file, &mut names);
                if !printf {
                    out.push(b'\n');
                }
            }
            None => {
                let dev = matches!(m.kind(), Kind::CharDev | Kind::BlockDev);
                let parts = if terse {
                    [TERSE, "", ""]
                } else {
                    [
                        LONG_HEAD,
                        if dev { LONG_DEV } else { LONG_NODEV },
                        LONG_TAIL,
                    ]
                };
                if let Some(t) = parse(parts.concat().as_bytes(), false) {
                    render(&mut out, &t, &file, &mut names);
                }
            }
        }
        if stdout.lock().write_all(&out).is_err() {
            return 1;
        }
    }
    status
}

/// The file being described.
struct File<'a> {
    name: &'a [u8],
    c: &'a CString,
    m: &'a Meta,
    follow: bool,
    /// `%N` without quotes (GNU's default format quotes nothing).
    literal: bool,
}

/// Parses a format; `printf` interprets backslash escapes. An invalid
/// directive is reported on stderr and gives `None`.
fn parse(f: &[u8], printf: bool) -> Option<Vec<Tok>> {
    let mut toks = Vec::new();
    let mut i = 0;
    while i < f.len() {
        let c = f[i];
        i += 1;
        if c == b'\\' && printf {
            if i >= f.len() {
                say(&[b"warning: backslash at end of format"]);
                toks.push(Tok::Lit(b'\\'));
                continue;
            }
            match crate::fmt_quote::escape(&f[i..], true) {
                Some((b, n)) => {
                    toks.push(Tok::Lit(b));
                    i += n;
                }
                None => {
                    say(&[
                        b"warning: unrecognized escape '\\",
                        char_text(f[i], &mut [0; 4]),
                        b"'",
                    ]);
                    toks.push(Tok::Lit(f[i]));
                    i += 1;
                }
            }
            continue;
        }
        if c != b'%' {
            toks.push(Tok::Lit(c));
            continue;
        }
        let (sp, n) = parse_spec(&f[i..], b"-+ #0'");
        let start = i - 1;
        i += n;
        let conv = f.get(i).copied().unwrap_or(0);
        if conv == 0 || conv == b'%' {
            if n > 0 {
                let d = String::from_utf8_lossy(&f[start..(i + 1).min(f.len())]);
                say(&[b"'", d.as_bytes(), b"': invalid directive"]);
                return None;
            }
            toks.push(Tok::Lit(b'%'));
            i += 1;
            continue;
        }
        i += 1;
        let mut modc = 0;
        if (conv == b'H' || conv == b'L') && matches!(f.get(i), Some(b'd') | Some(b'r')) {
            modc = conv;
            i += 1;
        }
        let conv = if modc != 0 { f[i - 1] } else { conv };
        toks.push(Tok::Dir(sp, modc, conv));
    }
    Some(toks)
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

/// GNU's `out_epoch_sec`: seconds, and with a precision a fraction.
pub fn epoch(out: &mut Vec<u8>, sp: &Spec, t: (i64, u32)) {
    let Some(prec) = sp.prec.map(|p| if sp.dot { 9 } else { p }) else {
        pad_num(out, sp, t.0 as i128, 10, true);
        return;
    };
    let mut isp = *sp;
    isp.prec = None;
    isp.minus = false;
    isp.width = if sp.width > 1 + prec && sp.width - 1 - prec > 1 && !sp.minus {
        sp.width - 1 - prec
    } else {
        0
    };
    let start = out.len();
    pad_num(out, &isp, t.0 as i128, 10, true);
    if prec > 0 {
        out.push(b'.');
        // Nine digits of nanoseconds, cut to the precision.
        let keep = out.len() + prec.min(9);
        fmt_time::push_num(out, t.1 as i64, 9, b'0');
        out.truncate(keep);
        out.resize(out.len() + prec.saturating_sub(9), b'0');
    }
    if sp.minus {
        let w = out.len() - start;
        out.resize(out.len() + sp.width.saturating_sub(w), b' ');
    }
}

/// Renders the tokens for one file. Numeric directives only choose their
/// value and radix; a single `pad_num` call at the end prints them.
fn render(out: &mut Vec<u8>, toks: &[Tok], f: &File<'_>, names: &mut NameCache) {
    let m = f.m;
    for t in toks {
        let (sp, modc, conv) = match t {
            Tok::Lit(b) => {
                out.push(*b);
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
                        out.extend_from_slice(b" -> ");
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
                        out.push(b'?');
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
