//! `-ls`/`-fls`: GNU find's `ls -dils`-like line (gnulib's `listfile.c`).
//! Columns start at fixed widths and widen for the rest of the run once a
//! wider value was printed, as GNU's do.

use crate::applet::stat::{major, minor, mode_string};
use crate::fmt_quote::c_escape;
use crate::fmt_time;
use crate::sys::{Kind, Meta};

/// The column widths, carried from line to line.
pub(super) struct Widths {
    inode: usize,
    blocks: usize,
    links: usize,
    owner: usize,
    group: usize,
    size: usize,
    major: usize,
    minor: usize,
    time: usize,
}

impl Default for Widths {
    fn default() -> Widths {
        Widths {
            inode: 9,
            blocks: 6,
            links: 3,
            owner: 8,
            group: 8,
            size: 8,
            major: 3,
            minor: 3,
            time: 12,
        }
    }
}

/// Appends `text` right-aligned in `*width`, widening it when longer.
fn right(out: &mut Vec<u8>, text: &[u8], width: &mut usize) {
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
    out.extend_from_slice(text);
    *width = (*width).max(text.len());
}

/// Appends `text` left-aligned in `*width`, widening it when longer.
fn left(out: &mut Vec<u8>, text: &[u8], width: &mut usize) {
    out.extend_from_slice(text);
    out.resize(out.len() + width.saturating_sub(text.len()), b' ');
    *width = (*width).max(text.len());
}

/// `v` in decimal.
pub(super) fn decimal(v: u64) -> Vec<u8> {
    let mut s = Vec::new();
    crate::fmt_quote::pad_num(&mut s, &Default::default(), i128::from(v), 10, false);
    s
}

/// GNU's `-ls` name: backslash escapes for what `isprint` rejects in the C
/// locale (`\n`, `\t`, octal `\303`), `\\` and `\ ` for a space.
fn ls_name(out: &mut Vec<u8>, name: &[u8]) {
    for &c in name {
        c_escape(out, c, b"\\ ");
    }
}

/// The pieces of one line that come from outside the metadata.
pub(super) struct LsLine<'a> {
    pub path: &'a [u8],
    pub meta: &'a Meta,
    pub user: Option<&'a str>,
    pub group: Option<&'a str>,
    /// The symlink's target, for ` -> target`.
    pub target: Option<&'a [u8]>,
    /// Seconds since the epoch when find started (recent files show the
    /// time of day, older ones the year).
    pub now: i64,
}

/// Appends one `-ls` line.
pub(super) fn line(out: &mut Vec<u8>, w: &mut Widths, l: &LsLine<'_>) {
    let m = l.meta;
    right(out, &decimal(m.ino), &mut w.inode);
    out.push(b' ');
    right(
        out,
        &decimal((m.blocks.max(0) as u64).div_ceil(2)),
        &mut w.blocks,
    );
    out.push(b' ');
    let mut mode_width = 10;
    left(out, &mode_string(m.mode), &mut mode_width);
    out.push(b' ');
    right(out, &decimal(m.nlink), &mut w.links);
    out.push(b' ');
    match l.user {
        Some(name) => {
            left(out, name.as_bytes(), &mut w.owner);
            out.push(b' ');
        }
        None => {
            // GNU prints a bare uid as `%-8lu ` (its separator included),
            // whatever width the names took, and widens the column to it.
            let mut id = decimal(m.uid.into());
            id.push(b' ');
            let mut eight = 9;
            left(out, &id, &mut eight);
            w.owner = w.owner.max(eight);
        }
    }
    match l.group {
        Some(name) => left(out, name.as_bytes(), &mut w.group),
        None => left(out, &decimal(m.gid.into()), &mut w.group),
    }
    out.push(b' ');
    if matches!(m.kind(), Kind::CharDev | Kind::BlockDev) {
        let mut dev = Vec::new();
        right(&mut dev, &decimal(major(m.rdev)), &mut w.major);
        dev.extend_from_slice(b", ");
        right(&mut dev, &decimal(minor(m.rdev)), &mut w.minor);
        // Printed as is (not in the size column), which it widens.
        out.extend_from_slice(&dev);
        w.size = w.size.max(dev.len());
    } else {
        right(out, &decimal(m.size.max(0) as u64), &mut w.size);
    }
    out.push(b' ');
    let t = m.mtime.0;
    let recent = l.now - 6 * 30 * 24 * 3600 <= t && t <= l.now + 3600;
    let tm = fmt_time::local(t);
    let mut when = Vec::new();
    fmt_time::fmt(
        &mut when,
        if recent { b"b e H:M" } else { b"b e  Y" },
        &tm,
        t,
    );
    right(out, &when, &mut w.time);
    out.push(b' ');
    ls_name(out, l.path);
    if let Some(target) = l.target {
        out.extend_from_slice(b" -> ");
        ls_name(out, target);
    }
    out.push(b'\n');
}
