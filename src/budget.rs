//! Every fixed budget of chperms, in one place (STYLE rule 4).
//!
//! Over-long or over-large input is refused with a message naming the budget;
//! nothing is ever silently truncated. Memory and file descriptors stay
//! bounded by these numbers whatever the tree holds.

/// Longest path chperms will build or print, in bytes (Linux `PATH_MAX`).
pub const PATH_MAX: usize = 4096;

/// Deepest directory level the walker descends to below its base. Each level
/// holds one directory fd and one [`DIRENT_BUF`]; beyond this the walker
/// reports an error for that directory and does not descend.
pub const MAX_DEPTH: usize = 128;

/// Bytes of `getdents64` buffer per open directory level.
pub const DIRENT_BUF: usize = 4096;

/// Largest policy file accepted, in bytes.
pub const POLICY_MAX_BYTES: usize = 64 * 1024;

/// Most rules in one policy.
pub const MAX_RULES: usize = 64;

/// Most path components in one rule pattern (its NFA state is a `u64`).
pub const MAX_PATTERN_COMPONENTS: usize = 32;

/// Longest rule pattern, owner/group name or other policy string, in bytes.
pub const MAX_POLICY_STR: usize = 256;

/// Most process rules in one policy.
pub const MAX_PROCESS_RULES: usize = 16;

/// Most vhosts one `--all` run handles.
pub const MAX_VHOSTS: usize = 4096;

/// Longest user or group name accepted (`/etc/passwd` convention is 32).
pub const MAX_NAME: usize = 64;

/// Longest line read from `/etc/passwd` or `/etc/group`.
pub const MAX_DB_LINE: usize = 4096;

/// Entries in the uid/gid → name cache used when printing findings.
pub const NAME_CACHE: usize = 16;

/// Most groups a user can be a member of when checking access.
pub const MAX_GROUPS: usize = 64;

/// Times one entry's owner/group/mode is set and read back before chperms
/// gives up and reports that another process keeps changing it.
pub const SETTLE_ATTEMPTS: usize = 4;

const _: () = assert!(MAX_PATTERN_COMPONENTS < 63); // bit 63 of a glob State is the STEM flag
const _: () = assert!(MAX_RULES <= 64);
const _: () = assert!(DIRENT_BUF >= 512);
const _: () = assert!(MAX_DEPTH * (DIRENT_BUF + 8 * MAX_RULES) <= 1024 * 1024);

// stat/find

/// Most bytes of path arguments one `find -exec … {} +` command gets
/// (well below Linux's `ARG_MAX` share for arguments, so it always runs).
pub const EXEC_ARG_MAX: usize = 128 * 1024;

// access/mkdir

/// Symlinks one lookup may follow before `ELOOP`, as the kernel's
/// `MAXSYMLINKS`.
pub const MAX_SYMLINKS: usize = 40;

/// Bytes of path still to resolve while following symlinks (the operator's
/// path plus link targets spliced in front of what remains). The kernel's own
/// stack of pending links is bounded too; past this, `ENAMETOOLONG`.
pub const RESOLVE_BUF: usize = 4 * PATH_MAX;

/// Directory levels `access` keeps while resolving (each level is one
/// component of the physical path it prints).
pub const RESOLVE_LEVELS: usize = PATH_MAX / 2;

// watch

/// Milliseconds the monitor waits after the first inotify event before it
/// re-sweeps, so that a burst (`chown -R`, an unpacked archive) costs one
/// sweep.
pub const WATCH_DEBOUNCE_MS: u64 = 200;

/// Bytes of the inotify read buffer (events are drained in a loop).
pub const INOTIFY_BUF: usize = 4096;

/// Most directories the monitor keeps inotify watches on; beyond this (or the
/// kernel's `max_user_watches`) it says so once and relies on sweeps.
pub const MAX_WATCHED_DIRS: usize = 65_536;

/// Persisting findings remembered so that each is reported once. Beyond this
/// the extra ones are reported again at every sweep (said once).
pub const MAX_SEEN_FINDINGS: usize = 8192;

/// Alert commands running at once.
pub const MAX_ALERT_CHILDREN: usize = 4;

/// Alerts waiting for a free slot; more are dropped and counted.
pub const MAX_ALERT_QUEUE: usize = 64;

/// Seconds an alert command may run before it is killed.
pub const ALERT_TIMEOUT_SECS: u64 = 10;

/// Longest syslog message sent, in bytes (the rest is cut with `...`:
/// a transport limit, the full finding is in `--log` and on stdout).
pub const SYSLOG_MAX: usize = 2048;

const _: () = assert!(INOTIFY_BUF >= 16 + 256);
const _: () = assert!(MAX_ALERT_CHILDREN > 0 && MAX_ALERT_QUEUE >= MAX_ALERT_CHILDREN);
