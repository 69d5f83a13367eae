//! Rule path patterns (`src/glob.rs`) against a naive reference written
//! here: one-component matching (`*`, `?`) by dynamic programming over
//! every split, whole paths (`**` = any number of components) likewise,
//! pattern validation by the README's rules, and the STEM flag (the path is
//! exactly `P` of a `P/**` pattern).
//!
//! Input: `PATTERN \0 PATH`, the path's components separated by `/`.

#![no_main]

use chperms::glob::{glob_match, Pattern, State, STEM};
use libfuzzer_sys::fuzz_target;

/// Does `pat` (`*` any run, `?` one byte, else itself) match all of `name`?
fn component_matches(pat: &[u8], name: &[u8]) -> bool {
    // row[j]: the pattern so far matches name[..j].
    let mut row = vec![false; name.len() + 1];
    let mut next = row.clone();
    row[0] = true;
    for &p in pat {
        for j in 0..=name.len() {
            next[j] = match p {
                b'*' => row[j] || (j > 0 && next[j - 1]),
                b'?' => j > 0 && row[j - 1],
                c => j > 0 && name[j - 1] == c && row[j - 1],
            };
        }
        std::mem::swap(&mut row, &mut next);
    }
    row[name.len()]
}

/// `m[i][j]`: the components `comps[..i]` (`**` = zero or more names)
/// match exactly `names[..j]`.
fn path_table(comps: &[&str], names: &[&[u8]]) -> Vec<Vec<bool>> {
    let mut m = vec![vec![false; names.len() + 1]; comps.len() + 1];
    m[0][0] = true;
    for i in 1..=comps.len() {
        for j in 0..=names.len() {
            m[i][j] = if comps[i - 1] == "**" {
                m[i - 1][j] || (j > 0 && m[i][j - 1])
            } else {
                j > 0 && m[i - 1][j - 1] && component_matches(comps[i - 1].as_bytes(), names[j - 1])
            };
        }
    }
    m
}

/// The components of a valid pattern, or `None` for one the README refuses.
fn components(s: &str) -> Option<Vec<&str>> {
    if s.len() > 256 || s.starts_with('/') || s.contains('\\') {
        return None;
    }
    if s.is_empty() || s == "." {
        return Some(Vec::new());
    }
    let body = s.strip_suffix('/').unwrap_or(s);
    let comps: Vec<&str> = body.split('/').collect();
    let bad =
        |c: &&str| c.is_empty() || *c == "." || *c == ".." || (*c != "**" && c.contains("**"));
    if comps.iter().any(bad) || comps.len() > 32 {
        return None;
    }
    Some(comps)
}

fuzz_target!(|data: &[u8]| {
    let (pat, path) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    // One component: names are at most 255 bytes, patterns 256; longer
    // ones only slow the quadratic reference down.
    let (pat1, name1) = (&pat[..pat.len().min(512)], &path[..path.len().min(512)]);
    assert_eq!(
        glob_match(pat1, name1),
        component_matches(pat1, name1),
        "glob_match({:?}, {:?})",
        String::from_utf8_lossy(pat1),
        String::from_utf8_lossy(name1)
    );
    let Ok(text) = std::str::from_utf8(pat) else {
        return;
    };
    let want = components(text);
    let p = match Pattern::parse(text) {
        Ok(p) => p,
        Err(e) => {
            assert!(
                want.is_none(),
                "{text:?} refused ({e}), the reference accepts it"
            );
            return;
        }
    };
    let Some(comps) = want else {
        panic!("{text:?} accepted, the reference refuses it");
    };
    assert_eq!(p.as_str(), text);
    assert_eq!(p.components().collect::<Vec<_>>(), comps, "{text:?}");
    assert_eq!(p.is_literal(), !text.contains(['*', '?']));
    assert_eq!(p.has_globstar(), comps.contains(&"**"));
    // The walker's names: never empty, never holding '/'.
    let names: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|n| !n.is_empty())
        .take(48)
        .collect();
    // Row `n` of the table answers "does the pattern match the first j
    // names"; row `n - 1` does so for the pattern without its last
    // component — the stem `P` when the pattern is `P/**`.
    let m = path_table(&comps, &names);
    let n = comps.len();
    let has_stem = n >= 2 && comps[n - 1] == "**" && comps[n - 2] != "**";
    let mut state: State = p.initial();
    assert_eq!(state & STEM, 0, "the base is nobody's stem");
    assert_eq!(p.accepts(state), m[n][0], "{text:?} at the base");
    // (Only built for a failure's message.)
    let walked = |k: usize| String::from_utf8_lossy(&names[..k].join(&b'/')).into_owned();
    for k in 1..=names.len() {
        state = p.step(state, names[k - 1]);
        assert_eq!(
            p.accepts(state),
            m[n][k],
            "{text:?} against {:?}",
            walked(k)
        );
        assert_eq!(
            state & STEM != 0,
            has_stem && m[n - 1][k],
            "STEM of {text:?} at {:?}",
            walked(k)
        );
    }
});
