//! The memory allocator: mimalloc, tuned for ingest.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Ingest allocates and frees many small JSON values per event; mimalloc
/// does that markedly faster than glibc's allocator under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long mimalloc keeps memory freed by ingest before handing it back
/// to the system, in milliseconds (its own default is 1,000). Sooner keeps
/// the peak RSS under heavy load lower (docs/benchmarks.md: 110-118 MB
/// against 127-149 MB at concurrency 1,000) with no throughput difference
/// that could be measured. `MIMALLOC_PURGE_DELAY` in the environment wins.
const PURGE_DELAY_MS: std::os::raw::c_long = 100;

/// `mi_option_purge_delay` in mimalloc.h (the same number in its v2 and
/// v3); the Rust bindings do not name it. A test checks it.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// `mi_option_allow_thp` in mimalloc v3's mimalloc.h. A test checks it.
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// The variable through which mimalloc reads `mi_option_allow_thp`.
const ALLOW_THP_VAR: &str = "MIMALLOC_ALLOW_THP";

/// Sets Moth's allocator options; call first thing in `main`.
///
/// Transparent huge pages are turned off for the process unless
/// `MIMALLOC_ALLOW_THP` says otherwise. mimalloc asks for them on its
/// arenas by default, and then a page is 2 MB to fault in (zeroed whole),
/// its freed memory goes back to the system only when all 2 MB are free,
/// and the kernel's khugepaged fills partly used regions back into whole
/// huge pages while the server is idle: measured at concurrency 1,000
/// (docs/benchmarks.md), idle RSS 29 MB before the load and 69-95 MB
/// (still growing) after it, against 15 MB and 50-58 MB without, with
/// the same throughput.
///
/// Two switches. mimalloc is built with its `no_thp` feature, so it never
/// advises its arenas for huge pages, not even the first one, which it
/// maps and touches before `main` (with only the switch below, that arena
/// started with 4 MB of huge pages: idle RSS 18 MB against 15 MB). And
/// the process-wide switch (`PR_SET_THP_DISABLE`) keeps the kernel from
/// using them unasked where its THP mode is `always`; children inherit
/// it: the embedded PostgreSQL, which asks for no huge pages itself, runs
/// without them as well. `MIMALLOC_ALLOW_THP` leaves that switch off.
pub fn tune() {
    // SAFETY: sets an integer option, which mimalloc reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
    if std::env::var_os(ALLOW_THP_VAR).is_none() {
        // SAFETY: sets an integer option, read when mimalloc maps memory.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0) }
        // SAFETY: a prctl that takes integers only. If the kernel refuses
        // it (no THP support), there are no huge pages to turn off.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

/// How often a thread may hand its freed memory back (see
/// [`release_freed_memory`]).
const RELEASE_EVERY: Duration = Duration::from_secs(1);

/// Hands the memory this thread freed back to the system, at most once
/// per [`RELEASE_EVERY`] per thread: call where a thread is about to wait
/// for work (the async workers park, the ingest threads have been idle).
///
/// mimalloc returns freed pages when a thread goes on allocating and
/// freeing; a thread that goes quiet after a burst keeps them, and so
/// does a page freed by another thread until its owner looks at it. After
/// 15 s at concurrency 1,000 that was 50-58 MB of idle RSS instead of
/// 25-27 MB (docs/benchmarks.md). Under load this runs at most once a
/// second on each thread.
pub fn release_freed_memory() {
    thread_local!(static LAST: Cell<Option<Instant>> = const { Cell::new(None) });
    let now = Instant::now();
    if !release_due(LAST.get(), now) {
        return;
    }
    LAST.set(Some(now));
    // SAFETY: collects this thread's heap and the pages due for purging;
    // no pointers are involved.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Whether a thread that last released at `last` may release at `now`.
fn release_due(last: Option<Instant>, now: Instant) -> bool {
    last.is_none_or(|last| now.duration_since(last) >= RELEASE_EVERY)
}

#[cfg(test)]
mod tests;
