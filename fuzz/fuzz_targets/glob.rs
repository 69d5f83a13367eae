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
    // m[i][j]: pat[..i] matches name[..j].
    let mut m = vec![vec![false; name.len() + 1]; pat.len() + 1];
    m[0][0] = true;
    for i in 1..=pat.len() {
        for j in 0..=name.len() {
            m[i][j] = match pat[i - 1] {
                b'*' => m[i - 1][j] || (j > 0 && m[i][j - 1]),
                b'?' => j > 0 && m[i - 1][j - 1],
                c => j > 0 && name[j - 1] == c && m[i - 1][j - 1],
            };
        }
    }
    m[pat.len()][name.len()]
}

/// Does the component list `comps` (`**` = zero or more names) match the
/// whole of `names`?
fn path_matches(comps: &[&str], names: &[&[u8]]) -> bool {
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
    m[comps.len()][names.len()]
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
    assert_eq!(
        glob_match(pat, path),
        component_matches(pat, path),
        "glob_match({:?}, {:?})",
        String::from_utf8_lossy(pat),
        String::from_utf8_lossy(path)
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
    // Only `P/**` has a stem, and only when `P` does not end in `**`.
    let stem_of = match comps.as_slice() {
        [head @ .., last, "**"] if *last != "**" => Some((head, *last)),
        _ => None,
    };
    let mut state: State = p.initial();
    assert_eq!(state & STEM, 0, "the base is nobody's stem");
    assert_eq!(
        p.accepts(state),
        path_matches(&comps, &[]),
        "{text:?} at the base"
    );
    for k in 1..=names.len() {
        state = p.step(state, names[k - 1]);
        let walked = &names[..k];
        assert_eq!(
            p.accepts(state),
            path_matches(&comps, walked),
            "{text:?} against {:?}",
            String::from_utf8_lossy(&walked.join(&b'/'))
        );
        let stem = stem_of.is_some_and(|(head, last)| {
            let mut p = head.to_vec();
            p.push(last);
            path_matches(&p, walked)
        });
        assert_eq!(
            state & STEM != 0,
            stem,
            "STEM of {text:?} at {:?}",
            String::from_utf8_lossy(&walked.join(&b'/'))
        );
    }
});
