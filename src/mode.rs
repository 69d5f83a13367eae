//! Mode arguments as `chmod` takes them, parsed as gnulib's `mode_compile`
//! and applied as its `mode_adjust` does (with no umask): `find -perm`
//! applies them to 0, `chperms mkdir -m` to 0777.
//!
//! The grammar: octal (`2750`, `02750`, any number of leading zeros, at
//! most `07777`), or comma-separated clauses `[ugoa]*([-+=]PERMS)+` where
//! PERMS is letters from `rwxXst` or one class to copy (`g=u`). A clause
//! with no `ugoa` affects every class. `X` is `x` for a directory, or when
//! some `x` bit is already set.

/// The mode `s` makes of `base` for a directory (`dir`) or another file;
/// `None` when `s` is not a mode. An octal mode replaces `base` whole.
pub fn parse(s: &str, base: u32, dir: bool) -> Option<u32> {
    if !s.is_empty() && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let mut v = 0u32;
        for b in s.bytes() {
            v = v * 8 + u32::from(b - b'0');
            if v > 0o7777 {
                return None;
            }
        }
        return Some(v);
    }
    let mut mode = base;
    for clause in s.split(',') {
        let b = clause.as_bytes();
        let mut i = 0;
        let mut who = 0u32;
        while let Some(&c) = b.get(i) {
            who |= match c {
                b'u' => 0o4700,
                b'g' => 0o2070,
                b'o' => 0o1007,
                b'a' => 0o7777,
                _ => break,
            };
            i += 1;
        }
        if who == 0 {
            who = 0o7777;
        }
        // At least one operator per clause (`u` alone, or an empty clause
        // from `u+x,`, is not a mode).
        if i >= b.len() {
            return None;
        }
        while let Some(&op) = b.get(i) {
            if !matches!(op, b'+' | b'-' | b'=') {
                return None;
            }
            i += 1;
            // Either a copy of another class's bits (`g=u`) or letters.
            let copy_from = match b.get(i) {
                Some(b'u') => Some(6),
                Some(b'g') => Some(3),
                Some(b'o') => Some(0),
                _ => None,
            };
            let mut bits = 0u32;
            if let Some(shift) = copy_from {
                bits = ((mode >> shift) & 7) * 0o111;
                i += 1;
            } else {
                while let Some(&c) = b.get(i) {
                    bits |= match c {
                        b'r' => 0o444,
                        b'w' => 0o222,
                        b'x' => 0o111,
                        b'X' if dir || mode & 0o111 != 0 => 0o111,
                        b'X' => 0,
                        b's' => 0o6000,
                        b't' => 0o1000,
                        _ => break,
                    };
                    i += 1;
                }
            }
            bits &= who;
            match op {
                b'+' => mode |= bits,
                b'-' => mode &= !bits,
                _ => mode = (mode & !who) | bits,
            }
        }
    }
    Some(mode)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn octal_replaces_the_base() {
        assert_eq!(parse("2750", 0o777, true), Some(0o2750));
        assert_eq!(parse("0000000644", 0o777, false), Some(0o644));
        assert_eq!(parse("07777", 0, false), Some(0o7777));
        assert_eq!(parse("10000", 0, false), None);
        assert_eq!(parse("8", 0, false), None);
    }

    #[test]
    fn symbolic_applies_to_the_base() {
        assert_eq!(parse("go-w", 0o777, true), Some(0o755));
        assert_eq!(parse("u=rwx,g=rwxs,o=rx", 0o777, true), Some(0o2775));
        assert_eq!(parse("=r,u+w", 0o777, true), Some(0o644));
        assert_eq!(parse("o+t", 0, false), Some(0o1000));
        assert_eq!(parse("o+s", 0, false), Some(0));
        assert_eq!(parse("u+", 0o640, false), Some(0o640));
        assert_eq!(parse("u+rw-w", 0, false), Some(0o400));
    }

    #[test]
    fn x_capital_needs_a_directory_or_an_x_bit() {
        assert_eq!(parse("a=rX", 0, false), Some(0o444));
        assert_eq!(parse("a=rX", 0, true), Some(0o555));
        assert_eq!(parse("u+x,a+X", 0, false), Some(0o111));
    }

    #[test]
    fn a_class_copies_another() {
        assert_eq!(parse("g=u", 0o750, false), Some(0o770));
        assert_eq!(parse("u=rw,go=u", 0, false), Some(0o666));
        assert_eq!(parse("o+g", 0o750, false), Some(0o755));
        assert_eq!(parse("g=ur", 0o750, false), None);
    }

    #[test]
    fn malformed_modes_are_refused() {
        for bad in ["", "u", "x", "u=q", "u+x,", ",u+x", "u+x,,g+x", "+8"] {
            assert_eq!(parse(bad, 0o777, true), None, "{bad:?}");
        }
    }
}
