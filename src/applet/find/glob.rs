//! `fnmatch(3)` as find uses it (no `FNM_PATHNAME`, no `FNM_PERIOD`): `*`,
//! `?`, bracket expressions with ranges and `[:class:]`, backslash escapes.
//!
//! Two ways to read names, as glibc does: bytes in the C locale, characters
//! in a UTF-8 locale (where `?` matches `é` whole and `-iname` folds `É`
//! to `é` and `Ⱥ` to `ⱥ`). A pattern or name that is not valid UTF-8 is
//! matched as bytes even in a UTF-8 locale, as glibc falls back to then.

/// How a pattern compares with names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Fold {
    /// Read both as UTF-8 characters (a UTF-8 locale).
    pub utf8: bool,
    /// Ignore case (`-iname`, `-ipath`, `-ilname`).
    pub icase: bool,
}

/// Whether `name` matches the shell pattern `pattern`.
pub(super) fn fnmatch(pattern: &[u8], name: &[u8], mode: Fold) -> bool {
    Matcher::for_pair(pattern, name, mode).matches(pattern, name)
}

#[derive(Clone, Copy)]
/// How one match reads and compares its units (the pattern's and the
/// name's): bytes or UTF-8 characters, folded or not. Shared with
/// [`super::regex`].
pub(super) struct Matcher {
    pub utf8: bool,
    pub icase: bool,
}

impl Matcher {
    /// The matcher for `pattern` against `name` in `mode`: characters only
    /// when both are valid UTF-8 (and not plain ASCII, where bytes are the
    /// same and faster).
    pub fn for_pair(pattern: &[u8], name: &[u8], mode: Fold) -> Matcher {
        let utf8 = mode.utf8
            && !(pattern.is_ascii() && name.is_ascii())
            && std::str::from_utf8(pattern).is_ok()
            && std::str::from_utf8(name).is_ok();
        Matcher {
            utf8,
            icase: mode.icase,
        }
    }

    /// The unit (byte or character) at `s[i..]` and its length in bytes.
    pub fn unit(&self, s: &[u8], i: usize) -> (u32, usize) {
        let b = s[i];
        if !self.utf8 || b < 0x80 {
            return (u32::from(b), 1);
        }
        // Valid UTF-8 was checked up front.
        let n = match b {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            _ => 4,
        };
        let n = n.min(s.len() - i);
        let c = std::str::from_utf8(&s[i..i + n])
            .ok()
            .and_then(|t| t.chars().next())
            .map_or(u32::from(b), u32::from);
        (c, n)
    }

    /// The unit as compared: lower case when folding (ASCII only in the C
    /// locale, as `tolower`; every character in UTF-8, as `towlower`).
    pub fn fold(&self, c: u32) -> u32 {
        if !self.icase {
            return c;
        }
        if c < 0x80 || !self.utf8 {
            return if (u32::from(b'A')..=u32::from(b'Z')).contains(&c) {
                c + 32
            } else {
                c
            };
        }
        super::fold::to_lower(c)
    }

    /// The classic backtracking match: `*` remembers where it started, a
    /// mismatch later retries from there one unit further.
    fn matches(&self, p: &[u8], s: &[u8]) -> bool {
        let (mut pi, mut si) = (0, 0);
        // (pattern index after the star, name index it now matches up to)
        let mut star: Option<(usize, usize)> = None;
        while si < s.len() {
            if pi < p.len() {
                let (sc, slen) = self.unit(s, si);
                match p[pi] {
                    b'*' => {
                        pi += 1;
                        star = Some((pi, si));
                        continue;
                    }
                    b'?' => {
                        pi += 1;
                        si += slen;
                        continue;
                    }
                    b'[' => match self.bracket(&p[pi..], self.fold(sc)) {
                        Some((true, len)) => {
                            pi += len;
                            si += slen;
                            continue;
                        }
                        Some((false, _)) => {}
                        // Not a bracket expression: `[` is itself.
                        None if sc == u32::from(b'[') => {
                            pi += 1;
                            si += slen;
                            continue;
                        }
                        None => {}
                    },
                    _ => {
                        let at = if p[pi] == b'\\' && pi + 1 < p.len() {
                            pi + 1
                        } else {
                            pi
                        };
                        let (pc, plen) = self.unit(p, at);
                        if self.fold(pc) == self.fold(sc) {
                            pi = at + plen;
                            si += slen;
                            continue;
                        }
                    }
                }
            }
            // Mismatch: let the last star take one more unit.
            let Some((after_star, taken)) = star else {
                return false;
            };
            let (_, len) = self.unit(s, taken);
            pi = after_star;
            si = taken + len;
            star = Some((after_star, si));
        }
        p[pi..].iter().all(|&c| c == b'*')
    }

    /// Matches the bracket expression at `p[0] == '['` against the (folded)
    /// unit `c`; returns (matched, length of the expression), or `None` when
    /// it is not a complete bracket expression.
    fn bracket(&self, p: &[u8], c: u32) -> Option<(bool, usize)> {
        let mut i = 1;
        let negate = matches!(p.get(1), Some(b'!' | b'^'));
        if negate {
            i += 1;
        }
        let mut hit = false;
        let mut first = true;
        loop {
            let &b = p.get(i)?;
            if b == b']' && !first {
                return Some((hit != negate, i + 1));
            }
            first = false;
            if b == b'[' && matches!(p.get(i + 1), Some(b':' | b'=' | b'.')) {
                // [:class:], [=c=] and [.c.] run to the matching `:]`, `=]`,
                // `.]`; without one this `[` is an ordinary member.
                let kind = p[i + 1];
                if let Some(end) = find_close(p, i + 2, kind) {
                    let inner = &p[i + 2..end];
                    if kind == b':' {
                        hit |= self.in_class(inner, c);
                    } else {
                        // An equivalence class or collating symbol of one
                        // character is that character (C and C.UTF-8).
                        let (u, n) = if inner.is_empty() {
                            (u32::MAX, 0)
                        } else {
                            self.unit(inner, 0)
                        };
                        hit |= n == inner.len() && self.fold(u) == c;
                    }
                    i = end + 2;
                    continue;
                }
            }
            let lo_at = if b == b'\\' && i + 1 < p.len() {
                i + 1
            } else {
                i
            };
            let (lo, lo_len) = self.unit(p, lo_at);
            let next = lo_at + lo_len;
            if p.get(next) == Some(&b'-') && p.get(next + 1).is_some_and(|&h| h != b']') {
                let hi_at = if p[next + 1] == b'\\' && next + 2 < p.len() {
                    next + 2
                } else {
                    next + 1
                };
                let (hi, hi_len) = self.unit(p, hi_at);
                hit |= (self.fold(lo)..=self.fold(hi)).contains(&c);
                i = hi_at + hi_len;
            } else {
                hit |= self.fold(lo) == c;
                i = next;
            }
        }
    }

    /// Whether unit `c` is in the character class `[:name:]`. ASCII as C's
    /// `<ctype.h>`; other characters, in a UTF-8 locale, by their Unicode
    /// properties. When folding, `[:upper:]` is `[:alpha:]` (the name was
    /// folded to lower case already).
    fn in_class(&self, name: &[u8], c: u32) -> bool {
        let Some(class) = Class::named(name) else {
            return false;
        };
        let class = if class == Class::Upper && self.icase {
            Class::Alpha
        } else {
            class
        };
        class.has(c, self.utf8)
    }
}

/// The index of `kind` followed by `]` at or after `from` (`:]` ends a
/// `[:class:`).
fn find_close(p: &[u8], from: usize, kind: u8) -> Option<usize> {
    (from..p.len().saturating_sub(1)).find(|&k| p[k] == kind && p[k + 1] == b']')
}

/// The POSIX character classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Class {
    Alpha,
    Digit,
    Alnum,
    Upper,
    Lower,
    Space,
    Punct,
    Xdigit,
    Blank,
    Cntrl,
    Print,
    Graph,
}

impl Class {
    /// The class `[:name:]` names.
    pub fn named(name: &[u8]) -> Option<Class> {
        const NAMES: [&[u8]; 12] = [
            b"alpha", b"digit", b"alnum", b"upper", b"lower", b"space", b"punct", b"xdigit",
            b"blank", b"cntrl", b"print", b"graph",
        ];
        const CLASSES: [Class; 12] = [
            Class::Alpha,
            Class::Digit,
            Class::Alnum,
            Class::Upper,
            Class::Lower,
            Class::Space,
            Class::Punct,
            Class::Xdigit,
            Class::Blank,
            Class::Cntrl,
            Class::Print,
            Class::Graph,
        ];
        NAMES.iter().position(|n| *n == name).map(|k| CLASSES[k])
    }

    /// Whether unit `c` is in the class: ASCII as C's `<ctype.h>`; other
    /// characters, in a UTF-8 locale, by their Unicode properties.
    pub fn has(self, c: u32, utf8: bool) -> bool {
        if c < 0x80 {
            return self.has_ascii(c as u8);
        }
        let Some(ch) = char::from_u32(c).filter(|_| utf8) else {
            return false;
        };
        // Beyond ASCII only the case table is consulted (each Unicode
        // property table costs kilobytes on MIPS): a character other than a
        // control or a symbol of the general punctuation and symbol blocks
        // counts as a letter; upper case when it has a different lower case.
        let symbol =
            (0x2000..0x2c00).contains(&c) || (0xa0..0xc0).contains(&c) || c == 0xd7 || c == 0xf7;
        let alpha = !ch.is_control() && !symbol;
        match self {
            Class::Alpha | Class::Alnum => alpha,
            Class::Upper => super::fold::to_lower(c) != c,
            Class::Lower => alpha && super::fold::to_lower(c) == c,
            Class::Cntrl => ch.is_control(),
            Class::Punct => symbol,
            Class::Print | Class::Graph => !ch.is_control(),
            Class::Space | Class::Blank | Class::Digit | Class::Xdigit => false,
        }
    }

    /// C's `<ctype.h>` in the C locale.
    fn has_ascii(self, c: u8) -> bool {
        match self {
            Class::Alpha => c.is_ascii_alphabetic(),
            Class::Digit => c.is_ascii_digit(),
            Class::Alnum => c.is_ascii_alphanumeric(),
            Class::Upper => c.is_ascii_uppercase(),
            Class::Lower => c.is_ascii_lowercase(),
            // C's isspace() includes \v, which Rust's ASCII whitespace
            // leaves out.
            Class::Space => c.is_ascii_whitespace() || c == 0x0b,
            Class::Punct => c.is_ascii_punctuation(),
            Class::Xdigit => c.is_ascii_hexdigit(),
            Class::Blank => c == b' ' || c == b'\t',
            Class::Cntrl => c.is_ascii_control(),
            Class::Print => (0x20..0x7f).contains(&c),
            Class::Graph => c.is_ascii_graphic(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Fold = Fold {
        utf8: false,
        icase: false,
    };
    const CI: Fold = Fold {
        utf8: false,
        icase: true,
    };
    const U: Fold = Fold {
        utf8: true,
        icase: false,
    };
    const UI: Fold = Fold {
        utf8: true,
        icase: true,
    };

    #[test]
    fn like_glibc_in_the_c_locale() {
        assert!(fnmatch(b"*.log", b"a.log", C));
        assert!(fnmatch(b"*", b".hidden", C));
        assert!(!fnmatch(b"a?c", b"ac", C));
        assert!(fnmatch(b"[a-c]x[!0-9]", b"bxz", C));
        assert!(fnmatch(b"*[[:digit:]]", b"file9", C));
        assert!(fnmatch(b"A*", b"abc", CI));
        assert!(fnmatch(b"./*/b", b"./a/x/b", C));
        assert!(fnmatch(b"\\*", b"*", C));
        assert!(fnmatch(b"[", b"[", C));
        assert!(fnmatch(b"[]]", b"]", C));
        assert!(fnmatch(b"[[=a=]]", b"a", C));
        assert!(!fnmatch(b"?", "é".as_bytes(), C), "two bytes in C");
        assert!(!fnmatch("é*".as_bytes(), "Élan".as_bytes(), CI));
    }

    #[test]
    fn utf8_names_are_characters_and_fold() {
        assert!(fnmatch(b"?", "é".as_bytes(), U));
        assert!(fnmatch("é*".as_bytes(), "Élan".as_bytes(), UI));
        assert!(fnmatch("aaaaaȺȺȺ".as_bytes(), "aaaaaⱥⱥⱥ".as_bytes(), UI));
        assert!(fnmatch("[à-ê]".as_bytes(), "é".as_bytes(), U));
        assert!(fnmatch(b"[[:alpha:]]", "ß".as_bytes(), U));
        // Invalid UTF-8 falls back to bytes.
        assert!(fnmatch(b"a??", b"a\xff\xfe", U));
    }
}
