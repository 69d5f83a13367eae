//! `stat` formats (`src/applet/stat/`: `-c`, `--printf`, `-f`, `-L`,
//! GNU's directives with flags, widths and precisions, `%X %Y %Z %W` with
//! a precision as GNU's `out_epoch_sec`) on the entries of a small fixed
//! tree. Properties:
//!
//! - no panic, overflow or sanitizer report, whatever the format (the
//!   issue-9 precision wrap `%.18446744073709551606Y`, which GNU answers
//!   with two billion zeros, is in `regressions/stat_format/`);
//! - the exit status is 0 or 1, and 1 always comes with a message;
//! - `-c FMT` prints what `--printf 'FMT\n'` prints when FMT has no
//!   backslash (two paths: `-c` adds the newline, `--printf` reads
//!   escapes), for files and, with `-f`, for file systems (not for their
//!   free counts: others write to the disk meanwhile); not when FMT
//!   ends inside a directive (`abc%5`: GNU refuses that with `-c` and
//!   reads the newline as the directive with `--printf`).
//!
//! Input: one byte of options (bit 0: `-L`, bit 1: `-f`, bits 2-7: which
//! entry of the tree), then the format (UTF-8). Formats with a number of
//! five digits or more print megabytes: those run to /dev/null and are
//! only checked for not failing.

#![no_main]

#[path = "find_stat_common.rs"]
mod common;

use chperms::applet::stat;
use libfuzzer_sys::fuzz_target;

/// Whether `format` ends after a `%`, its flags, width or precision but
/// before the directive's letter.
fn ends_inside_directive(format: &str) -> bool {
    let b = format.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        while i < b.len() && b"'-+ #0I".contains(&b[i]) {
            i += 1;
        }
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
        }
        if i == b.len() {
            return true;
        }
        i += 1;
    }
    false
}

fuzz_target!(|data: &[u8]| {
    let Some((&options, format)) = data.split_first() else {
        return;
    };
    let Ok(format) = std::str::from_utf8(format) else {
        return;
    };
    if format.contains('\0') {
        return;
    }
    let f = common::fixture();
    let file = &f.entries[usize::from(options >> 2) % f.entries.len()];
    let mut args: Vec<&str> = Vec::new();
    if options & 1 != 0 {
        args.push("-L");
    }
    if options & 2 != 0 {
        args.push("-f");
    }
    let huge = common::prints_megabytes(format);
    let with_c = [args.as_slice(), &["-c", format, "--", file]].concat();
    let c = f.run(stat::main, &with_c, huge);
    assert!(c.status == 0 || c.status == 1, "exit status {}", c.status);
    if c.status == 1 {
        assert!(!c.err.is_empty(), "exit 1 without a word on stderr");
    }
    // A file system's free blocks and inodes (`-f` with %a %f %d) change
    // between two runs while others write to the disk.
    let live_counts = options & 2 != 0 && format.contains(['a', 'f', 'd']);
    if huge || live_counts || format.contains('\\') || ends_inside_directive(format) {
        return;
    }
    let line = format!("{format}\n");
    let with_printf = [args.as_slice(), &["--printf", &line, "--", file]].concat();
    let p = f.run(stat::main, &with_printf, false);
    assert_eq!(
        (c.status, &c.out),
        (p.status, &p.out),
        "-c {format:?} differs from --printf {line:?} on {file:?}; stderr:\n{}\n---\n{}",
        String::from_utf8_lossy(&c.err),
        String::from_utf8_lossy(&p.err)
    );
});
