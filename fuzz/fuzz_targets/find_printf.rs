//! `find -printf` formats (`src/applet/find/printf.rs` and `render.rs`:
//! GNU's directives, flags, widths, precisions and escapes) over every
//! entry of a small fixed tree. Properties:
//!
//! - no panic, overflow or sanitizer report, whatever the format (widths
//!   and precisions past `INT_MAX` included: the issue-9 crash inputs are
//!   in `regressions/find_printf/`);
//! - the exit status is 0 or 1, and 1 always comes with a message;
//! - text before the first `%` or `\` is printed as it is: `-printf AB`
//!   prints what `-printf A -printf B` prints when A has neither.
//!
//! Input: the format's bytes (UTF-8). Formats with a number of five digits
//! or more print megabytes per entry: those run to /dev/null and are only
//! checked for not failing.

#![no_main]

#[path = "find_stat_common.rs"]
mod common;

use chperms::applet::find;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(format) = std::str::from_utf8(data) else {
        return;
    };
    if format.contains('\0') {
        return;
    }
    let f = common::fixture();
    let huge = common::prints_megabytes(format);
    let whole = f.run(find::main, &[&f.root, "-printf", format], huge);
    assert!(
        whole.status == 0 || whole.status == 1,
        "exit status {}",
        whole.status
    );
    if whole.status == 1 {
        assert!(!whole.err.is_empty(), "exit 1 without a word on stderr");
    }
    let cut = format.find(['%', '\\']).unwrap_or(format.len());
    if huge || cut == 0 || cut == format.len() {
        return;
    }
    let (text, rest) = format.split_at(cut);
    let split = f.run(
        find::main,
        &[&f.root, "-printf", text, "-printf", rest],
        false,
    );
    assert_eq!(
        (whole.status, &whole.out),
        (split.status, &split.out),
        "-printf {format:?} differs from -printf {text:?} -printf {rest:?}; stderr:\n{}\n---\n{}",
        String::from_utf8_lossy(&whole.err),
        String::from_utf8_lossy(&split.err)
    );
});
