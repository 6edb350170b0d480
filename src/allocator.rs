//! The memory allocator: mimalloc, tuned for ingest.

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

/// Sets Moth's allocator options; call first thing in `main`.
pub fn tune() {
    // SAFETY: sets an integer option, which mimalloc reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn purge_delay() -> std::os::raw::c_long {
        // SAFETY: reads an integer option.
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
    }

    /// Marks the copy of this test that runs in a child process.
    const CHILD: &str = "MOTH_TEST_ALLOCATOR_CHILD";

    /// Option 15 is the one mimalloc reads from `MIMALLOC_PURGE_DELAY`
    /// (checked in a child process started with it), that variable wins
    /// over our default, and without it our default holds.
    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        if std::env::var_os(CHILD).is_some() {
            tune();
            assert_eq!(purge_delay(), 1234);
            return;
        }
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "allocator::tests::the_option_set_is_mimallocs_purge_delay",
            ])
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .env(CHILD, "1")
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "the child saw another purge delay");
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            tune();
            assert_eq!(purge_delay(), PURGE_DELAY_MS);
        }
    }
}
