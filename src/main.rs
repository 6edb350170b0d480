//! `moth`: the self-hosted, Sentry-compatible error tracker.
//!
//! This binary only parses the command line, reads configuration and wires
//! the crates together; the work happens in `crates/`.

mod alert_commands;
mod cli;
mod commands;
mod config;
mod database;
mod health;
mod maintenance;
mod serve;

use std::process::ExitCode;

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

fn tune_allocator() {
    // SAFETY: sets an integer option, which mimalloc reads when it purges.
    unsafe { libmimalloc_sys::mi_option_set_default(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

use clap::Parser;

fn main() -> ExitCode {
    tune_allocator();
    let cli = cli::Cli::parse();
    // Commands print their result on stdout; only the server narrates.
    let default_level = match cli.command {
        cli::Command::Serve(_) => "info",
        _ => "warn",
    };
    init_tracing(default_level);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the whole cause chain, outermost first.
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr (stdout carries command output such as DSNs);
/// `RUST_LOG` overrides the default level.
fn init_tracing(default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("{default_level},sqlx=warn")));
    use std::io::IsTerminal;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

#[cfg(test)]
mod allocator_tests {
    use super::*;

    fn purge_delay() -> std::os::raw::c_long {
        // SAFETY: reads an integer option.
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
    }

    /// Run by [`the_option_set_is_mimallocs_purge_delay`] in a child process
    /// with `MIMALLOC_PURGE_DELAY` set.
    #[test]
    #[ignore]
    fn reports_the_purge_delay_from_the_environment() {
        tune_allocator();
        let expected: std::os::raw::c_long = std::env::var("MIMALLOC_PURGE_DELAY")
            .expect("run by the_option_set_is_mimallocs_purge_delay")
            .parse()
            .unwrap();
        assert_eq!(purge_delay(), expected);
    }

    /// Option 15 is the one mimalloc reads from `MIMALLOC_PURGE_DELAY`, and
    /// that variable still wins over our default.
    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "allocator_tests::reports_the_purge_delay_from_the_environment",
            ])
            .env("MIMALLOC_PURGE_DELAY", "1234")
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            tune_allocator();
            assert_eq!(purge_delay(), PURGE_DELAY_MS);
        }
    }
}
