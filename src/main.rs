//! chperms — declare, apply, audit and watch file ownership and modes.
//!
//! `main` only dispatches (STYLE rule 1): the basename of `argv[0]` (`stat`,
//! `find`) or the first argument names an applet under `applet/`; anything
//! else is `apply`. Each applet returns its exit status.
//!
//! The modules live in the library (`src/lib.rs`), so that fuzz targets
//! and tests can call the parsers; this file is the thin binary and the only
//! place that installs chperms's own allocator.

use chperms::applet;
use chperms::fmt_quote::{err_line, print_text};
use std::ffi::OsString;

/// chperms's allocator ([`chperms::heap`]); library users keep the system's.
#[global_allocator]
static HEAP: chperms::heap::Global = chperms::heap::Global;

const USAGE: &str = "\
Usage: chperms [COMMAND] [ARGS...]

Declare, apply, audit and watch ownership and modes of directory trees
(the NetServa vhost model under /srv/<vhost>, or a policy file), safely as root.

Commands:
  apply   [VHOST...] [--all] [--dry-run]   bring trees into policy (the default)
  check   [VHOST...] [--all] [--fix]       audit; exit 2 on drift
  watch   [VHOST...] [--all] [--fix]       monitor and repair, as a service
  access  [--user USER] [--write] PATH...  can USER reach PATH? which part stops it?
  mkdir   [-o OWNER] [-g GROUP] [-m MODE] [-p] DIR...
  stat    [-c FORMAT] [-L] [-t] FILE...    GNU-compatible stat
  find    [PATH...] [EXPRESSION]           GNU-compatible find
  policy  show|check [--policy FILE]       print or validate the effective policy

Examples:
  chperms goldcoast.org --dry-run          show what would change, exit 2 if anything
  chperms goldcoast.org                    fix /srv/goldcoast.org
  chperms check --all --format json        audit every vhost, JSON Lines
  chperms apply --policy /etc/chperms/app.json

Run 'chperms COMMAND --help' for a command's options.
Exit status: 0 in policy / allowed, 1 error or refused, 2 drift / denied.
";

fn main() {
    // Die quietly on a closed pipe, like every Unix tool (`chperms find | head`).
    // SAFETY: setting a signal disposition to SIG_DFL at start-up.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    std::process::exit(run(&args));
}

/// Dispatches `argv` to an applet and returns the exit status.
fn run(argv: &[OsString]) -> i32 {
    let mut strs: Vec<&str> = Vec::with_capacity(argv.len());
    for a in argv {
        match a.to_str() {
            Some(s) => strs.push(s),
            None => {
                err_line(
                    b"chperms: argument is not valid UTF-8: ",
                    &[a.to_string_lossy().as_bytes()],
                );
                return 1;
            }
        }
    }
    let prog = strs.first().copied().unwrap_or("chperms");
    let base = prog.rsplit('/').next().unwrap_or(prog);
    let rest = if strs.is_empty() {
        &strs[..]
    } else {
        &strs[1..]
    };
    match base {
        "stat" => return applet::stat::main(rest),
        "find" => return applet::find::main(rest),
        _ => {}
    }
    let (cmd, args) = match rest.first() {
        Some(c) => (*c, &rest[1..]),
        None => {
            chperms::fmt_quote::to_stderr(USAGE.as_bytes());
            return 1;
        }
    };
    match cmd {
        "apply" => applet::apply::main("apply", args),
        "check" => applet::apply::main("check", args),
        "watch" => applet::watch::main(args),
        "access" => applet::access::main(args),
        "mkdir" => applet::mkdir::main(args),
        "stat" => applet::stat::main(args),
        "find" => applet::find::main(args),
        "policy" => applet::policy::main(args),
        "help" | "--help" | "-h" => print_text(USAGE.as_bytes()),
        "--version" | "version" => {
            print_text(concat!("chperms ", env!("CARGO_PKG_VERSION"), "\n").as_bytes())
        }
        _ => applet::apply::main("apply", rest),
    }
}
