//! The words of the find language: every primary, option and action of
//! GNU find 4.9 as a [`Primary`], and the table from names to them.

use super::expr::{ExecKind, NumField, TimeField};
use crate::sys::Access;

/// Every primary, option and operator word of GNU find 4.9 (but `-newerXY`,
/// which is recognised by its shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Primary {
    // Options: global, and warned about when they follow a test.
    MaxDepth,
    MinDepth,
    Depth,
    DepthD,
    Xdev,
    Noleaf,
    IgnoreRace,
    NoIgnoreRace,
    Files0From,
    // Positional options: they affect what follows them.
    Daystart,
    FollowLinks,
    RegexType,
    Warn,
    NoWarn,
    // Tests.
    True,
    False,
    Name {
        fold: bool,
    },
    Path {
        fold: bool,
    },
    Regex {
        fold: bool,
    },
    LinkName {
        fold: bool,
    },
    Type {
        of_target: bool,
    },
    Perm,
    User,
    Group,
    Number(NumField),
    Size,
    /// `-amin`/`-atime` …: the field, and whether the unit is a minute.
    Time(TimeField, bool),
    Used,
    /// `-newer`, `-anewer`, `-cnewer`: the field compared with the
    /// reference's modification time.
    Newer(TimeField),
    SameFile,
    NoUser,
    NoGroup,
    Empty,
    Access(Access),
    FsType,
    Context,
    // Actions.
    Print,
    Print0,
    Printf,
    FilePrint,
    FilePrint0,
    FilePrintf,
    Ls,
    FileLs,
    Prune,
    Quit,
    Delete,
    Exec(ExecKind),
    Help,
    Version,
}

impl Primary {
    /// The primary the word `t` names (`-name`; `--help` is `-help`).
    pub fn named(t: &str) -> Option<Primary> {
        let name = t.strip_prefix('-').unwrap_or(t);
        let k = NAMES.split(' ').position(|n| n == name)?;
        OPS.get(k).copied()
    }

    /// A global option (GNU warns when one follows a test).
    pub fn is_option(self) -> bool {
        use Primary::*;
        matches!(
            self,
            MaxDepth
                | MinDepth
                | Depth
                | DepthD
                | Xdev
                | Noleaf
                | IgnoreRace
                | NoIgnoreRace
                | Files0From
        )
    }
    /// Positional options (they count as neither options nor tests).
    pub fn is_positional(self) -> bool {
        use Primary::*;
        matches!(self, Daystart | FollowLinks | RegexType | Warn | NoWarn)
    }
}

/// Declares the table of names: `NAMES` (without the leading `-`, each
/// followed by a space; `-help` is `--help`) and `OPS` in the same order.
macro_rules! primaries {
    ($($name:literal => $op:expr,)*) => {
        const NAMES: &str = concat!($($name, " ",)*);
        const OPS: &[Primary] = &[$($op,)*];
    };
}

primaries! {
    "maxdepth" => Primary::MaxDepth,
    "mindepth" => Primary::MinDepth,
    "depth" => Primary::Depth,
    "d" => Primary::DepthD,
    "xdev" => Primary::Xdev,
    "mount" => Primary::Xdev,
    "noleaf" => Primary::Noleaf,
    "ignore_readdir_race" => Primary::IgnoreRace,
    "noignore_readdir_race" => Primary::NoIgnoreRace,
    "files0-from" => Primary::Files0From,
    "daystart" => Primary::Daystart,
    "follow" => Primary::FollowLinks,
    "regextype" => Primary::RegexType,
    "warn" => Primary::Warn,
    "nowarn" => Primary::NoWarn,
    "true" => Primary::True,
    "false" => Primary::False,
    "name" => Primary::Name { fold: false },
    "iname" => Primary::Name { fold: true },
    "path" => Primary::Path { fold: false },
    "wholename" => Primary::Path { fold: false },
    "ipath" => Primary::Path { fold: true },
    "iwholename" => Primary::Path { fold: true },
    "regex" => Primary::Regex { fold: false },
    "iregex" => Primary::Regex { fold: true },
    "lname" => Primary::LinkName { fold: false },
    "ilname" => Primary::LinkName { fold: true },
    "type" => Primary::Type { of_target: false },
    "xtype" => Primary::Type { of_target: true },
    "perm" => Primary::Perm,
    "user" => Primary::User,
    "group" => Primary::Group,
    "uid" => Primary::Number(NumField::Uid),
    "gid" => Primary::Number(NumField::Gid),
    "links" => Primary::Number(NumField::Links),
    "inum" => Primary::Number(NumField::Inode),
    "size" => Primary::Size,
    "amin" => Primary::Time(TimeField::Access, true),
    "atime" => Primary::Time(TimeField::Access, false),
    "cmin" => Primary::Time(TimeField::Change, true),
    "ctime" => Primary::Time(TimeField::Change, false),
    "mmin" => Primary::Time(TimeField::Modify, true),
    "mtime" => Primary::Time(TimeField::Modify, false),
    "used" => Primary::Used,
    "newer" => Primary::Newer(TimeField::Modify),
    "anewer" => Primary::Newer(TimeField::Access),
    "cnewer" => Primary::Newer(TimeField::Change),
    "samefile" => Primary::SameFile,
    "nouser" => Primary::NoUser,
    "nogroup" => Primary::NoGroup,
    "empty" => Primary::Empty,
    "readable" => Primary::Access(Access::Read),
    "writable" => Primary::Access(Access::Write),
    "executable" => Primary::Access(Access::Execute),
    "fstype" => Primary::FsType,
    "context" => Primary::Context,
    "print" => Primary::Print,
    "print0" => Primary::Print0,
    "printf" => Primary::Printf,
    "fprint" => Primary::FilePrint,
    "fprint0" => Primary::FilePrint0,
    "fprintf" => Primary::FilePrintf,
    "ls" => Primary::Ls,
    "fls" => Primary::FileLs,
    "prune" => Primary::Prune,
    "quit" => Primary::Quit,
    "delete" => Primary::Delete,
    "exec" => Primary::Exec(ExecKind::Exec),
    "execdir" => Primary::Exec(ExecKind::ExecDir),
    "ok" => Primary::Exec(ExecKind::Ok),
    "okdir" => Primary::Exec(ExecKind::OkDir),
    "help" => Primary::Help,
    "-help" => Primary::Help,
    "version" => Primary::Version,
    "-version" => Primary::Version,
}
