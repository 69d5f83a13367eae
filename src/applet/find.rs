//! `chperms find` — the GNU/BusyBox `find` language that permission work
//! needs. Arguments are parsed once into a compact expression (a `Vec` of
//! nodes addressed by index, BusyBox style) and evaluated per entry; the
//! walk is fd-relative over `sys::DirStream` (no PATH_MAX bound on paths).

const HELP: &str = "\
Usage: find [-H|-L|-P] [PATH...] [EXPRESSION]
Search directory trees (GNU findutils compatible subset).

Options:  -H (follow symlinks on the command line)  -L (follow all)  -P (never)
Globals:  -maxdepth N -mindepth N -depth -xdev -mount -noleaf -follow
Tests:    -name -iname -path -ipath -wholename -iwholename PATTERN
          -type -xtype [bcdpfls][,...]   -perm [-/]MODE (octal or u+w,g-s)
          -user -group NAME|ID  -uid -gid -links -inum -size [+-]N[cwbkMG]
          -nouser -nogroup -empty -newer -anewer -cnewer FILE -samefile FILE
          -mtime -atime -ctime [+-]DAYS  -mmin -amin -cmin [+-]MINUTES
          -true -false
Actions:  -print -print0 -printf FORMAT -prune -quit
          -exec CMD ARG... ;   -exec CMD ARG... {} +   -execdir CMD ARG... ;
Operators (by precedence): ( EXPR )  ! -not  -a -and  -o -or  ,

-printf directives: %p %P %f %h %H %d %m %M %u %U %g %G %s %k %b %i %n %l
%y %Y %t %a %c %T@ %Tk %Ak %Ck (k as in strftime, plus @ + S T) %% and
escapes \\n \\t \\0 \\\\ \\a \\b \\f \\r \\v \\NNN \\c.

Example:
  find /srv -xdev -type d -perm -o+w -printf '%m %u:%g %p\\n'
  find web -type f ! -user www-data -exec chown www-data {} +

Deviations from GNU find:
  -delete, -ok, -okdir, -ls, -fls, -fprint*, -regex, -newerXY, -readable,
  -writable, -executable, -daystart, -context and -D/-O are not supported
  (an unknown predicate error); -execdir ... {} + runs once per entry;
  directories nested deeper than 128 levels below a start path are reported
  as an error and not entered; -printf %F %S %Z %D are not supported (kept
  literally, with GNU's warning); names print and match as in the C locale;
  user and group names come from /etc/passwd and /etc/group only.
";

use crate::budget::{EXEC_ARG_MAX, MAX_DEPTH, PATH_MAX};
use crate::fmt_quote::{escape, pad_num, pad_str, parse_spec, quoted, Spec};
use crate::fmt_time;
use crate::sys::{self, Errno, Kind, Meta};
use crate::users::{self, NameCache};
use rustix::fd::BorrowedFd;
use std::ffi::{CStr, CString};
use std::io::Write;

/// One -printf piece.
enum Pf {
    Lit(Vec<u8>),
    Dir(Spec, u8, u8),
    Stop,
}

/// One `-exec`/`-execdir`: the command and, for `{} +`, its pending batch
/// (the paths, each followed by a NUL: one buffer, not a Vec per path).
/// Patterns and commands borrow the arguments (no copies to build or free).
struct Exec<'a> {
    /// The command's words as given (ending with `{}` for `{} +`).
    argv: &'a [&'a str],
    plus: bool,
    dir: bool,
    batch: Vec<u8>,
}

/// A node of the expression. Children are indices into `Find::nodes`.
enum Node<'a> {
    And(usize, usize),
    Or(usize, usize),
    Comma(usize, usize),
    Not(usize),
    Const(bool),
    Name(&'a [u8], bool, bool),
    Type(u16, bool),
    Perm(u8, u32, u32),
    /// Every numeric test, one variant (one evaluation path): the value
    /// `what` names, divided by `unit`, compared with `n`. See [`Op::Num`].
    Num {
        what: u8,
        /// 1 for `+N` (greater), -1 for `-N` (less), 0 for `N` (equal).
        sign: i8,
        unit: u32,
        n: u64,
    },
    Newer(u8, (i64, u32)),
    NoUser,
    NoGroup,
    Empty,
    Same(u64, u64),
    Prune,
    Quit,
    Print(u8),
    Printf(Vec<Pf>),
    Exec(usize),
}

/// The entry being evaluated.
struct Ent<'a> {
    path: &'a [u8],
    /// Length of the start path this entry was found below.
    start: usize,
    depth: usize,
    m: &'a Meta,
    dir: BorrowedFd<'a>,
    name: &'a CStr,
    /// `m` came from following a symlink.
    followed: bool,
}

/// The parsed command and the walk's state.
struct Find<'a> {
    nodes: Vec<Node<'a>>,
    root: usize,
    execs: Vec<Exec<'a>>,
    follow: u8,
    maxdepth: usize,
    mindepth: usize,
    depth_first: bool,
    xdev: bool,
    now: (i64, u32),
    out: Vec<u8>,
    status: i32,
    quit: bool,
    prune: bool,
    names: NameCache,
    /// (dev, ino, path length) of each directory being walked (loop checks).
    ancestors: Vec<(u64, u64, usize)>,
    start_dev: u64,
}

/// Runs `chperms find`.
pub fn main(args: &[&str]) -> i32 {
    if args.first() == Some(&"--help") {
        print!("{HELP}");
        return 0;
    }
    let mut f = Find {
        nodes: Vec::new(),
        root: 0,
        execs: Vec::new(),
        follow: b'P',
        maxdepth: usize::MAX,
        mindepth: 0,
        depth_first: false,
        xdev: false,
        now: now(),
        out: Vec::with_capacity(8192),
        status: 0,
        quit: false,
        prune: false,
        names: NameCache::new(),
        ancestors: Vec::new(),
        start_dev: 0,
    };
    let mut i = 0;
    // Byte patterns rather than string compares (each one a call).
    while i < args.len() && matches!(args[i].as_bytes(), [b'-', b'H' | b'L' | b'P']) {
        f.follow = args[i].as_bytes()[1];
        i += 1;
    }
    if args.get(i) == Some(&"--") {
        i += 1;
    }
    let p0 = i;
    while i < args.len() && !is_expr(args[i]) {
        i += 1;
    }
    let paths: &[&str] = if i == p0 { &["."] } else { &args[p0..i] };
    // One way out of this function (each return would drop `f` again).
    if f.parse(&args[i..]).is_err() {
        f.status = 1;
    } else {
        for &p in paths {
            if f.quit {
                break;
            }
            f.start(p);
        }
        for k in 0..f.execs.len() {
            f.run_batch(k);
        }
        f.flush();
    }
    f.status
}

fn is_expr(a: &str) -> bool {
    matches!(a.as_bytes(), [b'-', _, ..] | [b'(' | b'!' | b')'])
}

fn now() -> (i64, u32) {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    }
}

fn num(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    // Digits only, None on overflow (as str::parse, but no sign allowed).
    s.bytes().try_fold(0u64, |v, b| {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v.checked_mul(10)?.checked_add(d as u64)
    })
}

/// `+N`, `-N` or `N`: (sign, N) as in [`Node::Num`].
fn cmp(s: &str) -> Option<(i8, u64)> {
    let (k, rest) = match s.as_bytes().first() {
        Some(b'+') => (1, &s[1..]),
        Some(b'-') => (-1, &s[1..]),
        _ => (0, s),
    };
    num(rest).map(|n| (k, n))
}

/// The type letter of each `Kind`, by discriminant (`Kind::Dir as usize`
/// is 0 …): a table lookup instead of a match, and a -type mask has bit
/// `k as u16` for kind `k` (the first seven letters are -type's).
const KIND_LETTERS: &[u8; 8] = b"dflspcbU";
const _: () = assert!(
    Kind::Dir as u8 == 0
        && Kind::File as u8 == 1
        && Kind::Symlink as u8 == 2
        && Kind::Socket as u8 == 3
        && Kind::Fifo as u8 == 4
        && Kind::CharDev as u8 == 5
        && Kind::BlockDev as u8 == 6
        && Kind::Unknown as u8 == 7
);

fn kind_letter(k: Kind) -> u8 {
    KIND_LETTERS[k as usize]
}

/// Parses a `-perm` mode (octal, or symbolic applied to 0 as GNU does);
/// returns the modes for a non-directory and a directory (`X` differs).
fn parse_mode(s: &str) -> Option<(u32, u32)> {
    if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let v = u32::from_str_radix(s, 8).ok()?;
        return (v <= 0o7777).then_some((v, v));
    }
    Some((symbolic(s, false)?, symbolic(s, true)?))
}

#[inline(never)]
fn symbolic(s: &str, dir: bool) -> Option<u32> {
    // Byte matches on `b.get(i)` (no `contains` scans): `None` ends a run.
    let mut cur = 0u32;
    for clause in s.split(',') {
        let b = clause.as_bytes();
        let mut i = 0;
        let mut who = 0u32;
        loop {
            who |= match b.get(i) {
                Some(b'u') => 0o4700,
                Some(b'g') => 0o2070,
                Some(b'o') => 0o1007,
                Some(b'a') => 0o7777,
                _ => break,
            };
            i += 1;
        }
        if who == 0 {
            who = 0o7777;
        }
        if i >= b.len() {
            return None;
        }
        while let Some(&op) = b.get(i) {
            if !matches!(op, b'+' | b'-' | b'=') {
                return None;
            }
            i += 1;
            // Either a copy of who's bits (`g=u`) or letters (`rwX`).
            let from = match b.get(i) {
                Some(b'u') => Some(6),
                Some(b'g') => Some(3),
                Some(b'o') => Some(0),
                _ => None,
            };
            let mut val = 0u32;
            if let Some(shift) = from {
                val = ((cur >> shift) & 7) * 0o111;
                i += 1;
            } else {
                loop {
                    val |= match b.get(i) {
                        Some(b'r') => 0o444,
                        Some(b'w') => 0o222,
                        Some(b'x') => 0o111,
                        Some(b'X') if dir || cur & 0o111 != 0 => 0o111,
                        Some(b'X') => 0,
                        Some(b's') => 0o6000,
                        Some(b't') => 0o1000,
                        _ => break,
                    };
                    i += 1;
                }
            }
            val &= who;
            match op {
                b'+' => cur |= val,
                b'-' => cur &= !val,
                _ => cur = (cur & !who) | val,
            }
        }
    }
    Some(cur)
}

/// `fnmatch` without `FNM_PATHNAME`/`FNM_PERIOD`, as find uses it.
#[inline(never)]
fn fnmatch(p: &[u8], s: &[u8], icase: bool) -> bool {
    let low = |c: u8| if icase { c.to_ascii_lowercase() } else { c };
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star = Some((pi, si));
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    si += 1;
                    continue;
                }
                b'[' => {
                    if let Some((ok, len)) = class(&p[pi..], low(s[si]), icase) {
                        if ok {
                            pi += len;
                            si += 1;
                            continue;
                        }
                    } else if low(s[si]) == b'[' {
                        pi += 1;
                        si += 1;
                        continue;
                    }
                }
                c => {
                    let (c, n) = if c == b'\\' && pi + 1 < p.len() {
                        (p[pi + 1], 2)
                    } else {
                        (c, 1)
                    };
                    if low(c) == low(s[si]) {
                        pi += n;
                        si += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// Matches a bracket expression at `p[0] == '['`; returns (matched, length)
/// or None when it is not a valid bracket expression.
#[inline(never)]
fn class(p: &[u8], c: u8, icase: bool) -> Option<(bool, usize)> {
    let mut i = 1;
    let neg = matches!(p.get(1), Some(b'!') | Some(b'^'));
    if neg {
        i += 1;
    }
    let mut hit = false;
    let mut first = true;
    loop {
        let &b = p.get(i)?;
        if b == b']' && !first {
            return Some((hit != neg, i + 1));
        }
        first = false;
        if b == b'[' && p.get(i + 1) == Some(&b':') {
            // The name runs to the first `:]` (none: not a bracket).
            let mut end = i + 2;
            while !(*p.get(end)? == b':' && p.get(end + 1) == Some(&b']')) {
                end += 1;
            }
            let name = &p[i + 2..end];
            hit |= in_class(name, c, icase);
            i = end + 2;
            continue;
        }
        let lo = if b == b'\\' {
            i += 1;
            *p.get(i)?
        } else {
            b
        };
        let low = |x: u8| if icase { x.to_ascii_lowercase() } else { x };
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&h| h != b']') {
            let hi = p[i + 2];
            hit |= (low(lo)..=low(hi)).contains(&c);
            i += 3;
        } else {
            hit |= low(lo) == c;
            i += 1;
        }
    }
}

/// The `[:name:]` classes (C locale) that `in_class` knows, in the order
/// of `CLASS_BITS`.
const CLASSES: &str = "alpha digit alnum upper lower space punct xdigit blank cntrl print graph ";

/// Whether ASCII character `c` is in class `k` of `CLASSES`.
const fn class_has(k: usize, c: u8) -> bool {
    match k {
        0 => c.is_ascii_alphabetic(),
        1 => c.is_ascii_digit(),
        2 => c.is_ascii_alphanumeric(),
        3 => c.is_ascii_uppercase(),
        4 => c.is_ascii_lowercase(),
        // C's isspace(): Rust's ASCII whitespace leaves out \v.
        5 => c.is_ascii_whitespace() || c == 0x0b,
        6 => c.is_ascii_punctuation(),
        7 => c.is_ascii_hexdigit(),
        8 => c == b' ' || c == b'\t',
        9 => c.is_ascii_control(),
        10 => c >= 0x20 && c < 0x7f,
        _ => c.is_ascii_graphic(),
    }
}

/// Each class of `CLASSES` as a bitmap over ASCII, computed at compile time
/// (192 bytes of table instead of a dozen range tests in code).
const CLASS_BITS: [[u32; 4]; 12] = {
    let mut t = [[0u32; 4]; 12];
    let mut k = 0;
    while k < 12 {
        let mut c = 0u8;
        while c < 128 {
            if class_has(k, c) {
                t[k][c as usize / 32] |= 1 << (c % 32);
            }
            c += 1;
        }
        k += 1;
    }
    t
};

/// Whether `c` is in the character class `[:name:]` (C locale; nothing
/// above ASCII is in any class).
#[inline(never)] // else each test is hoisted out of `class`'s loop
fn in_class(name: &[u8], c: u8, icase: bool) -> bool {
    let Some(mut k) = word_index(CLASSES, name) else {
        return false;
    };
    // With -iname/-ipath, [:upper:] matches lower-case letters too: it is
    // [:alpha:].
    if k == 3 && icase {
        k = 0;
    }
    c < 128 && CLASS_BITS[k][c as usize / 32] >> (c % 32) & 1 != 0
}

/// Parses a -printf format into pieces (GNU warnings on stderr).
#[inline(never)]
fn parse_printf(f: &[u8]) -> Vec<Pf> {
    let mut v = Vec::new();
    let mut lit = Vec::new();
    let mut i = 0;
    while i < f.len() {
        let c = f[i];
        i += 1;
        if c == b'\\' {
            if f.get(i) == Some(&b'c') {
                v.push(Pf::Lit(std::mem::take(&mut lit)));
                v.push(Pf::Stop);
                return v;
            }
            match escape(&f[i..], false) {
                Some((b, n)) => {
                    lit.push(b);
                    i += n;
                }
                None => {
                    let e = f.get(i).copied().unwrap_or(b'\\');
                    eprintln!("find: warning: unrecognized escape `\\{}'", e as char);
                    lit.push(b'\\');
                    if i < f.len() {
                        lit.push(e);
                        i += 1;
                    }
                }
            }
            continue;
        }
        if c != b'%' {
            lit.push(c);
            continue;
        }
        if f.get(i) == Some(&b'%') {
            lit.push(b'%');
            i += 1;
            continue;
        }
        let (sp, n) = parse_spec(&f[i..], b"-+ #0");
        let start = i - 1;
        i += n;
        let Some(&conv) = f.get(i) else {
            eprintln!(
                "find: warning: format directive `%' should be followed by another character"
            );
            lit.extend_from_slice(&f[start..]);
            break;
        };
        i += 1;
        let mut tk = 0;
        if b"ACT".contains(&conv) {
            match f.get(i) {
                Some(&k) => {
                    tk = k;
                    i += 1;
                }
                None => {
                    eprintln!(
                        "find: error: the format directive `%{}' is missing its time specifier",
                        conv as char
                    );
                    continue;
                }
            }
        }
        if !b"abcdfghiklmnpstuyGHMPUY".contains(&conv) && tk == 0 {
            eprintln!(
                "find: warning: unrecognized format directive `%{}'",
                conv as char
            );
            lit.extend_from_slice(&f[start..i]);
            continue;
        }
        v.push(Pf::Lit(std::mem::take(&mut lit)));
        v.push(Pf::Dir(sp, conv, tk));
    }
    v.push(Pf::Lit(lit));
    v
}

/// What a primary's name stands for; `primary` turns it into a [`Node`].
#[derive(Clone, Copy)]
enum Op {
    Const(bool),
    /// -maxdepth (true) / -mindepth (false).
    Depth(bool),
    /// -depth, -xdev, -follow: b'd', b'x', b'L'.
    Global(u8),
    /// (ignore case, match the whole path).
    Name(bool, bool),
    /// -xtype (true) / -type (false).
    Type(bool),
    Perm,
    /// -group (true) / -user (false).
    Owner(bool),
    /// A numeric test and its unit: -uid -gid -links -inum (b'u', b'g',
    /// b'l', b'i'; unit 1), -size (b's'; the unit comes from the suffix),
    /// -atime -ctime -mtime -amin -cmin -mmin (b'a', b'c', b'm'; a day or
    /// a minute in seconds).
    Num(u8, u32),
    /// -newer -anewer -cnewer (a, c or m) and -samefile (0).
    Ref(u8),
    NoUser,
    NoGroup,
    Empty,
    Prune,
    Quit,
    Print(u8),
    Printf,
    /// -execdir (true) / -exec (false).
    Exec(bool),
}

/// Declares the primaries: `NAMES` (without the leading `-`, each followed
/// by a space) and `OPS` in the same order. One string and one small table
/// instead of a long `match` on strings keep the parser compact.
macro_rules! primaries {
    ($($name:literal => $op:expr,)*) => {
        const NAMES: &str = concat!($($name, " ",)*);
        const OPS: &[Op] = &[$($op,)*];
    };
}

primaries! {
    "true" => Op::Const(true),
    "false" => Op::Const(false),
    "maxdepth" => Op::Depth(true),
    "mindepth" => Op::Depth(false),
    "depth" => Op::Global(b'd'),
    "d" => Op::Global(b'd'),
    "xdev" => Op::Global(b'x'),
    "mount" => Op::Global(b'x'),
    "follow" => Op::Global(b'L'),
    "noleaf" => Op::Const(true),
    "ignore_readdir_race" => Op::Const(true),
    "noignore_readdir_race" => Op::Const(true),
    "name" => Op::Name(false, false),
    "iname" => Op::Name(true, false),
    "path" => Op::Name(false, true),
    "ipath" => Op::Name(true, true),
    "wholename" => Op::Name(false, true),
    "iwholename" => Op::Name(true, true),
    "type" => Op::Type(false),
    "xtype" => Op::Type(true),
    "perm" => Op::Perm,
    "user" => Op::Owner(false),
    "group" => Op::Owner(true),
    "uid" => Op::Num(b'u', 1),
    "gid" => Op::Num(b'g', 1),
    "links" => Op::Num(b'l', 1),
    "inum" => Op::Num(b'i', 1),
    "size" => Op::Num(b's', 0),
    "mtime" => Op::Num(b'm', 86400),
    "atime" => Op::Num(b'a', 86400),
    "ctime" => Op::Num(b'c', 86400),
    "mmin" => Op::Num(b'm', 60),
    "amin" => Op::Num(b'a', 60),
    "cmin" => Op::Num(b'c', 60),
    "newer" => Op::Ref(b'm'),
    "anewer" => Op::Ref(b'a'),
    "cnewer" => Op::Ref(b'c'),
    "samefile" => Op::Ref(0),
    "nouser" => Op::NoUser,
    "nogroup" => Op::NoGroup,
    "empty" => Op::Empty,
    "prune" => Op::Prune,
    "quit" => Op::Quit,
    "print" => Op::Print(b'\n'),
    "print0" => Op::Print(0),
    "printf" => Op::Printf,
    "exec" => Op::Exec(false),
    "execdir" => Op::Exec(true),
}

/// The position of the word `w` in `list` (words each followed by a space).
fn word_index(list: &str, w: &[u8]) -> Option<usize> {
    let mut rest = list.as_bytes();
    let mut k = 0;
    // (A loop rather than split().position(): half the code.)
    while let Some(end) = rest.iter().position(|&c| c == b' ') {
        if &rest[..end] == w {
            return Some(k);
        }
        rest = &rest[end + 1..];
        k += 1;
    }
    None
}

/// The primary named `t` (`-name` …), if there is one.
fn lookup(t: &str) -> Option<Op> {
    let k = word_index(NAMES, t.strip_prefix('-')?.as_bytes())?;
    OPS.get(k).copied()
}

/// A command-line error, already reported on stderr by [`fail`].
/// (Reporting where the error is found keeps the parser's results small:
/// no `String` to pass back through every level.)
struct Bad;

/// Prints `find: ` and the parts on stderr (GNU's wording): every
/// command-line error, and the walk's `find: PATH: reason` reports (one
/// slice of pieces is less code per call than a formatted eprintln!).
#[inline(never)]
fn fail(parts: &[&str]) -> Bad {
    eprintln!("find: {}", parts.concat());
    Bad
}

/// Refuses `-execdir` (GNU's check, word for word) when `PATH` would let the
/// command name resolve inside the directory being visited: an empty entry,
/// `.`, or any relative entry. As root over a vhost user's tree, `-execdir wc`
/// would otherwise run the user's own `./wc`. An unset `PATH` is the C
/// library's absolute default, which is safe.
fn unsafe_path_entry(action: &str) -> Result<(), Bad> {
    let Some(path) = std::env::var_os("PATH") else {
        return Ok(());
    };
    for entry in path.as_encoded_bytes().split(|&c| c == b':') {
        if entry.is_empty() || entry == b"." {
            return Err(fail(&[
                "The current directory is included in the PATH environment variable, \
                 which is insecure in combination with the ",
                action,
                " action of find.  Please remove the current directory from your $PATH \
                 (that is, remove \".\", doubled colons, or leading or trailing colons)",
            ]));
        }
        if entry[0] != b'/' {
            return Err(fail(&[
                "The relative path ",
                &quoted(entry),
                " is included in the PATH environment variable, which is insecure in \
                 combination with the ",
                action,
                " action of find.  Please remove that entry from $PATH",
            ]));
        }
    }
    Ok(())
}

/// GNU's error for a binary operator with nothing on its left.
fn no_lhs(op: &str) -> Bad {
    fail(&[
        "invalid expression; you have used a binary operator '",
        op,
        "' with nothing before it.",
    ])
}

/// GNU's error for an operator with nothing on its right.
fn no_rhs(op: &str) -> Bad {
    fail(&["expected an expression after '", op, "'"])
}

impl<'a> Find<'a> {
    fn add(&mut self, n: Node<'a>) -> usize {
        self.nodes.push(n);
        self.nodes.len() - 1
    }

    /// Parses the expression; adds `-print` when it has no action.
    fn parse(&mut self, args: &'a [&'a str]) -> Result<(), Bad> {
        let mut pos = 0;
        let mut action = false;
        let root = if args.is_empty() {
            None
        } else {
            let r = self.binary(0, args, &mut pos, &mut action)?;
            if let Some(&t) = args.get(pos) {
                if t == ")" {
                    return Err(fail(&["you have too many ')'"]));
                }
                return Err(fail(&["paths must precede expression: `", t, "'"]));
            }
            r
        };
        self.root = match root {
            None => self.add(Node::Print(b'\n')),
            Some(r) if !action => {
                let p = self.add(Node::Print(b'\n'));
                self.add(Node::And(r, p))
            }
            Some(r) => r,
        };
        Ok(())
    }

    /// Parses the operators of precedence level `lv` and tighter: 0 is `,`,
    /// 1 is `-o`, 2 is `-a` and the implicit and between two expressions.
    /// One function for the three levels (they differ only in details).
    fn binary(
        &mut self,
        lv: usize,
        a: &'a [&'a str],
        pos: &mut usize,
        act: &mut bool,
    ) -> Result<Option<usize>, Bad> {
        let mut l = if lv < 2 {
            self.binary(lv + 1, a, pos, act)?
        } else {
            None
        };
        while let Some(&t) = a.get(*pos) {
            // The level of the operator `t`; 3 is an operand (implicit and).
            // (The words come in pairs: the level is the index / 2.)
            let w = word_index(") , -o -or -a -and ", t.as_bytes());
            let k = w.map_or(3, |i| i / 2);
            // `)` ends every level; below level 2 only this level's
            // operator continues (a looser one is left to the caller).
            if w == Some(0) || k < lv || (lv < 2 && k != lv) {
                break;
            }
            let explicit = k == lv;
            if explicit {
                if l.is_none() && lv > 0 {
                    return Err(no_lhs(t));
                }
                *pos += 1;
            }
            let r = if lv < 2 {
                self.binary(lv + 1, a, pos, act)?
            } else {
                self.unary(a, pos, act)?
            };
            let Some(r) = r else {
                if explicit {
                    return Err(no_rhs(t));
                }
                break;
            };
            let Some(x) = l else {
                // `,` checks its left side only after its right, as GNU does.
                if lv == 0 {
                    return Err(no_lhs(t));
                }
                l = Some(r);
                continue;
            };
            l = Some(self.add(match lv {
                0 => Node::Comma(x, r),
                1 => Node::Or(x, r),
                _ => Node::And(x, r),
            }));
        }
        Ok(l)
    }

    fn unary(
        &mut self,
        a: &'a [&'a str],
        pos: &mut usize,
        act: &mut bool,
    ) -> Result<Option<usize>, Bad> {
        let Some(&t) = a.get(*pos) else {
            return Ok(None);
        };
        *pos += 1;
        match t {
            "!" | "-not" => match self.unary(a, pos, act)? {
                Some(e) => Ok(Some(self.add(Node::Not(e)))),
                None => Err(no_rhs(t)),
            },
            "(" => {
                if a.get(*pos) == Some(&")") {
                    return Err(fail(&[
                        "invalid expression; empty parentheses are not allowed.",
                    ]));
                }
                let e = self.binary(0, a, pos, act)?;
                if a.get(*pos) != Some(&")") {
                    return Err(fail(&["invalid expression; I was expecting to find a ')' somewhere but did not see one."]));
                }
                *pos += 1;
                Ok(e)
            }
            _ => self.primary(t, a, pos, act).map(Some),
        }
    }

    /// Parses one test, action or global option named `t`.
    fn primary(
        &mut self,
        t: &str,
        a: &'a [&'a str],
        pos: &mut usize,
        act: &mut bool,
    ) -> Result<usize, Bad> {
        let Some(op) = lookup(t) else {
            let m = if !matches!(t.as_bytes(), [b'-', _, ..]) {
                "paths must precede expression: `"
            } else {
                "unknown predicate `"
            };
            return Err(fail(&[m, t, "'"]));
        };
        let missing = || fail(&["missing argument to `", t, "'"]);
        // Every primary but these takes one argument (-exec takes its own).
        let v = match op {
            Op::Const(_) | Op::Global(_) | Op::NoUser | Op::NoGroup | Op::Empty => "",
            Op::Prune | Op::Quit | Op::Print(_) | Op::Exec(_) => "",
            _ => {
                let Some(&v) = a.get(*pos) else {
                    return Err(missing());
                };
                *pos += 1;
                v
            }
        };
        let bad = || fail(&["invalid argument `", v, "' to `", t, "'"]);
        let n = match op {
            Op::Const(b) => Node::Const(b),
            Op::Depth(max) => {
                let Some(n) = num(v) else {
                    return Err(fail(&[
                        "Expected a positive decimal integer argument to ",
                        t,
                        ", but got '",
                        v,
                        "'",
                    ]));
                };
                // GNU find takes an int here and refuses anything larger.
                if n > i32::MAX as u64 {
                    return Err(fail(&[v, ": Numerical result out of range"]));
                }
                let n = n as usize;
                if max {
                    self.maxdepth = n;
                } else {
                    self.mindepth = n;
                }
                Node::Const(true)
            }
            Op::Global(g) => {
                match g {
                    b'd' => self.depth_first = true,
                    b'x' => self.xdev = true,
                    _ => self.follow = b'L',
                }
                Node::Const(true)
            }
            Op::Name(icase, whole) => Node::Name(v.as_bytes(), icase, whole),
            Op::Type(x) => {
                let mut mask = 0u16;
                for part in v.split(',') {
                    let b = part.as_bytes();
                    let p = match b {
                        [c] => KIND_LETTERS[..7].iter().position(|x| x == c),
                        _ => None,
                    };
                    let Some(p) = p else {
                        let (pre, post) = match b.len() {
                            0 => (
                                "Last file type in list argument to ",
                                " is missing, i.e., list is ending on: ','",
                            ),
                            1 => ("Unknown argument to ", ": "),
                            _ => ("Must separate multiple arguments to ", " using: ','"),
                        };
                        // Only the unknown letter is quoted (empty is empty).
                        let part = if b.len() > 1 { "" } else { part };
                        return Err(fail(&[pre, t, post, part]));
                    };
                    mask |= 1 << p;
                }
                Node::Type(mask, x)
            }
            Op::Perm => {
                let (how, m) = match v.as_bytes().first() {
                    Some(b'-') => (b'-', &v[1..]),
                    Some(b'/') => (b'/', &v[1..]),
                    _ => (b'=', v),
                };
                let Some((f, d)) = parse_mode(m) else {
                    return Err(fail(&["invalid mode ", &quoted(v.as_bytes())]));
                };
                Node::Perm(how, f, d)
            }
            Op::Owner(group) => {
                let id = if group {
                    users::group_by_name(v).map(|g| g.gid)
                } else {
                    users::user_by_name(v).map(|u| u.uid)
                };
                let id = id.or(num(v).and_then(|n| u32::try_from(n).ok()));
                let Some(id) = id else {
                    let what = if group {
                        " is not the name of an existing group"
                    } else {
                        " is not the name of a known user"
                    };
                    return Err(fail(&[&quoted(v.as_bytes()), what]));
                };
                Node::Num {
                    what: if group { b'g' } else { b'u' },
                    sign: 0,
                    unit: 1,
                    n: id as u64,
                }
            }
            Op::Num(what, unit) => {
                let (body, unit) = match v.as_bytes().last() {
                    _ if what != b's' => (v, unit),
                    Some(c) if c.is_ascii_digit() => (v, 512),
                    Some(&c) => {
                        let u = match c {
                            b'c' => 1,
                            b'w' => 2,
                            b'b' => 512,
                            b'k' => 1024,
                            b'M' => 1 << 20,
                            b'G' => 1 << 30,
                            _ => {
                                let mut ch = [0; 4];
                                let ch = (c as char).encode_utf8(&mut ch);
                                return Err(fail(&["invalid -size type `", ch, "'"]));
                            }
                        };
                        (&v[..v.len() - 1], u)
                    }
                    None => return Err(bad()),
                };
                let (sign, n) = cmp(body).ok_or_else(bad)?;
                Node::Num {
                    what,
                    sign,
                    unit,
                    n,
                }
            }
            Op::Ref(w) => {
                let m = self.stat_ref(v)?;
                match w {
                    0 => Node::Same(m.dev, m.ino),
                    _ => Node::Newer(w, m.mtime),
                }
            }
            Op::NoUser => Node::NoUser,
            Op::NoGroup => Node::NoGroup,
            Op::Empty => Node::Empty,
            Op::Prune => Node::Prune,
            Op::Quit => Node::Quit,
            Op::Print(c) => {
                *act = true;
                Node::Print(c)
            }
            Op::Printf => {
                *act = true;
                Node::Printf(parse_printf(v.as_bytes()))
            }
            Op::Exec(dir) => {
                *act = true;
                if dir {
                    unsafe_path_entry(t)?;
                }
                // The command runs up to `;`, or to a `+` right after `{}`.
                let first = *pos;
                let plus = loop {
                    let Some(&x) = a.get(*pos) else {
                        return Err(missing());
                    };
                    *pos += 1;
                    match x.as_bytes() {
                        b";" => break false,
                        b"+" if *pos - 1 > first && a[*pos - 2] == "{}" => break true,
                        _ => {}
                    }
                };
                let argv = &a[first..*pos - 1];
                if argv.is_empty() {
                    return Err(missing());
                }
                self.execs.push(Exec {
                    argv,
                    plus,
                    dir,
                    batch: Vec::new(),
                });
                Node::Exec(self.execs.len() - 1)
            }
        };
        Ok(self.add(n))
    }

    /// Stats a reference file for -newer/-samefile (follows with -H/-L).
    fn stat_ref(&self, p: &str) -> Result<Meta, Bad> {
        CString::new(p)
            .map_err(|_| Errno::INVAL)
            .and_then(|c| sys::stat_base(&c, self.follow != b'P'))
            .map_err(|e| fail(&[&quoted(p.as_bytes()), ": ", sys::errno_text(e)]))
    }

    fn error(&mut self, path: &[u8], e: Errno) {
        self.flush();
        fail(&[&quoted(path), ": ", sys::errno_text(e)]);
        self.status = 1;
    }

    fn flush(&mut self) {
        if !self.out.is_empty() {
            let r = std::io::stdout().lock().write_all(&self.out);
            self.out.clear();
            if r.is_err() {
                self.status = 1;
                self.quit = true;
            }
        }
    }

    /// Stats `name` in `dir` into `m` as the symlink mode asks; returns
    /// whether a symlink was followed. A dangling or looping link is
    /// reported as the link itself, as GNU does. (Filling the caller's
    /// `Meta` in place saves copying it through return values.)
    fn stat(
        &self,
        dir: BorrowedFd<'_>,
        name: &CStr,
        start: bool,
        m: &mut Meta,
    ) -> Result<bool, Errno> {
        *m = sys::stat_at(dir, name)?;
        let follow = self.follow == b'L' || (start && self.follow == b'H');
        if follow && m.kind() == Kind::Symlink {
            match sys::stat_at_follow(dir, name) {
                Ok(t) => {
                    *m = t;
                    return Ok(true);
                }
                Err(Errno::LOOP) if self.follow == b'L' => return Err(Errno::LOOP),
                Err(_) => {}
            }
        }
        Ok(false)
    }

    /// Walks one start path.
    fn start(&mut self, p: &str) {
        let Ok(c) = CString::new(p) else {
            self.error(p.as_bytes(), Errno::INVAL);
            return;
        };
        let mut m = Meta::default();
        let followed = match self.stat(sys::cwd(), &c, true, &mut m) {
            Ok(x) => x,
            Err(e) => return self.error(p.as_bytes(), e),
        };
        self.start_dev = m.dev;
        let mut path = Vec::with_capacity(256);
        path.extend_from_slice(p.as_bytes());
        self.ancestors.clear();
        self.visit(&mut path, p.len(), 0, sys::cwd(), &c, &m, followed);
    }

    /// Evaluates one entry and, for a directory, its subtree.
    #[allow(clippy::too_many_arguments)]
    fn visit(
        &mut self,
        path: &mut Vec<u8>,
        start: usize,
        depth: usize,
        dir: BorrowedFd<'_>,
        name: &CStr,
        m: &Meta,
        followed: bool,
    ) {
        let is_dir = m.kind() == Kind::Dir;
        let descend = is_dir && depth < self.maxdepth && !(self.xdev && m.dev != self.start_dev);
        if is_dir && self.follow != b'P' {
            if let Some(&(_, _, len)) = self.ancestors.iter().find(|a| a.0 == m.dev && a.1 == m.ino)
            {
                self.flush();
                eprintln!(
                    "find: File system loop detected; {} is part of the same file system loop as {}.",
                    quoted(path),
                    quoted(&path[..len])
                );
                self.status = 1;
                return;
            }
        }
        if !self.depth_first || !descend {
            self.prune = false;
            if depth >= self.mindepth {
                let e = Ent {
                    path,
                    start,
                    depth,
                    m,
                    dir,
                    name,
                    followed,
                };
                self.eval(self.root, &e);
            }
            if self.prune || self.quit || !descend {
                return;
            }
        }
        let opened = if followed {
            sys::open_dir_at_follow(dir, name)
        } else {
            sys::open_dir_at(dir, name)
        };
        match opened.and_then(|fd| match sys::fstat(&fd) {
            Ok(fm) if fm.same_object(m) => Ok(fd),
            Ok(_) => Err(Errno::STALE),
            Err(e) => Err(e),
        }) {
            Err(e) => self.error(path, e),
            Ok(_) if depth + 1 >= MAX_DEPTH => {
                // The limit is spelled out in the text (no formatting).
                const _: () = assert!(MAX_DEPTH == 128);
                self.flush();
                fail(&[
                    &quoted(path),
                    ": directory nesting deeper than 128 levels; not entered",
                ]);
                self.status = 1;
            }
            Ok(fd) => {
                self.ancestors.push((m.dev, m.ino, path.len()));
                let mut ds = sys::DirStream::new(fd);
                let base = path.len();
                let mut cm = Meta::default();
                while !self.quit {
                    let child = match ds.next_entry() {
                        None => break,
                        Some(Err(e)) => {
                            self.error(path, e);
                            break;
                        }
                        Some(Ok(ent)) => ent.name.to_owned(),
                    };
                    if path.last() != Some(&b'/') {
                        path.push(b'/');
                    }
                    path.extend_from_slice(child.to_bytes());
                    if path.len() >= PATH_MAX * 16 {
                        self.error(path, Errno::NAMETOOLONG);
                    } else {
                        let dfd = ds.fd();
                        match self.stat(dfd, &child, false, &mut cm) {
                            Ok(f) => self.visit(path, start, depth + 1, dfd, &child, &cm, f),
                            Err(e) => self.error(path, e),
                        }
                    }
                    path.truncate(base);
                }
                self.ancestors.pop();
            }
        }
        if self.depth_first && !self.quit && depth >= self.mindepth {
            let e = Ent {
                path,
                start,
                depth,
                m,
                dir,
                name,
                followed,
            };
            self.eval(self.root, &e);
        }
    }

    fn eval(&mut self, n: usize, e: &Ent<'_>) -> bool {
        let m = e.m;
        match &self.nodes[n] {
            // After -quit nothing more is evaluated (not even the implicit -print).
            &Node::And(a, b) => self.eval(a, e) && !self.quit && self.eval(b, e),
            &Node::Or(a, b) => self.eval(a, e) || (!self.quit && self.eval(b, e)),
            &Node::Comma(a, b) => {
                self.eval(a, e);
                !self.quit && self.eval(b, e)
            }
            &Node::Not(a) => !self.eval(a, e),
            &Node::Const(v) => v,
            Node::Name(p, icase, whole) => {
                let s = if *whole { e.path } else { base_name(e.path) };
                fnmatch(p, s, *icase)
            }
            &Node::Type(mask, x) => {
                let k = if x {
                    if e.followed {
                        Kind::Symlink
                    } else if m.kind() == Kind::Symlink {
                        sys::stat_at_follow(e.dir, e.name).map_or(Kind::Symlink, |t| t.kind())
                    } else {
                        m.kind()
                    }
                } else {
                    m.kind()
                };
                mask & (1 << k as u16) != 0
            }
            &Node::Perm(how, f, d) => {
                let want = if m.kind() == Kind::Dir { d } else { f };
                let have = m.perm();
                match how {
                    b'-' => have & want == want,
                    b'/' => want == 0 || have & want != 0,
                    _ => have == want,
                }
            }
            &Node::Num {
                what,
                sign,
                unit,
                n,
            } => {
                // 64-bit values and compares (128-bit ones are long on
                // 32-bit targets).
                let v = match what {
                    b'u' => m.uid as u64,
                    b'g' => m.gid as u64,
                    b'l' => m.nlink,
                    b'i' => m.ino,
                    b's' => (m.size.max(0) as u64).div_ceil(unit as u64),
                    _ => {
                        let t = time_of(m, what);
                        // floor((Δs + Δns/1e9) / unit) with 0 <= Δns < 1e9
                        // equals floor(Δs / unit) after borrowing a second
                        // for a negative Δns: whole seconds decide, and no
                        // 128-bit division (2 KB of compiler-builtins on
                        // 32-bit targets) is needed.
                        let mut ds = self.now.0.saturating_sub(t.0);
                        if self.now.1 < t.1 {
                            ds = ds.saturating_sub(1);
                        }
                        let d = ds.div_euclid(unit as i64);
                        // A negative age (a future time) is below every N.
                        if d < 0 {
                            return sign == -1;
                        }
                        d as u64
                    }
                };
                match sign {
                    1 => v > n,
                    -1 => v < n,
                    _ => v == n,
                }
            }
            &Node::Newer(w, r) => time_of(m, w) > r,
            Node::NoUser => self.names.user(m.uid).is_none(),
            Node::NoGroup => self.names.group(m.gid).is_none(),
            Node::Empty => match m.kind() {
                Kind::File => m.size == 0,
                Kind::Dir => match sys::dir_is_empty_at(e.dir, e.name, e.followed) {
                    Ok(v) => v,
                    Err(er) => {
                        self.error(e.path, er);
                        false
                    }
                },
                _ => false,
            },
            &Node::Same(dev, ino) => m.dev == dev && m.ino == ino,
            Node::Prune => {
                self.prune = !self.depth_first;
                true
            }
            Node::Quit => {
                self.quit = true;
                true
            }
            &Node::Print(t) => {
                self.out.extend_from_slice(e.path);
                self.out.push(t);
                self.printed()
            }
            Node::Printf(p) => {
                printf(&mut self.out, p, e, &mut self.names);
                self.printed()
            }
            &Node::Exec(k) => self.exec(k, e),
        }
    }

    /// After an action appended to the output buffer: writes it out when
    /// it is full. Always true (the action's value).
    fn printed(&mut self) -> bool {
        if self.out.len() > 8192 {
            self.flush();
        }
        true
    }

    /// Runs (`;`) or queues (`{} +`) one -exec for this entry.
    fn exec(&mut self, k: usize, e: &Ent<'_>) -> bool {
        let x = &mut self.execs[k];
        if x.plus && !x.dir {
            if x.batch.len() + e.path.len() + 1 > EXEC_ARG_MAX && !x.batch.is_empty() {
                self.run_batch(k);
            }
            let b = &mut self.execs[k].batch;
            b.extend_from_slice(e.path);
            b.push(0);
            return true;
        }
        // -execdir runs in the entry's directory, on `./NAME`.
        let dot_name;
        let arg = if x.dir {
            dot_name = [b"./", base_name(e.path)].concat();
            &dot_name
        } else {
            e.path
        };
        let mut words = Vec::new();
        for w in x.argv {
            replace_braces(&mut words, w.as_bytes(), arg);
            words.push(0);
        }
        let dir = if x.dir { Some(e.dir) } else { None };
        self.flush();
        spawn(&[], &words, dir) == Some(0)
    }

    /// Runs a pending `{} +` batch; a failing command makes find exit 1.
    fn run_batch(&mut self, k: usize) {
        let batch = std::mem::take(&mut self.execs[k].batch);
        if batch.is_empty() {
            return;
        }
        self.flush();
        // The command's words without the `{}`, then the paths.
        let argv = self.execs[k].argv;
        if spawn(&argv[..argv.len() - 1], &batch, None) != Some(0) {
            self.status = 1;
        }
    }
}

/// Runs the command `head` followed by the NUL-terminated words in `tail`
/// directly (no shell; the caller has flushed our output); returns its exit
/// code (None when it could not start or was killed).
fn spawn(head: &[&str], tail: &[u8], dir: Option<BorrowedFd<'_>>) -> Option<i32> {
    let mut args: Vec<&[u8]> = head.iter().map(|a| a.as_bytes()).collect();
    let mut rest = tail;
    while let Some(k) = rest.iter().position(|&c| c == 0) {
        args.push(&rest[..k]);
        rest = &rest[k + 1..];
    }
    let o = sys::SpawnOpts {
        dir,
        ..Default::default()
    };
    match sys::spawn(&args, &o).and_then(|pid| sys::wait_child(pid, true)) {
        Ok(st) => st.and_then(sys::exit_code),
        Err(e) => {
            fail(&[&quoted(args[0]), ": ", sys::errno_text(e)]);
            None
        }
    }
}

/// Appends an `-exec … ;` argument to `v` with every `{}` replaced by the path.
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

fn time_of(m: &Meta, w: u8) -> (i64, u32) {
    match w {
        b'a' => m.atime,
        b'c' => m.ctime,
        _ => m.mtime,
    }
}

/// The last component of a path, ignoring trailing slashes (`/` stays `/`).
fn base_name(p: &[u8]) -> &[u8] {
    let mut end = p.len();
    while end > 1 && p[end - 1] == b'/' {
        end -= 1;
    }
    let s = &p[..end];
    match s.iter().rposition(|&c| c == b'/') {
        Some(i) if end > 1 => &s[i + 1..],
        _ => s,
    }
}

/// Appends GNU's `%T@`-style fraction: nine digits and a trailing 0.
fn frac(v: &mut Vec<u8>, ns: u32) {
    v.push(b'.');
    fmt_time::push_num(v, ns as i64, 9, b'0');
    v.push(b'0');
}

fn time_text(v: &mut Vec<u8>, t: (i64, u32), k: u8) {
    let tm = fmt_time::local(t.0);
    let f = |v: &mut Vec<u8>, letters: &[u8]| fmt_time::fmt(v, letters, &tm, t.0);
    match k {
        b'@' => {
            fmt_time::push_num(v, t.0, 1, b'0');
            frac(v, t.1);
        }
        b'S' | b'T' | b'+' => {
            f(
                v,
                match k {
                    b'S' => b"S",
                    b'T' => b"H:M:S",
                    _ => b"Y-m-d+H:M:S",
                },
            );
            frac(v, t.1);
        }
        0 => {
            f(v, b"a b e H:M:S");
            frac(v, t.1);
            f(v, b" Y");
        }
        _ => fmt_time::conv(v, k, &tm, t.0),
    }
}

#[inline(never)]
fn printf(out: &mut Vec<u8>, p: &[Pf], e: &Ent<'_>, names: &mut NameCache) {
    let m = &e.m;
    for piece in p {
        let (sp, conv, tk) = match piece {
            Pf::Lit(l) => {
                out.extend_from_slice(l);
                continue;
            }
            Pf::Stop => return,
            Pf::Dir(sp, c, t) => (sp, *c, *t),
        };
        // GNU formats numbers as strings here: the 0 flag pads nothing.
        let sp = &Spec { zero: false, ..*sp };
        // Each directive yields a number (padded by one `pad_num` call
        // below) or text: `s`, borrowed from the entry or from `v`.
        let mut num = None;
        let mut v = Vec::new();
        let s: &[u8] = match conv {
            b'p' => e.path,
            b'P' => {
                let mut s = &e.path[e.start.min(e.path.len())..];
                while s.first() == Some(&b'/') && e.depth > 0 {
                    s = &s[1..];
                }
                s
            }
            b'H' => &e.path[..e.start.min(e.path.len())],
            b'f' => base_name(e.path),
            b'h' => match e.path.iter().rposition(|&c| c == b'/') {
                Some(i) => &e.path[..i],
                None => b".",
            },
            b'M' => {
                v.extend_from_slice(&super::stat::mode_string(m.mode));
                &v
            }
            b'u' | b'g' => {
                let name = if conv == b'u' {
                    names.user(m.uid)
                } else {
                    names.group(m.gid)
                };
                match name {
                    // An empty name prints nothing, not even padding.
                    Some(nm) if nm.is_empty() => continue,
                    Some(nm) => {
                        v.extend_from_slice(nm.as_bytes());
                        &v
                    }
                    None => {
                        num = Some(if conv == b'u' { m.uid } else { m.gid } as u64);
                        &[]
                    }
                }
            }
            b'l' => {
                if m.kind() == Kind::Symlink {
                    v.resize(PATH_MAX, 0);
                    let k = sys::readlink_at(e.dir, e.name, &mut v).unwrap_or(0);
                    v.truncate(k);
                }
                &v
            }
            b'y' | b'Y' => {
                v.push(if conv == b'Y' && m.kind() == Kind::Symlink {
                    match sys::stat_at_follow(e.dir, e.name) {
                        Ok(t) => kind_letter(t.kind()),
                        Err(Errno::LOOP) => b'L',
                        Err(_) => b'N',
                    }
                } else {
                    kind_letter(m.kind())
                });
                &v
            }
            b't' | b'a' | b'c' | b'A' | b'C' | b'T' => {
                let w = match conv {
                    b'a' | b'A' => b'a',
                    b'c' | b'C' => b'c',
                    _ => b'm',
                };
                time_text(&mut v, time_of(m, w), tk);
                &v
            }
            _ => {
                num = Some(match conv {
                    b'd' => e.depth as u64,
                    b'm' => m.perm() as u64,
                    b'U' => m.uid as u64,
                    b'G' => m.gid as u64,
                    b's' => m.size as u64,
                    b'k' => (m.blocks as u64).div_ceil(2),
                    b'b' => m.blocks as u64,
                    b'i' => m.ino,
                    _ => m.nlink, // b'n'
                });
                &[]
            }
        };
        match num {
            Some(x) => pad_num(out, sp, x as i128, if conv == b'm' { 8 } else { 10 }, false),
            None => pad_str(out, sp, s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_like_glibc() {
        assert!(fnmatch(b"*.log", b"a.log", false));
        assert!(fnmatch(b"*", b".hidden", false));
        assert!(!fnmatch(b"a?c", b"ac", false));
        assert!(fnmatch(b"[a-c]x[!0-9]", b"bxz", false));
        assert!(fnmatch(b"*[[:digit:]]", b"file9", false));
        assert!(fnmatch(b"A*", b"abc", true));
        assert!(fnmatch(b"./*/b", b"./a/x/b", false));
        assert!(fnmatch(b"\\*", b"*", false));
    }

    #[test]
    fn symbolic_modes_from_zero() {
        assert_eq!(parse_mode("u+w,g-s"), Some((0o200, 0o200)));
        assert_eq!(parse_mode("o+w"), Some((0o002, 0o002)));
        assert_eq!(parse_mode("g+s"), Some((0o2000, 0o2000)));
        assert_eq!(parse_mode("a=rX"), Some((0o444, 0o555)));
        assert_eq!(parse_mode("2750"), Some((0o2750, 0o2750)));
        assert_eq!(parse_mode("x"), None);
        assert_eq!(parse_mode("99"), None);
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name(b"a/b/"), b"b");
        assert_eq!(base_name(b"/"), b"/");
        assert_eq!(base_name(b"."), b".");
    }
}
