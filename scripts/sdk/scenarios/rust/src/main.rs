//! Rust scenarios for Moth's SDK captures (see scripts/sdk/capture):
//!
//!     sentry_capture <scenario> [DSN]    (DSN defaults to $SENTRY_DSN)
//!
//! Run with RUST_BACKTRACE=1 so anyhow captures backtraces (rust-b).

use std::error::Error;
use std::fmt;
use std::hint::black_box;

use anyhow::Context;

/// A std error with a `source()`: sentry::capture_error sends the chain as
/// exception values (innermost first), without stack traces.
#[derive(Debug)]
struct ConfigError {
    path: String,
    source: std::num::ParseIntError,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid worker count in {}", self.path)
    }
}

impl Error for ConfigError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&self.source)
    }
}

fn parse_workers(raw: &str, path: &str) -> Result<u32, ConfigError> {
    raw.trim().parse().map_err(|source| ConfigError {
        path: path.to_string(),
        source,
    })
}

fn load_settings(path: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading settings from {path}"))
}

fn pick_shard<'a>(shards: &[&'a str], key: usize) -> &'a str {
    shards[key] // panics: index out of bounds
}

fn main() {
    let mut args = std::env::args().skip(1);
    let scenario = args.next().expect("usage: sentry_capture <scenario> [DSN]");
    let dsn = args
        .next()
        .or_else(|| std::env::var("SENTRY_DSN").ok())
        .expect("no DSN: pass it as the 2nd argument or set SENTRY_DSN");

    // ClientOptions is #[non_exhaustive]: start from the defaults.
    let mut options = sentry::ClientOptions::default();
    options.release = sentry::release_name!();
    // Flushes on drop, also while unwinding from the panic of rust-c.
    let _guard = sentry::init((dsn, options));

    match scenario.as_str() {
        "rust-a-std-error" => {
            let err = parse_workers("eight", "/etc/app.toml").unwrap_err();
            sentry::capture_error(&err);
        }
        "rust-b-anyhow" => {
            let err = load_settings("/nonexistent/settings.toml").unwrap_err();
            sentry::integrations::anyhow::capture_anyhow(&err);
        }
        "rust-c-panic" => {
            let shards = ["eu-1", "eu-2", "us-1"];
            let shard = pick_shard(&shards, black_box(7));
            println!("{shard}");
        }
        "rust-d-message" => {
            sentry::configure_scope(|scope| scope.set_tag("component", "scheduler"));
            sentry::capture_message("queue depth above threshold", sentry::Level::Warning);
        }
        other => panic!("unknown scenario {other}"),
    }
}
