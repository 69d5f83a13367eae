//! `find` expressions (`src/applet/find/`: the parser, the evaluator, the
//! walk) on a small fixed tree. Properties:
//!
//! - no panic, overflow or sanitizer report, whatever the expression;
//! - the exit status is 0 or 1 (find's only two), and 1 always comes
//!   with a message on standard error;
//! - `find TREE EXPR` and `find TREE ( EXPR )` print the same and exit
//!   alike: parentheses change nothing but grouping. Checked when EXPR's
//!   own parentheses balance, and not when it compares with the clock (`-mmin`, `-newerXt`, `-used`…:
//!   a boundary could pass between the two runs).
//!
//! Input: the expression's words, NUL-separated; the first must be an
//! expression word (`-x`, `(`, `!`), or it would name a starting point
//! outside the tree. Words that run commands,
//! delete, write files or read standard input make the input uninteresting
//! (`-exec`, `-ok`, `-delete`, `-fprint`, `-fls`, `-files0-from`…).

#![no_main]

#[path = "find_stat_common.rs"]
mod common;

use chperms::applet::find;
use libfuzzer_sys::fuzz_target;

/// Primaries this target never runs.
const REFUSED: [&str; 10] = [
    "-exec",
    "-execdir",
    "-ok",
    "-okdir",
    "-delete",
    "-fprint",
    "-fprint0",
    "-fprintf",
    "-fls",
    "-files0-from",
];

/// Words whose result depends on the current time.
fn clock_word(w: &str) -> bool {
    ["min", "time", "used", "newer", "daystart"]
        .iter()
        .any(|k| w.contains(k))
}

/// Whether `(` and `)` words balance, never closing more than is open.
fn balanced(words: &[&str]) -> bool {
    let mut depth = 0i32;
    for w in words {
        match *w {
            "(" => depth += 1,
            ")" => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    depth == 0
}

fuzz_target!(|data: &[u8]| {
    let Some(words) = common::split_args(data) else {
        return;
    };
    // A first word that is not an expression word would be a starting
    // point (`/` would walk the whole machine).
    let expression_word = |w: &&str| w.len() > 1 && w.starts_with('-') || *w == "(" || *w == "!";
    if words.iter().any(|w| REFUSED.contains(w)) || !words.first().is_some_and(expression_word) {
        return;
    }
    let f = common::fixture();
    let huge = words.iter().any(|w| common::prints_megabytes(w));
    let mut bare = vec![f.root.as_str()];
    bare.extend(&words);
    let plain = f.run(find::main, &bare, huge);
    assert!(
        plain.status == 0 || plain.status == 1,
        "exit status {}",
        plain.status
    );
    if plain.status == 1 {
        assert!(!plain.err.is_empty(), "exit 1 without a word on stderr");
    }
    let comparable = !huge && balanced(&words) && !words.iter().any(|w| clock_word(w));
    if !comparable {
        return;
    }
    let mut grouped = vec![f.root.as_str(), "("];
    grouped.extend(&words);
    grouped.push(")");
    let paren = f.run(find::main, &grouped, false);
    assert_eq!(
        (plain.status, &plain.out),
        (paren.status, &paren.out),
        "( EXPR ) differs from EXPR; stderr:\n{}\n---\n{}",
        String::from_utf8_lossy(&plain.err),
        String::from_utf8_lossy(&paren.err)
    );
});
