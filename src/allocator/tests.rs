use super::*;

fn option(option: libmimalloc_sys::mi_option_t) -> std::os::raw::c_long {
    // SAFETY: reads an integer option.
    unsafe { libmimalloc_sys::mi_option_get(option) }
}

fn thp_disabled() -> bool {
    // SAFETY: a prctl that reads an integer.
    unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1 }
}

/// Marks the copy of a test that runs in a child process; its value says
/// which check the child makes.
const CHILD: &str = "MOTH_TEST_ALLOCATOR_CHILD";

/// Runs `test` of this module in a child process with `env` set and
/// `CHILD` = `check`; true when the child passed. mimalloc reads its
/// variables once, when the process starts, so options set from the
/// environment can only be checked in a fresh process.
fn child_passes(test: &str, check: &str, env: &[(&str, &str)]) -> bool {
    let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", &format!("allocator::tests::{test}")])
        .env(CHILD, check)
        .env_remove("MIMALLOC_PURGE_DELAY")
        .env_remove(ALLOW_THP_VAR)
        .stdout(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.status().unwrap().success()
}

/// Option 15 is the one mimalloc reads from `MIMALLOC_PURGE_DELAY`, that
/// variable wins over our default, and without it our default holds.
#[test]
fn the_option_set_is_mimallocs_purge_delay() {
    match std::env::var(CHILD).as_deref() {
        Ok("purge-env") => {
            tune();
            assert_eq!(option(MI_OPTION_PURGE_DELAY), 1234);
        }
        Ok("purge-default") => {
            tune();
            assert_eq!(option(MI_OPTION_PURGE_DELAY), PURGE_DELAY_MS);
        }
        Ok(_) => {}
        Err(_) => {
            let test = "the_option_set_is_mimallocs_purge_delay";
            let env = [("MIMALLOC_PURGE_DELAY", "1234")];
            assert!(child_passes(test, "purge-env", &env), "the variable lost");
            assert!(child_passes(test, "purge-default", &[]), "no default");
        }
    }
}

/// Without `MIMALLOC_ALLOW_THP`, tune() turns huge pages off in mimalloc
/// and for the process; with it, mimalloc's reading of the variable (its
/// option 43) stands and the process is left alone.
#[test]
fn transparent_huge_pages_are_off_unless_asked_for() {
    match std::env::var(CHILD).as_deref() {
        Ok("thp-default") => {
            // SAFETY: a prctl that takes integers only. Start from "on",
            // whatever the parent passed down.
            unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) };
            tune();
            assert_eq!(option(MI_OPTION_ALLOW_THP), 0);
            assert!(thp_disabled());
        }
        Ok("thp-env") => {
            // SAFETY: as above.
            unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 0, 0, 0, 0) };
            tune();
            assert_eq!(option(MI_OPTION_ALLOW_THP), 2);
            assert!(!thp_disabled());
        }
        Ok(_) => {}
        Err(_) => {
            let test = "transparent_huge_pages_are_off_unless_asked_for";
            assert!(child_passes(test, "thp-default", &[]), "THP left on");
            let env = [(ALLOW_THP_VAR, "2")];
            assert!(child_passes(test, "thp-env", &env), "the variable lost");
        }
    }
}

/// mimalloc is built never to advise its memory for huge pages: even
/// with `MIMALLOC_ALLOW_THP=1`, where Moth leaves the process alone, none
/// of its memory is in huge pages. A real check where the kernel gives
/// them only when asked (mode `madvise`, as on our machines); in mode
/// `always` the kernel would use them unasked, so there is nothing to see.
#[test]
fn mimalloc_never_asks_for_huge_pages() {
    let mode =
        std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled").unwrap_or_default();
    if !mode.contains("[madvise]") {
        return;
    }
    match std::env::var(CHILD).as_deref() {
        Ok("no-thp") => {
            tune();
            assert!(
                !thp_disabled(),
                "the variable should leave the process alone"
            );
            // ~32 MB in small blocks, enough to span whole 2 MB pages.
            let blocks: Vec<Box<[u8; 200]>> = (0..160_000).map(|_| Box::new([7u8; 200])).collect();
            let huge = anon_huge_pages_kb();
            drop(blocks);
            assert_eq!(huge, 0, "{huge} KB of huge pages");
        }
        Ok(_) => {}
        Err(_) => {
            let test = "mimalloc_never_asks_for_huge_pages";
            let env = [(ALLOW_THP_VAR, "1")];
            assert!(child_passes(test, "no-thp", &env), "huge pages were used");
        }
    }
}

/// A `Name:   N kB` line of a `/proc/self` file, in kB.
fn proc_self_kb(file: &str, name: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/self/{file}")).unwrap();
    let line = text.lines().find(|l| l.starts_with(name)).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn anon_huge_pages_kb() -> u64 {
    proc_self_kb("smaps_rollup", "AnonHugePages:")
}

fn rss_anon_kb() -> u64 {
    proc_self_kb("status", "RssAnon:")
}

/// Memory a thread freed goes back to the system when the thread
/// releases it, not only when it allocates again. In a child process, so
/// that other tests' allocations do not move the figures.
#[test]
fn freed_memory_goes_back_to_the_system_on_release() {
    match std::env::var(CHILD).as_deref() {
        Ok("release") => {
            tune();
            let before = rss_anon_kb();
            // ~64 MB in small blocks, as ingest's JSON values are.
            let blocks: Vec<Box<[u8; 200]>> = (0..320_000).map(|_| Box::new([7u8; 200])).collect();
            let peak = rss_anon_kb();
            drop(blocks);
            release_freed_memory();
            let after = rss_anon_kb();
            assert!(peak > before + 50_000, "{before} -> {peak} KB");
            assert!(after < before + 10_000, "{before} -> {peak} -> {after} KB");
        }
        Ok(_) => {}
        Err(_) => assert!(child_passes(
            "freed_memory_goes_back_to_the_system_on_release",
            "release",
            &[]
        )),
    }
}

#[test]
fn a_thread_releases_at_most_once_a_second() {
    let now = Instant::now();
    assert!(release_due(None, now));
    assert!(!release_due(Some(now), now + Duration::from_millis(999)));
    assert!(release_due(Some(now), now + RELEASE_EVERY));
}
