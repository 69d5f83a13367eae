//! Local-time formatting shared by `stat` and `find -printf`.
//!
//! Uses the C library's `localtime_r`, so that `TZ` (and musl's
//! `/etc/TZ`-free zone handling on routers) behaves as it does for the
//! system's own tools. The conversions themselves are formatted here, as
//! glibc's `strftime` does in the C locale (which GNU find and stat use):
//! musl's `strftime` pulls in `snprintf` and its floating-point code (about
//! 20 KB on MIPS) and lacks `%k`, `%l` and `%P`.

use crate::fmt_quote::{pad_num, Spec};

/// The broken-down local time of `secs` since the epoch (all zero when the C
/// library cannot represent it).
pub fn local(secs: i64) -> libc::tm {
    // SAFETY: tm is plain old data; localtime_r writes it and reads `t`.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        localtime64(&secs, &mut tm);
        tm
    }
}

/// `localtime_r` with a 64-bit `time_t`. On 32-bit musl targets (mipsel,
/// mips, armv7) the `libc` crate still declares a 32-bit `time_t` and links
/// musl's time32 compatibility `localtime_r`, which turns 2040 into 1904:
/// call musl's 64-bit entry point instead.
#[cfg(all(target_env = "musl", target_pointer_width = "32"))]
unsafe fn localtime64(t: &i64, tm: &mut libc::tm) {
    extern "C" {
        fn __localtime64_r(t: *const i64, tm: *mut libc::tm) -> *mut libc::tm;
    }
    // SAFETY: musl 1.2's 64-bit localtime_r; both pointers are valid.
    unsafe {
        __localtime64_r(t, tm);
    }
}

#[cfg(not(all(target_env = "musl", target_pointer_width = "32")))]
#[allow(deprecated)] // libc warns that musl's time_t changes; it is 64-bit here already
unsafe fn localtime64(t: &i64, tm: &mut libc::tm) {
    let t = *t as libc::time_t;
    // SAFETY: both pointers are valid; time_t is 64-bit here.
    unsafe {
        libc::localtime_r(&t, tm);
    }
}

/// The seconds since the epoch of the broken-down local time `tm` (the C
/// library's `mktime`, which normalises out-of-range fields: day 32 is the
/// 1st of next month). `tm_isdst` -1 lets the zone rules decide. `None` when
/// the C library cannot represent it.
pub fn local_to_epoch(tm: &mut libc::tm) -> Option<i64> {
    // SAFETY: tm is a valid, initialised struct the call may rewrite.
    let t = unsafe { mktime64(tm) };
    // -1 is also a valid time (1969-12-31 23:59:59 UTC); mktime then leaves
    // tm_wday set, which it sets to -1 beforehand never.
    (t != -1 || tm.tm_wday != -1).then_some(t)
}

/// `mktime` with a 64-bit `time_t` (see [`localtime64`]).
#[cfg(all(target_env = "musl", target_pointer_width = "32"))]
unsafe fn mktime64(tm: &mut libc::tm) -> i64 {
    extern "C" {
        fn __mktime64(tm: *mut libc::tm) -> i64;
    }
    tm.tm_wday = -1;
    // SAFETY: musl 1.2's 64-bit mktime; tm is valid.
    unsafe { __mktime64(tm) }
}

#[cfg(not(all(target_env = "musl", target_pointer_width = "32")))]
#[allow(deprecated, clippy::unnecessary_cast)] // time_t is 64-bit here already
unsafe fn mktime64(tm: &mut libc::tm) -> i64 {
    tm.tm_wday = -1;
    // SAFETY: tm is valid for the call.
    unsafe { libc::mktime(tm) as i64 }
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Appends `v` in decimal, padded on the left with `pad` (`b'0'` or
/// `b' '`) to `width` bytes (a minus sign counts towards the width, as in
/// printf: `%0*d` or `%*d`, which is what the shared printf padding does).
pub fn push_num(out: &mut Vec<u8>, v: i64, width: usize, pad: u8) {
    let sp = Spec {
        width,
        zero: pad == b'0',
        ..Spec::default()
    };
    pad_num(out, &sp, v.into(), 10, true);
}

/// Whether `year` is a leap year; callers pass a year congruent to the real
/// one modulo 400 (same answer), so 32-bit arithmetic suffices.
fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// glibc's `iso_week_days`: days since the Monday starting this ISO week's
/// year (negative when the day belongs to the previous ISO year).
fn iso_week_days(yday: i32, wday: i32) -> i32 {
    yday - (yday - wday + 4 + 378) % 7 + 3
}

/// `tm_year + 1900` reduced modulo 400 into 1901..=2699: positive, no
/// overflow, and the same leap years and last two digits as the real year.
fn short_year(tm: &libc::tm) -> i32 {
    tm.tm_year % 400 + 2300
}

/// The ISO 8601 week-based year, as -1, 0 or 1 added to the calendar year,
/// and the week number (`%G`, `%g`, `%V`).
fn iso_week(tm: &libc::tm) -> (i32, i32) {
    let (yday, wday) = (tm.tm_yday, tm.tm_wday);
    let y = short_year(tm);
    let mut step = 0;
    let mut days = iso_week_days(yday, wday);
    if days < 0 {
        step = -1;
        days = iso_week_days(yday + 365 + i32::from(is_leap(y - 1)), wday);
    } else {
        let d = iso_week_days(yday - 365 - i32::from(is_leap(y)), wday);
        if d >= 0 {
            step = 1;
            days = d;
        }
    }
    (step, days / 7 + 1)
}

/// Appends one conversion, `%` followed by `c`, as glibc's `strftime` would
/// in the C locale; an unknown letter is copied as `%c`. `secs` is the time
/// `tm` came from (`%s`).
///
/// Numeric conversions only pick their value, width and padding; one
/// `push_num` call at the end writes them (a call per letter costs more
/// code than the table of arms).
pub fn conv(out: &mut Vec<u8>, c: u8, tm: &libc::tm, secs: i64) {
    // Conversions made of other conversions.
    let composite: &[u8] = match c {
        b'c' => b"a b e H:M:S Y",
        b'D' | b'x' => b"m/d/y",
        b'F' => b"Y-m-d",
        b'r' => b"I:M:S p",
        b'R' => b"H:M",
        b'T' | b'X' => b"H:M:S",
        _ => b"",
    };
    if !composite.is_empty() {
        return fmt(out, composite, tm, secs);
    }
    let year = tm.tm_year as i64 + 1900;
    // The small fields stay 32-bit: i64 division is a library call on
    // 32-bit targets.
    let hour = tm.tm_hour;
    let h12 = (hour + 11) % 12 + 1;
    let day = DAYS.get(tm.tm_wday as usize).copied().unwrap_or("?");
    let month = MONTHS.get(tm.tm_mon as usize).copied().unwrap_or("?");
    let (yday, wday, mday) = (tm.tm_yday, tm.tm_wday, tm.tm_mday);
    let (v, width, pad): (i64, usize, u8) = match c {
        b'C' => (year.div_euclid(100), 2, b'0'),
        b'd' => (mday.into(), 2, b'0'),
        b'e' => (mday.into(), 2, b' '),
        b'g' => (((short_year(tm) + iso_week(tm).0) % 100).into(), 2, b'0'),
        b'G' => (year + i64::from(iso_week(tm).0), 1, b'0'),
        b'H' => (hour.into(), 2, b'0'),
        b'I' => (h12.into(), 2, b'0'),
        b'j' => ((yday + 1).into(), 3, b'0'),
        b'k' => (hour.into(), 2, b' '),
        b'l' => (h12.into(), 2, b' '),
        b'm' => ((tm.tm_mon + 1).into(), 2, b'0'),
        b'M' => (tm.tm_min.into(), 2, b'0'),
        b's' => (secs, 1, b'0'),
        b'S' => (tm.tm_sec.into(), 2, b'0'),
        b'u' => (((wday + 6) % 7 + 1).into(), 1, b'0'),
        b'U' => (((yday - wday + 7) / 7).into(), 2, b'0'),
        b'V' => (iso_week(tm).1.into(), 2, b'0'),
        b'w' => (wday.into(), 1, b'0'),
        b'W' => (((yday - (wday + 6) % 7 + 7) / 7).into(), 2, b'0'),
        b'y' => ((short_year(tm) % 100).into(), 2, b'0'),
        b'Y' => (year, 1, b'0'),
        b'z' => {
            // c_long: i32 on 32-bit targets, so the cast is needed there.
            #[allow(clippy::unnecessary_cast)]
            let off = tm.tm_gmtoff as i64;
            let m = off.abs() / 60;
            out.push(if off < 0 { b'-' } else { b'+' });
            (m / 60 * 100 + m % 60, 4, b'0')
        }
        _ => {
            let text: &[u8] = match c {
                b'a' => &day.as_bytes()[..day.len().min(3)],
                b'A' => day.as_bytes(),
                b'b' | b'h' => &month.as_bytes()[..month.len().min(3)],
                b'B' => month.as_bytes(),
                b'n' => b"\n",
                b'p' if hour >= 12 => b"PM",
                b'p' => b"AM",
                b'P' if hour >= 12 => b"pm",
                b'P' => b"am",
                b't' => b"\t",
                b'Z' if !tm.tm_zone.is_null() => {
                    // SAFETY: localtime_r points tm_zone at a NUL-terminated
                    // zone name that lives as long as the process's TZ setting.
                    unsafe { std::ffi::CStr::from_ptr(tm.tm_zone) }.to_bytes()
                }
                b'Z' => b"",
                b'%' => b"%",
                _ => {
                    out.push(b'%');
                    std::slice::from_ref(&c)
                }
            };
            return out.extend_from_slice(text);
        }
    };
    push_num(out, v, width, pad);
}

/// Appends a format given as conversion letters, any other byte copied:
/// `b"H:M"` is `strftime`'s `"%H:%M"`.
pub fn fmt(out: &mut Vec<u8>, letters: &[u8], tm: &libc::tm, secs: i64) {
    for &c in letters {
        if c.is_ascii_alphabetic() {
            conv(out, c, tm, secs);
        } else {
            out.push(c);
        }
    }
}

/// Appends GNU's `YYYY-MM-DD HH:MM:SS.NNNNNNNNN +ZZZZ` (stat's `%x`).
pub fn human(out: &mut Vec<u8>, t: (i64, u32)) {
    let tm = local(t.0);
    fmt(out, b"Y-m-d H:M:S.", &tm, t.0);
    push_num(out, t.1 as i64, 9, b'0');
    fmt(out, b" z", &tm, t.0);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Past 2038 on every target (the 32-bit ones under qemu included): a
    /// mid-year instant is in 2040 whatever the time zone.
    #[test]
    fn local_time_is_right_after_2038() {
        assert_eq!(local(2_222_164_800).tm_year, 140); // 2040-06-01
        assert_eq!(local(1_795_000_000).tm_year, 126); // 2026-11-18
    }

    /// The C library's strftime, for comparison (glibc on the host: the
    /// implementation GNU find and stat format with).
    fn libc_strftime(f: &std::ffi::CStr, tm: &libc::tm) -> Vec<u8> {
        let mut buf = [0u8; 128];
        // SAFETY: buf is valid for its length; f is NUL-terminated.
        let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), f.as_ptr(), tm) };
        buf[..n].to_vec()
    }

    /// glibc is the reference (GNU find and stat format with it); musl's
    /// strftime lacks GNU letters such as `%k`, so the comparison only runs
    /// where the C library is glibc. `fixed_letters_match_glibc` covers every
    /// target, qemu-run musl ones included.
    #[cfg(target_env = "gnu")]
    #[test]
    fn matches_the_c_library_for_every_letter() {
        // Days around year ends (ISO weeks), leap days, both halves of the
        // day, times before 1970.
        let mut times = vec![0i64, -1, 951_782_400, 1_709_622_489, 4_102_444_800];
        // Century years too (leap only every 400), and years before 1900
        // (negative tm_year).
        for y in [
            1969i64, 1999, 2004, 2020, 2021, 2026, 1600, 1700, 1801, 1900, 2000, 2100, 2400, -45,
        ] {
            let jan1 = (y - 1970) * 31_556_952;
            for d in -10..10 {
                times.push(jan1 + d * 86_400 + 13 * 3600 + 7);
            }
        }
        for t in times {
            let tm = local(t);
            for c in b"aAbBcCdDeFgGhHIjklmMnpPrRsStTuUVwWxXyYzZ%" {
                let f = [b'%', *c, 0];
                let want = libc_strftime(std::ffi::CStr::from_bytes_with_nul(&f).unwrap(), &tm);
                let mut got = Vec::new();
                conv(&mut got, *c, &tm, t);
                assert_eq!(got, want, "%{} at {t}", *c as char);
            }
        }
    }

    #[test]
    fn fixed_letters_match_glibc() {
        // 2024-03-05 07:08:09 UTC, a Tuesday; expectations from glibc.
        let t = 1_709_622_489i64;
        // SAFETY: an all-zero tm is a valid value to be overwritten.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        let tt = t as libc::time_t;
        // SAFETY: both pointers are valid for the call.
        unsafe { libc::gmtime_r(&tt, &mut tm) };
        let want: &[(u8, &str)] = &[
            (b'a', "Tue"),
            (b'A', "Tuesday"),
            (b'b', "Mar"),
            (b'B', "March"),
            (b'c', "Tue Mar  5 07:08:09 2024"),
            (b'C', "20"),
            (b'd', "05"),
            (b'D', "03/05/24"),
            (b'e', " 5"),
            (b'F', "2024-03-05"),
            (b'g', "24"),
            (b'G', "2024"),
            (b'h', "Mar"),
            (b'H', "07"),
            (b'I', "07"),
            (b'j', "065"),
            (b'k', " 7"),
            (b'l', " 7"),
            (b'm', "03"),
            (b'M', "08"),
            (b'n', "\n"),
            (b'p', "AM"),
            (b'P', "am"),
            (b'r', "07:08:09 AM"),
            (b'R', "07:08"),
            (b's', "1709622489"),
            (b'S', "09"),
            (b't', "\t"),
            (b'T', "07:08:09"),
            (b'u', "2"),
            (b'U', "09"),
            (b'V', "10"),
            (b'w', "2"),
            (b'W', "10"),
            (b'x', "03/05/24"),
            (b'X', "07:08:09"),
            (b'y', "24"),
            (b'Y', "2024"),
            (b'z', "+0000"),
            (b'%', "%"),
        ];
        for &(c, w) in want {
            let mut got = Vec::new();
            conv(&mut got, c, &tm, t);
            assert_eq!(String::from_utf8_lossy(&got), w, "%{}", c as char);
        }
    }

    #[test]
    fn pads_numbers_like_printf() {
        let mut v = Vec::new();
        push_num(&mut v, 7, 2, b'0');
        push_num(&mut v, 7, 2, b' ');
        push_num(&mut v, -5, 3, b'0');
        push_num(&mut v, 123_456, 2, b'0');
        assert_eq!(v, b"07 7-05123456");
    }
}
