//! The one module that makes filesystem syscalls (STYLE rule 2).
//!
//! Map of this module:
//! - [`open_base_dir`] — the *only* function that resolves a multi-component
//!   path. It is given operator-supplied paths (`--root`, a policy's base, a
//!   `stat`/`find` argument), never a path built from names found in a tree.
//! - [`open_dir_at`], [`open_path_at`], [`stat_at`], [`mkdir_at`],
//!   [`readlink_at`], [`create_file_at`] — every later access is *(held
//!   directory fd, one name)* with `O_NOFOLLOW|O_CLOEXEC`.
//! - [`chown_fd`], [`chmod_fd`], [`chmod_path_fd`] — metadata is changed through
//!   handles, never by name, never through a symlink.
//! - [`DirStream`] — a `getdents64` reader with a fixed buffer.
//! - [`Meta`] — the `stat` fields chperms uses, the same on every architecture.
//! - [`errno_text`] — GNU's wording for an errno (tools print it like GNU).

use crate::budget::DIRENT_BUF;
use rustix::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use rustix::fs::{AtFlags, Mode, OFlags};
pub use rustix::io::Errno;
use std::ffi::CStr;
use std::sync::atomic::{AtomicBool, Ordering};

/// Result of one syscall.
pub type SysResult<T> = Result<T, Errno>;

/// The type of a filesystem entry, from its mode bits.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    Socket,
    Fifo,
    CharDev,
    BlockDev,
    Unknown,
}

impl Kind {
    /// The kind encoded in `st_mode`.
    pub fn from_mode(mode: u32) -> Kind {
        match mode & 0o170000 {
            0o040000 => Kind::Dir,
            0o100000 => Kind::File,
            0o120000 => Kind::Symlink,
            0o140000 => Kind::Socket,
            0o010000 => Kind::Fifo,
            0o020000 => Kind::CharDev,
            0o060000 => Kind::BlockDev,
            _ => Kind::Unknown,
        }
    }

    /// The kind a `getdents64` `d_type` announces (`Unknown` when the
    /// filesystem does not say; callers must then `stat`).
    pub fn from_dtype(t: u8) -> Kind {
        match t {
            4 => Kind::Dir,
            8 => Kind::File,
            10 => Kind::Symlink,
            12 => Kind::Socket,
            1 => Kind::Fifo,
            2 => Kind::CharDev,
            6 => Kind::BlockDev,
            _ => Kind::Unknown,
        }
    }

    /// A lowercase word for messages and JSON.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Dir => "dir",
            Kind::File => "file",
            Kind::Symlink => "symlink",
            Kind::Socket => "socket",
            Kind::Fifo => "fifo",
            Kind::CharDev => "char-device",
            Kind::BlockDev => "block-device",
            Kind::Unknown => "unknown",
        }
    }
}

/// The metadata of one entry, normalised across architectures.
#[derive(Clone, Copy, Debug, Default)]
pub struct Meta {
    pub dev: u64,
    pub ino: u64,
    /// Full `st_mode`: type bits and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: i64,
    pub blksize: i64,
    pub blocks: i64,
    pub atime: (i64, u32),
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl Meta {
    /// The entry's type.
    pub fn kind(&self) -> Kind {
        Kind::from_mode(self.mode)
    }
    /// Permission bits including setuid, setgid and sticky (`07777`).
    pub fn perm(&self) -> u32 {
        self.mode & 0o7777
    }
    /// True when `other` is the same filesystem object.
    pub fn same_object(&self, other: &Meta) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
fn meta_from(st: &rustix::fs::Stat) -> Meta {
    Meta {
        dev: st.st_dev as u64,
        ino: st.st_ino as u64,
        mode: st.st_mode as u32,
        nlink: st.st_nlink as u64,
        uid: st.st_uid as u32,
        gid: st.st_gid as u32,
        rdev: st.st_rdev as u64,
        size: st.st_size as i64,
        blksize: st.st_blksize as i64,
        blocks: st.st_blocks as i64,
        atime: (st.st_atime as i64, st.st_atime_nsec as u32),
        mtime: (st.st_mtime as i64, st.st_mtime_nsec as u32),
        ctime: (st.st_ctime as i64, st.st_ctime_nsec as u32),
    }
}

/// Opens an operator-given directory path, following symlinks in it (the
/// operator chose it). This is the ambient-authority entry point: it must
/// never be called with a path assembled from names read out of a tree.
pub fn open_base_dir(path: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens an operator-given path of any type as an `O_PATH` handle; with
/// `follow` false the final symlink itself is opened. Ambient authority, like
/// [`open_base_dir`].
pub fn open_base_path(path: &CStr, follow: bool) -> SysResult<OwnedFd> {
    let mut flags = OFlags::PATH | OFlags::CLOEXEC;
    if !follow {
        flags |= OFlags::NOFOLLOW;
    }
    rustix::fs::open(path, flags, Mode::empty())
}

/// `stat` of an operator-given path (ambient authority).
pub fn stat_base(path: &CStr, follow: bool) -> SysResult<Meta> {
    let flags = if follow {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    rustix::fs::statat(rustix::fs::CWD, path, flags).map(|s| meta_from(&s))
}

/// Opens directory `name` inside `dir` for reading and descending. Refuses a
/// symlink (`ELOOP`) or a non-directory (`ENOTDIR`): whatever was swapped in
/// after it was examined, the handle is either that directory or an error.
pub fn open_dir_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens `name` inside `dir` as an `O_PATH` handle without following a
/// symlink. An `O_PATH` open never runs a FIFO's, socket's or device's open
/// routine, so it is safe on anything.
pub fn open_path_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// `fstatat(dir, name, AT_SYMLINK_NOFOLLOW)`.
pub fn stat_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<Meta> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW).map(|s| meta_from(&s))
}

/// `fstatat(dir, name, 0)`: follows a final symlink. Only for read-only
/// tools (`stat -L`, `find -L`), never before a change.
pub fn stat_at_follow(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<Meta> {
    rustix::fs::statat(dir, name, AtFlags::empty()).map(|s| meta_from(&s))
}

/// `fstat` of a handle.
pub fn fstat<Fd: AsFd>(fd: Fd) -> SysResult<Meta> {
    rustix::fs::fstat(fd).map(|s| meta_from(&s))
}

/// Changes owner and/or group through a handle (`O_PATH` handles included),
/// with `fchownat(fd, "", AT_EMPTY_PATH)`.
pub fn chown_fd<Fd: AsFd>(fd: Fd, uid: Option<u32>, gid: Option<u32>) -> SysResult<()> {
    // SAFETY: from_raw on plain integers is how rustix spells "this id".
    let owner = uid.map(rustix::process::Uid::from_raw);
    let group = gid.map(rustix::process::Gid::from_raw);
    rustix::fs::chownat(fd, c"", owner, group, AtFlags::EMPTY_PATH)
}

/// Changes the mode of an open (non-`O_PATH`) handle with `fchmod`.
pub fn chmod_fd<Fd: AsFd>(fd: Fd, mode: u32) -> SysResult<()> {
    rustix::fs::fchmod(fd, Mode::from_raw_mode(mode))
}

#[cfg(any(target_arch = "mips", target_arch = "mips32r6"))]
const SYS_FCHMODAT2: libc::c_long = 4000 + 452;
#[cfg(not(any(target_arch = "mips", target_arch = "mips32r6")))]
const SYS_FCHMODAT2: libc::c_long = 452;

/// Set once the kernel answered `ENOSYS` to `fchmodat2` (Linux < 6.6).
static NO_FCHMODAT2: AtomicBool = AtomicBool::new(false);

/// Changes the mode of an `O_PATH` handle: `fchmodat2(fd, "", mode,
/// AT_EMPTY_PATH)` where the kernel has it (6.6+), else `chmod` of
/// `/proc/self/fd/N`, which names exactly this handle's object and, being a
/// magic link, cannot be redirected by anything in the tree.
pub fn chmod_path_fd<Fd: AsFd>(fd: Fd, mode: u32) -> SysResult<()> {
    let raw = fd.as_fd().as_raw_fd();
    if !NO_FCHMODAT2.load(Ordering::Relaxed) {
        // SAFETY: plain syscall with a valid fd, a NUL-terminated empty path
        // and integer arguments; the kernel reads nothing else.
        let rc = unsafe {
            libc::syscall(
                SYS_FCHMODAT2,
                raw,
                c"".as_ptr(),
                mode as libc::c_uint,
                libc::AT_EMPTY_PATH,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let e =
            Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        if e != Errno::NOSYS && e != Errno::INVAL && e != Errno::OPNOTSUPP {
            return Err(e);
        }
        NO_FCHMODAT2.store(true, Ordering::Relaxed);
    }
    let mut buf = [0u8; 32];
    let path = proc_fd_path(raw, &mut buf);
    rustix::fs::chmod(path, Mode::from_raw_mode(mode))
}

/// Writes `/proc/self/fd/N\0` into `buf`.
fn proc_fd_path(fd: i32, buf: &mut [u8; 32]) -> &CStr {
    let prefix = b"/proc/self/fd/";
    buf[..prefix.len()].copy_from_slice(prefix);
    let mut digits = [0u8; 12];
    let mut n = fd.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let d = &digits[i..];
    buf[prefix.len()..prefix.len() + d.len()].copy_from_slice(d);
    buf[prefix.len() + d.len()] = 0;
    CStr::from_bytes_until_nul(&buf[..]).unwrap_or(c"/proc/self/fd/-1")
}

/// `mkdirat(dir, name, mode)`. Callers create with mode 0 and then set owner
/// and final mode on the new directory's handle, so it is never more open
/// than intended, whatever the umask.
pub fn mkdir_at(dir: BorrowedFd<'_>, name: &CStr, mode: u32) -> SysResult<()> {
    rustix::fs::mkdirat(dir, name, Mode::from_raw_mode(mode))
}

/// Creates an empty regular file `name` in `dir` exclusively (never follows
/// or reuses anything already there) with mode 0.
pub fn create_file_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Reads the target of symlink `name` in `dir` into `buf`; returns its length
/// (truncated to the buffer, which callers size at `PATH_MAX`).
pub fn readlink_at(dir: BorrowedFd<'_>, name: &CStr, buf: &mut [u8]) -> SysResult<usize> {
    // SAFETY: buf is valid for buf.len() bytes; name is NUL-terminated.
    let rc = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if rc < 0 {
        Err(last_errno())
    } else {
        Ok(rc as usize)
    }
}

/// `faccessat`-free check of the process's own effective ids is not needed;
/// this returns the errno of the last failed libc call.
fn last_errno() -> Errno {
    Errno::from_raw_os_error(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// True when `path` (an operator-given program path) is a regular file we
/// may execute (`stat` + `access(X_OK)`).
pub fn is_executable_file(path: &str) -> bool {
    let Ok(c) = std::ffi::CString::new(path) else {
        return false;
    };
    let regular = rustix::fs::stat(&c).is_ok_and(|st| meta_from(&st).kind() == Kind::File);
    regular && rustix::fs::access(&c, rustix::fs::Access::EXEC_OK).is_ok()
}

/// The current working directory as a handle, for relative operator paths.
pub fn cwd() -> BorrowedFd<'static> {
    rustix::fs::CWD
}

/// Whether `fd` is [`cwd`] (`AT_FDCWD`, which is not a real descriptor).
pub fn is_cwd(fd: BorrowedFd<'_>) -> bool {
    fd.as_raw_fd() == rustix::fs::CWD.as_raw_fd()
}

/// A directory being read with `getdents64` into a fixed buffer.
///
/// Invariants: `pos <= len <= DIRENT_BUF`; bytes `pos..len` of `buf` hold
/// whole `linux_dirent64` records returned by the kernel; `eof` is set once
/// the kernel returned 0.
pub struct DirStream {
    fd: OwnedFd,
    buf: Box<AlignedBuf>,
    pos: usize,
    len: usize,
    eof: bool,
}

#[repr(C, align(8))]
struct AlignedBuf([u8; DIRENT_BUF]);

/// One directory entry, borrowed from a [`DirStream`]'s buffer.
pub struct DirEntry<'a> {
    /// The entry's name (never `.` or `..`).
    pub name: &'a CStr,
    /// The type `getdents64` reported (`Unknown` when the fs does not say).
    pub kind: Kind,
    /// The inode number `getdents64` reported: a hint only (the monitor
    /// uses it to find a watched directory's name in its parent); never
    /// trusted for a change, which always examines the opened handle.
    pub ino: u64,
}

impl DirStream {
    /// Starts reading an open directory handle from its beginning.
    pub fn new(fd: OwnedFd) -> DirStream {
        DirStream {
            fd,
            buf: Box::new(AlignedBuf([0; DIRENT_BUF])),
            pos: 0,
            len: 0,
            eof: false,
        }
    }

    /// The directory's handle.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// The next entry, skipping `.` and `..`; `None` at the end.
    pub fn next_entry(&mut self) -> Option<SysResult<DirEntry<'_>>> {
        loop {
            if self.pos >= self.len {
                if self.eof {
                    return None;
                }
                // SAFETY: the buffer is valid for DIRENT_BUF bytes, 8-aligned
                // as linux_dirent64 requires; fd is an open directory.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_getdents64,
                        self.fd.as_raw_fd(),
                        self.buf.0.as_mut_ptr(),
                        DIRENT_BUF,
                    )
                };
                if rc < 0 {
                    self.eof = true;
                    return Some(Err(last_errno()));
                }
                if rc == 0 {
                    self.eof = true;
                    return None;
                }
                self.pos = 0;
                self.len = rc as usize;
            }
            // linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
            let rec = &self.buf.0[self.pos..self.len];
            if rec.len() < 20 {
                self.eof = true;
                return Some(Err(Errno::IO));
            }
            let reclen = u16::from_ne_bytes([rec[16], rec[17]]) as usize;
            if reclen < 20 || reclen > rec.len() {
                self.eof = true;
                return Some(Err(Errno::IO));
            }
            let dtype = rec[18];
            let mut ino = [0u8; 8];
            ino.copy_from_slice(&rec[..8]);
            let start = self.pos;
            self.pos += reclen;
            let Some(nul) = self.buf.0[start + 19..start + reclen]
                .iter()
                .position(|&b| b == 0)
            else {
                self.eof = true;
                return Some(Err(Errno::IO));
            };
            let bytes = &self.buf.0[start + 19..start + 19 + nul];
            if bytes == b"." || bytes == b".." {
                continue;
            }
            let name_bytes = &self.buf.0[start + 19..start + 20 + nul];
            let Ok(name) = CStr::from_bytes_with_nul(name_bytes) else {
                self.eof = true;
                return Some(Err(Errno::IO));
            };
            return Some(Ok(DirEntry {
                name,
                kind: Kind::from_dtype(dtype),
                ino: u64::from_ne_bytes(ino),
            }));
        }
    }
}

/// [`errno_text`] for a `std::io::Error` (from `std::fs` or `std::os::unix::net`
/// calls): the same wording as every other message, and std's own error
/// formatting (with musl's message table) stays out of the binary. The only
/// errors without an errno there are paths std refuses before any syscall.
pub fn io_text(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(n) => errno_text(Errno::from_raw_os_error(n)),
        None => "invalid path (a NUL byte, or too long)",
    }
}

/// GNU libc's wording for an errno, so that `stat`/`find` messages match GNU
/// byte for byte whatever libc the static binary carries.
pub fn errno_text(e: Errno) -> &'static str {
    match e {
        Errno::PERM => "Operation not permitted",
        Errno::NOENT => "No such file or directory",
        Errno::IO => "Input/output error",
        Errno::NOMEM => "Cannot allocate memory",
        Errno::ACCESS => "Permission denied",
        Errno::BUSY => "Device or resource busy",
        Errno::EXIST => "File exists",
        Errno::XDEV => "Invalid cross-device link",
        Errno::NOTDIR => "Not a directory",
        Errno::ISDIR => "Is a directory",
        Errno::INVAL => "Invalid argument",
        Errno::MFILE => "Too many open files",
        Errno::NFILE => "Too many open files in system",
        Errno::NOSPC => "No space left on device",
        Errno::ROFS => "Read-only file system",
        Errno::MLINK => "Too many links",
        Errno::NAMETOOLONG => "File name too long",
        Errno::LOOP => "Too many levels of symbolic links",
        Errno::NOSYS => "Function not implemented",
        Errno::NOTEMPTY => "Directory not empty",
        Errno::OPNOTSUPP => "Operation not supported",
        Errno::STALE => "Stale file handle",
        Errno::DQUOT => "Disk quota exceeded",
        Errno::BADF => "Bad file descriptor",
        Errno::AGAIN => "Resource temporarily unavailable",
        Errno::OVERFLOW => "Value too large for defined data type",
        Errno::TXTBSY => "Text file busy",
        Errno::FBIG => "File too large",
        Errno::NODEV => "No such device",
        Errno::NXIO => "No such device or address",
        Errno::SRCH => "No such process",
        Errno::INTR => "Interrupted system call",
        Errno::CHILD => "No child processes",
        Errno::PIPE => "Broken pipe",
        Errno::TIMEDOUT => "Connection timed out",
        Errno::NODATA => "No data available",
        _ => "Unknown error",
    }
}

// ---- read-only helpers for stat/find ----

/// Opens directory `name` inside `dir`, following a final symlink: only for
/// `find -L`/`-H`, which the operator asked to follow. Read-only; callers
/// `fstat` the handle and compare it with what they examined.
pub fn open_dir_at_follow(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// The birth time of `name` in `dir` from `statx`, or `None` where the
/// kernel or filesystem does not record it (GNU prints `-` / `0` then).
pub fn birth_at(dir: BorrowedFd<'_>, name: &CStr, follow: bool) -> Option<(i64, u32)> {
    use rustix::fs::{statx, StatxFlags};
    let flags = if follow {
        AtFlags::empty()
    } else {
        AtFlags::SYMLINK_NOFOLLOW
    };
    let s = statx(dir, name, flags, StatxFlags::BTIME).ok()?;
    if s.stx_mask & StatxFlags::BTIME.bits() == 0 {
        return None;
    }
    Some((s.stx_btime.tv_sec, s.stx_btime.tv_nsec))
}

/// Where an object lives: its device and inode as `stat` gives them, and
/// the id of the mount it was reached through (`statx`'s `STATX_MNT_ID`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MountOf {
    pub dev: u64,
    pub ino: u64,
    pub mnt: u64,
}

/// [`MountOf`] for `name` in `dir` (for `dir` itself when `name` is empty),
/// never following a symlink; `None` where the kernel does not say (before
/// Linux 5.8, or statx refused).
#[allow(clippy::useless_conversion)] // dev_t's width differs between C libraries
pub fn mount_of_at(dir: BorrowedFd<'_>, name: &CStr) -> Option<MountOf> {
    use rustix::fs::{statx, StatxFlags};
    let mut flags = AtFlags::SYMLINK_NOFOLLOW;
    if name.is_empty() {
        flags |= AtFlags::EMPTY_PATH;
    }
    let s = statx(dir, name, flags, StatxFlags::INO | StatxFlags::MNT_ID).ok()?;
    // Mount ids start at 1. A 0 with the bit set is an emulator that passed
    // the kernel's mask on without the field (qemu-user 7.2): unknown, so
    // the caller keeps to the device alone.
    if s.stx_mask & StatxFlags::MNT_ID.bits() == 0 || s.stx_mnt_id == 0 {
        return None;
    }
    Some(MountOf {
        dev: u64::from(libc::makedev(s.stx_dev_major, s.stx_dev_minor)),
        ino: s.stx_ino,
        mnt: s.stx_mnt_id,
    })
}

/// Reads the whole target of a symlink given by an operator path (ambient
/// authority, read-only: `stat %N`, `find %l` on a start path).
pub fn readlink_base(path: &CStr, buf: &mut [u8]) -> SysResult<usize> {
    readlink_at(cwd(), path, buf)
}

/// True when the directory `name` in `dir` has no entries (`find -empty`).
pub fn dir_is_empty_at(dir: BorrowedFd<'_>, name: &CStr, follow: bool) -> SysResult<bool> {
    let fd = if follow {
        open_dir_at_follow(dir, name)?
    } else {
        open_dir_at(dir, name)?
    };
    let mut s = DirStream::new(fd);
    match s.next_entry() {
        None => Ok(true),
        Some(Ok(_)) => Ok(false),
        Some(Err(e)) => Err(e),
    }
}

/// Writes all of `bytes` to `fd` (retrying on `EINTR` and short writes):
/// the output streams of `stat` and `find`.
pub fn write_all(fd: BorrowedFd<'_>, mut bytes: &[u8]) -> SysResult<()> {
    while !bytes.is_empty() {
        match rustix::io::write(fd, bytes) {
            Ok(0) => return Err(Errno::IO),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The value of environment variable `name` (NUL-terminated), straight
/// from the C library's environment (std's accessor carries locking and
/// copying chperms does not need: it is single-threaded).
pub fn env_bytes(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: getenv returns a pointer into the environment, valid for the
    // life of the process as nothing here modifies the environment.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: p points at a NUL-terminated string (see above).
    Some(unsafe { CStr::from_ptr(p) }.to_bytes())
}

/// [`env_bytes`] as text: `None` when unset or not valid UTF-8 (where
/// `std::env::var` would fail too), without pulling in std's accessor.
pub fn env_str(name: &CStr) -> Option<&'static str> {
    env_bytes(name).and_then(|v| std::str::from_utf8(v).ok())
}

/// Standard output as a handle.
pub fn stdout_fd() -> BorrowedFd<'static> {
    rustix::stdio::stdout()
}

/// Standard error as a handle.
pub fn stderr_fd() -> BorrowedFd<'static> {
    rustix::stdio::stderr()
}

/// Whether standard input is a terminal (GNU find prints its warnings only
/// then).
pub fn stdin_is_tty() -> bool {
    // SAFETY: isatty only inspects descriptor 0.
    unsafe { libc::isatty(0) == 1 }
}

/// Reads one line from standard input byte by byte (so nothing after it is
/// consumed), without its newline; `None` at end of input. For `find -ok`.
pub fn read_stdin_line(max: usize) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match rustix::io::read(rustix::stdio::stdin(), &mut b) {
            Ok(0) => return if line.is_empty() { None } else { Some(line) },
            Ok(_) if b[0] == b'\n' => return Some(line),
            Ok(_) => {
                if line.len() < max {
                    line.push(b[0]);
                }
            }
            Err(Errno::INTR) => {}
            Err(_) => return None,
        }
    }
}

/// A second handle on the same open directory or file (`find -execdir …
/// +` keeps its directory for the batch it runs later).
pub fn dup_fd(fd: BorrowedFd<'_>) -> SysResult<OwnedFd> {
    rustix::io::fcntl_dupfd_cloexec(fd, 3)
}

/// Opens `/dev/null` for reading: the standard input `find -ok` gives the
/// commands it runs (its own standard input holds the answers).
pub fn open_dev_null() -> SysResult<OwnedFd> {
    rustix::fs::open(
        c"/dev/null",
        OFlags::RDONLY | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Creates (or truncates) an operator-named output file, mode 0666 less the
/// umask, as `find -fprint FILE` does (ambient authority: the operator chose
/// the path).
pub fn create_output_file(path: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    )
}

/// Removes `name` from the held directory `dir`: a directory with
/// `AT_REMOVEDIR`, anything else without. Never follows a symlink (the link
/// itself is removed) and never resolves more than this one name, so what is
/// removed is always an entry of `dir` (`find -delete`).
pub fn remove_at(dir: BorrowedFd<'_>, name: &CStr, is_dir: bool) -> SysResult<()> {
    let flags = if is_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    rustix::fs::unlinkat(dir, name, flags)
}

/// Which access `access_at` asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Whether the real user may access `name` in `dir` (following a final
/// symlink, as `access(2)` does): `find -readable/-writable/-executable`.
/// The plain `faccessat` system call: the C library's wrapper carries an
/// `AT_EACCESS` emulation (a helper process, 1.7 KB on MIPS) never used here.
pub fn access_at(dir: BorrowedFd<'_>, name: &CStr, how: Access) -> bool {
    let mode = match how {
        Access::Read => libc::R_OK,
        Access::Write => libc::W_OK,
        Access::Execute => libc::X_OK,
    };
    // SAFETY: a plain syscall with a valid fd, a NUL-terminated name and an
    // integer mode; the kernel reads nothing else.
    unsafe { libc::syscall(libc::SYS_faccessat, dir.as_raw_fd(), name.as_ptr(), mode) == 0 }
}

/// The file system status `statfs` reports, in the units `stat -f` prints.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsStat {
    /// The file system's magic number (`f_type`).
    pub kind: u64,
    /// Optimal transfer block size (`f_bsize`).
    pub bsize: u64,
    /// Fundamental block size (`f_frsize`), the unit of the block counts.
    pub frsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    /// The two 32-bit words of `f_fsid`, as GNU stat joins them.
    pub fsid: u64,
    pub namelen: u64,
}

/// `statfs` of an operator-given path (ambient authority, read-only: `stat
/// -f`); follows symlinks, as statfs always does.
#[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
pub fn statfs_base(path: &CStr) -> SysResult<FsStat> {
    let s = rustix::fs::statfs(path)?;
    // f_fsid is two ints on every Linux ABI; its field is private in libc's
    // definition, so it is read as the 8 bytes it is.
    // SAFETY: both types are 8 bytes of plain integers.
    let words: [u32; 2] = unsafe { std::mem::transmute_copy(&s.f_fsid) };
    Ok(FsStat {
        kind: s.f_type as u64,
        bsize: s.f_bsize as u64,
        frsize: s.f_frsize as u64,
        blocks: s.f_blocks as u64,
        bfree: s.f_bfree as u64,
        bavail: s.f_bavail as u64,
        files: s.f_files as u64,
        ffree: s.f_ffree as u64,
        fsid: (u64::from(words[0]) << 32) | u64::from(words[1]),
        namelen: s.f_namelen as u64,
    })
}

/// The value of extended attribute `attr` of `name` in `dir`, read through
/// an `O_PATH` handle (`find -printf %Z`: `security.selinux`).
pub fn xattr_at(dir: BorrowedFd<'_>, name: &CStr, attr: &CStr) -> SysResult<Vec<u8>> {
    let fd = open_path_at(dir, name)?;
    let mut buf = [0u8; 32];
    let path = proc_fd_path(fd.as_raw_fd(), &mut buf);
    let mut value = vec![0u8; 256];
    // SAFETY: value is valid for its length; both strings NUL-terminated.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            attr.as_ptr(),
            value.as_mut_ptr().cast(),
            value.len(),
        )
    };
    if n < 0 {
        return Err(last_errno());
    }
    value.truncate(n as usize);
    Ok(value)
}

// ---- helpers for access/mkdir ----

/// The POSIX ACL xattr the kernel consults instead of the group bits when a
/// file or directory carries an extended ACL (`setfacl`).
pub const XATTR_POSIX_ACL_ACCESS: &CStr = c"system.posix_acl_access";

/// True when the object behind `fd` has extended attribute `name`. Works on
/// `O_PATH` handles too: `fgetxattr` refuses those (`EBADF`), so the
/// fallback asks through `/proc/self/fd/N`, which names exactly this handle's
/// object. A filesystem without xattrs (`ENOTSUP`) has none.
pub fn has_xattr_fd<Fd: AsFd>(fd: Fd, name: &CStr) -> SysResult<bool> {
    let raw = fd.as_fd().as_raw_fd();
    // SAFETY: a size-0 query with a null buffer only returns the value's
    // length; fd is open and name NUL-terminated.
    let mut rc = unsafe { libc::fgetxattr(raw, name.as_ptr(), std::ptr::null_mut(), 0) };
    if rc < 0 && last_errno() == Errno::BADF {
        let mut buf = [0u8; 32];
        let path = proc_fd_path(raw, &mut buf);
        // SAFETY: as above, with a NUL-terminated path.
        rc = unsafe { libc::getxattr(path.as_ptr(), name.as_ptr(), std::ptr::null_mut(), 0) };
    }
    if rc >= 0 {
        return Ok(true);
    }
    match last_errno() {
        Errno::NODATA | Errno::OPNOTSUPP => Ok(false),
        e => Err(e),
    }
}

/// Opens directory `name` inside `dir` as an `O_PATH` handle (refusing a
/// symlink or a non-directory like [`open_dir_at`]). Looking up through it
/// needs only search permission, as the kernel's own path walk does, so
/// `access` run by a non-root operator examines what it can reach.
pub fn open_dir_path_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<OwnedFd> {
    rustix::fs::openat(
        dir,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens a file the operator named (a policy file, `/etc/passwd`, a `/proc`
/// file) for reading. Through rustix, not `std::fs`: std's open code drags
/// its error formatting into the binary.
pub fn open_read(path: &str) -> SysResult<std::fs::File> {
    let fd = rustix::fs::open(path, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())?;
    Ok(std::fs::File::from(fd))
}

/// Reads the first `buf.len()` bytes of `path` (fewer at its end).
pub fn read_prefix(path: &str, buf: &mut [u8]) -> SysResult<usize> {
    let f = open_read(path)?;
    let mut n = 0;
    while n < buf.len() {
        match rustix::io::read(&f, &mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads what is left of `fd` (a file, or standard input), up to `max`
/// bytes; `Ok(None)` when it holds more.
pub fn read_fd_max(fd: BorrowedFd<'_>, max: usize) -> SysResult<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match rustix::io::read(fd, &mut chunk) {
            Ok(0) => return Ok(Some(buf)),
            Ok(n) => {
                if buf.len() + n > max {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Standard input as a handle.
pub fn stdin_fd() -> BorrowedFd<'static> {
    rustix::stdio::stdin()
}

/// Reads `path` whole, up to `max` bytes; `Ok(None)` when it holds more.
pub fn read_file_max(path: &str, max: usize) -> SysResult<Option<Vec<u8>>> {
    let mut buf = vec![0u8; max + 1];
    let n = read_prefix(path, &mut buf)?;
    if n > max {
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(buf))
}

/// Opens the operator's `--log` file for appending, creating it `0640`
/// (less the umask); a symlink there is refused (`ELOOP`).
pub fn open_log(path: &str) -> SysResult<std::fs::File> {
    let fd = rustix::fs::open(
        path,
        OFlags::WRONLY | OFlags::APPEND | OFlags::CREATE | OFlags::CLOEXEC | OFlags::NOFOLLOW,
        Mode::from_raw_mode(0o640),
    )?;
    Ok(std::fs::File::from(fd))
}

/// Whether `fs.protected_symlinks` is on: then the kernel refuses to follow
/// a symlink in a sticky world-writable directory unless the follower or the
/// directory's owner owns the link. Unknown (no `/proc`) counts as on, the
/// default of every distribution.
pub fn protected_symlinks() -> bool {
    let mut b = [0u8; 1];
    !matches!(read_prefix("/proc/sys/fs/protected_symlinks", &mut b), Ok(1) if b[0] == b'0')
}

/// The process's umask (read by setting and restoring it; chperms is single
/// threaded).
pub fn current_umask() -> u32 {
    let old = rustix::process::umask(Mode::from_raw_mode(0o022));
    rustix::process::umask(old);
    old.bits() as u32
}

/// The effective uid of this process (the owner of what it creates).
pub fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

/// `dlsym` for our static musl builds, answering as musl's own does: there
/// is no dynamic loader, so no symbol is ever found.
///
/// Why: rustix's libc backend (used on MIPS) probes optional functions with
/// `dlsym`; musl's static stub then formats a `dlerror` text with
/// `vsnprintf`, which links all of printf and its soft-float code (~15 KB
/// on MIPS) for a message nobody reads. Defining the symbol here keeps the
/// C library's object (and printf) out; the answer rustix gets is the same.
#[cfg(target_env = "musl")]
#[no_mangle]
pub extern "C" fn dlsym(
    _handle: *mut libc::c_void,
    _name: *const libc::c_char,
) -> *mut libc::c_void {
    std::ptr::null_mut()
}

/// How [`spawn`] sets up a child; the default inherits everything.
#[derive(Default)]
pub struct SpawnOpts<'a> {
    /// The child's working directory (`find -execdir`), entered with
    /// `fchdir` before the exec.
    pub dir: Option<BorrowedFd<'a>>,
    /// Becomes the child's stdin.
    pub stdin: Option<BorrowedFd<'a>>,
    /// Becomes the child's stdout.
    pub stdout: Option<BorrowedFd<'a>>,
    /// `NAME=VALUE` entries added to our environment (replacing same-named
    /// ones) for the child.
    pub env: &'a [&'a [u8]],
    /// Starts the child in a process group of its own.
    pub new_group: bool,
}

extern "C" {
    static environ: *const *mut libc::c_char;
}

/// Starts `argv[0]` (searched in `PATH` like `execvp`) with `argv`; returns
/// its pid. The child gets an empty signal mask and `SIGPIPE` at its default,
/// as `std::process::Command` gives it. A program that cannot be started
/// (not found, `fchdir` failed, ...) is an error here, not an exit status.
///
/// Built on `posix_spawnp` instead of `std::process::Command` for size: the
/// C library's spawn is a few hundred bytes, Command's machinery ~20 KB on
/// MIPS.
pub fn spawn(argv: &[&[u8]], o: &SpawnOpts<'_>) -> SysResult<i32> {
    // All strings NUL-terminated in one buffer, then the pointer arrays.
    let mut buf = Vec::new();
    let mut ends = Vec::with_capacity(argv.len() + o.env.len());
    for a in argv.iter().chain(o.env) {
        if a.contains(&0) {
            return Err(Errno::INVAL);
        }
        buf.extend_from_slice(a);
        buf.push(0);
        ends.push(buf.len());
    }
    let mut ptrs: Vec<*mut libc::c_char> = Vec::with_capacity(ends.len() + 2);
    let mut start = 0;
    for &end in &ends {
        ptrs.push(buf[start..].as_ptr() as *mut libc::c_char);
        start = end;
    }
    let (args, extra) = ptrs.split_at(argv.len());
    let mut args = args.to_vec();
    args.push(std::ptr::null_mut());
    // SAFETY: environ is the C library's NULL-terminated environment; we
    // only read it here, single-threaded, before spawning.
    let mut envp: Vec<*mut libc::c_char> = Vec::new();
    let env =
        if extra.is_empty() {
            unsafe { environ }
        } else {
            unsafe {
                let mut e = environ;
                while !e.is_null() && !(*e).is_null() {
                    let v = CStr::from_ptr(*e).to_bytes();
                    let name = v.split(|&c| c == b'=').next().unwrap_or(v);
                    if !o.env.iter().any(|x| {
                        x.len() > name.len() && x.starts_with(name) && x[name.len()] == b'='
                    }) {
                        envp.push(*e);
                    }
                    e = e.add(1);
                }
            }
            envp.extend_from_slice(extra);
            envp.push(std::ptr::null_mut());
            envp.as_ptr()
        };
    // SAFETY: attr and actions are initialised before use and destroyed
    // after; every pointer handed over stays alive until posix_spawnp
    // returns (the child has then exec'd or failed).
    unsafe {
        let mut attr: libc::posix_spawnattr_t = std::mem::zeroed();
        let mut fa: libc::posix_spawn_file_actions_t = std::mem::zeroed();
        libc::posix_spawnattr_init(&mut attr);
        libc::posix_spawn_file_actions_init(&mut fa);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::posix_spawnattr_setsigmask(&mut attr, &set);
        libc::sigaddset(&mut set, libc::SIGPIPE);
        libc::posix_spawnattr_setsigdefault(&mut attr, &set);
        let mut flags = libc::POSIX_SPAWN_SETSIGMASK | libc::POSIX_SPAWN_SETSIGDEF;
        if o.new_group {
            flags |= libc::POSIX_SPAWN_SETPGROUP;
            libc::posix_spawnattr_setpgroup(&mut attr, 0);
        }
        libc::posix_spawnattr_setflags(&mut attr, flags as libc::c_short);
        if let Some(fd) = o.stdin {
            libc::posix_spawn_file_actions_adddup2(&mut fa, fd.as_raw_fd(), 0);
        }
        if let Some(fd) = o.stdout {
            libc::posix_spawn_file_actions_adddup2(&mut fa, fd.as_raw_fd(), 1);
        }
        if let Some(fd) = o.dir {
            libc::posix_spawn_file_actions_addfchdir_np(&mut fa, fd.as_raw_fd());
        }
        let mut pid: libc::pid_t = 0;
        let r = libc::posix_spawnp(&mut pid, args[0], &fa, &attr, args.as_ptr(), env);
        libc::posix_spawn_file_actions_destroy(&mut fa);
        libc::posix_spawnattr_destroy(&mut attr);
        if r != 0 {
            return Err(Errno::from_raw_os_error(r));
        }
        Ok(pid)
    }
}

/// Waits for child `pid` (retrying on `EINTR`); `Ok(None)` when `block` is
/// false and it is still running, else its raw wait status.
pub fn wait_child(pid: i32, block: bool) -> SysResult<Option<i32>> {
    let mut st = 0;
    loop {
        // SAFETY: st is a valid out-pointer.
        let r = unsafe { libc::waitpid(pid, &mut st, if block { 0 } else { libc::WNOHANG }) };
        match r {
            0 => return Ok(None),
            r if r > 0 => return Ok(Some(st)),
            _ if last_errno() == Errno::INTR => continue,
            _ => return Err(last_errno()),
        }
    }
}

/// The exit code in a raw wait status (`None` when killed by a signal).
pub fn exit_code(status: i32) -> Option<i32> {
    if libc::WIFEXITED(status) {
        Some(libc::WEXITSTATUS(status))
    } else {
        None
    }
}

// ---- helpers for watch ----
//
// The monitor (`applet/watch/`) waits on its inotify fds (one per tree, up
// to a budget) and one signalfd with `poll`; these wrappers keep those
// syscalls in this module. Watches are added through `/proc/self/fd/N` of a
// directory handle that the walker opened with [`open_dir_at`], so no path
// built from tree names is resolved.

/// The inotify events the monitor wants on each directory: metadata changes
/// and everything that adds, removes or renames an entry or the directory.
pub const WATCH_MASK: u32 = libc::IN_ATTRIB
    | libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF;

/// A second close-on-exec handle on the same open file (the monitor holds a
/// tree's base while a sweep reads its own handle; they share an offset,
/// which the held one never uses).
pub fn dup<Fd: AsFd>(fd: Fd) -> SysResult<OwnedFd> {
    rustix::io::fcntl_dupfd_cloexec(fd, 0)
}

/// A new non-blocking, close-on-exec inotify instance.
pub fn inotify_new() -> SysResult<OwnedFd> {
    rustix::fs::inotify::init(
        rustix::fs::inotify::CreateFlags::CLOEXEC | rustix::fs::inotify::CreateFlags::NONBLOCK,
    )
}

/// Watches the directory behind handle `dir` (a magic link: exactly this
/// object, whatever is renamed in the tree meanwhile). Returns the watch
/// descriptor; the kernel returns the same one for an already-watched inode.
pub fn inotify_watch_fd(inotify: BorrowedFd<'_>, dir: BorrowedFd<'_>, mask: u32) -> SysResult<i32> {
    let mut buf = [0u8; 32];
    let path = proc_fd_path(dir.as_raw_fd(), &mut buf);
    // SAFETY: valid fd and NUL-terminated path; integer mask.
    let wd = unsafe {
        libc::inotify_add_watch(inotify.as_raw_fd(), path.as_ptr(), mask | libc::IN_ONLYDIR)
    };
    if wd < 0 {
        Err(last_errno())
    } else {
        Ok(wd)
    }
}

/// Removes watch `wd` (the kernel then queues `IN_IGNORED` for it).
pub fn inotify_unwatch(inotify: BorrowedFd<'_>, wd: i32) {
    // SAFETY: integer arguments; an unknown wd only returns EINVAL.
    unsafe {
        libc::inotify_rm_watch(inotify.as_raw_fd(), wd);
    }
}

/// One inotify event (`struct inotify_event`), its name borrowed from the
/// read buffer without the kernel's NUL padding (empty for an event about
/// the watched directory itself).
#[derive(Clone, Copy, Debug)]
pub struct InotifyEvent<'a> {
    pub wd: i32,
    pub mask: u32,
    pub name: &'a [u8],
}

/// Reads what is queued on a non-blocking inotify fd, at most `buf.len()`
/// bytes (one read: the monitor takes turns between its queues). `Ok(0)`
/// when nothing is queued.
pub fn inotify_read(inotify: BorrowedFd<'_>, buf: &mut [u8]) -> SysResult<usize> {
    loop {
        // SAFETY: buf is valid for buf.len() bytes.
        let n = unsafe { libc::read(inotify.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(n as usize);
        }
        match last_errno() {
            Errno::AGAIN => return Ok(0),
            Errno::INTR => continue,
            e => return Err(e),
        }
    }
}

/// The events in `buf` (what [`inotify_read`] returned), in order.
pub fn inotify_events(buf: &[u8]) -> impl Iterator<Item = InotifyEvent<'_>> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        // struct inotify_event: i32 wd, u32 mask, u32 cookie, u32 len,
        // name[len], in native byte order (qemu-user translates for
        // foreign targets).
        let head = buf.get(pos..pos + 16)?;
        let word = |o: usize| [head[o], head[o + 1], head[o + 2], head[o + 3]];
        let len = u32::from_ne_bytes(word(12)) as usize;
        let name = buf.get(pos + 16..pos + 16 + len)?;
        let end = name.iter().position(|&b| b == 0).unwrap_or(len);
        pos += 16 + len;
        Some(InotifyEvent {
            wd: i32::from_ne_bytes(word(0)),
            mask: u32::from_ne_bytes(word(4)),
            name: &name[..end],
        })
    })
}

/// The kernel's limit on inotify watches for this user, as this process
/// sees it: the lower of `fs.inotify.max_user_watches` and the user
/// namespace's `user.max_inotify_watches`; `None` when neither is readable.
pub fn inotify_watch_limit() -> Option<usize> {
    let read = |path: &str| {
        let mut b = [0u8; 16];
        let n = read_prefix(path, &mut b).ok()?;
        let digits = b[..n].split(|&c| c == b'\n').next()?;
        crate::users::parse_id(digits).map(|v| v as usize)
    };
    [
        "/proc/sys/fs/inotify/max_user_watches",
        "/proc/sys/user/max_inotify_watches",
    ]
    .into_iter()
    .filter_map(read)
    .min()
}

/// Blocks `signals` for this thread and returns a close-on-exec,
/// non-blocking signalfd delivering them (children get an empty mask: std's
/// spawn resets it).
pub fn signalfd_for(signals: &[i32]) -> SysResult<OwnedFd> {
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls
    // only read and write that set.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in signals {
            libc::sigaddset(&mut set, s);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return Err(last_errno());
        }
        let fd = libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
        if fd < 0 {
            return Err(last_errno());
        }
        Ok(<OwnedFd as rustix::fd::FromRawFd>::from_raw_fd(fd))
    }
}

/// The next pending signal number on a non-blocking signalfd, if any.
pub fn signalfd_next(sfd: BorrowedFd<'_>) -> Option<i32> {
    // struct signalfd_siginfo is 128 bytes; ssi_signo is its first u32.
    let mut info = [0u32; 32];
    // SAFETY: info is valid for 128 bytes.
    let n = unsafe { libc::read(sfd.as_raw_fd(), info.as_mut_ptr().cast(), 128) };
    (n == 128).then_some(info[0] as i32)
}

/// Ignores `SIGPIPE` (a dead alert command or syslogd must not kill the
/// monitor; writes then fail with `EPIPE`, which is handled).
pub fn ignore_sigpipe() {
    // SAFETY: setting a signal disposition to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
}

/// Waits until one of `fds` is readable or `timeout_ms` passed (`-1`:
/// forever). Sets `ready[i]` for each readable `fds[i]` (`ready` is as
/// long as `fds`); `EINTR` reads as "none".
pub fn poll_readable(fds: &[BorrowedFd<'_>], ready: &mut [bool], timeout_ms: i32) {
    let mut pfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    // SAFETY: pfds is a valid array of pfds.len() pollfd.
    let rc = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, timeout_ms) };
    for (o, p) in ready.iter_mut().zip(pfds.iter()) {
        *o = rc > 0 && p.revents != 0;
    }
}

/// Waits until `fd` can be written or `timeout_ms` passed; false on a
/// timeout, an error or `EINTR` (a datagram socket: syslogd's queue has
/// room again).
pub fn poll_writable(fd: BorrowedFd<'_>, timeout_ms: i32) -> bool {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: pfd is one valid pollfd.
    let rc = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    rc > 0 && pfd.revents & libc::POLLOUT != 0
}

/// Makes a handle non-blocking (alert stdin pipes: a command that does not
/// read must not stall the monitor).
pub fn set_nonblocking<Fd: AsFd>(fd: Fd) -> SysResult<()> {
    let fl = rustix::fs::fcntl_getfl(&fd)?;
    rustix::fs::fcntl_setfl(&fd, fl | OFlags::NONBLOCK)
}

/// Sends `SIGKILL` to the process group `pgid` (an alert command and
/// whatever it started; it was spawned as a group leader).
pub fn kill_group(pgid: u32) {
    // SAFETY: kill(2) with integer arguments; a negative pid names a group.
    unsafe {
        libc::kill(-(pgid as libc::pid_t), libc::SIGKILL);
    }
}

/// Maps `len` bytes of fresh, zeroed, private memory for the allocator
/// ([`crate::heap`]); null when the kernel refuses.
pub fn map_pages(len: usize) -> *mut u8 {
    // SAFETY: an anonymous private mapping touches no existing memory.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        std::ptr::null_mut()
    } else {
        p.cast()
    }
}

/// Returns a mapping made by [`map_pages`] to the kernel.
///
/// # Safety
/// `ptr`/`len` must be exactly one earlier [`map_pages`] result, no longer used.
pub unsafe fn unmap_pages(ptr: *mut u8, len: usize) {
    // SAFETY: the caller hands back a whole mapping nobody uses any more.
    unsafe {
        libc::munmap(ptr.cast(), len);
    }
}

// ---- helpers for metrics ----
//
// `--metrics FILE` (`crate::metrics`) replaces FILE atomically: the
// directory is opened once (by `resolve::open_dir`), a temporary file is
// made in it with [`create_file_at`] (`O_CREAT|O_EXCL|O_NOFOLLOW`: never an
// existing file, never through a symlink), then renamed over FILE. rename
// replaces a symlink someone placed at FILE; it never follows it.

/// `renameat(dir, from, dir, to)`: replaces `to` (whatever it is, a symlink
/// included, never followed) with `from`, atomically.
pub fn rename_at(dir: BorrowedFd<'_>, from: &CStr, to: &CStr) -> SysResult<()> {
    rustix::fs::renameat(dir, from, dir, to)
}

/// `unlinkat(dir, name, 0)`: removes one name (a file or symlink; never
/// follows it).
pub fn unlink_at(dir: BorrowedFd<'_>, name: &CStr) -> SysResult<()> {
    rustix::fs::unlinkat(dir, name, AtFlags::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fd_path_formats_numbers() {
        let mut b = [0u8; 32];
        assert_eq!(proc_fd_path(7, &mut b).to_bytes(), b"/proc/self/fd/7");
        assert_eq!(proc_fd_path(1023, &mut b).to_bytes(), b"/proc/self/fd/1023");
    }

    #[test]
    fn mount_of_names_the_same_device_and_inode_as_stat() {
        // The walker compares statx's device with stat's: their encodings
        // must agree on every target (qemu included), or overlayfs trees
        // would be refused again.
        let tmp = open_base_dir(c"/tmp").expect("open /tmp");
        let (Some(by_name), Some(by_fd)) = (
            mount_of_at(tmp.as_fd(), c"."),
            mount_of_at(tmp.as_fd(), c""),
        ) else {
            // qemu-user (the cross targets' test runs) does not pass the
            // mount id on; natively built, the test machine's kernel must.
            if cfg!(target_arch = "x86_64") {
                panic!("statx gave no mount id (Linux 5.8+ needed)");
            }
            eprintln!("NOTE: no statx mount id here (an emulator?): the walker keeps to st_dev");
            return;
        };
        let st = fstat(&tmp).expect("fstat");
        assert_eq!((by_name.dev, by_name.ino), (st.dev, st.ino));
        assert_eq!(by_name, by_fd);
        assert_ne!(by_name.mnt, 0);
    }

    #[test]
    fn kinds_from_mode_and_dtype_agree() {
        assert_eq!(Kind::from_mode(0o040755), Kind::Dir);
        assert_eq!(Kind::from_mode(0o100644), Kind::File);
        assert_eq!(Kind::from_dtype(10), Kind::Symlink);
        assert_eq!(Kind::from_dtype(0), Kind::Unknown);
    }
}
