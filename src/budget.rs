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

/// Deepest nesting of `(` and `!` in a find expression. The parser and the
/// evaluator recurse once per level (an operator chain of any length is one
/// level: `-a`/`-o`/`,` chains are kept flat), so this bounds their stack.
/// GNU find has no limit (and crashes near 9,500 levels); no real
/// expression comes near 256.
pub const MAX_EXPR_NESTING: usize = 256;

/// Bytes an output stream (`stat`, `find -print*`/`-printf`/`-fprint*`)
/// buffers before writing: also the most memory a huge printf width costs.
pub const OUTPUT_CHUNK: usize = 64 * 1024;

/// The largest printf width or precision, C's `INT_MAX`: above it, C's
/// printf (and so GNU stat and find) prints nothing for the directive.
pub const PRINTF_INT_MAX: usize = i32::MAX as usize;

/// Most instructions a compiled `find -regex` may have (`a{1000}` is a
/// thousand): the NFA's time per path unit and its memory are bounded by it.
/// Beyond, GNU's "Regular expression too big".
pub const REGEX_MAX_INSNS: usize = 4096;

/// Largest list of start points `find -files0-from` reads (it is held in
/// memory while the walk runs).
pub const FILES0_MAX: usize = 64 << 20;

/// Largest `/proc/self/mountinfo` read for `find -fstype` and `%F`.
pub const MOUNTINFO_MAX: usize = 1024 * 1024;

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

/// Milliseconds the monitor lets events gather after the first one before
/// it reads them. 0: events are read as they come. Measured (issue 12), a
/// wait costs a second wake-up per event (twice the CPU of a single-file
/// event) and buys little: the kernel merges repeated events anyway, and a
/// burst becomes a storm (below), looked at once when over.
pub const WATCH_DEBOUNCE_MS: u64 = 0;

/// Bytes of the inotify read buffer: one read of at most this much is one
/// tree's turn (at least 15 events, ~170 with short names) before the next
/// tree's queue is read, so that a busy tree cannot keep another waiting.
/// Events wait in the kernel's queue of each inotify instance, not in
/// chperms (`fs.inotify.max_queued_events` each; an overflow costs that
/// instance's trees one full sweep).
pub const INOTIFY_BUF: usize = 4096;

/// Rounds of reads (one [`INOTIFY_BUF`] per queue each) the monitor makes
/// per wake-up while events keep coming, before it looks at signals and
/// deadlines again.
pub const EVENT_ROUNDS: usize = 8;

/// Most directories the monitor keeps inotify watches on (and the kernel's
/// `max_user_watches` when lower), shared fairly between the trees: each is
/// sure of its share (this ÷ trees) and may use what no other tree's share
/// still claims. Beyond that a tree's remaining directories are seen at the
/// sweeps (said once). At 10 bytes a watch, 640 KiB at most.
pub const MAX_WATCHED_DIRS: usize = 65_536;

/// Most inotify instances the monitor opens: one per tree (its own event
/// queue, so that one tree's flood overflows only that tree's queue) up to
/// this, then trees share them. The kernel allows 128 per user by default
/// (`fs.inotify.max_user_instances`) and other root services need theirs.
pub const MAX_INOTIFY_INSTANCES: usize = 16;

/// Events about one directory within [`STORM_WINDOW_MS`] beyond which the
/// monitor stops looking at them one by one and examines that directory's
/// entries once the storm is over (an unpacked archive costs one scan).
pub const STORM_EVENTS: u32 = 128;

/// The window in which [`STORM_EVENTS`] are counted, in milliseconds.
pub const STORM_WINDOW_MS: u64 = 200;

/// A storm is over when its directory was quiet this long (milliseconds)...
pub const STORM_QUIET_MS: u64 = 100;

/// ...or at the latest this long after it began: a directory written to
/// without pause is examined at least this often (milliseconds).
pub const STORM_MAX_MS: u64 = 500;

/// Directories the monitor counts events for at once (storms included);
/// a storm in more directories of one tree at once is handled as an
/// overflow of that tree (one full sweep).
pub const HOT_DIRS: usize = 32;

/// Milliseconds after a directory that a `create` rule wants was deleted
/// before the monitor makes it again (at once, it would fight an operator's
/// `rm -rf` of the tree)...
pub const RECREATE_AFTER_MS: u64 = 1000;

/// ...and how many such deletions it follows at once; beyond, the tree is
/// swept (which creates what is missing).
pub const MAX_RECREATE: usize = 16;

/// After an inotify queue overflowed, the monitor waits until its trees
/// were quiet this long (milliseconds) before sweeping them, so that one
/// burst costs one sweep...
pub const OVERFLOW_QUIET_MS: u64 = 300;

/// ...but no longer than this after the overflow (milliseconds).
pub const OVERFLOW_MAX_WAIT_MS: u64 = 3000;

/// With `--all`, milliseconds a new vhost directory may settle (an operator
/// runs mkdir, then chown) before its user is looked up.
pub const VHOST_SETTLE_MS: u64 = 1000;

/// Persisting findings remembered so that each is reported once. Beyond this
/// the extra ones are reported again at every sweep (said once).
pub const MAX_SEEN_FINDINGS: usize = 8192;

/// Alert commands running at once.
pub const MAX_ALERT_CHILDREN: usize = 4;

/// Alerts waiting for a free slot, shared fairly between the trees like
/// [`MAX_WATCHED_DIRS`] (each tree is sure of at least one); more are
/// dropped, counted and said with their tree, and a dropped drift's alert
/// is sent again when the drift is next seen.
pub const MAX_ALERT_QUEUE: usize = 64;

/// Seconds an alert command may run before it is killed.
pub const ALERT_TIMEOUT_SECS: u64 = 10;

/// Longest syslog message sent, in bytes (the rest is cut with `...`:
/// a transport limit, the full finding is in `--log` and on stdout).
pub const SYSLOG_MAX: usize = 2048;

/// Milliseconds a syslog message waits for room in syslogd's queue (Linux
/// queues only `net.unix.max_dgram_qlen`, 10 by default, datagrams: a sweep
/// that finds more at once outruns a busy syslogd). A syslogd that leaves
/// a message waiting that long is taken as stuck: later messages are
/// dropped at once until one goes through, so the monitor never stalls.
pub const SYSLOG_WAIT_MS: i32 = 500;

const _: () = assert!(INOTIFY_BUF >= 16 + 256);
const _: () = assert!(MAX_WATCHED_DIRS < i32::MAX as usize && MAX_INOTIFY_INSTANCES > 0);
const _: () = assert!(STORM_QUIET_MS <= STORM_MAX_MS && HOT_DIRS > 0);
const _: () = assert!(MAX_ALERT_CHILDREN > 0 && MAX_ALERT_QUEUE >= MAX_ALERT_CHILDREN);

// metrics

/// Longest `--metrics` file name (its last component), in bytes: the
/// temporary name made beside it (`.NAME.PID.tmp`) must stay within the
/// kernel's 255-byte `NAME_MAX`.
pub const METRICS_NAME_MAX: usize = 200;

const _: () = assert!(METRICS_NAME_MAX + 1 + 10 + 4 <= 255);
