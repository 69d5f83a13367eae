//! The arguments of find's primaries: numbers, sizes, modes, types, users
//! and groups, `-exec` command lines, with GNU's messages for each refusal.

use super::expr::{Exec, ExecKind, Node, PermRule, Types};
use super::output::say;
use super::parse::{fail, Bad};
use super::when::Cmp;
use crate::sys::Kind;
use crate::users;

/// `-user`/`-group`: a name from `/etc/passwd`/`/etc/group`, or a number.
pub(super) fn owner_arg(v: &str, group: bool) -> Result<u32, Bad> {
    let by_name = if group {
        users::group_by_name(v).map(|g| g.gid)
    } else {
        users::user_by_name(v).map(|u| u.uid)
    };
    if let Some(id) = by_name {
        return Ok(id);
    }
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits == v.len() {
        // GNU reads it as a C int.
        return match unsigned(v).filter(|&n| n <= i32::MAX as u64) {
            Some(n) => Ok(n as u32),
            None => Err(fail("%s: Numerical result out of range", &[v.as_bytes()])),
        };
    }
    Err(match (group, v.is_empty(), digits > 0) {
        (false, true, _) => fail("The argument to -user should not be empty", &[]),
        (false, false, _) => fail("%q is not the name of a known user", &[v.as_bytes()]),
        (true, true, _) => fail("argument to -group is empty, but should be a group name", &[]),
        (true, false, true) => {
            fail("%q is not the name of an existing group and it does not look like a numeric group ID because it has the unexpected suffix %q", &[v.as_bytes(), &v.as_bytes()[digits..]])
        }
        (true, false, false) => fail("%q is not the name of an existing group", &[v.as_bytes()]),
    })
}

/// `-perm MODE`, `-perm -MODE`, `-perm /MODE`.
pub(super) fn perm<'a>(v: &str) -> Result<Node<'a>, Bad> {
    let (rule, mode) = match v.as_bytes().first() {
        Some(b'-') => (PermRule::AllOf, &v[1..]),
        Some(b'/') => (PermRule::AnyOf, &v[1..]),
        _ => (PermRule::Exact, v),
    };
    // `+NUMERIC` was an old GNU form, now refused.
    let plus_octal = matches!(v.as_bytes(), [b'+', b'0'..=b'7', ..]);
    let bits = if plus_octal { None } else { parse_mode(mode) };
    let Some((file_bits, dir_bits)) = bits else {
        return Err(fail("invalid mode %q", &[v.as_bytes()]));
    };
    let mut rule = rule;
    if rule == PermRule::AnyOf && file_bits == 0 && dir_bits == 0 {
        say("warning: you have specified a mode pattern %s (which is equivalent to /000). The meaning of -perm /000 has now been changed to be consistent with -perm -000; that is, while it used to match no files, it now matches all files.", &[v.as_bytes()]);
        rule = PermRule::AllOf;
    }
    Ok(Node::Perm {
        rule,
        file_bits,
        dir_bits,
    })
}

/// `-exec`/`-execdir`/`-ok`/`-okdir COMMAND … ;` (or `{} +` for the
/// first two).
pub(super) fn exec_words<'a>(
    args: &'a [&'a str],
    start: usize,
    t: &str,
    kind: ExecKind,
) -> Result<(Exec<'a>, usize), Bad> {
    if kind.in_dir() {
        unsafe_path_entry(t)?;
    }
    let mut end = start;
    let mut saw_braces = false;
    let mut brace_count = 0;
    let mut brace_arg = "";
    let mut batch_mode = false;
    while let Some(&a) = args.get(end) {
        if a == ";" {
            break;
        }
        if !kind.asks() && a == "+" && saw_braces {
            batch_mode = true;
            break;
        }
        saw_braces = a.as_bytes().windows(2).any(|w| w == b"{}");
        if saw_braces {
            brace_count += 1;
            brace_arg = a;
        }
        end += 1;
    }
    if end == start || end >= args.len() {
        return Err(match args.get(end) {
            Some(a) => fail(
                "invalid argument `%s' to `%s'",
                &[a.as_bytes(), t.as_bytes()],
            ),
            None => fail("missing argument to `%s'", &[t.as_bytes()]),
        });
    }
    let suffix: &[u8] = if kind == ExecKind::ExecDir {
        b"dir"
    } else {
        b""
    };
    if batch_mode && brace_count > 1 {
        return Err(fail(
            "Only one instance of {} is supported with -exec%s ... +",
            &[suffix],
        ));
    }
    if batch_mode && brace_arg != "{}" {
        let what = [b"-exec", suffix, b" ... {} +"].concat();
        return Err(fail(
            "In %q the %q must appear by itself, but you specified %q",
            &[&what, b"{}", brace_arg.as_bytes()],
        ));
    }
    let argv = if batch_mode {
        &args[start..end - 1]
    } else {
        &args[start..end]
    };
    let exec = Exec {
        kind,
        argv,
        batch_mode,
        batch: Vec::new(),
        batch_dir: None,
    };
    Ok((exec, end + 1))
}
/// Refuses `-execdir`/`-okdir` (GNU's check, word for word) when `PATH`
/// would let the command name resolve inside the directory being visited:
/// an empty entry, `.`, or any relative entry. As root over a vhost user's
/// tree, `-execdir wc` would otherwise run the user's own `./wc`. An unset
/// `PATH` is the C library's absolute default, which is safe.
pub(super) fn unsafe_path_entry(action: &str) -> Result<(), Bad> {
    let Some(path) = crate::sys::env_bytes(c"PATH") else {
        return Ok(());
    };
    for entry in path.split(|&c| c == b':') {
        if entry.is_empty() || entry == b"." {
            return Err(fail("The current directory is included in the PATH environment variable, which is insecure in combination with the %s action of find.  Please remove the current directory from your $PATH (that is, remove \".\", doubled colons, or leading or trailing colons)", &[action.as_bytes()]));
        }
        if entry[0] != b'/' {
            return Err(fail("The relative path %q is included in the PATH environment variable, which is insecure in combination with the %s action of find.  Please remove that entry from $PATH", &[entry, action.as_bytes()]));
        }
    }
    Ok(())
}

/// Decimal digits only (no sign), `None` on overflow.
pub(super) fn unsigned(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |v, b| {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v.checked_mul(10)?.checked_add(u64::from(d))
    })
}

/// `-maxdepth`/`-mindepth N`: a C int, as GNU reads it.
pub(super) fn depth_arg(v: &str, t: &str) -> Result<usize, Bad> {
    match unsigned(v) {
        Some(n) if n <= i32::MAX as u64 => Ok(n as usize),
        Some(_) => Err(fail("%s: Numerical result out of range", &[v.as_bytes()])),
        None => Err(fail(
            "Expected a positive decimal integer argument to %s, but got %q",
            &[t.as_bytes(), v.as_bytes()],
        )),
    }
}

/// `-size [+-]N[bcwkMG]`: sizes in units, rounded up.
pub(super) fn size_arg<'a>(v: &str) -> Result<Node<'a>, Bad> {
    let Some(&last) = v.as_bytes().last() else {
        return Err(fail("invalid null argument to -size", &[]));
    };
    let (body, unit) = match last {
        b'0'..=b'9' => (v, 512),
        b'b' => (&v[..v.len() - 1], 512),
        b'c' => (&v[..v.len() - 1], 1),
        b'w' => (&v[..v.len() - 1], 2),
        b'k' => (&v[..v.len() - 1], 1024),
        b'M' => (&v[..v.len() - 1], 1 << 20),
        b'G' => (&v[..v.len() - 1], 1 << 30),
        _ => {
            let ch = v.chars().last().unwrap_or('?');
            let mut buf = [0; 4];
            return Err(fail(
                "invalid -size type `%s'",
                &[ch.encode_utf8(&mut buf).as_bytes()],
            ));
        }
    };
    let (cmp, digits) = Cmp::split(body);
    match unsigned(digits) {
        Some(value) => Ok(Node::Size { cmp, unit, value }),
        None => Err(fail("Invalid argument `%s' to -size", &[v.as_bytes()])),
    }
}

/// `-type`/`-xtype` letters, comma separated (`f,d`).
pub(super) fn type_list(v: &str, t: &str) -> Result<Types, Bad> {
    if v.is_empty() {
        return Err(fail(
            "Arguments to %s should contain at least one letter",
            &[t.as_bytes()],
        ));
    }
    let b = v.as_bytes();
    let mut mask = 0u16;
    let mut i = 0;
    loop {
        let c = b[i];
        let kind = match c {
            b'b' => Kind::BlockDev,
            b'c' => Kind::CharDev,
            b'd' => Kind::Dir,
            b'f' => Kind::File,
            b'l' => Kind::Symlink,
            b'p' => Kind::Fifo,
            b's' => Kind::Socket,
            b'D' => {
                return Err(fail("%s D is not supported because Solaris doors are not supported on the platform find was compiled on.", &[t.as_bytes()]))
            }
            _ => {
                let ch = v[i..].chars().next().unwrap_or('?');
                let mut buf = [0; 4];
                return Err(fail("Unknown argument to %s: %s", &[t.as_bytes(), ch.encode_utf8(&mut buf).as_bytes()]));
            }
        };
        let bit = 1u16 << kind as u16;
        if mask & bit != 0 {
            return Err(fail(
                "Duplicate file type '%s' in the argument list to %s.",
                &[&[c], t.as_bytes()],
            ));
        }
        mask |= bit;
        i += 1;
        if i == b.len() {
            return Ok(Types(mask));
        }
        if b[i] != b',' {
            return Err(fail(
                "Must separate multiple arguments to %s using: ','",
                &[t.as_bytes()],
            ));
        }
        i += 1;
        if i == b.len() {
            return Err(fail(
                "Last file type in list argument to %s is missing, i.e., list is ending on: ','",
                &[t.as_bytes()],
            ));
        }
    }
}

/// Parses a `-perm` mode: octal, or symbolic applied to 0 as GNU does;
/// returns the bits for a non-directory and for a directory (`X` differs).
pub(super) fn parse_mode(s: &str) -> Option<(u32, u32)> {
    Some((
        crate::mode::parse(s, 0, false)?,
        crate::mode::parse(s, 0, true)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbolic_modes_from_zero() {
        assert_eq!(parse_mode("u+w,g-s"), Some((0o200, 0o200)));
        assert_eq!(parse_mode("o+w"), Some((0o002, 0o002)));
        assert_eq!(parse_mode("g+s"), Some((0o2000, 0o2000)));
        assert_eq!(parse_mode("a=rX"), Some((0o444, 0o555)));
        assert_eq!(parse_mode("2750"), Some((0o2750, 0o2750)));
        assert_eq!(parse_mode("x"), None);
        assert_eq!(parse_mode("99"), None);
    }
}
