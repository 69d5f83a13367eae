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

use super::glob::{Class, Fold, Matcher};
use crate::budget::REGEX_MAX_INSNS;

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
    let mut p = Parser {
        pat: pattern,
        pos: 0,
        dialect,
        m,
        prog: Vec::new(),
        sets: Vec::new(),
        depth: 0,
    };
    p.alternation()?;
    if p.pos < p.pat.len() {
        // Only an unmatched close (in the basic dialects) stops a branch.
        return Err(Error::UnmatchedCloseParen);
    }
    p.emit(Insn::Match)?;
    Ok(Regex {
        prog: p.prog,
        sets: p.sets,
        utf8: m.utf8 || (mode.utf8 && std::str::from_utf8(pattern).is_ok()),
        icase: mode.icase,
        scratch: Scratch::default(),
    })
}

struct Parser<'p> {
    pat: &'p [u8],
    pos: usize,
    dialect: Dialect,
    m: Matcher,
    prog: Vec<Insn>,
    sets: Vec<Set>,
    depth: usize,
}

/// What `next_token` read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    Unit(u32),
    Any,
    Bracket,
    Open,
    Close,
    Alt,
    /// `*`, `+`, `?`: (min, max)
    Repeat(u32, Option<u32>),
    /// The start of an interval (`{` or `\{`).
    Interval,
    Caret,
    Dollar,
    Assert(Assert),
    Word(bool),
    Space(bool),
}

impl Parser<'_> {
    fn ere(&self) -> bool {
        self.dialect == Dialect::Extended
    }

    fn emit(&mut self, i: Insn) -> Result<usize, Error> {
        if self.prog.len() >= REGEX_MAX_INSNS {
            return Err(Error::TooBig);
        }
        self.prog.push(i);
        Ok(self.prog.len() - 1)
    }

    /// Reads the next token (without consuming it); `None` at the end.
    fn peek(&self) -> Result<Option<(Tok, usize)>, Error> {
        let Some(&c) = self.pat.get(self.pos) else {
            return Ok(None);
        };
        let ere = self.ere();
        let emacs = matches!(self.dialect, Dialect::Emacs { .. });
        let tok = match c {
            b'\\' => {
                let Some(&e) = self.pat.get(self.pos + 1) else {
                    return Err(Error::TrailingBackslash);
                };
                let t = match e {
                    b'(' if !ere => Tok::Open,
                    b')' if !ere => Tok::Close,
                    b'|' if !ere => Tok::Alt,
                    b'{' if self.dialect == Dialect::Basic => Tok::Interval,
                    b'+' if self.dialect == Dialect::Basic => Tok::Repeat(1, None),
                    b'?' if self.dialect == Dialect::Basic => Tok::Repeat(0, Some(1)),
                    b'1'..=b'9' => return Err(Error::BadBackref),
                    b'w' | b'W' => Tok::Word(e == b'W'),
                    b's' | b'S' => Tok::Space(e == b'S'),
                    b'b' => Tok::Assert(Assert::WordBoundary(true)),
                    b'B' => Tok::Assert(Assert::WordBoundary(false)),
                    b'<' => Tok::Assert(Assert::WordStart),
                    b'>' => Tok::Assert(Assert::WordEnd),
                    b'`' => Tok::Assert(Assert::Start),
                    b'\'' => Tok::Assert(Assert::End),
                    _ => {
                        let (u, n) = self.m.unit(self.pat, self.pos + 1);
                        return Ok(Some((Tok::Unit(u), 1 + n)));
                    }
                };
                return Ok(Some((t, 2)));
            }
            b'(' if ere => Tok::Open,
            b')' if ere => Tok::Close,
            b'|' if ere => Tok::Alt,
            b'{' if ere => Tok::Interval,
            b'*' => Tok::Repeat(0, None),
            b'+' if ere || emacs => Tok::Repeat(1, None),
            b'?' if ere || emacs => Tok::Repeat(0, Some(1)),
            b'.' => Tok::Any,
            b'[' => Tok::Bracket,
            b'^' => Tok::Caret,
            b'$' => Tok::Dollar,
            _ => {
                let (u, n) = self.m.unit(self.pat, self.pos);
                return Ok(Some((Tok::Unit(u), n)));
            }
        };
        Ok(Some((tok, 1)))
    }

    /// `branch (| branch)*`, compiled as a chain of splits.
    fn alternation(&mut self) -> Result<(), Error> {
        let start = self.prog.len();
        self.branch()?;
        let mut jumps = Vec::new();
        while let Some((Tok::Alt, n)) = self.peek()? {
            self.pos += n;
            // Prefix the alternatives so far with a split to here.
            self.prog.insert(start, Insn::Split(start + 1, 0));
            shift(&mut self.prog[start + 1..], start, 1);
            for j in &mut jumps {
                *j += 1;
            }
            jumps.push(self.emit(Insn::Jump(0))?);
            let alt = self.prog.len();
            self.prog[start] = Insn::Split(start + 1, alt);
            self.branch()?;
        }
        let end = self.prog.len();
        for j in jumps {
            self.prog[j] = Insn::Jump(end);
        }
        Ok(())
    }

    /// A sequence of pieces up to `|`, a close or the end.
    fn branch(&mut self) -> Result<(), Error> {
        let mut first = true;
        loop {
            let Some((tok, n)) = self.peek()? else {
                return Ok(());
            };
            match tok {
                Tok::Alt => return Ok(()),
                Tok::Close if self.depth > 0 => return Ok(()),
                Tok::Close if self.ere() => {
                    // An unmatched `)` is itself in POSIX extended syntax.
                    self.pos += n;
                    self.atom_end(Insn::Unit(u32::from(b')')))?;
                }
                Tok::Close => return Ok(()),
                _ => self.piece(tok, n, first)?,
            }
            first = false;
        }
    }

    /// Emits `i` as an atom and the repetitions that follow it.
    fn atom_end(&mut self, i: Insn) -> Result<(), Error> {
        let start = self.emit(i)?;
        self.repeats(start)
    }

    /// One atom and its repetitions; `first`: at the start of a branch.
    fn piece(&mut self, tok: Tok, n: usize, first: bool) -> Result<(), Error> {
        let start = self.prog.len();
        let context_literal = !self.ere();
        match tok {
            Tok::Repeat(..) | Tok::Interval if first => {
                if self.ere() || tok == Tok::Interval {
                    return Err(Error::BadRepeat);
                }
                // At a branch's start a repetition is literal (basic and
                // emacs syntax).
                self.pos += 1;
                let c = self.pat[self.pos - 1];
                let c = if c == b'\\' {
                    self.pos += 1;
                    self.pat[self.pos - 1]
                } else {
                    c
                };
                self.emit(Insn::Unit(self.m.fold(u32::from(c))))?;
            }
            Tok::Repeat(..) | Tok::Interval => return Err(Error::BadRepeat),
            Tok::Caret if context_literal && !first => {
                self.pos += n;
                self.emit(Insn::Unit(u32::from(b'^')))?;
            }
            Tok::Caret => {
                self.pos += n;
                self.emit(Insn::Assert(Assert::Start))?;
                // `^*` in basic syntax: the star is literal.
                if context_literal {
                    if let Some((Tok::Repeat(0, None), 1)) = self.peek()? {
                        self.pos += 1;
                        self.emit(Insn::Unit(u32::from(b'*')))?;
                    }
                }
                return Ok(());
            }
            Tok::Dollar => {
                self.pos += n;
                let at_end = match self.peek()? {
                    None => true,
                    Some((Tok::Alt, _)) => true,
                    Some((Tok::Close, _)) => self.depth > 0,
                    _ => false,
                };
                if context_literal && !at_end {
                    self.emit(Insn::Unit(u32::from(b'$')))?;
                } else {
                    self.emit(Insn::Assert(Assert::End))?;
                }
            }
            Tok::Unit(u) => {
                self.pos += n;
                self.emit(Insn::Unit(self.m.fold(u)))?;
            }
            Tok::Any => {
                self.pos += n;
                let nl = !matches!(self.dialect, Dialect::Emacs { dot_newline: false });
                self.emit(Insn::Any(nl))?;
            }
            Tok::Bracket => {
                self.pos += n;
                let set = self.bracket()?;
                self.sets.push(set);
                self.emit(Insn::Set(self.sets.len() - 1))?;
            }
            Tok::Word(negate) | Tok::Space(negate) => {
                self.pos += n;
                let classes = if matches!(tok, Tok::Word(_)) {
                    vec![Class::Alnum]
                } else {
                    vec![Class::Space]
                };
                let ranges = if matches!(tok, Tok::Word(_)) {
                    vec![(u32::from(b'_'), u32::from(b'_'))]
                } else {
                    Vec::new()
                };
                self.sets.push(Set {
                    negate,
                    ranges,
                    classes,
                });
                self.emit(Insn::Set(self.sets.len() - 1))?;
            }
            Tok::Assert(a) => {
                self.pos += n;
                self.emit(Insn::Assert(a))?;
                return Ok(());
            }
            Tok::Open => {
                self.pos += n;
                if self.depth >= 256 {
                    return Err(Error::TooBig);
                }
                self.depth += 1;
                self.alternation()?;
                self.depth -= 1;
                match self.peek()? {
                    Some((Tok::Close, c)) => self.pos += c,
                    _ => return Err(Error::UnmatchedParen),
                }
            }
            // `branch` stops before these.
            Tok::Close | Tok::Alt => return Err(Error::UnmatchedCloseParen),
        }
        self.repeats(start)
    }

    /// Applies the repetition operators that follow the atom compiled at
    /// `start..`.
    fn repeats(&mut self, start: usize) -> Result<(), Error> {
        loop {
            let (min, max) = match self.peek()? {
                Some((Tok::Repeat(min, max), n)) => {
                    self.pos += n;
                    (min, max)
                }
                Some((Tok::Interval, n)) => {
                    self.pos += n;
                    self.interval()?
                }
                _ => return Ok(()),
            };
            self.repeat(start, min, max)?;
        }
    }

    /// Reads `m}`, `m,}`, `m,n}` or `,n}` after `{` (`\}` in basic syntax).
    fn interval(&mut self) -> Result<(u32, Option<u32>), Error> {
        let number = |p: &mut Parser<'_>| -> Option<u32> {
            let start = p.pos;
            let mut v: u32 = 0;
            while let Some(&c) = p.pat.get(p.pos).filter(|c| c.is_ascii_digit()) {
                v = v.saturating_mul(10).saturating_add(u32::from(c - b'0'));
                p.pos += 1;
            }
            (p.pos > start).then_some(v)
        };
        let min = number(self);
        let max = if self.pat.get(self.pos) == Some(&b',') {
            self.pos += 1;
            number(self)
        } else {
            min
        };
        let close: &[u8] = if self.ere() { b"}" } else { b"\\}" };
        if !self.pat[self.pos..].starts_with(close) {
            return Err(if self.pos >= self.pat.len() {
                Error::UnmatchedBrace
            } else {
                Error::BadInterval
            });
        }
        self.pos += close.len();
        let min = min.unwrap_or(0);
        if max.is_some_and(|m| m < min) {
            return Err(Error::BadInterval);
        }
        // RE_DUP_MAX
        if min > 0x7fff || max.is_some_and(|m| m > 0x7fff) {
            return Err(Error::TooBig);
        }
        Ok((min, max))
    }

    /// Rewrites the atom at `start..` as `min` to `max` copies of itself.
    fn repeat(&mut self, start: usize, min: u32, max: Option<u32>) -> Result<(), Error> {
        let atom: Vec<Insn> = self.prog.drain(start..).collect();
        let copies = max.unwrap_or(min).max(min) as usize + usize::from(max.is_none());
        if copies
            .saturating_mul(atom.len() + 2)
            .saturating_add(self.prog.len())
            > REGEX_MAX_INSNS
        {
            return Err(Error::TooBig);
        }
        for _ in 0..min {
            self.copy(&atom, start)?;
        }
        match max {
            // e*: L: split(body, out); body; jump L
            None => {
                let l = self.emit(Insn::Split(0, 0))?;
                self.copy(&atom, start)?;
                self.emit(Insn::Jump(l))?;
                let out = self.prog.len();
                self.prog[l] = Insn::Split(l + 1, out);
            }
            // Optional copies, each reached only through the one before.
            Some(max) => {
                let mut splits = Vec::new();
                for _ in min..max {
                    splits.push(self.emit(Insn::Split(0, 0))?);
                    self.copy(&atom, start)?;
                }
                let out = self.prog.len();
                for s in splits {
                    self.prog[s] = Insn::Split(s + 1, out);
                }
            }
        }
        Ok(())
    }

    /// Appends `atom`, compiled at `orig`, here: its jump targets (all
    /// inside it, or just after it) move with it.
    fn copy(&mut self, atom: &[Insn], orig: usize) -> Result<(), Error> {
        let base = self.prog.len();
        let moved = |t: usize| t - orig + base;
        for &i in atom {
            let i = match i {
                Insn::Split(a, b) => Insn::Split(moved(a), moved(b)),
                Insn::Jump(a) => Insn::Jump(moved(a)),
                other => other,
            };
            self.emit(i)?;
        }
        Ok(())
    }

    /// A bracket expression, after its `[`.
    fn bracket(&mut self) -> Result<Set, Error> {
        let mut set = Set::default();
        if self.pat.get(self.pos) == Some(&b'^') {
            set.negate = true;
            self.pos += 1;
        }
        let classes = !matches!(self.dialect, Dialect::Emacs { .. });
        let mut first = true;
        loop {
            let Some(&c) = self.pat.get(self.pos) else {
                return Err(Error::UnmatchedBracket);
            };
            if c == b']' && !first {
                self.pos += 1;
                return Ok(set);
            }
            first = false;
            let lo = if c == b'['
                && classes
                && matches!(self.pat.get(self.pos + 1), Some(b':' | b'=' | b'.'))
            {
                let kind = self.pat[self.pos + 1];
                let from = self.pos + 2;
                let Some(end) = (from..self.pat.len().saturating_sub(1))
                    .find(|&k| self.pat[k] == kind && self.pat[k + 1] == b']')
                else {
                    return Err(Error::UnmatchedBracket);
                };
                let inner = &self.pat[from..end];
                self.pos = end + 2;
                if kind == b':' {
                    let Some(class) = Class::named(inner) else {
                        return Err(Error::BadClass);
                    };
                    let class = if class == Class::Upper && self.m.icase {
                        Class::Alpha
                    } else {
                        class
                    };
                    set.classes.push(class);
                    continue;
                }
                let (u, n) = if inner.is_empty() {
                    (0, 0)
                } else {
                    self.m.unit(inner, 0)
                };
                if n == 0 || n != inner.len() {
                    return Err(Error::BadCollation);
                }
                u
            } else {
                let (u, n) = self.m.unit(self.pat, self.pos);
                self.pos += n;
                u
            };
            // A range `lo-hi` (a `-` before `]` is itself).
            if self.pat.get(self.pos) == Some(&b'-')
                && self.pat.get(self.pos + 1).is_some_and(|&h| h != b']')
            {
                self.pos += 1;
                let (hi, n) = self.m.unit(self.pat, self.pos);
                self.pos += n;
                if hi < lo {
                    if classes {
                        return Err(Error::BadRange);
                    }
                    continue;
                }
                set.ranges.push((self.m.fold(lo), self.m.fold(hi)));
                if self.m.icase {
                    // Both cases of a range of letters.
                    set.ranges.push((lo, hi));
                }
            } else {
                set.ranges.push((self.m.fold(lo), self.m.fold(lo)));
            }
        }
    }
}

/// Adds `by` to the jump targets at or after `from` in `code`.
fn shift(code: &mut [Insn], from: usize, by: usize) {
    for i in code {
        match i {
            Insn::Split(a, b) => {
                if *a >= from {
                    *a += by;
                }
                if *b >= from {
                    *b += by;
                }
            }
            Insn::Jump(a) if *a >= from => *a += by,
            _ => {}
        }
    }
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
