//! Shell quoting (`fmt_quote::shell_quote`, GNU's shell-escape-always
//! style, used by `stat %N` and error messages): the quoted form of any
//! byte string is one shell word of printable ASCII, and a shell reading
//! it back gets exactly the bytes again. The reader is written here from
//! the shell's rules: `'...'` literal, `"..."` with `\` before `$`, `` ` ``,
//! `"`, `\` and newline, `\c` outside quotes, and bash's `$'...'` with its
//! C escapes. Anything else unquoted is refused (it would be shell syntax
//! or split the word).

#![no_main]

use chperms::fmt_quote::{quoted, shell_quote};
use libfuzzer_sys::fuzz_target;

/// Reads one shell word back into bytes; `None` if it is not one quoted
/// word.
fn unquote(w: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < w.len() {
        match w[i] {
            b'\'' => {
                let end = i + 1 + w[i + 1..].iter().position(|&b| b == b'\'')?;
                out.extend_from_slice(&w[i + 1..end]);
                i = end + 1;
            }
            b'"' => {
                i += 1;
                loop {
                    match *w.get(i)? {
                        b'"' => break,
                        b'\\'
                            if matches!(w.get(i + 1), Some(b'$' | b'`' | b'"' | b'\\' | b'\n')) =>
                        {
                            out.push(w[i + 1]);
                            i += 2;
                        }
                        b'$' | b'`' => return None, // expansions
                        c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            b'\\' => {
                out.push(*w.get(i + 1)?);
                i += 2;
            }
            b'$' if w.get(i + 1) == Some(&b'\'') => {
                i += 2;
                loop {
                    match *w.get(i)? {
                        b'\'' => break,
                        b'\\' => {
                            let (b, n) = c_escape(&w[i + 1..])?;
                            out.push(b);
                            i += 1 + n;
                        }
                        c => {
                            out.push(c);
                            i += 1;
                        }
                    }
                }
                i += 1;
            }
            _ => return None,
        }
    }
    Some(out)
}

/// One escape of bash's `$'...'` after the backslash: (byte, length).
fn c_escape(e: &[u8]) -> Option<(u8, usize)> {
    let simple = match *e.first()? {
        b'a' => 7,
        b'b' => 8,
        b'e' | b'E' => 27,
        b'f' => 12,
        b'n' => 10,
        b'r' => 13,
        b't' => 9,
        b'v' => 11,
        c @ (b'\\' | b'\'' | b'"' | b'?') => c,
        _ => 0,
    };
    if simple != 0 {
        return Some((simple, 1));
    }
    let octal = e
        .iter()
        .take(3)
        .take_while(|c| (b'0'..=b'7').contains(c))
        .count();
    if octal > 0 {
        let v = e[..octal]
            .iter()
            .fold(0u32, |v, &c| v * 8 + u32::from(c - b'0'));
        return Some((v as u8, octal));
    }
    None
}

fuzz_target!(|data: &[u8]| {
    let mut q = Vec::new();
    shell_quote(&mut q, data);
    let shown = String::from_utf8_lossy(&q);
    assert!(
        q.iter().all(|&b| (0x20..0x7f).contains(&b)),
        "quoted form is not printable ASCII: {shown}"
    );
    assert_eq!(
        unquote(&q).as_deref(),
        Some(data),
        "{shown} does not read back"
    );
    // The String form for messages is the same text.
    assert_eq!(quoted(data).as_bytes(), q.as_slice());
});
