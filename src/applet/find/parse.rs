//! The find expression language, parsed once into a [`Program`]: GNU's
//! grammar (`( )`, `!`/`-not`, implicit and explicit `-a`, `-o`, `,` by
//! decreasing precedence), its primaries, their arguments and its messages.
//!
//! Recursion here is one level per `(` or `!`, refused beyond
//! [`MAX_EXPR_NESTING`]; a chain of operators of any length is a loop, and
//! is stored as one n-ary node.

use super::args;
use super::date;
use super::expr::{Follow, Kids, Node, NumField, Program, TimeField};
use super::glob::{fnmatch, Fold};
use super::output::{say, Outputs};
use super::primary::Primary;
use super::printf;
use super::regex::{self, Dialect};
use super::when::{self, Cmp, Timespec, DAY};
use crate::budget::MAX_EXPR_NESTING;
use crate::sys::{self, Kind};
use std::ffi::CString;

/// A command-line error, already reported on stderr.
pub(super) struct Bad;

/// What the parser needs from the command line around the expression.
pub(super) struct Context<'a> {
    /// The start points given before the expression.
    pub starts: &'a [&'a str],
    /// When find started (`-mmin` and friends count from it).
    pub now: Timespec,
    /// Messages and `-iname` use a UTF-8 locale.
    pub utf8: bool,
    /// Warnings are on (stdin is a terminal, as GNU decides).
    pub warnings: bool,
    /// `-H`, `-L` or `-P` before the start points.
    pub follow: Follow,
}

/// What `--help`/`--version` asked for: the caller prints it and exits 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Info {
    Help,
    Version,
}

/// Why parsing stopped.
pub(super) enum Stop {
    Bad(Bad),
    Info(Info),
}

impl From<Bad> for Stop {
    fn from(b: Bad) -> Stop {
        Stop::Bad(b)
    }
}

/// GNU's test for an argument that starts the expression.
pub(super) fn looks_like_expression(a: &str) -> bool {
    matches!(a.as_bytes(), [b'-', _, ..] | [b'!' | b'('])
}

struct Parser<'a, 'o> {
    args: &'a [&'a str],
    pos: usize,
    prog: Program<'a>,
    out: &'o mut Outputs,
    ctx: Context<'a>,
    /// Where `-atime` and friends count from (`-daystart` moves it to the
    /// start of today): GNU's `cur_day_start`, one day before now.
    day_start: Timespec,
    daystart_seen: bool,
    dialect: Dialect,
    warnings: bool,
    explicit_depth: bool,
    has_action: bool,
    has_delete: bool,
    has_prune: bool,
    /// The first test or action, for the "option after a test" warning.
    first_test: Option<&'a str>,
    nesting: usize,
}

/// Parses the expression `args` (everything after the start points).
pub(super) fn parse<'a>(
    args: &'a [&'a str],
    ctx: Context<'a>,
    out: &mut Outputs,
) -> Result<Program<'a>, Stop> {
    let prog = Program {
        nodes: Vec::new(),
        kids: Vec::new(),
        root: 0,
        follow: ctx.follow,
        maxdepth: usize::MAX,
        mindepth: 0,
        depth_first: false,
        same_fs: false,
        ignore_race: false,
        execs: Vec::new(),
        regexes: Vec::new(),
        formats: Vec::new(),
        files0_from: None,
    };
    let mut p = Parser {
        args,
        pos: 0,
        prog,
        out,
        day_start: (ctx.now.0 - DAY, ctx.now.1),
        warnings: ctx.warnings,
        ctx,
        daystart_seen: false,
        dialect: Dialect::Emacs { dot_newline: true },
        explicit_depth: false,
        has_action: false,
        has_delete: false,
        has_prune: false,
        first_test: None,
        nesting: 0,
    };
    let root = if args.is_empty() {
        None
    } else {
        let r = p.comma()?;
        if let Some(&t) = args.get(p.pos) {
            if t == ")" {
                fail("you have too many ')'", &[]);
            } else {
                fail("paths must precede expression: `%s'", &[t.as_bytes()]);
            }
            return Err(Stop::Bad(Bad));
        }
        r
    };
    // No action: print what the expression accepts.
    p.prog.root = match root {
        None => p.add(Node::Print(super::output::STDOUT, b'\n')),
        Some(r) if !p.has_action => {
            let print = p.add(Node::Print(super::output::STDOUT, b'\n'));
            p.operator(Node::And, vec![r, print])
        }
        Some(r) => r,
    };
    if p.has_delete && p.prog.follow == Follow::Always {
        // GNU deletes through the links (the entries of the directory a link
        // points to, anywhere); run as root over a tree its user can write,
        // that is anything the user links to.
        fail("-delete with -L or -follow would delete outside the tree, through symbolic links; refused (chperms)", &[]);
        return Err(Stop::Bad(Bad));
    }
    if p.has_delete && p.has_prune && !p.explicit_depth {
        fail("The -delete action automatically turns on -depth, but -prune does nothing when -depth is in effect.  If you want to carry on anyway, just explicitly use the -depth option.", &[]);
        return Err(Stop::Bad(Bad));
    }
    Ok(p.prog)
}

/// Says `template` (see [`say`]); returns [`Bad`] for `?`.
#[inline(never)]
pub(super) fn fail(template: &str, args: &[&[u8]]) -> Bad {
    say(template, args);
    Bad
}

impl<'a> Parser<'a, '_> {
    #[inline(never)]
    fn add(&mut self, n: Node<'a>) -> usize {
        self.prog.nodes.push(n);
        self.prog.nodes.len() - 1
    }

    /// Adds an n-ary operator node over `kids`.
    fn operator(&mut self, make: fn(Kids) -> Node<'a>, kids: Vec<usize>) -> usize {
        let start = self.prog.kids.len();
        let len = kids.len();
        self.prog.kids.extend(kids);
        self.add(make(Kids { start, len }))
    }

    fn peek(&self) -> Option<&'a str> {
        self.args.get(self.pos).copied()
    }

    /// `a , b , c`: every operand is evaluated.
    fn comma(&mut self) -> Result<Option<usize>, Stop> {
        let first = self.or()?;
        let mut items: Vec<usize> = first.into_iter().collect();
        let mut missing_lhs = first.is_none();
        while self.peek() == Some(",") {
            self.pos += 1;
            let Some(r) = self.or()? else {
                return Err(fail("expected an expression after ','", &[]).into());
            };
            // GNU checks the left side of `,` after reading its right.
            if missing_lhs {
                return Err(no_left(",").into());
            }
            missing_lhs = false;
            items.push(r);
        }
        Ok(self.chain(Node::Comma, items))
    }

    /// `a -o b -o c`.
    fn or(&mut self) -> Result<Option<usize>, Stop> {
        let first = self.and()?;
        let mut items: Vec<usize> = first.into_iter().collect();
        while let Some(t @ ("-o" | "-or")) = self.peek() {
            if items.is_empty() {
                return Err(no_left(t).into());
            }
            self.pos += 1;
            let Some(r) = self.and()? else {
                return Err(no_right(t).into());
            };
            items.push(r);
        }
        Ok(self.chain(Node::Or, items))
    }

    /// `a -a b c` (an operand after an operand is an implicit `-a`).
    fn and(&mut self) -> Result<Option<usize>, Stop> {
        let mut items = Vec::new();
        while let Some(t) = self.peek() {
            match t {
                ")" | "," | "-o" | "-or" => break,
                "-a" | "-and" => {
                    if items.is_empty() {
                        return Err(no_left(t).into());
                    }
                    self.pos += 1;
                    let Some(r) = self.unary()? else {
                        return Err(no_right(t).into());
                    };
                    items.push(r);
                }
                _ => match self.unary()? {
                    Some(r) => items.push(r),
                    None => break,
                },
            }
        }
        Ok(self.chain(Node::And, items))
    }

    /// One operand alone, or an operator node over several.
    fn chain(&mut self, make: fn(Kids) -> Node<'a>, items: Vec<usize>) -> Option<usize> {
        match items.len() {
            0 => None,
            1 => Some(items[0]),
            _ => Some(self.operator(make, items)),
        }
    }

    /// `! x`, `( x )` or a primary; `None` at the end of the arguments.
    fn unary(&mut self) -> Result<Option<usize>, Stop> {
        let Some(t) = self.peek() else {
            return Ok(None);
        };
        self.pos += 1;
        match t {
            "!" | "-not" | "(" => {
                if self.nesting >= MAX_EXPR_NESTING {
                    const _: () = assert!(MAX_EXPR_NESTING == 256);
                    return Err(fail("the expression nests `(' and `!' deeper than 256 levels (chperms' limit); simplify it", &[]).into());
                }
                self.nesting += 1;
                let r = if t == "(" {
                    self.group()
                } else {
                    self.negation(t)
                };
                self.nesting -= 1;
                r
            }
            _ => self.primary(t).map(Some),
        }
    }

    fn negation(&mut self, t: &str) -> Result<Option<usize>, Stop> {
        match self.unary()? {
            Some(e) => Ok(Some(self.add(Node::Not(e)))),
            None => Err(no_right(t).into()),
        }
    }

    fn group(&mut self) -> Result<Option<usize>, Stop> {
        if self.peek() == Some(")") {
            return Err(fail(
                "invalid expression; empty parentheses are not allowed.",
                &[],
            )
            .into());
        }
        let e = self.comma()?;
        if self.peek() != Some(")") {
            return Err(fail(
                "invalid expression; I was expecting to find a ')' somewhere but did not see one.",
                &[],
            )
            .into());
        }
        self.pos += 1;
        Ok(e)
    }

    /// The next argument of primary `t`, or GNU's "missing argument".
    #[inline(never)]
    fn arg(&mut self, t: &str) -> Result<&'a str, Bad> {
        match self.peek() {
            Some(v) => {
                self.pos += 1;
                Ok(v)
            }
            None => Err(fail("missing argument to `%s'", &[t.as_bytes()])),
        }
    }

    /// GNU's generic refusal of an argument.
    fn invalid(&self, v: &str, t: &str) -> Bad {
        fail(
            "invalid argument `%s' to `%s'",
            &[v.as_bytes(), t.as_bytes()],
        )
    }

    /// Parses one primary named `t`.
    fn primary(&mut self, t: &'a str) -> Result<usize, Stop> {
        if !looks_like_expression(t) {
            return Err(fail("paths must precede expression: `%s'", &[t.as_bytes()]).into());
        }
        if t.len() == 8 && t.starts_with("-newer") {
            return Ok(self.newer_xy(t)?);
        }
        let Some(p) = Primary::named(t) else {
            return Err(fail("unknown predicate `%s'", &[t.as_bytes()]).into());
        };
        if p.is_option() {
            if let Some(first) = self.first_test.filter(|_| self.warnings) {
                say("warning: you have specified the global option %s after the argument %s, but global options are not positional, i.e., %s affects tests specified before it as well as those specified after it.  Please specify global options before other arguments.", &[t.as_bytes(), first.as_bytes(), t.as_bytes()]);
            }
        } else if !p.is_positional() && self.first_test.is_none() {
            self.first_test = Some(t);
        }
        let node = match p {
            Primary::Help => return Err(Stop::Info(Info::Help)),
            Primary::Version => return Err(Stop::Info(Info::Version)),
            Primary::MaxDepth | Primary::MinDepth => {
                let v = self.arg(t)?;
                let n = args::depth_arg(v, t)?;
                if p == Primary::MaxDepth {
                    self.prog.maxdepth = n;
                } else {
                    self.prog.mindepth = n;
                }
                Node::Const(true)
            }
            Primary::Depth | Primary::DepthD => {
                if p == Primary::DepthD && self.warnings {
                    say("warning: the -d option is deprecated; please use -depth instead, because the latter is a POSIX-compliant feature.", &[]);
                }
                self.prog.depth_first = true;
                self.explicit_depth = true;
                Node::Const(true)
            }
            Primary::Xdev => {
                self.prog.same_fs = true;
                Node::Const(true)
            }
            Primary::Noleaf => Node::Const(true),
            Primary::IgnoreRace | Primary::NoIgnoreRace => {
                self.prog.ignore_race = p == Primary::IgnoreRace;
                Node::Const(true)
            }
            Primary::Files0From => {
                self.prog.files0_from = Some(self.arg(t)?);
                Node::Const(true)
            }
            Primary::Daystart => {
                if !self.daystart_seen {
                    self.daystart_seen = true;
                    self.day_start = when::start_of_day(self.ctx.now);
                }
                Node::Const(true)
            }
            Primary::FollowLinks => {
                self.prog.follow = Follow::Always;
                Node::Const(true)
            }
            Primary::RegexType => {
                let v = self.arg(t)?;
                let Some(d) = Dialect::named(v) else {
                    return Err(fail(
                        "Unknown regular expression type %q; valid types are %s.",
                        &[v.as_bytes(), &Dialect::list(self.ctx.utf8)],
                    )
                    .into());
                };
                self.dialect = d;
                Node::Const(true)
            }
            Primary::Warn | Primary::NoWarn => {
                self.warnings = p == Primary::Warn;
                Node::Const(true)
            }
            Primary::True => Node::Const(true),
            Primary::False => Node::Const(false),
            Primary::Name { fold } => {
                let v = self.arg(t)?;
                if self.warnings && v.as_bytes().contains(&b'/') {
                    let alt: &[u8] = if fold {
                        b"'-iwholename'"
                    } else {
                        b"'-wholename'"
                    };
                    say("warning: '%s' matches against basenames only, but the given pattern contains a directory separator ('/'), thus the expression will evaluate to false all the time.  Did you mean %s?", &[t.as_bytes(), alt]);
                }
                Node::Name(v.as_bytes(), self.fold(fold))
            }
            Primary::Path { fold } => {
                let v = self.arg(t)?;
                if v.ends_with('/') {
                    let mode = self.fold(fold);
                    let feasible = self
                        .ctx
                        .starts
                        .iter()
                        .any(|s| fnmatch(v.as_bytes(), s.as_bytes(), mode));
                    if !feasible {
                        say(
                            "warning: %s %s will not match anything because it ends with /.",
                            &[t.as_bytes(), v.as_bytes()],
                        );
                    }
                }
                Node::Path(v.as_bytes(), self.fold(fold))
            }
            Primary::LinkName { fold } => {
                Node::LinkTarget(self.arg(t)?.as_bytes(), self.fold(fold))
            }
            Primary::Regex { fold } => {
                let v = self.arg(t)?;
                match regex::compile(v.as_bytes(), self.dialect, self.fold(fold)) {
                    Ok(re) => {
                        self.prog.regexes.push(re);
                        Node::Regex(self.prog.regexes.len() - 1)
                    }
                    Err(e) => {
                        return Err(fail(
                            "failed to compile regular expression '%s': %s",
                            &[v.as_bytes(), e.text().as_bytes()],
                        )
                        .into())
                    }
                }
            }
            Primary::Type { of_target } => {
                let v = self.arg(t)?;
                let types = args::type_list(v, t)?;
                Node::Type { types, of_target }
            }
            Primary::Perm => {
                let v = self.arg(t)?;
                args::perm(v)?
            }
            Primary::User | Primary::Group => {
                let v = self.arg(t)?;
                let id = args::owner_arg(v, p == Primary::Group)?;
                let field = if p == Primary::Group {
                    NumField::Gid
                } else {
                    NumField::Uid
                };
                Node::Number {
                    field,
                    cmp: Cmp::Equal,
                    value: u64::from(id),
                }
            }
            Primary::Number(field) => {
                let v = self.arg(t)?;
                let (cmp, digits) = Cmp::split(v);
                let Some(value) = args::unsigned(digits) else {
                    return Err(self.invalid(v, t).into());
                };
                Node::Number { field, cmp, value }
            }
            Primary::Size => {
                let v = self.arg(t)?;
                args::size_arg(v)?
            }
            Primary::Time(field, minutes) => {
                let v = self.arg(t)?;
                let window = if minutes {
                    when::relative(v, when::add_secs(self.day_start, DAY), 60)
                } else {
                    // GNU: for `-N`, the day ends a second before it starts
                    // again (the origin moves forward DAYSECS - 1).
                    let origin = if v.starts_with('-') {
                        when::add_secs(self.day_start, DAY - 1)
                    } else {
                        self.day_start
                    };
                    when::relative(v, origin, DAY)
                };
                match window {
                    Some(w) => Node::Time(field, w),
                    None => return Err(self.invalid(v, t).into()),
                }
            }
            Primary::Used => {
                let v = self.arg(t)?;
                let (cmp, number) = Cmp::split(v);
                match when::duration(number, DAY) {
                    Some(days) => Node::Used(cmp, days),
                    None => {
                        return Err(fail("Invalid argument %s to -used", &[v.as_bytes()]).into())
                    }
                }
            }
            Primary::Newer(field) => {
                let v = self.arg(t)?;
                let m = self.reference(v)?;
                Node::Newer(field, m.mtime)
            }
            Primary::SameFile => {
                let v = self.arg(t)?;
                let m = self.reference(v)?;
                Node::SameFile {
                    dev: m.dev,
                    ino: m.ino,
                }
            }
            Primary::NoUser => Node::NoUser,
            Primary::NoGroup => Node::NoGroup,
            Primary::Empty => Node::Empty,
            Primary::Access(a) => Node::Access(a),
            Primary::FsType => Node::FsType(self.arg(t)?.as_bytes()),
            Primary::Context => {
                self.arg(t)?;
                return Err(
                    fail("invalid predicate -context: SELinux is not enabled.", &[]).into(),
                );
            }
            Primary::Print | Primary::Print0 => {
                self.has_action = true;
                Node::Print(
                    super::output::STDOUT,
                    if p == Primary::Print { b'\n' } else { 0 },
                )
            }
            Primary::FilePrint | Primary::FilePrint0 | Primary::FileLs => {
                let v = self.arg(t)?;
                self.has_action = true;
                let k = self.open(v)?;
                match p {
                    Primary::FilePrint => Node::Print(k, b'\n'),
                    Primary::FilePrint0 => Node::Print(k, 0),
                    _ => Node::Ls(k),
                }
            }
            Primary::Ls => {
                self.has_action = true;
                Node::Ls(super::output::STDOUT)
            }
            Primary::Printf | Primary::FilePrintf => {
                let stream = if p == Primary::FilePrintf {
                    let v = self.arg(t)?;
                    if self.peek().is_none() {
                        // GNU gives the file back: an invalid argument.
                        return Err(self.invalid(v, t).into());
                    }
                    self.open(v)?
                } else {
                    super::output::STDOUT
                };
                let f = self.arg(t)?;
                self.has_action = true;
                let format = printf::parse(f.as_bytes()).map_err(|_| Bad)?;
                self.prog.formats.push(format);
                Node::Printf(stream, self.prog.formats.len() - 1)
            }
            Primary::Prune => {
                self.has_prune = true;
                Node::Prune
            }
            Primary::Quit => Node::Quit,
            Primary::Delete => {
                self.has_action = true;
                self.has_delete = true;
                self.prog.depth_first = true;
                Node::Delete
            }
            Primary::Exec(kind) => {
                self.has_action = true;
                let (exec, next) = args::exec_words(self.args, self.pos, t, kind)?;
                self.pos = next;
                self.prog.execs.push(exec);
                Node::Exec(self.prog.execs.len() - 1)
            }
        };
        Ok(self.add(node))
    }

    fn fold(&self, icase: bool) -> Fold {
        Fold {
            utf8: self.ctx.utf8,
            icase,
        }
    }

    /// Opens the output file of `-fprint` and friends (at parse time, as
    /// GNU does: an unwritable path stops find before it starts).
    fn open(&mut self, path: &str) -> Result<usize, Bad> {
        match self.out.open(path) {
            Ok(k) => Ok(k),
            Err(e) => Err(fail(
                "%q: %s",
                &[path.as_bytes(), sys::errno_text(e).as_bytes()],
            )),
        }
    }

    /// Stats a reference file (`-newer`, `-samefile`), following a symlink
    /// with `-H` and `-L`.
    fn reference(&self, path: &str) -> Result<sys::Meta, Bad> {
        let follow = self.prog.follow != Follow::Never;
        let r = CString::new(path)
            .map_err(|_| sys::Errno::INVAL)
            .and_then(|c| {
                let m = sys::stat_base(&c, false)?;
                if follow && m.kind() == Kind::Symlink {
                    // A dangling link is its own reference, as for GNU.
                    return Ok(sys::stat_base(&c, true).unwrap_or(m));
                }
                Ok(m)
            });
        r.map_err(|e| fail("%q: %s", &[path.as_bytes(), sys::errno_text(e).as_bytes()]))
    }

    /// `-newerXY REF`: X in `aBcm`, Y in `aBcmt` (`t`: a date).
    fn newer_xy(&mut self, t: &'a str) -> Result<usize, Bad> {
        let b = t.as_bytes();
        let (x, y) = (b[6], b[7]);
        if x == b'B' || y == b'B' {
            // GNU find 4.9 on Linux has no birth times (it reads stat(2),
            // not statx), and says so.
            say(
                "This system does not provide a way to find the birth time of a file.",
                &[],
            );
            return Err(fail("invalid predicate `%s'", &[b]));
        }
        let field = |c: u8| match c {
            b'a' => Some(TimeField::Access),
            b'c' => Some(TimeField::Change),
            b'm' => Some(TimeField::Modify),
            _ => None,
        };
        let (Some(fx), true) = (field(x), field(y).is_some() || y == b't') else {
            return Err(fail("invalid predicate `%s'", &[b]));
        };
        let Some(v) = self.peek() else {
            return Err(fail("The %q test needs an argument", &[b]));
        };
        self.pos += 1;
        if self.first_test.is_none() {
            self.first_test = Some(t);
        }
        let reference = if y == b't' {
            match date::parse_date(v, self.ctx.now) {
                Some(r) => r,
                None => {
                    return Err(fail(
                        "I cannot figure out how to interpret %q as a date or time",
                        &[v.as_bytes()],
                    ));
                }
            }
        } else {
            let m = self.reference(v)?;
            match field(y) {
                Some(TimeField::Access) => m.atime,
                Some(TimeField::Change) => m.ctime,
                _ => m.mtime,
            }
        };
        Ok(self.add(Node::Newer(fx, reference)))
    }
}

/// GNU's error for a binary operator with nothing on its left.
fn no_left(op: &str) -> Bad {
    fail(
        "invalid expression; you have used a binary operator '%s' with nothing before it.",
        &[op.as_bytes()],
    )
}

/// GNU's error for an operator with nothing on its right.
fn no_right(op: &str) -> Bad {
    fail("expected an expression after '%s'", &[op.as_bytes()])
}
