//! The compiled expression: what [`super::parse`] produces and
//! [`super::eval`] runs. Nodes live in one vector and are addressed by
//! index; operator chains are n-ary (`a -o b -o c` is one `Or` of three), so
//! the evaluator's recursion is bounded by the nesting of `(` and `!`, which
//! the parser bounds by [`crate::budget::MAX_EXPR_NESTING`].

use super::glob::Fold;
use super::printf::Format;
use super::when::{Cmp, Timespec, Window};
use crate::sys::{self, Access};
use rustix::fd::OwnedFd;

/// Children of an operator: `Program::kids[start..start + len]`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Kids {
    pub start: usize,
    pub len: usize,
}

/// Which timestamp a test reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeField {
    Access,
    Change,
    Modify,
}

/// A numeric field `-uid`, `-gid`, `-links` and `-inum` compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NumField {
    Uid,
    Gid,
    Links,
    Inode,
}

/// How `-perm` compares: `MODE` exactly, `-MODE` all of these bits, `/MODE`
/// any of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PermRule {
    Exact,
    AllOf,
    AnyOf,
}

/// A set of file types (`-type f,d`): bit `Kind as u8`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Types(pub u16);

impl Types {
    pub fn has(self, k: sys::Kind) -> bool {
        self.0 & (1 << k as u16) != 0
    }
}

/// One node of the expression.
#[derive(Clone, Copy, Debug)]
pub(super) enum Node<'a> {
    // Operators.
    And(Kids),
    Or(Kids),
    /// Evaluates every child; its value is the last one's.
    Comma(Kids),
    Not(usize),
    Const(bool),

    // Tests on names (no metadata needed).
    /// `-name`/`-iname`: the last component.
    Name(&'a [u8], Fold),
    /// `-path`/`-ipath`/`-wholename`: the whole path.
    Path(&'a [u8], Fold),
    /// `-regex`/`-iregex`: index into `Program::regexes`.
    Regex(usize),

    // Tests on metadata.
    /// `-type`/`-xtype` (`of_target`: the type after following a symlink
    /// the other way than the walk does).
    Type {
        types: Types,
        of_target: bool,
    },
    /// `-lname`/`-ilname`: a symlink's target.
    LinkTarget(&'a [u8], Fold),
    Perm {
        rule: PermRule,
        file_bits: u32,
        dir_bits: u32,
    },
    Number {
        field: NumField,
        cmp: Cmp,
        value: u64,
    },
    /// `-size`: in units of `unit` bytes, rounded up.
    Size {
        cmp: Cmp,
        unit: u64,
        value: u64,
    },
    /// `-amin`, `-atime` and friends.
    Time(TimeField, Window),
    /// `-used N`: last accessed more than 0 and `+N`/`N`/`-N` days after
    /// the last status change (GNU 4.9 matches `N` for an access in the
    /// N-th day after it: `(N-1, N]` days).
    Used(Cmp, Timespec),
    /// `-newer`, `-anewer`, `-cnewer`, `-newerXY`.
    Newer(TimeField, Timespec),
    SameFile {
        dev: u64,
        ino: u64,
    },
    NoUser,
    NoGroup,
    Empty,
    /// `-readable`, `-writable`, `-executable`.
    Access(Access),
    FsType(&'a [u8]),

    // Actions.
    /// `-print`/`-print0`/`-fprint`/`-fprint0`: stream index, terminator.
    Print(usize, u8),
    /// `-printf`/`-fprintf`: stream, index into `Program::formats`.
    Printf(usize, usize),
    /// `-ls`/`-fls`: stream.
    Ls(usize),
    Prune,
    Quit,
    Delete,
    /// `-exec` and friends: index into `Program::execs`.
    Exec(usize),
}

/// How `-exec`-style actions run their command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExecKind {
    /// `-exec`: from find's working directory, with the path.
    Exec,
    /// `-execdir`: from the entry's directory, with `./NAME`.
    ExecDir,
    /// `-ok`: `-exec` after asking on stderr.
    Ok,
    /// `-okdir`: `-execdir` after asking.
    OkDir,
}

impl ExecKind {
    pub fn in_dir(self) -> bool {
        matches!(self, ExecKind::ExecDir | ExecKind::OkDir)
    }
    pub fn asks(self) -> bool {
        matches!(self, ExecKind::Ok | ExecKind::OkDir)
    }
}

/// One `-exec`-style action. For `{} +`, the pending batch of paths.
pub(super) struct Exec<'a> {
    pub kind: ExecKind,
    /// The command's words as given; for `{} +` without the final `{}`.
    pub argv: &'a [&'a str],
    /// `{} +`: many paths per command.
    pub batch_mode: bool,
    /// The pending paths, each followed by a NUL.
    pub batch: Vec<u8>,
    /// For `-execdir … +`: the directory the batch runs in (its walk
    /// number and a handle on it; a batch never spans two directories).
    pub batch_dir: Option<(u64, OwnedFd)>,
}

/// Whether symlinks are followed: `-P` (never), `-H` (command-line
/// arguments only), `-L`/`-follow` (always).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Follow {
    Never,
    Arguments,
    Always,
}

/// A parsed command line: the expression and the options that steer the
/// walk.
pub(super) struct Program<'a> {
    pub nodes: Vec<Node<'a>>,
    /// Children of the n-ary operators (see [`Kids`]).
    pub kids: Vec<usize>,
    pub root: usize,
    pub follow: Follow,
    pub maxdepth: usize,
    pub mindepth: usize,
    /// Directories after their contents (`-depth`, implied by `-delete`).
    pub depth_first: bool,
    /// `-xdev`/`-mount`.
    pub same_fs: bool,
    /// `-ignore_readdir_race`: entries that vanish are not errors.
    pub ignore_race: bool,
    pub execs: Vec<Exec<'a>>,
    pub regexes: Vec<super::regex::Regex>,
    pub formats: Vec<Format>,
    /// `-files0-from FILE`: the start points are read from FILE.
    pub files0_from: Option<&'a str>,
}
