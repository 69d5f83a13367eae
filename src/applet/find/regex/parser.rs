//! The regular expression parser: reads a pattern in one of GNU's
//! dialects (see the parent module) and compiles it straight into the
//! program the NFA runs, checking glibc's errors on the way.

use super::{Assert, Dialect, Error, Insn, Set};
use crate::applet::find::glob::{Class, Matcher};
use crate::budget::REGEX_MAX_INSNS;

/// Parses and compiles `pattern`: the program (ending in `Match`) and its
/// bracket expressions.
pub(super) fn parse(
    pattern: &[u8],
    dialect: Dialect,
    m: Matcher,
) -> Result<(Vec<Insn>, Vec<Set>), Error> {
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
    Ok((p.prog, p.sets))
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
