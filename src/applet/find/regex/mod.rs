//! `-regex`/`-iregex`: regular expressions matched against the whole path,
//! in the dialects of GNU's `-regextype`.
//!
//! Why not the C library's `regcomp`: musl's (TRE) brought 43 KB to the
//! MIPS binary with its tables and the `printf` its `regerror` needs, more
//! than this whole engine, and it differs from glibc (which GNU find uses)
//! in messages and extensions. This engine compiles to a small program run
//! as a Thompson NFA: time linear in the path, memory bounded by the
//! program, no backtracking blow-up whatever a pattern says.
//! Back-references (`\1` to `\9`) are refused ("Invalid back reference"):
//! no finite automaton can match them, and a bounded search for them cost
//! more bytes than every other feature here; no find expression in the
//! wild was seen to need one.
//!
//! Dialects: `findutils-default` (the default) and `emacs`: `\( \) \|`
//! group and alternate, `* + ?` repeat, `{ }` and `\{` are literal, no
//! `[:class:]`, `.` matches a newline only in `findutils-default`;
//! `posix-basic` (`ed`, `sed`, `grep`, `posix-minimal-basic`): `\( \)
//! \{m,n\} \| \+ \?`; `posix-extended` (`egrep`, `posix-egrep`, `awk`,
//! `gnu-awk`, `posix-awk`): `( ) {m,n} | + ?`. All have GNU's `\w \W \s \S
//! \b \B \< \> \` \'`, and glibc's error messages.

mod parser;

use super::glob::{Class, Fold, Matcher};

/// The names `-regextype` takes, in GNU's order (its message lists them).
const TYPES: [&str; 13] = [
    "findutils-default",
    "ed",
    "emacs",
    "gnu-awk",
    "grep",
    "posix-awk",
    "awk",
    "posix-basic",
    "posix-egrep",
    "egrep",
    "posix-extended",
    "posix-minimal-basic",
    "sed",
];

/// A regular expression syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Dialect {
    /// Emacs syntax; `.` matches a newline (`findutils-default`) or not.
    Emacs {
        dot_newline: bool,
    },
    Basic,
    Extended,
}

impl Dialect {
    /// The dialect `-regextype NAME` selects; `None` for an unknown name.
    pub fn named(name: &str) -> Option<Dialect> {
        Some(match name {
            "findutils-default" => Dialect::Emacs { dot_newline: true },
            "emacs" => Dialect::Emacs { dot_newline: false },
            "ed" | "sed" | "grep" | "posix-basic" | "posix-minimal-basic" => Dialect::Basic,
            "gnu-awk" | "posix-awk" | "awk" | "posix-egrep" | "egrep" | "posix-extended" => {
                Dialect::Extended
            }
            _ => return None,
        })
    }

    /// GNU's list of valid names, for its error message.
    pub fn list(utf8: bool) -> Vec<u8> {
        let (open, close) = if utf8 {
            ("\u{2018}", "\u{2019}")
        } else {
            ("'", "'")
        };
        let mut v = Vec::new();
        for (k, t) in TYPES.iter().enumerate() {
            if k > 0 {
                v.extend_from_slice(b", ");
            }
            v.extend_from_slice(open.as_bytes());
            v.extend_from_slice(t.as_bytes());
            v.extend_from_slice(close.as_bytes());
        }
        v
    }
}

/// A zero-width test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Assert {
    /// `^` (and `` \` ``): the start of the path.
    Start,
    /// `$` (and `\'`): the end.
    End,
    /// `\b` / `\B`
    WordBoundary(bool),
    /// `\<`
    WordStart,
    /// `\>`
    WordEnd,
}

/// One instruction of a compiled expression.
#[derive(Clone, Copy, Debug)]
enum Insn {
    /// A unit (folded when ignoring case).
    Unit(u32),
    /// `.`: any unit (`false`: not a newline).
    Any(bool),
    /// A bracket expression, index into `Regex::sets`.
    Set(usize),
    Assert(Assert),
    /// Continue at both.
    Split(usize, usize),
    Jump(usize),
    Match,
}

/// A bracket expression.
#[derive(Clone, Debug, Default)]
struct Set {
    negate: bool,
    /// Inclusive ranges of (folded) units; a single unit is `(c, c)`.
    ranges: Vec<(u32, u32)>,
    classes: Vec<Class>,
}

/// The simulation's thread lists, kept between matches (no allocation per
/// path once they have grown).
#[derive(Default)]
struct Scratch {
    now: Vec<usize>,
    next: Vec<usize>,
    todo: Vec<usize>,
    /// The step in which each instruction was last added.
    mark: Vec<u32>,
    gen: u32,
}

/// A compiled expression.
pub(super) struct Regex {
    prog: Vec<Insn>,
    sets: Vec<Set>,
    /// Compiled for UTF-8 characters (the locale says so and the pattern is
    /// valid UTF-8).
    utf8: bool,
    icase: bool,
    /// Thread lists and marks, reused between matches.
    scratch: Scratch,
}

/// glibc's messages (`re_error_msgid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Error {
    BadClass,
    TrailingBackslash,
    BadBackref,
    UnmatchedBracket,
    UnmatchedParen,
    UnmatchedBrace,
    BadInterval,
    BadRange,
    BadRepeat,
    TooBig,
    UnmatchedCloseParen,
    BadCollation,
}

impl Error {
    pub fn text(self) -> &'static str {
        match self {
            Error::BadClass => "Invalid character class name",
            Error::TrailingBackslash => "Trailing backslash",
            Error::BadBackref => "Invalid back reference",
            Error::UnmatchedBracket => "Unmatched [, [^, [:, [., or [=",
            Error::UnmatchedParen => "Unmatched ( or \\(",
            Error::UnmatchedBrace => "Unmatched \\{",
            Error::BadInterval => "Invalid content of \\{\\}",
            Error::BadRange => "Invalid range end",
            Error::BadRepeat => "Invalid preceding regular expression",
            Error::TooBig => "Regular expression too big",
            Error::UnmatchedCloseParen => "Unmatched ) or \\)",
            Error::BadCollation => "Invalid collation character",
        }
    }
}

/// Compiles `pattern` in `dialect`; `mode` says how units are read and
/// whether case is ignored (`-iregex`).
pub(super) fn compile(pattern: &[u8], dialect: Dialect, mode: Fold) -> Result<Regex, Error> {
    let m = Matcher::for_pair(pattern, pattern, mode);
    let (prog, sets) = parser::parse(pattern, dialect, m)?;
    Ok(Regex {
        prog,
        sets,
        utf8: m.utf8 || (mode.utf8 && std::str::from_utf8(pattern).is_ok()),
        icase: mode.icase,
        scratch: Scratch::default(),
    })
}

impl Set {
    /// Whether the set lists unit `u` (before negation).
    fn lists(&self, u: u32, utf8: bool) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= u && u <= hi)
            || self.classes.iter().any(|c| c.has(u, utf8))
    }
}

/// Where a zero-width test looks: the units before and after a position.
#[derive(Clone, Copy)]
struct Around {
    at_start: bool,
    at_end: bool,
    before: Option<u32>,
    after: Option<u32>,
}

impl Regex {
    /// Whether the expression matches all of `s` (not just a part).
    pub fn matches_whole(&mut self, s: &[u8]) -> bool {
        let m = Matcher {
            utf8: self.utf8 && !s.is_ascii() && std::str::from_utf8(s).is_ok(),
            icase: self.icase,
        };
        self.simulate(s, &m)
    }

    fn is_word(&self, u: Option<u32>, m: &Matcher) -> bool {
        u.is_some_and(|u| u == u32::from(b'_') || Class::Alnum.has(u, m.utf8))
    }

    fn holds(&self, a: Assert, at: Around, m: &Matcher) -> bool {
        let (b, f) = (self.is_word(at.before, m), self.is_word(at.after, m));
        match a {
            Assert::Start => at.at_start,
            Assert::End => at.at_end,
            Assert::WordBoundary(yes) => (b != f) == yes,
            Assert::WordStart => !b && f,
            Assert::WordEnd => b && !f,
        }
    }

    /// Whether instruction `pc` consumes unit `u` (folded: `fu`).
    fn consumes(&self, pc: usize, u: u32, fu: u32, m: &Matcher) -> bool {
        match self.prog[pc] {
            Insn::Unit(c) => c == fu,
            Insn::Any(newline) => newline || u != u32::from(b'\n'),
            Insn::Set(k) => {
                let set = &self.sets[k];
                (set.lists(fu, m.utf8) || (m.icase && set.lists(u, m.utf8))) != set.negate
            }
            _ => false,
        }
    }

    /// The Thompson simulation: every thread advances together, one unit
    /// at a time; time linear in `s`, memory one list per step.
    fn simulate(&mut self, s: &[u8], m: &Matcher) -> bool {
        let Scratch {
            mut now,
            mut next,
            mut todo,
            mut mark,
            mut gen,
        } = std::mem::take(&mut self.scratch);
        mark.resize(self.prog.len(), 0);
        now.clear();
        gen = gen.wrapping_add(1);
        let mut around = Around {
            at_start: true,
            at_end: s.is_empty(),
            before: None,
            after: (!s.is_empty()).then(|| m.unit(s, 0).0),
        };
        self.add(&mut now, &mut todo, &mut mark, gen, 0, around, m);
        let mut pos = 0;
        while pos < s.len() && !now.is_empty() {
            let (u, len) = m.unit(s, pos);
            let fu = m.fold(u);
            pos += len;
            around = Around {
                at_start: false,
                at_end: pos == s.len(),
                before: Some(u),
                after: (pos < s.len()).then(|| m.unit(s, pos).0),
            };
            gen = gen.wrapping_add(1);
            next.clear();
            for &pc in &now {
                if self.consumes(pc, u, fu, m) {
                    self.add(&mut next, &mut todo, &mut mark, gen, pc + 1, around, m);
                }
            }
            std::mem::swap(&mut now, &mut next);
        }
        let matched = pos == s.len() && now.iter().any(|&pc| matches!(self.prog[pc], Insn::Match));
        self.scratch = Scratch {
            now,
            next,
            todo,
            mark,
            gen,
        };
        matched
    }

    /// Adds thread `pc` and every thread its jumps, splits and true
    /// assertions reach to `list` (each instruction once per step).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        list: &mut Vec<usize>,
        todo: &mut Vec<usize>,
        mark: &mut [u32],
        gen: u32,
        pc: usize,
        at: Around,
        m: &Matcher,
    ) {
        todo.push(pc);
        while let Some(pc) = todo.pop() {
            if mark[pc] == gen {
                continue;
            }
            mark[pc] = gen;
            match self.prog[pc] {
                Insn::Jump(a) => todo.push(a),
                Insn::Split(a, b) => {
                    todo.push(b);
                    todo.push(a);
                }
                Insn::Assert(a) => {
                    if self.holds(a, at, m) {
                        todo.push(pc + 1);
                    }
                }
                _ => list.push(pc),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn re(p: &str, d: Dialect) -> Regex {
        compile(p.as_bytes(), d, Fold::default()).unwrap_or_else(|e| panic!("{p}: {e:?}"))
    }

    fn is(p: &str, d: Dialect, s: &str) -> bool {
        re(p, d).matches_whole(s.as_bytes())
    }

    const FD: Dialect = Dialect::Emacs { dot_newline: true };
    const B: Dialect = Dialect::Basic;
    const E: Dialect = Dialect::Extended;

    #[test]
    fn emacs_syntax_like_gnu() {
        assert!(is(".*/a+c", FD, "./aac"));
        assert!(!is(".*/a+c", FD, "./a+c"));
        assert!(is(".*/a\\+c", FD, "./a+c"));
        assert!(is(".*/a{2}", FD, "./a{2}"));
        assert!(is(".*/\\(ab\\|x\\)c", FD, "./abc"));
        assert!(is(".*/\\(ab\\|x\\)c", FD, "./xc"));
        assert!(is(".*/a(b", FD, "./a(b"));
        assert!(!is(".*[[:digit:]]", FD, "./x9"));
        assert!(is("*a", FD, "*a"));
        assert!(is("\\`\\./abc", FD, "./abc"));
        assert!(is(".*nl.name", FD, "nl\nname"));
        assert!(!is(
            ".*nl.name",
            Dialect::Emacs { dot_newline: false },
            "nl\nname"
        ));
    }

    #[test]
    fn posix_syntaxes() {
        assert!(is(".*/a\\+c", B, "./aac"));
        assert!(is(".*/a+c", B, "./a+c"));
        assert!(is("a\\{2\\}", B, "aa"));
        assert!(!is("a\\{2\\}", B, "aaa"));
        assert!(is("a{2,3}", E, "aaa"));
        assert!(is("(ab|cd)+", E, "abcdab"));
        assert!(is(".*[[:digit:]]", B, "./x9"));
        assert!(is("a)", E, "a)"));
        assert!(is("[^a-c]x", E, "dx"));
        assert!(is("[]a]*", E, "]a]"));
        assert!(compile(b"a(b", E, Fold::default()).err() == Some(Error::UnmatchedParen));
        assert!(compile(b"*a", E, Fold::default()).err() == Some(Error::BadRepeat));
        assert!(compile(b"[z-a]", E, Fold::default()).err() == Some(Error::BadRange));
        assert!(compile(b"a\\", E, Fold::default()).err() == Some(Error::TrailingBackslash));
        assert!(compile(b"[[:nope:]]", E, Fold::default()).err() == Some(Error::BadClass));
        assert!(compile(b"(a)\\1", E, Fold::default()).err() == Some(Error::BadBackref));
    }

    #[test]
    fn words_and_case() {
        assert!(is(".*/\\w+", FD, "./abc_1"));
        assert!(!is(".*/\\w+", FD, "./a-b"));
        assert_eq!(
            compile(b"\\(a*\\)b\\1", FD, Fold::default()).err(),
            Some(Error::BadBackref)
        );
        assert!(is(".*\\<b.*", FD, "a b"));
        let mut r = compile(
            b".*/SUB/.*LOG",
            FD,
            Fold {
                utf8: false,
                icase: true,
            },
        )
        .unwrap();
        assert!(r.matches_whole(b"./sub/a.log"));
        let mut r = compile(
            "uni/.lan".as_bytes(),
            FD,
            Fold {
                utf8: true,
                icase: false,
            },
        )
        .unwrap();
        assert!(r.matches_whole("uni/élan".as_bytes()));
    }

    #[test]
    fn no_blow_up_and_a_bound() {
        // (a*)*b against many a's: linear, not exponential.
        let mut r = re("\\(a*\\)*b", FD);
        let s = "a".repeat(5000);
        assert!(!r.matches_whole(s.as_bytes()));
        assert!(
            compile(b"a\\{32767\\}\\{32767\\}", B, Fold::default()).err() == Some(Error::TooBig)
        );
    }
}
