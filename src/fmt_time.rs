//! Local-time formatting shared by `stat` and `find -printf`.
//!
//! Uses the C library's `localtime_r` and `strftime`, so that `TZ` (and
//! musl's `/etc/TZ`-free zone handling on routers) behaves as it does for the
//! system's own tools.

use std::ffi::CStr;

/// The broken-down local time of `secs` since the epoch (all zero when the C
/// library cannot represent it).
pub fn local(secs: i64) -> libc::tm {
    // SAFETY: tm is plain old data; localtime_r writes it and reads `t`.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        let t = secs as libc::time_t;
        libc::localtime_r(&t, &mut tm);
        tm
    }
}

/// Appends `strftime(fmt, tm)` to `out` (at most 64 bytes per call).
pub fn strftime(out: &mut Vec<u8>, fmt: &CStr, tm: &libc::tm) {
    let mut buf = [0u8; 64];
    // SAFETY: buf is valid for its length; fmt is NUL-terminated; tm is valid.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), tm) };
    out.extend_from_slice(&buf[..n.min(buf.len())]);
}

/// Appends GNU's `YYYY-MM-DD HH:MM:SS.NNNNNNNNN +ZZZZ` (stat's `%x`).
pub fn human(out: &mut Vec<u8>, t: (i64, u32)) {
    let tm = local(t.0);
    strftime(out, c"%Y-%m-%d %H:%M:%S", &tm);
    out.extend_from_slice(format!(".{:09}", t.1).as_bytes());
    strftime(out, c" %z", &tm);
}
