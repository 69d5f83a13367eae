//! Findings and how they reach the operator (SPEC §6).
//!
//! Map: a [`Finding`] is one difference, refusal or error about one path;
//! [`Report`] prints findings as text lines or JSON Lines, appends them to
//! `--log`, hands them to syslog and to an optional listener (the monitor's
//! alerting), and keeps the [`Summary`] whose counts decide the exit status.

use crate::budget::OUTPUT_CHUNK;
use crate::fmt_time::push_num;
use crate::sys;
use crate::users::NameCache;
use rustix::fd::{AsFd, BorrowedFd};
use std::fs::File;

/// What a finding is about (the JSON `kind`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Owner,
    Group,
    Mode,
    Missing,
    Type,
    Unsafe,
    Process,
    Error,
}

impl Kind {
    /// The JSON word.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Owner => "owner",
            Kind::Group => "group",
            Kind::Mode => "mode",
            Kind::Missing => "missing",
            Kind::Type => "type",
            Kind::Unsafe => "unsafe",
            Kind::Process => "process",
            Kind::Error => "error",
        }
    }
}

/// What was done about a finding (the JSON `action`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    Fixed,
    WouldFix,
    Refused,
    Created,
    Reported,
    Error,
}

impl Action {
    /// The JSON word.
    pub fn word(self) -> &'static str {
        match self {
            Action::Fixed => "fixed",
            Action::WouldFix => "would-fix",
            Action::Refused => "refused",
            Action::Created => "created",
            Action::Reported => "reported",
            Action::Error => "error",
        }
    }
}

/// One finding about one path.
#[derive(Clone, Copy, Debug)]
pub struct Finding<'a> {
    /// The full path as bytes (may not be UTF-8; escaped on output).
    pub path: &'a [u8],
    pub kind: Kind,
    /// What the policy wants (`"u1001"`, `"02750"`, `"dir"`), or `""`.
    pub expected: &'a str,
    /// What is there (`"root"`, `"0755"`, `"symlink"`), or `""`.
    pub actual: &'a str,
    pub action: Action,
    /// Index of the policy rule that decided the expected value.
    pub rule: Option<usize>,
    /// A human explanation for `unsafe`, `error` and `process` findings.
    pub detail: &'a str,
}

/// Output format chosen with `--format`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(Format::Text),
            "json" => Ok(Format::Json),
            _ => Err(format!("--format: expected text or json, not '{s}'")),
        }
    }
}

/// Counts that decide the exit status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Entries examined.
    pub checked: u64,
    /// Entries changed or created.
    pub changed: u64,
    /// Entries that differ from the policy and were left as they are (check,
    /// `--dry-run`, or a monitor without `--fix`).
    pub drift: u64,
    /// Entries refused as unsafe (hard links, symlinks where the policy names
    /// a path, device nodes).
    pub refused: u64,
    /// Errors: unreadable directories, failed syscalls, bad names.
    pub errors: u64,
}

impl Summary {
    /// Exit status per SPEC §2: 1 on any error or refusal, else 2 on drift,
    /// else 0.
    pub fn exit_code(&self) -> i32 {
        if self.errors > 0 || self.refused > 0 {
            1
        } else if self.drift > 0 {
            2
        } else {
            0
        }
    }
}

/// How much a status line matters, as a syslog severity.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Level {
    /// Something stopped a run or a reload (bad policy, missing root).
    Err,
    /// The watcher runs, but less well than asked (a limit, a failed alert).
    Warning,
    /// A change of state: the watcher started, stopped, re-read its policy.
    Notice,
    /// Routine: what the watcher is doing, a limit it met.
    Info,
}

/// Something that wants every finding as it happens (the monitor's alerts,
/// syslog).
pub trait Listener {
    /// Called once per finding, after it was printed.
    fn finding(&mut self, f: &Finding<'_>);
}

/// Decides whether a finding is shown at all (the monitor shows each drift
/// once). Findings it rejects are not printed, logged or passed to listeners.
pub trait Gate {
    /// True to let `f` through.
    fn admit(&mut self, f: &Finding<'_>) -> bool;
}

/// Where findings go. One per run.
pub struct Report {
    format: Format,
    quiet: bool,
    out: Stream<BorrowedFd<'static>>,
    log: Option<Stream<File>>,
    /// Extra consumers of findings (syslog, the monitor's alerts).
    pub listeners: Vec<Box<dyn Listener>>,
    /// An optional filter in front of everything else.
    pub gate: Option<Box<dyn Gate>>,
    /// The running counts.
    pub summary: Summary,
    /// Id → name cache for output.
    pub names: NameCache,
    line: Vec<u8>,
}

impl Report {
    /// A report printing in `format` to stdout.
    pub fn new(format: Format, quiet: bool) -> Report {
        Report {
            format,
            quiet,
            out: Stream::new(sys::stdout_fd()),
            log: None,
            listeners: Vec::new(),
            gate: None,
            summary: Summary::default(),
            names: NameCache::new(),
            line: Vec::with_capacity(256),
        }
    }

    /// Also append every finding to `path` (created mode 0640 if missing).
    pub fn open_log(&mut self, path: &str) -> crate::sys::SysResult<()> {
        let f = crate::sys::open_log(path)?;
        self.log = Some(Stream::new(f));
        Ok(())
    }

    /// Reports the findings about one entry: one text line, or one JSON line
    /// per finding. Updates nothing in the summary (callers count entries).
    pub fn entry(&mut self, findings: &[Finding<'_>]) {
        if findings.is_empty() {
            return;
        }
        if let Some(g) = self.gate.as_mut() {
            // Every finding goes through the gate (no short cut): a gate
            // that remembers findings must see all of them.
            let admitted = findings.iter().fold(false, |any, f| g.admit(f) | any);
            if !admitted {
                return;
            }
        }
        let is_error = findings
            .iter()
            .any(|f| matches!(f.action, Action::Error | Action::Refused));
        self.line.clear();
        text_line(&mut self.line, findings);
        if self.format == Format::Json {
            for f in findings.iter().filter(|_| is_error || !self.quiet) {
                let mut j = Vec::with_capacity(160);
                json_finding(&mut j, f);
                self.out.write(&j);
            }
        } else if is_error {
            self.out.flush();
            // One write, as the line is one message (text_line ends it).
            crate::fmt_quote::to_stderr(&[b"chperms: ".as_slice(), &self.line].concat());
        } else if !self.quiet {
            self.out.write(&self.line);
        }
        if let Some(log) = self.log.as_mut() {
            let mut stamp = [0u8; 20];
            log.write(utc_stamp(now_secs(), &mut stamp));
            log.write(b" ");
            log.write(&self.line);
        }
        for l in self.listeners.iter_mut() {
            for f in findings {
                l.finding(f);
            }
        }
    }

    /// Reports a single finding.
    pub fn one(&mut self, f: Finding<'_>) {
        self.entry(&[f]);
    }

    /// Reports an error about `path` and counts it.
    pub fn error(&mut self, path: &[u8], detail: &str) {
        self.summary.errors += 1;
        self.one(Finding {
            path,
            kind: Kind::Error,
            expected: "",
            actual: "",
            action: Action::Error,
            rule: None,
            detail,
        });
    }

    /// Prints the summary line (text) or object (JSON) and flushes.
    pub fn finish(&mut self) {
        let s = self.summary;
        match self.format {
            Format::Json => {
                self.line.clear();
                for (key, n) in [
                    ("{\"summary\":{\"checked\":", s.checked),
                    (",\"changed\":", s.changed),
                    (",\"drift\":", s.drift),
                    (",\"refused\":", s.refused),
                    (",\"errors\":", s.errors),
                ] {
                    self.line.extend_from_slice(key.as_bytes());
                    push_num(&mut self.line, n as i64, 0, b' ');
                }
                self.line.extend_from_slice(b"}}\n");
            }
            Format::Text => {
                self.line.clear();
                for (n, what) in [
                    (s.checked, " checked, "),
                    (s.changed, " changed, "),
                    (s.refused, " refused, "),
                    (s.errors, " errors"),
                ] {
                    push_num(&mut self.line, n as i64, 0, b' ');
                    self.line.extend_from_slice(what.as_bytes());
                }
                if s.drift > 0 {
                    self.line.extend_from_slice(b", ");
                    push_num(&mut self.line, s.drift as i64, 0, b' ');
                    self.line.extend_from_slice(b" to change");
                }
                self.line.push(b'\n');
            }
        }
        self.out.write(&self.line);
        self.flush();
    }

    /// Flushes stdout and the log.
    pub fn flush(&mut self) {
        self.out.flush();
        if let Some(l) = self.log.as_mut() {
            l.flush();
        }
    }
}

/// Report output bound for one descriptor (stdout, the `--log` file),
/// written in chunks of up to [`OUTPUT_CHUNK`] bytes straight through
/// [`sys::write_all`]. A write error is ignored and the next write tries
/// again: a monitor keeps going when its log reader went away. Pending bytes
/// are written when the stream is dropped (a log replaced at SIGHUP).
struct Stream<Fd: AsFd> {
    fd: Fd,
    buf: Vec<u8>,
}

impl<Fd: AsFd> Stream<Fd> {
    fn new(fd: Fd) -> Stream<Fd> {
        Stream {
            fd,
            buf: Vec::new(),
        }
    }

    fn write(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= OUTPUT_CHUNK {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let _ = sys::write_all(self.fd.as_fd(), &self.buf);
            self.buf.clear();
        }
    }
}

impl<Fd: AsFd> Drop for Stream<Fd> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `PATH: owner u1001 (was root), mode 02750 (was 0755) [fixed]\n`
fn text_line(out: &mut Vec<u8>, findings: &[Finding<'_>]) {
    let Some(first) = findings.first() else {
        return;
    };
    text_path(out, first.path);
    out.extend_from_slice(b": ");
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        let pieces = match f.kind {
            Kind::Owner | Kind::Group | Kind::Mode => {
                [f.kind.word(), " ", f.expected, " (was ", f.actual, ")"]
            }
            Kind::Missing => ["missing ", f.expected, "", "", "", ""],
            Kind::Type => [
                "is a ",
                f.actual,
                ", the policy wants a ",
                f.expected,
                "",
                "",
            ],
            Kind::Unsafe | Kind::Process | Kind::Error => [f.detail, "", "", "", "", ""],
        };
        // The fields may quote names from the tree: escaped like the path.
        for p in pieces {
            text(out, p.as_bytes());
        }
        if !f.detail.is_empty() && matches!(f.kind, Kind::Type | Kind::Missing) {
            for p in [" (", f.detail, ")"] {
                text(out, p.as_bytes());
            }
        }
    }
    let last = findings[findings.len() - 1].action;
    let tag = match last {
        Action::Fixed => " [fixed]",
        Action::WouldFix => " [would fix]",
        Action::Refused => " [refused]",
        Action::Created => " [created]",
        Action::Reported | Action::Error => "",
    };
    out.extend_from_slice(tag.as_bytes());
    out.push(b'\n');
}

/// Writes a path for text output and logs: see [`text`].
fn text_path(out: &mut Vec<u8>, path: &[u8]) {
    text(out, path);
}

/// Writes `bytes` for a terminal or a log: printable UTF-8 as it is,
/// anything else escaped (`\n`, `\t`, `\\`, `\xNN`) by
/// [`escape_unprintable`], so that a file name can neither forge a line of
/// its own nor send a control sequence to the operator's terminal.
pub fn text(out: &mut Vec<u8>, bytes: &[u8]) {
    escape_unprintable(out, bytes, |out, b| match b {
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\n' => out.extend_from_slice(b"\\n"),
        b'\t' => out.extend_from_slice(b"\\t"),
        _ => push_hex(out, b"\\x", b),
    });
}

/// Copies `bytes`, passing each byte that must not reach a terminal or a
/// log raw to `esc`: the bytes of 7-bit controls and DEL, of the C1
/// controls U+0080–U+009F (a terminal may take U+009B as CSI), and every
/// byte that is not part of valid UTF-8 (among them the raw 8-bit controls
/// 0x80–0x9f). A backslash goes to `esc` too, so that escapes cannot be
/// forged. Everything else — printable UTF-8 — is copied as it is.
pub fn escape_unprintable(out: &mut Vec<u8>, bytes: &[u8], esc: fn(&mut Vec<u8>, u8)) {
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            let mut buf = [0u8; 4];
            let enc = c.encode_utf8(&mut buf).as_bytes();
            if c.is_control() || c == '\\' {
                enc.iter().for_each(|&b| esc(out, b));
            } else {
                out.extend_from_slice(enc);
            }
        }
        chunk.invalid().iter().for_each(|&b| esc(out, b));
    }
}

/// One JSON Lines object for a finding.
pub fn json_finding(out: &mut Vec<u8>, f: &Finding<'_>) {
    out.extend_from_slice(b"{\"path\":");
    json_str(out, f.path);
    out.extend_from_slice(b",\"kind\":\"");
    out.extend_from_slice(f.kind.word().as_bytes());
    out.extend_from_slice(b"\",\"expected\":");
    json_str(out, f.expected.as_bytes());
    out.extend_from_slice(b",\"actual\":");
    json_str(out, f.actual.as_bytes());
    out.extend_from_slice(b",\"action\":\"");
    out.extend_from_slice(f.action.word().as_bytes());
    out.push(b'"');
    if let Some(r) = f.rule {
        out.extend_from_slice(b",\"rule\":");
        push_num(out, r as i64, 0, b' ');
    }
    if !f.detail.is_empty() {
        out.extend_from_slice(b",\"message\":");
        json_str(out, f.detail.as_bytes());
    }
    out.extend_from_slice(b"}\n");
}

/// Writes `bytes` as a JSON string. Valid UTF-8 passes through (control
/// characters, `"` and `\` escaped); each byte of an invalid sequence is
/// written as the six characters `\u00XX` preceded by a literal backslash-x
/// marker (`\\xXX`), so that the output is always valid JSON and a name with
/// odd bytes stays recognisable.
pub fn json_str(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(b'"');
    let mut rest = bytes;
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                json_escape_valid(out, s);
                rest = &[];
            }
            Err(e) => {
                let good = e.valid_up_to();
                // SAFETY-free: valid_up_to guarantees this prefix is UTF-8.
                if let Ok(s) = std::str::from_utf8(&rest[..good]) {
                    json_escape_valid(out, s);
                }
                let bad = e.error_len().unwrap_or(rest.len() - good);
                for &b in &rest[good..good + bad] {
                    push_hex(out, b"\\\\x", b);
                }
                rest = &rest[good + bad..];
            }
        }
    }
    out.push(b'"');
}

fn json_escape_valid(out: &mut Vec<u8>, s: &str) {
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            // C0, DEL and C1 (U+0080–U+009F): valid JSON either way, but
            // JSON Lines are read on terminals too.
            c if c.is_control() => push_hex(out, b"\\u00", c as u8),
            c => {
                let mut b = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            }
        }
    }
}

/// Seconds since the epoch.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for `secs` since the epoch.
pub fn utc_stamp(secs: i64, buf: &mut [u8; 20]) -> &[u8] {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    // Years outside 0..=9999 do not occur for "now"; they are clamped
    // rather than allowed to overflow the fixed width.
    let fields = [
        (y.clamp(0, 9999) as u32, 4, b'-'),
        (m, 2, b'-'),
        (d, 2, b'T'),
        ((t / 3600) as u32, 2, b':'),
        ((t / 60 % 60) as u32, 2, b':'),
        ((t % 60) as u32, 2, b'Z'),
    ];
    let mut at = 0;
    for (v, width, sep) in fields {
        let mut v = v;
        for i in (0..width).rev() {
            buf[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        buf[at + width] = sep;
        at += width + 1;
    }
    &buf[..]
}

/// Appends `prefix` and `b` as two lower-case hex digits.
fn push_hex(out: &mut Vec<u8>, prefix: &[u8], b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(prefix);
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 15)]);
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Formats a permission mode as the model writes it: four or five octal
/// digits (`0640`, `02750`).
pub fn mode_text(mode: u32) -> heapless::String<8> {
    let mut s = heapless::String::new();
    let m = mode & 0o7777;
    let digits = if m > 0o777 { 4 } else { 3 };
    let _ = s.push('0');
    for i in (0..digits).rev() {
        let _ = s.push(char::from(b'0' + ((m >> (3 * i)) & 7) as u8));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_odd_bytes() {
        let mut v = Vec::new();
        json_str(&mut v, b"a\"b\\c\nd\x01\xffe\xc3\xa9");
        assert_eq!(
            std::str::from_utf8(&v).unwrap(),
            "\"a\\\"b\\\\c\\nd\\u0001\\\\xffe\u{e9}\""
        );
    }

    #[test]
    fn text_paths_cannot_forge_lines() {
        let mut v = Vec::new();
        text_path(&mut v, b"/srv/a\nfake: owner root [fixed]\t\x1b\\");
        assert_eq!(v, b"/srv/a\\nfake: owner root [fixed]\\t\\x1b\\\\".to_vec());
    }

    #[test]
    fn text_escapes_every_byte_that_is_not_printable_utf8() {
        let cases: &[(&[u8], &str)] = &[
            // Raw 8-bit controls (not UTF-8), and a truncated sequence.
            (b"a\x9b\x9c\x9db", "a\\x9b\\x9c\\x9db"),
            (b"\xc3", "\\xc3"),
            // C1 controls written as UTF-8 (U+0080, U+009B, U+009F).
            (
                "\u{80}\u{9b}\u{9f}".as_bytes(),
                "\\xc2\\x80\\xc2\\x9b\\xc2\\x9f",
            ),
            (b"\x7f\x00\r", "\\x7f\\x00\\x0d"),
            // Printable UTF-8 stays, even with continuation bytes 0x80-0x9f.
            ("ā é \u{a0}日本".as_bytes(), "ā é \u{a0}日本"),
            (b"\xff\xfe", "\\xff\\xfe"),
        ];
        for &(raw, want) in cases {
            let mut v = Vec::new();
            text(&mut v, raw);
            assert_eq!(String::from_utf8(v).unwrap(), want, "{raw:?}");
        }
    }

    #[test]
    fn json_escapes_c1_controls_too() {
        let mut v = Vec::new();
        json_str(&mut v, "a\u{9b}b\x7f".as_bytes());
        assert_eq!(std::str::from_utf8(&v).unwrap(), "\"a\\u009bb\\u007f\"");
    }

    #[test]
    fn modes_print_like_the_model() {
        assert_eq!(mode_text(0o2750).as_str(), "02750");
        assert_eq!(mode_text(0o640).as_str(), "0640");
        assert_eq!(mode_text(0o40700).as_str(), "0700");
    }

    #[test]
    fn stamps_are_utc() {
        let mut b = [0u8; 20];
        assert_eq!(utc_stamp(0, &mut b), b"1970-01-01T00:00:00Z");
        assert_eq!(utc_stamp(1_795_000_000, &mut b), b"2026-11-18T11:06:40Z");
    }

    #[test]
    fn exit_codes_follow_the_contract() {
        let mut s = Summary::default();
        assert_eq!(s.exit_code(), 0);
        s.drift = 1;
        assert_eq!(s.exit_code(), 2);
        s.refused = 1;
        assert_eq!(s.exit_code(), 1);
    }
}
