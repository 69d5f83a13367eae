//! Rule path patterns: `*` and `?` within one component, `**` across
//! components (zero or more), `""` or `"."` for the base itself.
//!
//! A [`Pattern`] is matched incrementally as the walker descends: the state
//! after a directory's path is a bit set of pattern positions (an NFA over
//! components, at most [`MAX_PATTERN_COMPONENTS`] of them), so that matching
//! an entry costs one [`Pattern::step`] on its name, not a match of the whole
//! path.

use crate::budget::{MAX_PATTERN_COMPONENTS, MAX_POLICY_STR};

/// One pattern component: a byte range of the pattern text, or `**`.
#[derive(Clone, Copy, Debug)]
struct Comp {
    start: u16,
    len: u16,
    globstar: bool,
}

/// A compiled rule path pattern.
///
/// Invariant: every `Comp` range lies inside `text`; no component is empty,
/// `.` or `..`; `comps.len() <= MAX_PATTERN_COMPONENTS`.
#[derive(Clone, Debug)]
pub struct Pattern {
    text: heapless::String<MAX_POLICY_STR>,
    comps: heapless::Vec<Comp, MAX_PATTERN_COMPONENTS>,
}

/// NFA state: bit `i` set means "the first `i` components are matched".
pub type State = u64;

/// Flag in a [`State`]: the path is exactly the stem `P` of a pattern
/// `P/**` (a trailing `**` matching nothing). `.ssh/**` names `.ssh`
/// itself, so a symlink there is planted, not ordinary. Bit 63 is never a
/// position bit (`MAX_PATTERN_COMPONENTS < 63`).
pub const STEM: State = 1 << 63;

impl Pattern {
    /// Parses a relative pattern; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<Pattern, &'static str> {
        let text: heapless::String<MAX_POLICY_STR> =
            heapless::String::try_from(s).map_err(|_| "pattern is too long")?;
        let mut comps = heapless::Vec::new();
        if s.starts_with('/') {
            return Err("pattern must be relative to the base (no leading '/')");
        }
        if s.contains('\\') {
            return Err("backslashes are not supported in patterns");
        }
        if !(s.is_empty() || s == ".") {
            let body = s.strip_suffix('/').unwrap_or(s);
            let mut pos = 0usize;
            for part in body.split('/') {
                match part {
                    "" => return Err("pattern has an empty component ('//')"),
                    "." => return Err("pattern has a '.' component"),
                    ".." => return Err("pattern has a '..' component"),
                    _ => {}
                }
                // A byte window, not `str::contains` (its substring
                // searcher is big).
                if part != "**" && part.as_bytes().windows(2).any(|w| w == b"**") {
                    return Err("'**' must be a whole component (like 'a/**/b')");
                }
                comps
                    .push(Comp {
                        start: pos as u16,
                        len: part.len() as u16,
                        globstar: part == "**",
                    })
                    .map_err(|_| "pattern has too many components")?;
                pos += part.len() + 1;
            }
        }
        Ok(Pattern { text, comps })
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when the pattern has no wildcard: it names exactly one path.
    pub fn is_literal(&self) -> bool {
        !self.text.contains(['*', '?'])
    }

    /// True when the pattern contains `**` (it matches a whole subtree, so a
    /// symlink it matches is ordinary, not a planted one).
    pub fn has_globstar(&self) -> bool {
        self.comps.iter().any(|c| c.globstar)
    }

    /// The literal components (only meaningful when [`Self::is_literal`]).
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.comps
            .iter()
            .map(move |c| &self.text[c.start as usize..(c.start + c.len) as usize])
    }

    /// The state for the base directory itself.
    pub fn initial(&self) -> State {
        self.closure(1)
    }

    /// True when `state` means the path walked so far matches.
    pub fn accepts(&self, state: State) -> bool {
        state & (1 << self.comps.len()) != 0
    }

    /// The state after descending into `name` from `state`.
    pub fn step(&self, state: State, name: &[u8]) -> State {
        let mut next: State = 0;
        let mut bits = state;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            let Some(c) = self.comps.get(i) else {
                continue;
            };
            if c.globstar {
                next |= 1 << i;
            } else {
                let pat = &self.text.as_bytes()[c.start as usize..(c.start + c.len) as usize];
                if glob_match(pat, name) {
                    next |= 1 << (i + 1);
                    if i + 2 == self.comps.len() && self.comps[i + 1].globstar {
                        next |= STEM;
                    }
                }
            }
        }
        self.closure(next)
    }

    /// Adds the positions reachable by letting each `**` match nothing.
    fn closure(&self, mut s: State) -> State {
        for (i, c) in self.comps.iter().enumerate() {
            if c.globstar && s & (1 << i) != 0 {
                s |= 1 << (i + 1);
            }
        }
        s
    }
}

/// Matches one component: `*` any run of bytes, `?` one byte, else literal.
pub fn glob_match(pat: &[u8], name: &[u8]) -> bool {
    let (mut p, mut n) = (0usize, 0usize);
    let mut back: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pat.len() && pat[p] == b'*' {
            back = Some((p, n));
            p += 1;
        } else if p < pat.len() && (pat[p] == b'?' || pat[p] == name[n]) {
            p += 1;
            n += 1;
        } else if let Some((bp, bn)) = back {
            p = bp + 1;
            n = bn + 1;
            back = Some((bp, bn + 1));
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == b'*' {
        p += 1;
    }
    p == pat.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pat: &str, path: &str) -> bool {
        let p = Pattern::parse(pat).expect("pattern");
        let mut s = p.initial();
        if !path.is_empty() {
            for c in path.split('/') {
                s = p.step(s, c.as_bytes());
            }
        }
        p.accepts(s)
    }

    #[test]
    fn table() {
        let cases: &[(&str, &str, bool)] = &[
            ("", "", true),
            (".", "", true),
            ("", "a", false),
            ("**", "", true),
            ("**", "a/b/c", true),
            ("web/log/*.log", "web/log/access.log", true),
            ("web/log/*.log", "web/log/x/access.log", false),
            ("web/log/*.log", "web/log/access.log.1", false),
            (".ssh/**", ".ssh", true),
            (".ssh/**", ".ssh/keys/id", true),
            (".ssh/**", ".sshx/a", false),
            ("**/*.sh", "a.sh", true),
            ("**/*.sh", "x/y/a.sh", true),
            ("**/*.sh", "x/y/a.shx", false),
            (
                "web/app/public/**/wp-config.php",
                "web/app/public/wp-config.php",
                true,
            ),
            (
                "web/app/public/**/wp-config.php",
                "web/app/public/a/b/wp-config.php",
                true,
            ),
            ("payloads/*", "payloads/queue", true),
            ("payloads/*", "payloads", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*", ".hidden", true),
            ("a/**/b/**/c", "a/x/b/y/z/c", true),
            ("a/**/b/**/c", "a/c", false),
        ];
        for &(p, path, want) in cases {
            assert_eq!(matches(p, path), want, "pattern {p:?} path {path:?}");
        }
    }

    #[test]
    fn rejects_escapes_from_the_base() {
        for bad in ["/etc", "../x", "a/../b", "a//b", "a/./b", "a**b"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn globs() {
        assert!(glob_match(b"*", b""));
        assert!(glob_match(b"*.l?g", b"error.log"));
        assert!(glob_match(b"a*b*c", b"axxbyyc"));
        assert!(!glob_match(b"a*b*c", b"axxbyy"));
    }
}
