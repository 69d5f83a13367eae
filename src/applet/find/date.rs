//! The dates `-newerXt` takes: the forms of GNU's `parse_datetime` that
//! scripts use, read byte by byte without allocating.
//!
//! Accepted: `@SECONDS[.FRACTION]` alone; a date `YYYY-MM-DD`, then
//! optionally `T` or spaces and a time `HH:MM[:SS[.FRACTION]]`; a time
//! alone (today); a zone `Z`, `UTC`, `GMT` or `+HH[:MM]`/`-HHMM` (after the
//! time, with or without a space); `now`, `today`, `yesterday`,
//! `tomorrow`; relative items `[+-]N UNIT [ago]` with UNIT one of
//! sec(ond)(s), min(ute)(s), hour(s), day(s), week(s), fortnight(s). An
//! empty string is the start of today, as for GNU. Without a zone the time
//! is local. Not read (GNU reads them): month and day names, `MM/DD/YYYY`,
//! `next`/`last`, relative months and years.

use super::when::{scaled_decimal, start_of_day, sub, Timespec, DAY};
use crate::fmt_time;

/// What the string said.
#[derive(Default)]
struct Parts {
    /// Year, month, day.
    date: Option<(i64, i64, i64)>,
    /// Hours, minutes, seconds, nanoseconds.
    time: Option<(i64, i64, i64, u32)>,
    /// Seconds east of UTC.
    zone: Option<i64>,
    /// Seconds to add at the end (`2 days ago`, `yesterday`).
    relative: i64,
    /// `now` or a relative item: the present is the anchor.
    anchored: bool,
}

/// Parses a `-newerXt` argument; `None` when it is not a date find reads.
pub(super) fn parse_date(s: &str, now: Timespec) -> Option<Timespec> {
    let b = s.trim().as_bytes();
    if b.is_empty() {
        return Some(start_of_day(now));
    }
    if b[0] == b'@' {
        let (neg, secs, nanos) = scaled_decimal(&s.trim()[1..], 1)?;
        return Some(if neg {
            sub((0, 0), (secs, nanos))
        } else {
            (secs, nanos)
        });
    }
    let mut p = Parts::default();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b' ' || c == b'\t' {
            i += 1;
        } else if c.is_ascii_alphabetic() {
            let word = run(b, i, u8::is_ascii_alphabetic);
            i += word.len();
            p.word(word)?;
        } else if (c == b'+' || c == b'-')
            && p.time.is_some()
            && p.zone.is_none()
            && p.relative == 0
        {
            i = p.zone_at(b, i)?;
        } else {
            i = p.number_at(b, i)?;
        }
    }
    p.resolve(now)
}

/// The longest run of bytes from `b[i]` that `ok` accepts.
fn run(b: &[u8], i: usize, ok: fn(&u8) -> bool) -> &[u8] {
    let end = b[i..]
        .iter()
        .position(|c| !ok(c))
        .map_or(b.len(), |n| i + n);
    &b[i..end]
}

/// Decimal digits as a number (at most 12 of them).
fn value(d: &[u8]) -> Option<i64> {
    if d.is_empty() || d.len() > 12 {
        return None;
    }
    Some(d.iter().fold(0i64, |v, &b| v * 10 + i64::from(b - b'0')))
}

/// Seconds in a relative unit (`sec`, `minutes`, `day`, ...).
fn unit_seconds(w: &[u8]) -> Option<i64> {
    let w = match w {
        [rest @ .., b's' | b'S'] if rest.len() > 2 => rest,
        _ => w,
    };
    let units: [(&[u8], i64); 9] = [
        (b"sec", 1),
        (b"second", 1),
        (b"min", 60),
        (b"minute", 60),
        (b"hour", 3600),
        (b"day", DAY),
        (b"week", 7 * DAY),
        (b"fortnight", 14 * DAY),
        (b"", 0),
    ];
    units
        .iter()
        .find(|(name, _)| !name.is_empty() && name.eq_ignore_ascii_case(w))
        .map(|&(_, secs)| secs)
}

impl Parts {
    /// `now`, `today`, `yesterday`, `tomorrow`, or a zone name.
    fn word(&mut self, w: &[u8]) -> Option<()> {
        let is = |name: &[u8]| w.eq_ignore_ascii_case(name);
        let shift = if is(b"today") {
            0
        } else if is(b"yesterday") {
            -DAY
        } else if is(b"tomorrow") {
            DAY
        } else if is(b"now") {
            self.anchored = true;
            return Some(());
        } else if is(b"z") || is(b"utc") || is(b"gmt") || is(b"ut") {
            return self.set_zone(0);
        } else {
            return None;
        };
        self.relative += shift;
        self.time.get_or_insert((0, 0, 0, 0));
        self.anchored = true;
        Some(())
    }

    fn set_zone(&mut self, offset: i64) -> Option<()> {
        if self.zone.replace(offset).is_some() {
            return None;
        }
        Some(())
    }

    /// `+HH`, `+HHMM`, `+HH:MM` at `b[i]`; returns the index after it.
    fn zone_at(&mut self, b: &[u8], i: usize) -> Option<usize> {
        let h = run(b, i + 1, u8::is_ascii_digit);
        let mut end = i + 1 + h.len();
        let (hours, minutes) = match h.len() {
            1 | 2 if b.get(end) == Some(&b':') => {
                let m = run(b, end + 1, u8::is_ascii_digit);
                end += 1 + m.len();
                (value(h)?, value(m)?)
            }
            1 | 2 => (value(h)?, 0),
            4 => (value(&h[..2])?, value(&h[2..])?),
            _ => return None,
        };
        if hours > 24 || minutes > 59 {
            return None;
        }
        let secs = hours * 3600 + minutes * 60;
        self.set_zone(if b[i] == b'-' { -secs } else { secs })?;
        Some(end)
    }

    /// A date, a time, or `[+-]N UNIT [ago]` at `b[i]`; returns the index
    /// after it.
    fn number_at(&mut self, b: &[u8], mut i: usize) -> Option<usize> {
        let sign = match b[i] {
            b'-' => -1,
            b'+' => 1,
            _ => 0,
        };
        if sign != 0 {
            i += 1;
        }
        let d = run(b, i, u8::is_ascii_digit);
        let next = b.get(i + d.len()).copied();
        if sign == 0 && d.len() == 4 && next == Some(b'-') {
            return self.date_at(b, i);
        }
        if sign == 0 && next == Some(b':') {
            return self.time_at(b, i);
        }
        // N UNIT [ago]
        let n = value(d)?;
        let mut j = i + d.len();
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        let unit_word = run(b, j, u8::is_ascii_alphabetic);
        let unit = unit_seconds(unit_word)?;
        j += unit_word.len();
        let mut k = j;
        while b.get(k) == Some(&b' ') {
            k += 1;
        }
        let ago = run(b, k, u8::is_ascii_alphabetic).eq_ignore_ascii_case(b"ago");
        if ago {
            j = k + 3;
        }
        let amount = n.checked_mul(unit)? * if (sign < 0) != ago { -1 } else { 1 };
        self.relative = self.relative.checked_add(amount)?;
        self.anchored = true;
        Some(j)
    }

    /// `YYYY-MM-DD`, then maybe `T` and a time.
    fn date_at(&mut self, b: &[u8], i: usize) -> Option<usize> {
        let field = |at: usize| {
            b.get(at..at + 2)
                .filter(|f| f.iter().all(u8::is_ascii_digit))
                .and_then(value)
        };
        let y = value(&b[i..i + 4])?;
        let m = field(i + 5)?;
        let d = field(i + 8)?;
        if b.get(i + 7) != Some(&b'-')
            || self.date.is_some()
            || !(1..=12).contains(&m)
            || !(1..=31).contains(&d)
        {
            return None;
        }
        self.date = Some((y, m, d));
        match b.get(i + 10) {
            Some(b'T' | b't') => self.time_at(b, i + 11),
            Some(c) if c.is_ascii_digit() => None,
            _ => Some(i + 10),
        }
    }

    /// `HH:MM[:SS[.FRACTION]]`, and a zone written right after it.
    fn time_at(&mut self, b: &[u8], i: usize) -> Option<usize> {
        let h = run(b, i, u8::is_ascii_digit);
        let mut j = i + h.len() + 1;
        let mi = run(b, j, u8::is_ascii_digit);
        j += mi.len();
        let (mut sec, mut nanos) = (0, 0u32);
        if b.get(j) == Some(&b':') {
            let s = run(b, j + 1, u8::is_ascii_digit);
            sec = value(s)?;
            j += 1 + s.len();
            if b.get(j) == Some(&b'.') {
                let f = run(b, j + 1, u8::is_ascii_digit);
                for (k, &c) in f.iter().take(9).enumerate() {
                    nanos += u32::from(c - b'0') * 10u32.pow(8 - k as u32);
                }
                j += 1 + f.len();
            }
        }
        let (h, mi) = (value(h)?, value(mi)?);
        if self.time.is_some() || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        self.time = Some((h, mi, sec, nanos));
        match b.get(j) {
            Some(b'Z' | b'z') => {
                self.set_zone(0)?;
                Some(j + 1)
            }
            Some(b'+' | b'-') => self.zone_at(b, j),
            _ => Some(j),
        }
    }

    /// The instant the parts describe: what is missing is taken from today
    /// (the date) or is 0 (the time, once a date or time was given).
    fn resolve(self, now: Timespec) -> Option<Timespec> {
        if self.date.is_none() && self.time.is_none() && !self.anchored && self.zone.is_none() {
            return None;
        }
        let today = fmt_time::local(now.0);
        let (y, m, d) = self.date.unwrap_or((
            i64::from(today.tm_year) + 1900,
            i64::from(today.tm_mon) + 1,
            i64::from(today.tm_mday),
        ));
        let (hh, mi, ss, nanos) = match self.time {
            Some(t) => t,
            None if self.date.is_some() => (0, 0, 0, 0),
            None => (
                i64::from(today.tm_hour),
                i64::from(today.tm_min),
                i64::from(today.tm_sec),
                now.1,
            ),
        };
        let secs = match self.zone {
            Some(off) => days_from_civil(y, m, d) * DAY + hh * 3600 + mi * 60 + ss - off,
            None => {
                // SAFETY: tm is plain data; every field used is set below.
                let mut tm: libc::tm = unsafe { std::mem::zeroed() };
                tm.tm_year = (y - 1900) as i32;
                tm.tm_mon = (m - 1) as i32;
                tm.tm_mday = d as i32;
                tm.tm_hour = hh as i32;
                tm.tm_min = mi as i32;
                tm.tm_sec = ss as i32;
                tm.tm_isdst = -1;
                fmt_time::local_to_epoch(&mut tm)?
            }
        };
        Some((secs.checked_add(self.relative)?, nanos))
    }
}

/// Days from 1970-01-01 to a date of a four-digit year (Howard Hinnant's
/// algorithm, years 0 to 9999 so all divisions are of positive numbers).
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
        assert_eq!(
            parse_date("2024-01-01 UTC 1 day ago", now),
            Some((1_703_980_800, 0))
        );
        assert_eq!(
            parse_date("2024-01-01 10:00:00.25 Z", now),
            Some((1_704_103_200, 250_000_000))
        );
        assert_eq!(
            parse_date("now 2 hours ago", now),
            Some((1_700_000_000 - 7200, 0))
        );
        assert_eq!(
            parse_date("-90 minutes", now),
            Some((1_700_000_000 - 5400, 0))
        );
        assert_eq!(parse_date("garbage", now), None);
        assert_eq!(parse_date("2024-13-01", now), None);
        assert_eq!(parse_date("25:00", now), None);
        assert_eq!(
            parse_date("1 fortnights", now),
            Some((1_700_000_000 + 14 * DAY, 0))
        );
    }
}
