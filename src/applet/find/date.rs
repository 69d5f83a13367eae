//! The dates `-newerXt` takes: the forms of GNU's `parse_datetime` that
//! scripts use (ISO dates and times, `@SECONDS`, month names, zones,
//! `yesterday`, `N units ago`).

use super::when::{scaled_decimal, start_of_day, sub, Timespec, DAY};
use crate::fmt_time;

/// Parses a date for `-newerXt` (GNU's `parse_datetime`, the forms scripts
/// use): `@SECONDS[.FRACTION]`; `YYYY-MM-DD`, `MM/DD/YYYY` or `MM/DD`, a
/// month name and day (`Jan 2 2024`, `2 Jan 2024`); a time `HH:MM[:SS[.F]]`
/// with `am`/`pm` (after a space or `T`); a zone `UTC`, `GMT`, `Z` or
/// `+HH[:]MM`; `now`, `today`, `yesterday`, `tomorrow`; and relative items
/// `[+-]N unit [ago]` (seconds to years, `fortnight`, `week`). What is not
/// given is taken from `now` (the date) or is 0 (the time of day once a date
/// or time is given). Local time unless a zone is given.
pub(super) fn parse_date(s: &str, now: Timespec) -> Option<Timespec> {
    let s = s.trim();
    if s.is_empty() {
        // GNU reads an empty date as the start of today.
        return Some(start_of_day(now));
    }
    if let Some(rest) = s.strip_prefix('@') {
        let (neg, secs, nanos) = scaled_decimal(rest, 1)?;
        return Some(if neg && (secs, nanos) != (0, 0) {
            sub((0, 0), (secs, nanos))
        } else {
            (secs, nanos)
        });
    }
    let mut d = DateParts::default();
    let words = tokens(s)?;
    let mut k = 0;
    while k < words.len() {
        k = d.item(&words, k)?;
    }
    d.resolve(now)
}

/// One token of a date: a number (with its text, for `HH:MM` and years),
/// a word, or a punctuation byte.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Num(i64, usize),
    Word(String),
    Punct(u8),
}

fn tokens(s: &str) -> Option<Vec<Tok>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() || c == b',' {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            let mut v: i64 = 0;
            while i < b.len() && b[i].is_ascii_digit() {
                v = v.checked_mul(10)?.checked_add(i64::from(b[i] - b'0'))?;
                i += 1;
            }
            out.push(Tok::Num(v, i - start));
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Word(
                s[start..i].trim_end_matches('.').to_ascii_lowercase(),
            ));
        } else {
            out.push(Tok::Punct(c));
            i += 1;
        }
    }
    Some(out)
}

/// What a date string said, field by field.
#[derive(Default, Debug)]
struct DateParts {
    date: Option<(i64, i64, Option<i64>)>,
    time: Option<(i64, i64, i64, u32)>,
    /// Seconds east of UTC.
    zone: Option<i64>,
    /// Relative years, months, days, seconds.
    rel: (i64, i64, i64, i64),
    /// `today`, `now` or a relative item anchors at the current time.
    seen: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

fn month_named(w: &str) -> Option<i64> {
    if w.len() < 3 {
        return None;
    }
    let m = MONTHS.iter().position(|m| w.starts_with(m))?;
    let full = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ][m];
    (w.len() == 3 || full == w || (m == 8 && w == "sept")).then_some(m as i64 + 1)
}

fn unit_seconds(w: &str) -> Option<(usize, i64)> {
    // (which relative field: 0 years, 1 months, 2 days, 3 seconds; amount)
    let w = w.strip_suffix('s').filter(|_| w.len() > 3).unwrap_or(w);
    Some(match w {
        "year" => (0, 1),
        "month" => (1, 1),
        "fortnight" => (2, 14),
        "week" => (2, 7),
        "day" => (2, 1),
        "hour" => (3, 3600),
        "minute" | "min" => (3, 60),
        "second" | "sec" => (3, 1),
        _ => return None,
    })
}

impl DateParts {
    /// Reads one item starting at `w[k]`; returns the index after it.
    fn item(&mut self, w: &[Tok], k: usize) -> Option<usize> {
        let num = |i: usize| match w.get(i) {
            Some(Tok::Num(v, n)) => Some((*v, *n)),
            _ => None,
        };
        let punct = |i: usize, c: u8| w.get(i) == Some(&Tok::Punct(c));
        match &w[k] {
            // YYYY-MM-DD
            Tok::Num(y, _) if punct(k + 1, b'-') && num(k + 2).is_some() && punct(k + 3, b'-') => {
                let m = num(k + 2)?.0;
                let d = num(k + 4)?.0;
                self.set_date(*y, m, Some(d))?;
                // An ISO 'T' before the time.
                Some(if matches!(w.get(k + 5), Some(Tok::Word(t)) if t == "t") {
                    k + 6
                } else {
                    k + 5
                })
            }
            // MM/DD[/YYYY]
            Tok::Num(m, _) if punct(k + 1, b'/') => {
                let d = num(k + 2)?.0;
                if punct(k + 3, b'/') {
                    let (y, digits) = num(k + 4)?;
                    let y = if digits <= 2 { two_digit_year(y) } else { y };
                    self.set_date(y, *m, Some(d))?;
                    Some(k + 5)
                } else {
                    self.date_without_year(*m, d)?;
                    Some(k + 3)
                }
            }
            // HH:MM[:SS[.frac]] [am|pm]
            Tok::Num(h, _) if punct(k + 1, b':') => {
                let mi = num(k + 2)?.0;
                let mut next = k + 3;
                let mut sec = 0;
                let mut nanos = 0u32;
                if punct(next, b':') {
                    sec = num(next + 1)?.0;
                    next += 2;
                    if punct(next, b'.') {
                        let (f, digits) = num(next + 1)?;
                        nanos = fraction_nanos(f, digits);
                        next += 2;
                    }
                }
                let mut hour = *h;
                if let Some(Tok::Word(ap)) = w.get(next) {
                    if ap == "am" || ap == "pm" {
                        if !(1..=12).contains(&hour) {
                            return None;
                        }
                        hour = hour % 12 + if ap == "pm" { 12 } else { 0 };
                        next += 1;
                    }
                }
                if self.time.is_some() || hour > 23 || mi > 59 || sec > 60 {
                    return None;
                }
                self.time = Some((hour, mi, sec, nanos));
                // A zone written right after the time: +HHMM, -HH:MM.
                if let Some(Tok::Punct(sign @ (b'+' | b'-'))) = w.get(next) {
                    if let Some(end) = self.numeric_zone(w, next, *sign) {
                        return Some(end);
                    }
                }
                Some(next)
            }
            // [+-]N unit [ago]
            Tok::Punct(sign @ (b'+' | b'-')) => {
                let (n, _) = num(k + 1)?;
                let n = if *sign == b'-' { -n } else { n };
                if let Some(Tok::Word(u)) = w.get(k + 2) {
                    return self.relative_item(w, k + 3, n, u);
                }
                // A numeric zone after a date: +HHMM
                self.numeric_zone(w, k, *sign)
            }
            // N unit [ago], or DD month [YYYY], or a year after a month day
            Tok::Num(n, digits) => {
                if let Some(Tok::Word(u)) = w.get(k + 1) {
                    if let Some(m) = month_named(u) {
                        let y = num(k + 2).map(|(y, _)| y);
                        match y {
                            Some(y) => self.set_date(y, m, Some(*n))?,
                            None => self.date_without_year(m, *n)?,
                        }
                        return Some(k + if y.is_some() { 3 } else { 2 });
                    }
                    if unit_seconds(u).is_some() {
                        return self.relative_item(w, k + 2, *n, u);
                    }
                }
                // A bare year after "Jan 2", or YYYYMMDD.
                if *digits == 8 && self.date.is_none() {
                    self.set_date(n / 10000, n / 100 % 100, Some(n % 100))?;
                    return Some(k + 1);
                }
                match self.date {
                    Some((_, m, None)) => {
                        self.date = Some((*n, m, None));
                        Some(k + 1)
                    }
                    _ => None,
                }
            }
            Tok::Word(word) => self.word_item(w, k, word),
            Tok::Punct(_) => None,
        }
    }

    fn word_item(&mut self, w: &[Tok], k: usize, word: &str) -> Option<usize> {
        match word {
            "now" => {
                self.seen = true;
                return Some(k + 1);
            }
            "today" => {
                self.seen = true;
                self.time.get_or_insert((0, 0, 0, 0));
                return Some(k + 1);
            }
            "yesterday" | "tomorrow" => {
                self.seen = true;
                self.rel.2 += if word == "yesterday" { -1 } else { 1 };
                self.time.get_or_insert((0, 0, 0, 0));
                return Some(k + 1);
            }
            "utc" | "gmt" | "ut" | "z" => {
                if self.zone.is_some() {
                    return None;
                }
                self.zone = Some(0);
                return Some(k + 1);
            }
            "t" => return Some(k + 1),
            _ => {}
        }
        // Day names are accepted and ignored.
        let days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
        if word.len() >= 3 && days.iter().any(|d| word.starts_with(d)) {
            return Some(k + 1);
        }
        if let Some(m) = month_named(word) {
            let day = match w.get(k + 1) {
                Some(Tok::Num(d, _)) => *d,
                _ => return None,
            };
            match w.get(k + 2) {
                Some(Tok::Num(y, digits)) if *digits >= 3 => {
                    self.set_date(*y, m, Some(day))?;
                    return Some(k + 3);
                }
                _ => {
                    self.date_without_year(m, day)?;
                    return Some(k + 2);
                }
            }
        }
        // "day", "week"... alone: one of them; "last week", "next day".
        match word {
            "last" | "next" | "this" => {
                let n = match word {
                    "last" => -1,
                    "next" => 1,
                    _ => 0,
                };
                match w.get(k + 1) {
                    Some(Tok::Word(u)) => self.relative_item(w, k + 2, n, u),
                    _ => None,
                }
            }
            _ if unit_seconds(word).is_some() => self.relative_item(w, k + 1, 1, word),
            _ => None,
        }
    }

    fn relative_item(&mut self, w: &[Tok], next: usize, n: i64, unit: &str) -> Option<usize> {
        let (field, amount) = unit_seconds(unit)?;
        let (n, next) = match w.get(next) {
            Some(Tok::Word(a)) if a == "ago" => (-n, next + 1),
            _ => (n, next),
        };
        let v = n.checked_mul(amount)?;
        let slot = match field {
            0 => &mut self.rel.0,
            1 => &mut self.rel.1,
            2 => &mut self.rel.2,
            _ => &mut self.rel.3,
        };
        *slot = slot.checked_add(v)?;
        self.seen = true;
        Some(next)
    }

    fn numeric_zone(&mut self, w: &[Tok], k: usize, sign: u8) -> Option<usize> {
        let (v, digits) = match w.get(k + 1) {
            Some(Tok::Num(v, d)) => (*v, *d),
            _ => return None,
        };
        let (hours, minutes, next) = match digits {
            1 | 2 if w.get(k + 2) == Some(&Tok::Punct(b':')) => match w.get(k + 3) {
                Some(Tok::Num(m, _)) => (v, *m, k + 4),
                _ => return None,
            },
            1 | 2 => (v, 0, k + 2),
            4 => (v / 100, v % 100, k + 2),
            _ => return None,
        };
        if self.zone.is_some() || hours > 24 || minutes > 59 {
            return None;
        }
        let secs = hours * 3600 + minutes * 60;
        self.zone = Some(if sign == b'-' { -secs } else { secs });
        Some(next)
    }

    fn set_date(&mut self, y: i64, m: i64, d: Option<i64>) -> Option<()> {
        if self.date.is_some()
            || !(1..=12).contains(&m)
            || d.is_some_and(|d| !(1..=31).contains(&d))
        {
            return None;
        }
        self.date = Some((y, m, d));
        Some(())
    }

    /// A month and day without a year (the year may follow).
    fn date_without_year(&mut self, m: i64, d: i64) -> Option<()> {
        if self.date.is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        // The day goes in the third slot; the year (None) is filled later.
        self.date = Some((i64::MIN, m, Some(d)));
        Some(())
    }

    /// The time the parts describe.
    fn resolve(self, now: Timespec) -> Option<Timespec> {
        let today = fmt_time::local(now.0);
        let (mut y, mut m, mut d) = (
            i64::from(today.tm_year) + 1900,
            i64::from(today.tm_mon) + 1,
            i64::from(today.tm_mday),
        );
        if let Some((yy, mm, dd)) = self.date {
            if yy != i64::MIN {
                y = yy;
            }
            m = mm;
            d = dd.unwrap_or(1);
        }
        let explicit = self.date.is_some() || self.time.is_some();
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
        if !explicit && !self.seen && self.zone.is_none() {
            return None;
        }
        y = y.checked_add(self.rel.0)?;
        m = m.checked_add(self.rel.1)?;
        d = d.checked_add(self.rel.2)?;
        let secs = match self.zone {
            Some(off) => {
                // Months beyond 1..=12 carry into years first.
                let (y2, m2) = (y + (m - 1).div_euclid(12), (m - 1).rem_euclid(12) + 1);
                days_from_civil(y2, m2, 1)
                    .checked_add(d - 1)?
                    .checked_mul(DAY)?
                    .checked_add(hh * 3600 + mi * 60 + ss - off)?
            }
            None => {
                // SAFETY: tm is plain data; every field used is set below.
                let mut tm: libc::tm = unsafe { std::mem::zeroed() };
                tm.tm_year = i32::try_from(y - 1900).ok()?;
                tm.tm_mon = i32::try_from(m - 1).ok()?;
                tm.tm_mday = i32::try_from(d).ok()?;
                tm.tm_hour = hh as i32;
                tm.tm_min = mi as i32;
                tm.tm_sec = ss as i32;
                tm.tm_isdst = -1;
                fmt_time::local_to_epoch(&mut tm)?
            }
        };
        Some((secs.checked_add(self.rel.3)?, nanos))
    }
}

/// `strtol` of a fraction's digits as nanoseconds (`.5` is 500000000).
fn fraction_nanos(f: i64, digits: usize) -> u32 {
    let mut v = f as u64;
    let mut n = digits;
    while n > 9 {
        v /= 10;
        n -= 1;
    }
    while n < 9 {
        v *= 10;
        n += 1;
    }
    v as u32
}

/// POSIX's two-digit years: 69..99 are 19xx, 00..68 are 20xx.
fn two_digit_year(y: i64) -> i64 {
    if y < 69 {
        2000 + y
    } else {
        1900 + y
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert_eq!(parse_date("Jan 1 2024 UTC", now), Some((1_704_067_200, 0)));
        assert_eq!(
            parse_date("2024-01-01 UTC 1 day ago", now),
            Some((1_703_980_800, 0))
        );
        assert_eq!(parse_date("garbage", now), None);
        assert_eq!(parse_date("2024-13-01", now), None);
    }
}
