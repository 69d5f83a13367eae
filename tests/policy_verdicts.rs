//! The policy reader's verdicts, pinned (issue 9: policy files are read with
//! serde-json-core). `policy_verdicts/cases.txt` holds several hundred
//! policy inputs — the fuzz seeds, the unit-test cases and a corpus the
//! fuzzer grew from them, minimised — each with the verdict the
//! hand-written reader gave before serde-json-core replaced it: the error
//! message (file, rule index and path, key), or the policy compiled and
//! printed. A differential fuzz target (old reader against new, both
//! linked into one binary) agreed on every one of them before the old
//! reader was removed; this test keeps the new reader to that word.
//!
//! The file is text: each case is an `input:` line and a `verdict:` line,
//! printable ASCII as it is, `\\` for a backslash, `\xNN` for any other byte.
//! `BLESS=1 cargo test --test policy_verdicts` rewrites the verdicts (only
//! after a deliberate change of what operators are told).

use chperms::policy::{self, Context};

/// What chperms says about `text` as a policy file: the parse error, or
/// per context (lenient like `policy check`; strict for root with
/// `--chroot`) the compile error or the printed policy.
fn verdict(text: &[u8]) -> String {
    match policy::parse(text, "t.json") {
        Err(e) => format!("parse: {e}"),
        Ok(p) => {
            let root = chperms::users::user_by_name("root");
            let mut out = String::new();
            for (user, lenient) in [(None, true), (root.as_ref(), false)] {
                let ctx = Context {
                    user,
                    web: None,
                    chroot: true,
                    lenient,
                };
                match policy::compile(&p, &ctx) {
                    Err(e) => out += &format!("compile: {e}\n"),
                    Ok(pol) => policy::print(&pol, &mut out),
                }
            }
            out
        }
    }
}

fn escape(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{c:02x}")),
        }
    }
    s
}

fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn every_pinned_policy_input_gets_the_same_verdict() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/policy_verdicts/cases.txt");
    let text = std::fs::read_to_string(&path).expect("cases.txt");
    let mut cases = Vec::new();
    let mut input = None;
    for line in text.lines() {
        if let Some(i) = line.strip_prefix("input: ") {
            input = Some(unescape(i));
        } else if let Some(v) = line.strip_prefix("verdict: ") {
            let i = input
                .take()
                .expect("a verdict: line follows an input: line");
            cases.push((
                i,
                String::from_utf8(unescape(v)).expect("verdicts are UTF-8"),
            ));
        }
    }
    assert!(cases.len() >= 400, "only {} cases", cases.len());
    if std::env::var_os("BLESS").is_some() {
        let mut out = String::new();
        for l in text.lines().take_while(|l| l.starts_with('#')) {
            out += l;
            out.push('\n');
        }
        for (i, _) in &cases {
            out += &format!(
                "input: {}\nverdict: {}\n",
                escape(i),
                escape(verdict(i).as_bytes())
            );
        }
        std::fs::write(&path, out).expect("write cases.txt");
        return;
    }
    let mut differ = Vec::new();
    for (n, (input, want)) in cases.iter().enumerate() {
        let got = verdict(input);
        if &got != want {
            differ.push(format!(
                "case {n}: {}\n  pinned: {}\n  now:    {}",
                escape(input),
                escape(want.as_bytes()),
                escape(got.as_bytes())
            ));
        }
    }
    assert!(
        differ.is_empty(),
        "{} of {} verdicts changed:\n{}",
        differ.len(),
        cases.len(),
        differ.join("\n")
    );
    // Every kind of verdict is represented.
    let all: String = cases.iter().map(|c| c.1.as_str()).collect();
    for kind in [
        "parse: policy t.json: rule ",
        "unknown field",
        "malformed JSON",
        "compile: policy t.json: rule ",
        "\"rules\": [",
    ] {
        assert!(all.contains(kind), "no case with {kind:?}");
    }
}
