//! Printing one entry with a parsed `-printf` format, or as an `-ls` line.

use super::eval::{Entry, Find};
use super::ls::{self, LsLine};
use super::printf::{self, Field, Format, Piece, TimeOf};
use super::when::Timespec;
use crate::applet::stat::mode_string;
use crate::fmt_quote::{pad_num, pad_str, Sink, Spec};
use crate::fmt_time;
use crate::sys::{self, Errno, Kind};

/// What a directive produced: text (printed as `%s`), a number printed
/// with all of printf's flags in a radix, or `%S`'s `%g` text.
enum Value {
    Text(Vec<u8>),
    Number(u64, u32),
    Float(Vec<u8>),
    /// An empty name prints nothing, not even padding (GNU's `%u` of a
    /// user with an empty name).
    Nothing,
}

impl Find<'_> {
    /// `-printf`/`-fprintf`: format `f` for `e` on stream `k`.
    pub fn printf(&mut self, k: usize, f: usize, e: &mut Entry<'_>) {
        // The format is lent out while the entry is rendered (rendering
        // needs `self` mutably for metadata and names).
        let format = std::mem::take(&mut self.prog.formats[f]);
        self.render(k, &format, e);
        self.prog.formats[f] = format;
    }

    fn render(&mut self, k: usize, format: &Format, e: &mut Entry<'_>) {
        for piece in &format.pieces {
            let (spec, field) = match piece {
                Piece::Text(t) => {
                    self.write(k, &mut |s: &mut dyn Sink| s.put(t));
                    continue;
                }
                Piece::Stop => {
                    self.flush();
                    return;
                }
                Piece::Field(spec, field) => (spec, *field),
            };
            if field.needs_meta() && self.meta(e).is_none() {
                // GNU prints nothing for an entry it could not stat.
                continue;
            }
            let value = self.value(field, spec, e);
            let mut fits = true;
            self.write(k, &mut |s: &mut dyn Sink| {
                fits = match &value {
                    Value::Text(t) => pad_str(s, spec, t),
                    Value::Number(v, radix) => {
                        pad_num(s, spec, i128::from(*v), *radix, *radix == 10)
                    }
                    Value::Float(t) => pad_float(s, spec, t),
                    Value::Nothing => true,
                };
            });
            if !fits {
                // C's printf refuses a width or precision above INT_MAX;
                // GNU reports it against the stream.
                let name = self.out.name(k).to_owned();
                self.flush();
                self.report_write_error(&name, Errno::OVERFLOW);
            }
        }
    }

    /// The value of one directive for `e` (its metadata is there when the
    /// field needs it).
    fn value(&mut self, field: Field, spec: &Spec, e: &mut Entry<'_>) -> Value {
        let m = e.state.meta.unwrap_or_default();
        let text = |t: &[u8]| Value::Text(t.to_vec());
        match field {
            Field::Path => text(e.path),
            Field::BelowStart => {
                if e.depth == 0 {
                    return Value::Text(Vec::new());
                }
                let rest = &e.path[e.start_len.min(e.path.len())..];
                text(rest.strip_prefix(b"/").unwrap_or(rest))
            }
            Field::Start => text(&e.path[..e.start_len.min(e.path.len())]),
            Field::Base => Value::Text(printf::base_part(e.path)),
            Field::Dir => text(printf::dir_part(e.path)),
            // Depth and permissions honour every printf flag.
            Field::Depth => Value::Number(e.depth as u64, 10),
            Field::Perm => Value::Number(u64::from(m.perm()), 8),
            Field::ModeString => text(&mode_string(m.mode)),
            Field::User | Field::Group => {
                let name = if field == Field::User {
                    self.names.user(m.uid)
                } else {
                    self.names.group(m.gid)
                };
                match name {
                    Some(n) if n.is_empty() => Value::Nothing,
                    Some(n) => text(n.as_bytes()),
                    None => decimal(u64::from(if field == Field::User { m.uid } else { m.gid })),
                }
            }
            Field::Uid => decimal(u64::from(m.uid)),
            Field::Gid => decimal(u64::from(m.gid)),
            Field::Size => decimal(m.size.max(0) as u64),
            Field::Kilobytes => decimal((m.blocks.max(0) as u64).div_ceil(2)),
            Field::Blocks => decimal(m.blocks.max(0) as u64),
            Field::Inode => decimal(m.ino),
            Field::Links => decimal(m.nlink),
            Field::Device => decimal(m.dev),
            Field::LinkTarget => {
                if m.kind() != Kind::Symlink {
                    return Value::Text(Vec::new());
                }
                Value::Text(self.link_target(e).unwrap_or_default())
            }
            Field::Type => {
                let k = if e.state.meta.is_some() {
                    m.kind()
                } else {
                    self.kind(e)
                };
                Value::Text(vec![type_letter(k)])
            }
            Field::TargetType => Value::Text(vec![self.target_letter(e, m.kind())]),
            Field::FsType => text(self.fs_type(m.dev)),
            Field::Sparseness => {
                let mut t = Vec::new();
                printf::sparseness(&mut t, spec, m.blocks, m.size);
                Value::Float(t)
            }
            Field::Context => match sys::xattr_at(e.dir, e.name, c"security.selinux") {
                Ok(mut v) => {
                    while v.last() == Some(&0) {
                        v.pop();
                    }
                    Value::Text(v)
                }
                Err(er) => {
                    self.flush();
                    super::output::say(
                        "getfilecon failed: %q: %s",
                        &[e.path, sys::errno_text(er).as_bytes()],
                    );
                    self.status = 1;
                    Value::Text(Vec::new())
                }
            },
            Field::Birth => Value::Text(Vec::new()),
            Field::CTime(of) => Value::Text(ctime_text(time_of(&m, of))),
            Field::Time(of, letter) => Value::Text(time_text(time_of(&m, of), letter)),
        }
    }

    /// `%Y`: the type of a symlink's target (`N` when it dangles, `L` for a
    /// loop, `?` otherwise), or the entry's own type.
    fn target_letter(&mut self, e: &mut Entry<'_>, k: Kind) -> u8 {
        if k != Kind::Symlink {
            return type_letter(k);
        }
        match sys::stat_at_follow(e.dir, e.name) {
            Ok(t) => type_letter(t.kind()),
            Err(Errno::NOENT) => b'N',
            Err(Errno::LOOP) => b'L',
            Err(er) => {
                self.error(e.path, er);
                b'?'
            }
        }
    }

    /// `-ls`/`-fls`: one line on stream `k`.
    pub fn ls(&mut self, k: usize, e: &mut Entry<'_>) {
        let Some(m) = self.meta(e).copied() else {
            return;
        };
        let target = if m.kind() == Kind::Symlink {
            self.link_target(e)
        } else {
            None
        };
        let user = self.names.user(m.uid);
        let group = self.names.group(m.gid);
        let mut line = Vec::with_capacity(128);
        let l = LsLine {
            path: e.path,
            meta: &m,
            user: user.as_deref(),
            group: group.as_deref(),
            target: target.as_deref(),
            now: self.now.0,
        };
        ls::line(&mut line, &mut self.ls_widths, &l);
        self.write(k, &mut |s: &mut dyn Sink| s.put(&line));
    }
}

fn decimal(v: u64) -> Value {
    Value::Text(ls::decimal(v))
}

/// GNU's letters for file types (`U` for unknown).
pub(super) fn type_letter(k: Kind) -> u8 {
    match k {
        Kind::Dir => b'd',
        Kind::File => b'f',
        Kind::Symlink => b'l',
        Kind::Socket => b's',
        Kind::Fifo => b'p',
        Kind::CharDev => b'c',
        Kind::BlockDev => b'b',
        Kind::Unknown => b'U',
    }
}

fn time_of(m: &sys::Meta, of: TimeOf) -> Timespec {
    match of {
        TimeOf::Access => m.atime,
        TimeOf::Change => m.ctime,
        TimeOf::Modify => m.mtime,
    }
}

/// `.NNNNNNNNN0`: GNU's nanoseconds with a trailing zero.
fn push_nanos(v: &mut Vec<u8>, ns: u32) {
    v.push(b'.');
    fmt_time::push_num(v, i64::from(ns), 9, b'0');
    v.push(b'0');
}

/// `%a`/`%c`/`%t`: `Wed Jun 15 12:00:00.0000000000 2021`.
fn ctime_text(t: Timespec) -> Vec<u8> {
    let tm = fmt_time::local(t.0);
    let mut v = Vec::new();
    fmt_time::fmt(&mut v, b"a b e H:M:S", &tm, t.0);
    push_nanos(&mut v, t.1);
    v.push(b' ');
    fmt_time::push_num(&mut v, i64::from(tm.tm_year) + 1900, 4, b'0');
    v
}

/// `%Tk` and friends: strftime's `%k` in the C locale; `@` is seconds
/// since the epoch, `+` is `%Y-%m-%d+%T`; the seconds of `@`, `+`, `S`,
/// `T` and `X` carry nanoseconds.
fn time_text(t: Timespec, letter: u8) -> Vec<u8> {
    let mut v = Vec::new();
    if letter == b'@' {
        fmt_time::push_num(&mut v, t.0, 1, b'0');
        push_nanos(&mut v, t.1);
        return v;
    }
    let tm = fmt_time::local(t.0);
    match letter {
        b'+' => fmt_time::fmt(&mut v, b"Y-m-d+H:M:S", &tm, t.0),
        _ => fmt_time::conv(&mut v, letter, &tm, t.0),
    }
    if matches!(letter, b'+' | b'S' | b'T' | b'X') {
        push_nanos(&mut v, t.1);
    }
    v
}

/// Pads `%S`'s text as `%g` does: `+`/space signs, zeros after the sign
/// with `0` (not for `inf`), `-` on the right.
fn pad_float(out: &mut dyn Sink, sp: &Spec, body: &[u8]) -> bool {
    if sp.overflow {
        return false;
    }
    let sign: &[u8] = if sp.plus {
        b"+"
    } else if sp.space {
        b" "
    } else {
        b""
    };
    let fill = sp.width.saturating_sub(sign.len() + body.len());
    let zeros = sp.zero && !sp.minus && body.first().is_some_and(u8::is_ascii_digit);
    if !sp.minus && !zeros {
        out.fill(b' ', fill);
    }
    out.put(sign);
    if zeros {
        out.fill(b'0', fill);
    }
    out.put(body);
    if sp.minus {
        out.fill(b' ', fill);
    }
    true
}
