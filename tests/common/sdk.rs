//! Real Sentry SDKs (installed by `scripts/sdk/install`) for live tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the SDKs are installed; installs them on first use.
pub fn tools() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let tools = std::env::var("MOTH_SDK_TOOLS")
                .map(PathBuf::from)
                .unwrap_or_else(|_| repo().join("target/sdk-tools"));
            let status = Command::new(repo().join("scripts/sdk/install"))
                .env("MOTH_SDK_TOOLS", &tools)
                .status()
                .expect("run scripts/sdk/install");
            assert!(
                status.success(),
                "scripts/sdk/install failed (see {}/install.log)",
                tools.display()
            );
            tools
        })
        .clone()
}

/// Runs the browser script `tests/browser/{name}.mjs` with Node against
/// `server` (`MOTH_URL`, `MOTH_SETUP_LINK` and `env` in its environment) and
/// asserts that it printed `browser {name} run: ok`; on failure the
/// assertion shows its output and the server's log.
pub async fn run_browser_script(
    server: &super::MothServer,
    name: &str,
    setup_link: String,
    env: Vec<(&'static str, PathBuf)>,
) {
    let tools = browser_tools();
    let script = repo().join(format!("tests/browser/{name}.mjs"));
    let base = server.base_url.clone();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(tools.join("bin/node"))
            .arg(script)
            .env("MOTH_URL", base)
            .env("MOTH_SETUP_LINK", setup_link)
            .envs(env)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains(&format!("browser {name} run: ok")),
        "the browser run failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.logs()
    );
}

/// Like [`tools`], and makes sure Debian's Chromium is there for the
/// browser tests (`scripts/sdk/install --browser`). Fails, never skips, when
/// it cannot be installed.
pub fn browser_tools() -> PathBuf {
    static INSTALLED: OnceLock<PathBuf> = OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let tools = std::env::var("MOTH_SDK_TOOLS")
                .map(PathBuf::from)
                .unwrap_or_else(|_| repo().join("target/sdk-tools"));
            let status = Command::new(repo().join("scripts/sdk/install"))
                .arg("--browser")
                .env("MOTH_SDK_TOOLS", &tools)
                .status()
                .expect("run scripts/sdk/install --browser");
            assert!(
                status.success(),
                "the browser tests need Chromium and the SDK tools, and `scripts/sdk/install --browser` failed \
                 (exit {status}): as root run `apt-get install -y chromium chromium-driver`, \
                 or set MOTH_CHROMIUM to a Chromium binary; details in {}/install.log",
                tools.display()
            );
            tools
        })
        .clone()
}

fn run(program: PathBuf, script: &Path, dsn: &str) -> Output {
    let out = Command::new(program)
        .arg(script)
        .env("SENTRY_DSN", dsn)
        .output()
        .expect("run SDK scenario");
    out
}

/// Runs a Python scenario (`scripts/sdk/scenarios/python/<name>.py`) or any
/// script path with the real sentry-sdk against `dsn`.
pub fn python(script: &str, dsn: &str) -> Output {
    let path = resolve(script, "python", "py");
    run(tools().join("venv/bin/python"), &path, dsn)
}

/// Runs a Node scenario or script with the real @sentry/node against `dsn`.
pub fn node(script: &str, dsn: &str) -> Output {
    let path = resolve(script, "node", "mjs");
    run(tools().join("bin/node"), &path, dsn)
}

fn resolve(script: &str, group: &str, ext: &str) -> PathBuf {
    let p = Path::new(script);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        repo().join(format!("scripts/sdk/scenarios/{group}/{script}.{ext}"))
    }
}
