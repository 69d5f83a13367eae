//! `--syslog`: every finding, status line and fatal error as an RFC 3164
//! datagram to `/dev/log`.
//!
//! Map: [`listener`] returns a [`Listener`] for [`crate::output::Report`];
//! [`say`] sends one line when there is no report (an error before it
//! exists);
//! [`SyslogListener`] owns one unbound `AF_UNIX` datagram socket and sends
//! `<PRI>Mmm dd hh:mm:ss chperms[PID]: MESSAGE` — the form BusyBox syslogd,
//! OpenWrt's logd, rsyslog and journald all parse.
//!
//! Why it is written this way:
//! - Facility `daemon`, but `authpriv` for security findings (`unsafe`,
//!   refusals, `process`), so that they land in the auth log operators watch.
//! - Each message is sent once, by chperms itself, at its own severity:
//!   drift `warning`, repairs `notice`, errors `err`, the watcher's status
//!   lines `info`/`notice`. Services that pass `--syslog` therefore must not
//!   also pipe chperms's stdout/stderr into syslog (every line twice).
//! - The socket is non-blocking: a full queue (a burst of findings; Linux
//!   queues 10 datagrams by default) waits up to `SYSLOG_WAIT_MS` for
//!   syslogd to catch up; a stuck syslogd drops messages instead of
//!   stalling the monitor. A send that fails because syslogd restarted
//!   (`ECONNREFUSED`, `ENOTCONN`, `ENOENT`) reconnects once and retries.
//! - Every byte that is not printable UTF-8 (control characters 7-bit and
//!   8-bit, invalid UTF-8) and the backslash are escaped as `\xNN`: a name
//!   holding a newline must not forge a second log line, nor a 0x9b byte
//!   reach the terminal of whoever reads the log.
//! - `CHPERMS_SYSLOG_SOCKET` replaces `/dev/log` (tests bind their own
//!   socket; root sets root's environment, so this grants nothing).

use crate::budget::{SYSLOG_MAX, SYSLOG_WAIT_MS};
use crate::output::{civil_from_days, now_secs, Action, Finding, Kind, Level, Listener};
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixDatagram;

const LOG_DAEMON: u8 = 3 << 3;
const LOG_AUTHPRIV: u8 = 10 << 3;
const LOG_ERR: u8 = 3;
const LOG_WARNING: u8 = 4;
const LOG_NOTICE: u8 = 5;
const LOG_INFO: u8 = 6;

/// Sends findings to syslog.
///
/// Invariant: `sock` is `None` only while `/dev/log` could not be reached;
/// each message retries the connection then.
pub struct SyslogListener {
    path: String,
    sock: Option<UnixDatagram>,
    /// Set once "cannot reach syslog" was said.
    said: bool,
    /// syslogd left a message waiting [`SYSLOG_WAIT_MS`]: drop without
    /// waiting until a send goes through again.
    stuck: bool,
    pid: u32,
    msg: Vec<u8>,
}

/// A syslog listener for `/dev/log` (or `$CHPERMS_SYSLOG_SOCKET`). Always
/// returns one: a syslogd that starts later (OpenWrt's logd at boot) is
/// reached on the first message after it appears.
pub fn listener() -> Option<Box<dyn Listener>> {
    let path = socket_path();
    Some(Box::new(SyslogListener::new(path)))
}

/// Where syslog listens: `$CHPERMS_SYSLOG_SOCKET` (tests) or `/dev/log`.
fn socket_path() -> String {
    crate::sys::env_str(c"CHPERMS_SYSLOG_SOCKET")
        .unwrap_or("/dev/log")
        .to_string()
}

impl SyslogListener {
    /// A listener sending to the datagram socket at `path`.
    pub fn new(path: String) -> SyslogListener {
        let mut l = SyslogListener {
            path,
            sock: None,
            said: false,
            stuck: false,
            pid: std::process::id(),
            msg: Vec::with_capacity(256),
        };
        l.connect();
        l
    }

    fn connect(&mut self) {
        let r = UnixDatagram::unbound().and_then(|s| {
            // fcntl(O_NONBLOCK) as for alert pipes, not std's
            // set_nonblocking: that is the binary's only ioctl(FIONBIO),
            // and musl's ioctl (with its time64 conversion table) is
            // over 1 KB on 32-bit targets.
            crate::sys::set_nonblocking(&s)?;
            s.connect(&self.path)?;
            Ok(s)
        });
        match r {
            Ok(s) => self.sock = Some(s),
            Err(e) => {
                self.sock = None;
                if !self.said {
                    self.said = true;
                    crate::fmt_quote::err_line(
                        b"chperms: --syslog: ",
                        &[
                            self.path.as_bytes(),
                            b": ",
                            crate::sys::io_text(&e).as_bytes(),
                            b" (messages are dropped until it can be reached)",
                        ],
                    );
                }
            }
        }
    }

    fn send(&mut self) {
        for attempt in 0..2 {
            if self.sock.is_none() {
                self.connect();
            }
            let Some(s) = self.sock.as_ref() else { return };
            match s.send(&self.msg) {
                Ok(_) => {
                    self.stuck = false;
                    return;
                }
                // A full queue: wait a little for syslogd to catch up (a
                // burst of findings), then drop rather than block.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if !self.stuck
                        && crate::sys::poll_writable(s.as_fd(), SYSLOG_WAIT_MS)
                        && s.send(&self.msg).is_ok()
                    {
                        return;
                    }
                    self.stuck = true;
                    return;
                }
                Err(_) if attempt == 0 => self.sock = None,
                Err(_) => return,
            }
        }
    }
}

impl Listener for SyslogListener {
    fn finding(&mut self, f: &Finding<'_>) {
        self.msg.clear();
        format_message(&mut self.msg, f, now_secs(), self.pid);
        self.send();
    }
}

impl SyslogListener {
    /// Sends one status line or error at `level`.
    pub fn status(&mut self, level: Level, text: &str) {
        self.msg.clear();
        format_status(&mut self.msg, level, text, now_secs(), self.pid);
        self.send();
    }
}

thread_local! {
    /// Where [`say`] sends: set by [`enable_status`] (chperms is
    /// single-threaded; status lines are process-wide, like stderr).
    static STATUS: std::cell::RefCell<Option<SyslogListener>> =
        const { std::cell::RefCell::new(None) };
}

/// With `--syslog`: from now on [`say`] also sends to syslog.
pub fn enable_status() {
    let path = socket_path();
    STATUS.with(|s| *s.borrow_mut() = Some(SyslogListener::new(path)));
}

/// Sends a status line or an error that is not a finding (the watcher
/// started, a policy could not be re-read, a tree root is missing) to syslog
/// at `level`, if [`enable_status`] was called; the caller prints it.
pub fn say(level: Level, text: &str) {
    STATUS.with(|s| {
        if let Some(l) = s.borrow_mut().as_mut() {
            l.status(level, text);
        }
    });
}

/// Writes the datagram for a status line at `level` into `out`.
pub fn format_status(out: &mut Vec<u8>, level: Level, text: &str, secs: i64, pid: u32) {
    let severity = match level {
        Level::Err => LOG_ERR,
        Level::Warning => LOG_WARNING,
        Level::Notice => LOG_NOTICE,
        Level::Info => LOG_INFO,
    };
    header(out, LOG_DAEMON | severity, secs, pid);
    escape(out, text.as_bytes());
    if out.len() > SYSLOG_MAX {
        out.truncate(SYSLOG_MAX - 3);
        out.extend_from_slice(b"...");
    }
}

/// Facility and severity of a finding, as the `<PRI>` number.
pub fn priority(f: &Finding<'_>) -> u8 {
    let security = matches!(f.kind, Kind::Unsafe | Kind::Process) || f.action == Action::Refused;
    let facility = if security { LOG_AUTHPRIV } else { LOG_DAEMON };
    let severity = match (f.kind, f.action) {
        (Kind::Error, _) | (_, Action::Error) => LOG_ERR,
        (_, Action::Fixed | Action::Created) => LOG_NOTICE,
        _ => LOG_WARNING,
    };
    facility | severity
}

/// Writes `<PRI>Mmm dd hh:mm:ss chperms[PID]: ` for `secs` (UTC).
fn header(out: &mut Vec<u8>, pri: u8, secs: i64, pid: u32) {
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let (_, m, d) = civil_from_days(days);
    // Seconds into the day (0..86400): 32-bit arithmetic from here on.
    let t = (secs - days * 86_400) as u32;
    let mon = MON[(m as usize).saturating_sub(1) % 12];
    let _ = write!(
        out,
        "<{pri}>{mon} {d:2} {:02}:{:02}:{:02} chperms[{pid}]: ",
        t / 3600,
        t / 60 % 60,
        t % 60
    );
}

/// Writes the whole datagram for `f` at `secs` (UTC) into `out`.
pub fn format_message(out: &mut Vec<u8>, f: &Finding<'_>, secs: i64, pid: u32) {
    header(out, priority(f), secs, pid);
    // The path and the text after it are written raw, then escaped as one
    // (the separators written here hold nothing to escape).
    let start = out.len();
    out.extend_from_slice(f.path);
    out.extend_from_slice(b": ");
    let text = out.len();
    let _ = match f.kind {
        Kind::Owner | Kind::Group | Kind::Mode => {
            write!(out, "{} {} (was {})", f.kind.word(), f.expected, f.actual)
        }
        Kind::Missing => write!(out, "missing {}", f.expected),
        Kind::Type => write!(out, "is a {}, the policy wants a {}", f.actual, f.expected),
        Kind::Unsafe | Kind::Process | Kind::Error => Ok(()),
    };
    if !f.detail.is_empty() {
        if out.len() > text {
            out.extend_from_slice(b" - ");
        }
        out.extend_from_slice(f.detail.as_bytes());
    }
    // Details quote file names: escaped like the path (copied back whether
    // or not anything needed it: less code).
    let raw = out.split_off(start);
    escape(out, &raw);
    let _ = write!(out, " [{}]", f.action.word());
    if out.len() > SYSLOG_MAX {
        out.truncate(SYSLOG_MAX - 3);
        out.extend_from_slice(b"...");
    }
}

/// Copies `bytes`, writing every byte that is not printable UTF-8, and
/// the backslash, as `\xNN`.
fn escape(out: &mut Vec<u8>, bytes: &[u8]) {
    crate::output::escape_unprintable(out, bytes, |out, b| {
        let _ = write!(out, "\\x{b:02x}");
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding<'a>(path: &'a [u8], kind: Kind, action: Action) -> Finding<'a> {
        Finding {
            path,
            kind,
            expected: "chpv1",
            actual: "root",
            action,
            rule: Some(0),
            detail: "",
        }
    }

    #[test]
    fn messages_are_rfc3164_with_escaped_names() {
        let mut v = Vec::new();
        let f = finding(b"/srv/a\nforged", Kind::Owner, Action::Fixed);
        format_message(&mut v, &f, 1_795_000_000, 42);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<29>Nov 18 11:06:40 chperms[42]: /srv/a\\x0aforged: owner chpv1 (was root) [fixed]"
        );
    }

    #[test]
    fn status_lines_are_daemon_at_their_level() {
        let mut v = Vec::new();
        format_status(&mut v, Level::Info, "2 trees\nwatched", 0, 7);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<30>Jan  1 00:00:00 chperms[7]: 2 trees\\x0awatched"
        );
        let mut v = Vec::new();
        format_status(&mut v, Level::Err, "--root /srv: gone", 0, 7);
        assert!(v.starts_with(b"<27>"));
    }

    #[test]
    fn details_are_escaped_like_names() {
        let mut v = Vec::new();
        let f = Finding {
            detail: "hard link to '/srv/b\nc'",
            ..finding(b"/srv/a\\b", Kind::Unsafe, Action::Refused)
        };
        format_message(&mut v, &f, 0, 7);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<84>Jan  1 00:00:00 chperms[7]: /srv/a\\x5cb: hard link to '/srv/b\\x0ac' [refused]"
        );
    }

    #[test]
    fn eight_bit_controls_and_invalid_utf8_are_escaped() {
        let mut v = Vec::new();
        let f = finding(
            b"/srv/a\x9b\x9c\x9d\xc2\x9b\xc3\xa9",
            Kind::Owner,
            Action::Fixed,
        );
        format_message(&mut v, &f, 0, 7);
        assert_eq!(
            String::from_utf8(v).unwrap(),
            "<29>Jan  1 00:00:00 chperms[7]: /srv/a\\x9b\\x9c\\x9d\\xc2\\x9b\u{e9}: owner chpv1 (was root) [fixed]"
        );
    }

    #[test]
    fn security_findings_go_to_authpriv() {
        assert_eq!(
            priority(&finding(b"/p", Kind::Process, Action::Reported)),
            80 | 4
        );
        assert_eq!(
            priority(&finding(b"/p", Kind::Mode, Action::Refused)),
            80 | 4
        );
        assert_eq!(
            priority(&finding(b"/p", Kind::Error, Action::Error)),
            24 | 3
        );
        assert_eq!(
            priority(&finding(b"/p", Kind::Mode, Action::WouldFix)),
            24 | 4
        );
    }

    #[test]
    fn datagrams_reach_a_real_socket() {
        let dir = std::env::temp_dir().join(format!("chperms-syslog-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("log");
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        let mut l = SyslogListener::new(path.to_string_lossy().into_owned());
        l.finding(&finding(b"/opt/w/payloads", Kind::Mode, Action::WouldFix));
        let mut buf = [0u8; 512];
        let n = server.recv(&mut buf).unwrap();
        let got = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(got.starts_with("<28>"), "{got}");
        assert!(
            got.ends_with("/opt/w/payloads: mode chpv1 (was root) [would-fix]"),
            "{got}"
        );
        // syslogd restarted: the listener reconnects.
        drop(server);
        let _ = std::fs::remove_file(&path);
        let server = UnixDatagram::bind(&path).unwrap();
        l.finding(&finding(b"/x", Kind::Owner, Action::Fixed));
        let n = server.recv(&mut buf).unwrap();
        assert!(String::from_utf8_lossy(&buf[..n]).contains("/x: owner"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
