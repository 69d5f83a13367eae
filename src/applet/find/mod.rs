//! `chperms find` — GNU findutils 4.9's `find`, for hosts whose BusyBox
//! find lacks most of it.
//!
//! Map: [`parse`] turns the arguments into an [`expr::Program`] (an
//! expression of n-ary nodes, parsed once); [`walk`] walks each start point
//! fd-relative; [`eval`] runs the expression on an entry, fetching its
//! metadata only when a test needs it; [`render`] prints `-printf` (parsed
//! by [`printf`]) and `-ls` ([`ls`]) output; [`exec`] runs commands and
//! deletes; [`glob`] and [`regex`] match names; [`when`] reads times;
//! [`output`] holds the output streams and GNU's message quoting.

mod args;
mod date;
mod eval;
mod exec;
mod expr;
mod fold;
mod glob;
mod ls;
mod output;
mod parse;
mod primary;
mod printf;
mod regex;
mod render;
mod walk;
mod when;

use expr::Follow;
use output::{say, Outputs};
use parse::{looks_like_expression, Info, Stop};

const HELP: &str = "\
Usage: find [-H] [-L] [-P] [-Olevel] [-D debugopts] [path...] [expression]
Search directory trees (GNU findutils 4.9 compatible). Default path: .;
default expression: -print.

Operators (decreasing precedence; -and is implicit where no others are given):
  ( EXPR )  ! EXPR  -not EXPR  EXPR1 -a EXPR2  -and  EXPR1 -o EXPR2  -or  ,
Positional options: -daystart -follow -nowarn -regextype TYPE -warn
Normal options: -depth -files0-from FILE -maxdepth N -mindepth N -mount
  -noleaf -xdev -ignore_readdir_race -noignore_readdir_race
Tests (N can be +N or -N or N):
  -amin N -anewer FILE -atime N -cmin N -cnewer FILE -ctime N -empty -false
  -fstype TYPE -gid N -group NAME -ilname PAT -iname PAT -inum N
  -iwholename PAT -iregex RE -links N -lname PAT -mmin N -mtime N -name PAT
  -newer FILE -newerXY REF -nouser -nogroup -path PAT -perm [-/]MODE
  -regex RE -readable -writable -executable -wholename PAT -samefile FILE
  -size N[bcwkMG] -true -type [bcdpfls] -uid N -used N -user NAME
  -xtype [bcdpfls]
Actions: -delete -print0 -printf FORMAT -fprintf FILE FORMAT -print
  -fprint0 FILE -fprint FILE -ls -fls FILE -prune -quit
  -exec COMMAND ; -exec COMMAND {} + -ok COMMAND ;
  -execdir COMMAND ; -execdir COMMAND {} + -okdir COMMAND ;
-printf: %p %P %f %h %H %d %m %M %u %U %g %G %s %k %b %i %n %l %y %Y %F %D
  %S %Z %a %c %t %% %Ak %Ck %Tk (k: strftime letter, @ or +); \\n \\t \\NNN \\c

Examples:
  find /srv -xdev -type d -perm -o+w -printf '%m %u:%g %p\\n'
  find web -type f ! -user www-data -exec chown www-data {} +
  find /srv/site.org/web/tmp -mindepth 1 -mtime +7 -delete

Deviations from GNU find 4.9:
  -context is refused (as GNU without SELinux); -D and -O are ignored.
  -regex: chperms' own engine (linear time) with GNU's dialects and
  messages; back-references (\\1 to \\9) are refused.
  -newerXt dates: @SECONDS[.FRACTION], YYYY-MM-DD[ HH:MM[:SS[.FRACTION]]],
  a time alone, zones Z/UTC/GMT/+HH[:MM], now/today/yesterday/tomorrow;
  no month names, MM/DD/YYYY or relative items (2 days ago).
  -delete with -L or -follow is refused: it could delete outside the tree.
  More than 128 directory levels below a start point are not entered;
  ( and ! nest at most 256 deep. Names are never quoted for a terminal.
  Users and groups come from /etc/passwd and /etc/group only.
  In a UTF-8 locale (LC_ALL/LC_CTYPE/LANG) names match as characters;
  beyond ASCII [:classes:] are approximated from letter case.
  As GNU find 4.9 on Linux: no birth times (-newerB* refused, %B empty).
";

const VERSION: &str = concat!(
    "find (chperms) ",
    env!("CARGO_PKG_VERSION"),
    "\nCompatible with GNU findutils 4.9; see 'find --help' for the differences.\n"
);

/// Whether the locale the environment selects uses UTF-8 (the first of
/// `LC_ALL`, `LC_CTYPE`, `LANG` that is set decides, as for the C library).
fn locale_is_utf8() -> bool {
    for var in [c"LC_ALL", c"LC_CTYPE", c"LANG"] {
        if let Some(v) = crate::sys::env_bytes(var).filter(|v| !v.is_empty()) {
            // `UTF-8`, `utf8`, any case.
            return v.windows(4).any(|w| w.eq_ignore_ascii_case(b"utf8"))
                || v.windows(5).any(|w| w.eq_ignore_ascii_case(b"utf-8"));
        }
    }
    false
}

/// `-D help`: GNU's flags; chperms accepts them and prints no debugging.
const DEBUG_HELP: &str = "Valid arguments for -D:
exec opt rates search stat time tree all help
(chperms find accepts them and prints no diagnostics)
";

/// What the leading options decided, or how `main` must end.
enum Leading {
    Run { follow: Follow, next: usize },
    Exit(i32),
}

/// `-H`, `-L`, `-P`, `-D FLAGS`, `-OLEVEL` and `--` before the start points.
fn leading_options(args: &[&str]) -> Leading {
    let mut follow = Follow::Never;
    let mut i = 0;
    while i < args.len() {
        match args[i] {
            "-H" => follow = Follow::Arguments,
            "-L" => follow = Follow::Always,
            "-P" => follow = Follow::Never,
            "--" => {
                return Leading::Run {
                    follow,
                    next: i + 1,
                }
            }
            "-D" => {
                i += 1;
                let Some(flags) = args.get(i) else {
                    say("Missing argument after the -D option.", &[]);
                    let _ = crate::sys::write_all(
                        crate::sys::stderr_fd(),
                        b"Try 'find --help' for more information.\n",
                    );
                    return Leading::Exit(1);
                };
                // Debug flags are accepted and ignored (no diagnostics).
                if flags.split(',').any(|f| f == "help") {
                    return Leading::Exit(crate::fmt_quote::print_text(DEBUG_HELP.as_bytes()));
                }
            }
            a if a.starts_with("-O") => {
                let level = &a[2..];
                if level.is_empty() {
                    say(
                        "The -O option must be immediately followed by a decimal integer",
                        &[],
                    );
                    return Leading::Exit(1);
                }
                if !level.bytes().all(|b| b.is_ascii_digit()) {
                    say("Please specify a decimal number immediately after -O", &[]);
                    return Leading::Exit(1);
                }
            }
            _ => break,
        }
        i += 1;
    }
    Leading::Run { follow, next: i }
}

/// Runs `chperms find`.
pub fn main(args: &[&str]) -> i32 {
    let utf8 = locale_is_utf8();
    output::set_utf8(utf8);
    let (follow, first) = match leading_options(args) {
        Leading::Run { follow, next } => (follow, next),
        Leading::Exit(code) => return code,
    };
    let mut end = first;
    while end < args.len() && !looks_like_expression(args[end]) {
        end += 1;
    }
    let starts = &args[first..end];
    let now = when::now();
    let mut out = Outputs::new();
    let ctx = parse::Context {
        starts,
        now,
        utf8,
        warnings: crate::sys::stdin_is_tty() && crate::sys::env_bytes(c"POSIXLY_CORRECT").is_none(),
        follow,
    };
    let prog = match parse::parse(&args[end..], ctx, &mut out) {
        Ok(p) => p,
        Err(Stop::Info(Info::Help)) => {
            return crate::fmt_quote::print_text(HELP.as_bytes());
        }
        Err(Stop::Info(Info::Version)) => {
            return crate::fmt_quote::print_text(VERSION.as_bytes());
        }
        Err(Stop::Bad(_)) => return 1,
    };
    let files0 = prog.files0_from;
    let asks = prog.execs.iter().any(|x| x.kind.asks());
    let mut find = eval::Find::new(prog, out, now);
    match files0 {
        None if starts.is_empty() => find.start(b"."),
        None => {
            for s in starts {
                if find.quit {
                    break;
                }
                find.start(s.as_bytes());
            }
        }
        Some(list) => {
            if let Some(extra) = starts.first() {
                say("extra operand %q", &[extra.as_bytes()]);
                say("file operands cannot be combined with -files0-from", &[]);
                return 1;
            }
            if list == "-" && asks {
                // (GNU's message ends with an empty line.)
                say("option -files0-from reading from standard input cannot be combined with -ok, -okdir\n", &[]);
                return 1;
            }
            files0_from(&mut find, list);
        }
    }
    find.run_all_batches();
    find.flush();
    find.status
}

use crate::budget::FILES0_MAX;

/// `-files0-from FILE` (`-` for standard input): walks each NUL-terminated
/// name in it; an empty name is an error naming its position.
fn files0_from(find: &mut eval::Find<'_>, list: &str) {
    let data = if list == "-" {
        crate::sys::read_fd_max(crate::sys::stdin_fd(), FILES0_MAX)
    } else {
        crate::sys::open_read(list)
            .and_then(|f| crate::sys::read_fd_max(rustix::fd::AsFd::as_fd(&f), FILES0_MAX))
    };
    let name: &[u8] = if list == "-" {
        b"(standard input)"
    } else {
        list.as_bytes()
    };
    let data = match data {
        Ok(Some(d)) => d,
        Ok(None) => {
            const _: () = assert!(FILES0_MAX == 64 << 20);
            say(
                "%q: a list of start points larger than 64 MiB (chperms' limit)",
                &[name],
            );
            find.status = 1;
            return;
        }
        Err(e) => {
            say(
                "cannot open %q for reading: %s",
                &[name, crate::sys::errno_text(e).as_bytes()],
            );
            find.status = 1;
            return;
        }
    };
    let body = data.strip_suffix(b"\0").unwrap_or(&data);
    if data.is_empty() {
        return;
    }
    for (k, start) in body.split(|&c| c == 0).enumerate() {
        if find.quit {
            break;
        }
        if start.is_empty() {
            find.flush();
            let mut pos = Vec::new();
            crate::fmt_time::push_num(&mut pos, k as i64 + 1, 1, b'0');
            say("%q:%s: invalid zero-length file name", &[name, &pos]);
            find.status = 1;
            continue;
        }
        find.start(start);
    }
}
