//! Times for find's tests: the relative arguments of `-mtime`/`-mmin`/
//! `-used` (GNU's `get_relative_timestamp`, kept exact in integers instead
//! of GNU's doubles) and the dates `-newerXt` takes (a subset of GNU's
//! `parse_datetime`).
//!
//! A time is `(seconds, nanoseconds)` since the epoch, nanoseconds in
//! `0..1e9`, compared lexicographically.

use crate::fmt_time;

/// Seconds and nanoseconds since the epoch.
pub(super) type Timespec = (i64, u32);

/// Seconds in a day.
pub(super) const DAY: i64 = 86_400;

/// A comparison as find's numeric arguments spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cmp {
    /// `+N`
    Greater,
    /// `-N`
    Less,
    /// `N`
    Equal,
}

impl Cmp {
    /// Splits the `+`/`-` prefix off an argument.
    pub fn split(s: &str) -> (Cmp, &str) {
        match s.as_bytes().first() {
            Some(b'+') => (Cmp::Greater, &s[1..]),
            Some(b'-') => (Cmp::Less, &s[1..]),
            _ => (Cmp::Equal, s),
        }
    }

    /// The comparison of `have` against `want` this asks for.
    pub fn test<T: PartialOrd>(self, have: T, want: T) -> bool {
        match self {
            Cmp::Greater => have > want,
            Cmp::Less => have < want,
            Cmp::Equal => have == want,
        }
    }
}

/// The current time.
pub(super) fn now() -> Timespec {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(_) => (0, 0),
    }
}

/// `t` plus `secs` seconds (saturating).
pub(super) fn add_secs(t: Timespec, secs: i64) -> Timespec {
    (t.0.saturating_add(secs), t.1)
}

/// `a - b`, normalised (nanoseconds in `0..1e9`).
pub(super) fn sub(a: Timespec, b: Timespec) -> Timespec {
    if a.1 >= b.1 {
        (a.0.saturating_sub(b.0), a.1 - b.1)
    } else {
        (
            a.0.saturating_sub(b.0).saturating_sub(1),
            a.1 + 1_000_000_000 - b.1,
        )
    }
}

/// A time test compiled as GNU does: a reference time and the comparison
/// (already inverted: `-mtime +1` asks for times *before* the reference).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Window {
    pub cmp: Cmp,
    pub reference: Timespec,
    /// Seconds the `N` form (`Cmp::Equal`) spans above the reference.
    pub width: i64,
}

impl Window {
    /// GNU's `pred_timewindow`: after the reference, before it, or after it
    /// by at most `width` seconds.
    pub fn holds(&self, t: Timespec) -> bool {
        match self.cmp {
            Cmp::Greater => t > self.reference,
            Cmp::Less => t < self.reference,
            Cmp::Equal => t > self.reference && t <= add_secs(self.reference, self.width),
        }
    }
}

/// GNU's `get_relative_timestamp`: `[+-]N` units of `unit` seconds before
/// `origin`, the comparison inverted. `N` may have a fraction and an
/// exponent (`1.5`, `2e1`), as `strtod` reads it; `None` when it is not a
/// number. Times beyond the representable range saturate (GNU's double
/// arithmetic then matches nothing, or everything, just the same).
pub(super) fn relative(arg: &str, origin: Timespec, unit: i64) -> Option<Window> {
    let (cmp, number) = Cmp::split(arg);
    let cmp = match cmp {
        Cmp::Greater => Cmp::Less,
        Cmp::Less => Cmp::Greater,
        Cmp::Equal => Cmp::Equal,
    };
    let (negative, secs, nanos) = scaled_decimal(number, unit)?;
    let reference = if negative {
        let t = (origin.0.saturating_add(secs), origin.1 + nanos);
        if t.1 >= 1_000_000_000 {
            (t.0.saturating_add(1), t.1 - 1_000_000_000)
        } else {
            t
        }
    } else {
        sub(origin, (secs, nanos))
    };
    Some(Window {
        cmp,
        reference,
        width: unit.min(DAY),
    })
}

/// `N` units of `unit` seconds as a duration (`N` as `strtod` reads it);
/// `None` when it is not a number.
pub(super) fn duration(arg: &str, unit: i64) -> Option<Timespec> {
    let (negative, secs, nanos) = scaled_decimal(arg, unit)?;
    Some(if negative {
        sub((0, 0), (secs, nanos))
    } else {
        (secs, nanos)
    })
}

/// Reads a decimal number (`strtod`'s decimal form: sign, digits, a
/// fraction, an exponent) and multiplies it by `unit`: (negative, whole
/// seconds, nanoseconds). Fraction digits past the ninth are dropped (GNU's
/// double has no more); beyond `i64` the result saturates.
pub(super) fn scaled_decimal(s: &str, unit: i64) -> Option<(bool, i64, u32)> {
    let b = s.as_bytes();
    let negative = b.first() == Some(&b'-');
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    // The number as digits before the point (`whole`, saturating) and the
    // first nine after it (`billionths`); an exponent moves the point.
    let start = i;
    let mut point = None;
    while let Some(&c) = b.get(i) {
        if c == b'.' && point.is_none() {
            point = Some(i);
        } else if !c.is_ascii_digit() {
            break;
        }
        i += 1;
    }
    let mantissa = &b[start..i];
    if mantissa.iter().all(|&c| c == b'.') {
        return None;
    }
    let mut shift: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let (sign, mut k) = match b.get(i + 1) {
            Some(b'-') => (-1, i + 2),
            Some(b'+') => (1, i + 2),
            _ => (1, i + 1),
        };
        let from = k;
        while let Some(&c) = b.get(k).filter(|c| c.is_ascii_digit()) {
            shift = (shift * 10 + i64::from(c - b'0')).min(64);
            k += 1;
        }
        if k == from {
            return None;
        }
        shift *= sign;
        i = k;
    }
    if i != b.len() {
        return None;
    }
    // The written digits, and where the point falls among them once the
    // exponent moved it: digits before index `point` are the whole part.
    let digits: Vec<u8> = mantissa
        .iter()
        .filter(|c| c.is_ascii_digit())
        .map(|c| c - b'0')
        .collect();
    let point = point.map_or(digits.len(), |p| p - start) as i64 + shift;
    let digit = |k: i64| -> u64 {
        usize::try_from(k)
            .ok()
            .and_then(|k| digits.get(k))
            .map_or(0, |&d| u64::from(d))
    };
    let mut whole: u64 = 0;
    for k in point - point.clamp(0, 40)..point {
        whole = whole.saturating_mul(10).saturating_add(digit(k));
    }
    let mut billionths: u64 = 0;
    for k in point..point + 9 {
        billionths = billionths * 10 + digit(k);
    }
    let unit = unit as u64;
    let scaled = billionths * unit;
    let secs = whole
        .saturating_mul(unit)
        .saturating_add(scaled / 1_000_000_000);
    Some((
        negative,
        secs.min(i64::MAX as u64) as i64,
        (scaled % 1_000_000_000) as u32,
    ))
}

/// The start of today in local time (`-daystart`): GNU takes the time
/// `now`, and removes the hours, minutes and seconds local time shows.
pub(super) fn start_of_day(now: Timespec) -> Timespec {
    let tm = fmt_time::local(now.0);
    let into_day = i64::from(tm.tm_hour) * 3600 + i64::from(tm.tm_min) * 60 + i64::from(tm.tm_sec);
    (now.0 - into_day, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_follow_gnu() {
        let now = (1_000_000, 500);
        // -mtime 1 (origin now - 1 day): files aged [1, 2) days.
        let w = relative("1", (now.0 - DAY, now.1), DAY).unwrap();
        assert_eq!(w.cmp, Cmp::Equal);
        assert_eq!(w.reference, (now.0 - 2 * DAY, 500));
        // +1 asks for times before the reference.
        assert_eq!(relative("+1", now, DAY).unwrap().cmp, Cmp::Less);
        let w = relative("-1.5", now, 60).unwrap();
        assert_eq!((w.cmp, w.reference), (Cmp::Greater, (now.0 - 90, 500)));
        let w = relative("0.000001", (10, 0), DAY).unwrap();
        assert_eq!(w.reference, (9, 1_000_000_000 - 86_400_000));
        assert_eq!(relative("1e1", (0, 0), 60).unwrap().reference, (-600, 0));
        assert!(relative("x", now, 60).is_none());
        assert!(relative("", now, 60).is_none());
        let far = relative("99999999999999999", now, DAY).unwrap().reference.0;
        assert!(far < -9_000_000_000_000_000_000);
    }
}
