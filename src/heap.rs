//! chperms's memory allocator: size classes over pages from the kernel.
//!
//! Why our own: musl's allocator is about 11 KB of the MIPS binary, more than
//! chperms's whole walker, and chperms needs little of it. Its memory use is
//! small and bounded (a 4 KiB buffer and a path per directory level, a parsed
//! policy, a few output lines), it is single-threaded (the lock below is for
//! the unit-test harness), and it never hands memory to another process.
//!
//! How it works:
//! - Every block starts with one header word, so the payload after it is
//!   aligned to [`HDR`] (8 bytes, enough for every type chperms and std put on
//!   the heap on the 32-bit targets; 16 on 64-bit ones, as malloc promises).
//! - Blocks of up to [`SMALL_MAX`] bytes come in power-of-two classes carved
//!   from [`CHUNK`]-byte mappings. A freed block goes on its class's free
//!   list and is reused for the next request of that class; small blocks are
//!   never returned to the kernel, so the peak is the steady state.
//! - Larger blocks get their own mapping and go back with `munmap` when freed.
//!   Their header holds the mapping length; the word before it the distance
//!   from the mapping start (so alignments up to a page work).
//! - On musl, `malloc`/`free`/`calloc`/`realloc`/... (and musl's internal
//!   `__libc_malloc`/`__libc_free`, which its time-zone and posix_spawn code
//!   call) are this allocator too,
//!   so libc's own is not linked. Should a later musl rename those internal
//!   symbols, its allocator is simply linked again: bigger, not broken.
//!
//! The syscalls are in [`crate::sys`] ([`sys::map_pages`], [`sys::unmap_pages`]).

use crate::sys;
use std::alloc::{GlobalAlloc, Layout};
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, Ordering};

/// Header bytes before every payload, and the alignment every payload gets.
const HDR: usize = if usize::BITS == 64 { 16 } else { 8 };
/// Smallest block (header included): room for the header and a free-list link.
const MIN_SHIFT: u32 = if usize::BITS == 64 { 5 } else { 4 };
/// Number of size classes: blocks of 2^MIN_SHIFT .. 2^(MIN_SHIFT+CLASSES-1).
const CLASSES: usize = 10;
/// Largest block served from a class (16 or 32 … 8 or 16 KiB); beyond it a
/// block is its own mapping.
const SMALL_MAX: usize = 1 << (MIN_SHIFT as usize + CLASSES - 1);
/// Bytes taken from the kernel at a time for small blocks.
const CHUNK: usize = 64 * 1024;
/// Page size assumed for rounding large mappings (every chperms target's
/// kernel accepts any multiple of 4 KiB; 16/64 KiB-page kernels round up).
const PAGE: usize = 4096;

/// The heap's mutable state, behind [`Heap::lock`].
struct State {
    /// Head of each class's free list (a freed payload holds the next link).
    free: [*mut u8; CLASSES],
    /// Unused part of the current chunk.
    bump: *mut u8,
    end: *mut u8,
}

/// The global allocator (see the module comment).
pub struct Heap {
    lock: AtomicBool,
    state: std::cell::UnsafeCell<State>,
}

// SAFETY: `state` is only touched while `lock` is held.
unsafe impl Sync for Heap {}

/// The one heap. The binary installs it as the global allocator through
/// [`Global`] (`src/main.rs`); library users (tests, fuzz targets under
/// ASan) keep the system allocator.
pub static HEAP: Heap = Heap {
    lock: AtomicBool::new(false),
    state: std::cell::UnsafeCell::new(State {
        free: [null_mut(); CLASSES],
        bump: null_mut(),
        end: null_mut(),
    }),
};

/// The class whose blocks hold `total` bytes (header included).
fn class_of(total: usize) -> usize {
    let bits = usize::BITS - (total.max(1) - 1).leading_zeros();
    bits.saturating_sub(MIN_SHIFT) as usize
}

fn round_up(n: usize, to: usize) -> Option<usize> {
    Some(n.checked_add(to - 1)? & !(to - 1))
}

impl Heap {
    fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        while self
            .lock
            .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            std::hint::spin_loop();
        }
        // SAFETY: the lock is held, so this is the only reference.
        let r = f(unsafe { &mut *self.state.get() });
        self.lock.store(false, Ordering::Release);
        r
    }

    /// A payload of at least `size` bytes aligned to `align`, or null.
    ///
    /// # Safety
    /// `align` is a power of two.
    unsafe fn get(&self, size: usize, align: usize) -> *mut u8 {
        let Some(total) = size.checked_add(HDR) else {
            return null_mut();
        };
        if total <= SMALL_MAX && align <= HDR {
            let c = class_of(total);
            return self.with(|st| {
                let mut blk = st.free[c];
                if blk.is_null() {
                    let len = 1usize << (c + MIN_SHIFT as usize);
                    if (st.end as usize) - (st.bump as usize) < len {
                        let fresh = sys::map_pages(CHUNK);
                        if fresh.is_null() {
                            return null_mut();
                        }
                        // The old chunk's tail is left unused (under one
                        // block); chunks are never unmapped.
                        st.bump = fresh;
                        // SAFETY: one past the end of the fresh mapping.
                        st.end = unsafe { fresh.add(CHUNK) };
                    }
                    blk = st.bump;
                    // SAFETY: `len` bytes remain in the chunk (checked above).
                    st.bump = unsafe { st.bump.add(len) };
                } else {
                    // SAFETY: a free block's payload holds the next link.
                    st.free[c] = unsafe { *(blk.add(HDR) as *const *mut u8) };
                }
                // SAFETY: `blk` starts a block of this class, HDR-aligned.
                unsafe {
                    *(blk as *mut usize) = c;
                    blk.add(HDR)
                }
            });
        }
        // Large or over-aligned: a mapping of its own. The payload sits
        // `off` bytes in: room for the header and the offset word, aligned.
        if align > PAGE {
            return null_mut();
        }
        let off = align.max(2 * HDR);
        let Some(len) = total.checked_add(off).and_then(|n| round_up(n, PAGE)) else {
            return null_mut();
        };
        let base = sys::map_pages(len);
        if base.is_null() {
            return null_mut();
        }
        // SAFETY: `off + size <= len`, and `off >= 2 * HDR` leaves room
        // for the two words before the payload.
        unsafe {
            let p = base.add(off);
            *(p.sub(HDR) as *mut usize) = len;
            *(p.sub(2 * HDR) as *mut usize) = off;
            p
        }
    }

    /// Frees a payload from [`Heap::get`].
    ///
    /// # Safety
    /// `p` came from `get` and is not used again.
    unsafe fn put(&self, p: *mut u8) {
        // SAFETY: every payload follows its header word (see `get`).
        let tag = unsafe { *(p.sub(HDR) as *const usize) };
        if tag < CLASSES {
            self.with(|st| {
                // SAFETY: the payload is ours again; it holds the link.
                unsafe { *(p as *mut *mut u8) = st.free[tag] };
                // SAFETY: the block starts HDR bytes before the payload.
                st.free[tag] = unsafe { p.sub(HDR) };
            });
        } else {
            // SAFETY: a large block records its mapping length and offset.
            unsafe {
                let off = *(p.sub(2 * HDR) as *const usize);
                sys::unmap_pages(p.sub(off), tag);
            }
        }
    }

    /// Bytes usable at payload `p` (its block's size less the header).
    ///
    /// # Safety
    /// `p` came from [`Heap::get`] and is live.
    unsafe fn usable(p: *mut u8) -> usize {
        // SAFETY: as in `put`.
        let tag = unsafe { *(p.sub(HDR) as *const usize) };
        if tag < CLASSES {
            (1usize << (tag + MIN_SHIFT as usize)) - HDR
        } else {
            // SAFETY: as in `put`.
            tag - unsafe { *(p.sub(2 * HDR) as *const usize) }
        }
    }

    /// Resizes in place when the block is big enough, else moves it.
    ///
    /// # Safety
    /// `p` came from [`Heap::get`] with alignment `align` and is live.
    unsafe fn resize(&self, p: *mut u8, align: usize, new: usize) -> *mut u8 {
        // SAFETY: the caller's contract.
        let have = unsafe { Self::usable(p) };
        if new <= have && (new > have / 2 || have <= SMALL_MAX) {
            return p;
        }
        // SAFETY: a power-of-two alignment from a valid Layout or malloc.
        let q = unsafe { self.get(new, align) };
        if !q.is_null() {
            // SAFETY: both blocks hold at least min(have, new) bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(p, q, have.min(new));
                self.put(p);
            }
        }
        q
    }
}

// SAFETY: `get` returns fresh, suitably aligned blocks or null; `put`
// takes back only what `get` gave.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: Layout alignments are powers of two.
        unsafe { self.get(l.size(), l.align()) }
    }
    unsafe fn dealloc(&self, p: *mut u8, _l: Layout) {
        // SAFETY: GlobalAlloc's contract: `p` came from `alloc`.
        unsafe { self.put(p) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc's contract: `p` is live, allocated with `l`.
        unsafe { self.resize(p, l.align(), new) }
    }
}

/// The C allocation functions, so that musl's own allocator is not linked.
/// Only musl (our release and cross builds); glibc hosts keep glibc's.
#[cfg(target_env = "musl")]
mod c_abi {
    use super::{Heap, HDR, HEAP};
    use std::ffi::c_void;
    use std::ptr::null_mut;

    fn set_enomem() {
        // SAFETY: errno is this thread's own int.
        unsafe { *libc::__errno_location() = libc::ENOMEM };
    }

    #[no_mangle]
    unsafe extern "C" fn malloc(n: usize) -> *mut c_void {
        // SAFETY: HDR is a power of two.
        let p = unsafe { HEAP.get(n, HDR) };
        if p.is_null() {
            set_enomem();
        }
        p.cast()
    }

    /// musl's internal name for malloc (its time-zone code calls it, and
    /// would otherwise pull in musl's whole allocator). Same contract.
    #[no_mangle]
    unsafe extern "C" fn __libc_malloc(n: usize) -> *mut c_void {
        // SAFETY: as malloc.
        unsafe { malloc(n) }
    }

    /// musl's internal name for free (posix_spawn's file actions use it).
    #[no_mangle]
    unsafe extern "C" fn __libc_free(p: *mut c_void) {
        // SAFETY: as free.
        unsafe { free(p) }
    }

    #[no_mangle]
    unsafe extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
        let Some(total) = n.checked_mul(size) else {
            set_enomem();
            return null_mut();
        };
        // SAFETY: as in malloc; a recycled block is cleared below.
        let p = unsafe { HEAP.get(total, HDR) };
        if p.is_null() {
            set_enomem();
        } else {
            // SAFETY: `p` has at least `total` bytes.
            unsafe { p.write_bytes(0, total) };
        }
        p.cast()
    }

    #[no_mangle]
    unsafe extern "C" fn free(p: *mut c_void) {
        if !p.is_null() {
            // SAFETY: C's contract: `p` came from malloc and friends here.
            unsafe { HEAP.put(p.cast()) }
        }
    }

    #[no_mangle]
    unsafe extern "C" fn realloc(p: *mut c_void, n: usize) -> *mut c_void {
        if p.is_null() {
            // SAFETY: realloc(NULL, n) is malloc(n).
            return unsafe { malloc(n) };
        }
        // SAFETY: C's contract: `p` is live and came from here.
        let q = unsafe { HEAP.resize(p.cast(), HDR, n) };
        if q.is_null() {
            set_enomem();
        }
        q.cast()
    }

    #[no_mangle]
    unsafe extern "C" fn aligned_alloc(align: usize, n: usize) -> *mut c_void {
        if !align.is_power_of_two() {
            // SAFETY: errno is this thread's own int.
            unsafe { *libc::__errno_location() = libc::EINVAL };
            return null_mut();
        }
        // SAFETY: a power-of-two alignment.
        let p = unsafe { HEAP.get(n, align) };
        if p.is_null() {
            set_enomem();
        }
        p.cast()
    }

    #[no_mangle]
    unsafe extern "C" fn posix_memalign(out: *mut *mut c_void, align: usize, n: usize) -> i32 {
        if !align.is_power_of_two() || align < std::mem::size_of::<usize>() {
            return libc::EINVAL;
        }
        // SAFETY: a power-of-two alignment.
        let p = unsafe { HEAP.get(n, align) };
        if p.is_null() {
            return libc::ENOMEM;
        }
        // SAFETY: the caller passes a valid out pointer.
        unsafe { *out = p.cast() };
        0
    }

    #[no_mangle]
    unsafe extern "C" fn malloc_usable_size(p: *mut c_void) -> usize {
        if p.is_null() {
            0
        } else {
            // SAFETY: a live pointer from here.
            unsafe { Heap::usable(p.cast()) }
        }
    }
}

/// [`HEAP`] as a zero-sized value, for `#[global_allocator]` in `main.rs`.
pub struct Global;

// SAFETY: delegates every call to HEAP's GlobalAlloc.
unsafe impl GlobalAlloc for Global {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        // SAFETY: the caller's GlobalAlloc contract, passed on.
        unsafe { HEAP.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: as above.
        unsafe { HEAP.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        // SAFETY: as above.
        unsafe { HEAP.realloc(p, l, new) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_cover_sizes_exactly() {
        let min = 1usize << MIN_SHIFT;
        assert_eq!(class_of(1), 0);
        assert_eq!(class_of(min), 0);
        assert_eq!(class_of(min + 1), 1);
        assert_eq!(class_of(SMALL_MAX), CLASSES - 1);
        for total in 1..=SMALL_MAX {
            let c = class_of(total);
            assert!(c < CLASSES);
            assert!(total <= 1 << (c + MIN_SHIFT as usize), "{total}");
        }
    }

    #[test]
    fn blocks_are_aligned_disjoint_reused_and_large_ones_mapped() {
        let mut live: Vec<(usize, usize)> = Vec::new();
        for (i, &size) in [1usize, 7, 8, 24, 100, 4000, 4096, 9000, 70_000, 300_000]
            .iter()
            .enumerate()
        {
            for align in [1usize, 8, 64, 4096] {
                // SAFETY: power-of-two alignments; freed below.
                let p = unsafe { HEAP.get(size, align) };
                assert!(!p.is_null());
                assert_eq!(p as usize % align.max(HDR), 0, "size {size} align {align}");
                // SAFETY: fresh block of at least `size` bytes.
                unsafe { p.write_bytes(i as u8, size) };
                assert!(unsafe { Heap::usable(p) } >= size);
                live.push((p as usize, size));
            }
        }
        let mut sorted = live.clone();
        sorted.sort();
        for w in sorted.windows(2) {
            assert!(w[0].0 + w[0].1 <= w[1].0, "overlap {w:?}");
        }
        for (p, _) in &live {
            // SAFETY: each came from `get` above.
            unsafe { HEAP.put(*p as *mut u8) };
        }
        // A freed small block is handed out again for its class.
        // SAFETY: as above.
        unsafe {
            let a = HEAP.get(40, 8);
            HEAP.put(a);
            assert_eq!(HEAP.get(40, 8), a);
            HEAP.put(a);
        }
    }

    #[test]
    fn resize_keeps_contents() {
        // SAFETY: blocks from `get`, each used once.
        unsafe {
            let mut p = HEAP.get(10, 8);
            p.copy_from(b"0123456789".as_ptr(), 10);
            for n in [20usize, 5000, 100_000, 12] {
                p = HEAP.resize(p, 8, n);
                assert!(!p.is_null());
                assert_eq!(
                    std::slice::from_raw_parts(p, 10.min(n)),
                    &b"0123456789"[..10.min(n)]
                );
            }
            HEAP.put(p);
        }
    }
}
