//! `chperms stat` — GNU coreutils-compatible `stat` for hosts whose BusyBox
//! has none. The format is parsed once into tokens, then rendered per file.

const HELP: &str = "\
Usage: stat [OPTION]... FILE...
Display file or file system status (GNU coreutils compatible).

  -L, --dereference     follow links
  -f, --file-system     display file system status instead of file status
  -c, --format=FORMAT   use FORMAT instead of the default; a newline follows
      --printf=FORMAT   like --format, but interpret backslash escapes and
                        print no trailing newline
  -t, --terse           print the information in terse form
      --help            display this help and exit
      --version         output version information and exit

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
With -f: %a free blocks for users  %b total blocks  %c total inodes
  %d free inodes  %f free blocks  %i file system ID (hex)  %l name length
  %n name  %s block size  %S fundamental block size  %t %T type (hex/name)

Example:
  stat -c '%a %U:%G %n' /srv/*/web     mode, owner, group of each web dir
  stat -f -c '%T %a/%b' /srv           file system type, free/total blocks

Deviations from GNU stat:
  %C (SELinux context) and %m (mount point) print '?'; --cached is
  ignored; names print as in the C locale (QUOTING_STYLE and LC_* are
  ignored); user and group names come from /etc/passwd and /etc/group only
  (no NSS); -f names fewer file system types than GNU (others print as
  UNKNOWN (0x...)).
";

mod file;
mod fs;

pub use file::{major, minor, mode_string};

use crate::fmt_quote::{err_line, parse_spec, shell_quote, FdSink, Sink, Spec};
use crate::sys::{self, Kind};
use crate::users::NameCache;
use file::File;
use std::ffi::CString;

/// One piece of a parsed format: a literal byte or a directive. (A token
/// per literal byte needs no heap-owning variant, so no drop code.)
pub(super) enum Tok {
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
    let mut file_system = false;
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
                    return crate::fmt_quote::print_text(HELP.as_bytes());
                }
                7 => {
                    let version = concat!("stat (chperms) ", env!("CARGO_PKG_VERSION"), "\n");
                    return crate::fmt_quote::print_text(version.as_bytes());
                }
                _ => file_system = true,
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
                b'f' => file_system = true,
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
    // One buffered stream for the whole run: a width of two billion goes
    // out in chunks instead of being built in memory.
    let mut out = FdSink::new(sys::stdout_fd());
    let mut status = 0;
    for f in files {
        let Ok(c) = CString::new(f) else {
            status = 1;
            continue;
        };
        if file_system {
            let st = match sys::statfs_base(&c) {
                Ok(st) => st,
                Err(e) => {
                    out.flush();
                    let mut q = Vec::new();
                    shell_quote(&mut q, f.as_bytes());
                    say(&[
                        b"cannot read file system information for ",
                        &q,
                        b": ",
                        sys::errno_text(e).as_bytes(),
                    ]);
                    status = 1;
                    continue;
                }
            };
            match &toks {
                Some(t) => {
                    fs::render(&mut out, t, f.as_bytes(), &st);
                    if !printf {
                        out.put(b"\n");
                    }
                }
                None => {
                    let default = if terse { fs::TERSE } else { fs::LONG };
                    if let Some(t) = parse(default.as_bytes(), false) {
                        fs::render(&mut out, &t, f.as_bytes(), &st);
                    }
                }
            }
            continue;
        }
        let m = match sys::stat_base(&c, follow) {
            Ok(m) => m,
            Err(e) => {
                out.flush();
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
        match &toks {
            Some(t) => {
                file::render(&mut out, t, &file, &mut names);
                if !printf {
                    out.put(b"\n");
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
                    file::render(&mut out, &t, &file, &mut names);
                }
            }
        }
    }
    out.flush();
    if out.error.is_some() {
        return 1;
    }
    status
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
