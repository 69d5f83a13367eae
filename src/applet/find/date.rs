//! The dates `-newerXt` takes: the forms of GNU's `parse_datetime` that
//! scripts write most, read byte by byte without allocating.
//!
//! Accepted: `@SECONDS[.FRACTION]`; `YYYY-MM-DD`, then optionally `T` or
//! spaces and `HH:MM[:SS[.FRACTION]]`; a time alone (today); a zone `Z`,
//! `UTC`, `GMT` or `+HH[:MM]`/`-HHMM` after the time; `now`, `today`,
//! `yesterday`, `tomorrow` alone. An empty string is the start of today, as
//! for GNU. Without a zone the time is local. Not read (GNU reads them):
//! month and day names, `MM/DD/YYYY`, relative items (`2 days ago`).

use super::when::{scaled_decimal, start_of_day, sub, Timespec, DAY};
use crate::fmt_time;

/// Parses a `-newerXt` argument; `None` when it is not a date find reads.
pub(super) fn parse_date(s: &str, now: Timespec) -> Option<Timespec> {
    let s = s.trim();
    let b = s.as_bytes();
    if let Some(secs) = s.strip_prefix('@') {
        let (neg, secs, nanos) = scaled_decimal(secs, 1)?;
        return Some(if neg {
            sub((0, 0), (secs, nanos))
        } else {
            (secs, nanos)
        });
    }
    let midnight = start_of_day(now);
    for (word, at) in [
        ("", midnight),
        ("today", midnight),
        ("now", now),
        ("yesterday", (midnight.0 - DAY, 0)),
        ("tomorrow", (midnight.0 + DAY, 0)),
    ] {
        if s.eq_ignore_ascii_case(word) {
            return Some(at);
        }
    }
    let mut i = 0;
    let today = fmt_time::local(now.0);
    let mut date = (
        i64::from(today.tm_year) + 1900,
        i64::from(today.tm_mon) + 1,
        i64::from(today.tm_mday),
    );
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        date = (digits(&b[..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
        if !(1..=12).contains(&date.1) || !(1..=31).contains(&date.2) {
            return None;
        }
        i = 10;
        if matches!(b.get(i), Some(b'T' | b't')) {
            i += 1;
        }
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    // HH:MM[:SS[.FRACTION]]
    let (mut hms, mut nanos) = ((0, 0, 0), 0u32);
    if b.get(i).is_some_and(u8::is_ascii_digit) {
        let h = number(b, &mut i)?;
        (b.get(i) == Some(&b':')).then_some(())?;
        i += 1;
        let m = number(b, &mut i)?;
        let mut sec = 0;
        if b.get(i) == Some(&b':') {
            i += 1;
            sec = number(b, &mut i)?;
            if b.get(i) == Some(&b'.') {
                i += 1;
                let mut scale = 100_000_000;
                while let Some(&c) = b.get(i).filter(|c| c.is_ascii_digit()) {
                    nanos += u32::from(c - b'0') * scale;
                    scale /= 10;
                    i += 1;
                }
            }
        }
        if h > 23 || m > 59 || sec > 60 {
            return None;
        }
        hms = (h, m, sec);
    } else if i < 10 {
        // Neither a date nor a time.
        return None;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    let zone = zone(&b[i..])?;
    let (y, mo, d) = date;
    let secs = match zone {
        Some(offset) => {
            days_from_civil(y, mo, d) * DAY + hms.0 * 3600 + hms.1 * 60 + hms.2 - offset
        }
        None => {
            // SAFETY: tm is plain data; every field mktime reads is set.
            let mut tm: libc::tm = unsafe { std::mem::zeroed() };
            tm.tm_year = (y - 1900) as i32;
            tm.tm_mon = (mo - 1) as i32;
            tm.tm_mday = d as i32;
            tm.tm_hour = hms.0 as i32;
            tm.tm_min = hms.1 as i32;
            tm.tm_sec = hms.2 as i32;
            tm.tm_isdst = -1;
            fmt_time::local_to_epoch(&mut tm)?
        }
    };
    Some((secs, nanos))
}

/// Reads the digits at `b[*i..]` (one to four of them).
fn number(b: &[u8], i: &mut usize) -> Option<i64> {
    let start = *i;
    while *i < b.len() && b[*i].is_ascii_digit() && *i - start < 4 {
        *i += 1;
    }
    digits(&b[start..*i])
}

/// A run of ASCII digits as a number (`None` if empty or not digits).
fn digits(d: &[u8]) -> Option<i64> {
    if d.is_empty() || !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(d.iter().fold(0i64, |v, &c| v * 10 + i64::from(c - b'0')))
}

/// What follows the time: nothing (local time, `Some(None)`), a zone name,
/// or `+HH`, `+HHMM`, `+HH:MM`; `None` for anything else.
fn zone(z: &[u8]) -> Option<Option<i64>> {
    if z.is_empty() {
        return Some(None);
    }
    for name in [&b"z"[..], b"utc", b"gmt", b"ut"] {
        if z.eq_ignore_ascii_case(name) {
            return Some(Some(0));
        }
    }
    let (sign, rest) = z.split_first()?;
    let rest: Vec<u8> = rest.iter().copied().filter(|&c| c != b':').collect();
    let v = digits(&rest)?;
    let (h, m) = match rest.len() {
        1 | 2 => (v, 0),
        4 => (v / 100, v % 100),
        _ => return None,
    };
    if h > 24 || m > 59 || !matches!(sign, b'+' | b'-') {
        return None;
    }
    let secs = h * 3600 + m * 60;
    Some(Some(if *sign == b'-' { -secs } else { secs }))
}

/// Days from 1970-01-01 to a date of a four-digit year (Howard Hinnant's
/// algorithm; years 0 to 9999 keep every division positive).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = (if m <= 2 { y - 1 } else { y }) as i32;
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    i64::from(era) * 146_097 + i64::from(doe) - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc() {
        let now = (1_700_000_000, 0);
        assert_eq!(parse_date("@12345.678", now), Some((12345, 678_000_000)));
        assert_eq!(
            parse_date("2024-01-01 10:00 UTC", now),
            Some((1_704_103_200, 0))
        );
        assert_eq!(
            parse_date("2024-01-01T10:00:30Z", now),
            Some((1_704_103_230, 0))
        );
        assert_eq!(
            parse_date("2024-01-01 10:00 +0100", now),
            Some((1_704_099_600, 0))
        );
        assert_eq!(
            parse_date("2024-01-01T10:00+01:00", now),
            Some((1_704_099_600, 0))
        );
        assert_eq!(parse_date("2024-01-01 Z", now), Some((1_704_067_200, 0)));
        assert_eq!(
            parse_date("2024-01-01 10:00:00.25 Z", now),
            Some((1_704_103_200, 250_000_000))
        );
        assert_eq!(parse_date("now", now), Some(now));
        assert_eq!(parse_date("garbage", now), None);
        assert_eq!(parse_date("2024-13-01", now), None);
        assert_eq!(parse_date("25:00", now), None);
        assert_eq!(parse_date("2024-01-01 10:00 junk", now), None);
    }
}
