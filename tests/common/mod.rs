//! Black-box harness: runs the real `moth` binary on a random port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const MOTH: &str = env!("CARGO_BIN_EXE_moth");

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "moth-e2e-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The environment a Moth process (and the CLI commands of a test) run with.
#[derive(Clone, Debug)]
pub struct MothEnv {
    pub vars: Vec<(String, String)>,
}

impl MothEnv {
    /// Moth on an external database (a fresh test database URL).
    pub fn external(database_url: &str, data_dir: &Path) -> Self {
        Self {
            vars: vec![
                ("DATABASE_URL".into(), database_url.into()),
                ("MOTH_DATA_DIR".into(), data_dir.display().to_string()),
                ("MOTH_BIND".into(), "127.0.0.1:0".into()),
            ],
        }
    }

    /// Moth with its embedded PostgreSQL in `data_dir`.
    pub fn embedded(data_dir: &Path) -> Self {
        Self {
            vars: vec![
                ("MOTH_DATA_DIR".into(), data_dir.display().to_string()),
                ("MOTH_BIND".into(), "127.0.0.1:0".into()),
            ],
        }
    }

    pub fn with(mut self, key: &str, value: &str) -> Self {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.into(), value.into()));
        self
    }

    pub fn command(&self) -> Command {
        let mut cmd = Command::new(MOTH);
        cmd.env_remove("DATABASE_URL")
            .env_remove("MOTH_BASE_URL")
            .env_remove("MOTH_BIND")
            .env_remove("MOTH_DATA_DIR")
            .env_remove("RUST_LOG");
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs a CLI command to completion.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command();
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn moth");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().expect("wait for moth")
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args, None);
        assert!(
            out.status.success(),
            "moth {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Creates a project and returns its DSN (the last stdout line).
    pub fn create_project(&self, name: &str) -> String {
        let out = self.run_ok(&["project", "create", name]);
        out.lines().last().unwrap().to_string()
    }
}

/// A running `moth serve`.
pub struct MothServer {
    child: Child,
    pub base_url: String,
    pub env: MothEnv,
    logs: Arc<Mutex<String>>,
}

impl MothServer {
    /// Starts `moth serve` and waits until it listens.
    pub fn start(env: MothEnv) -> Self {
        let mut child = env
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn moth serve");
        let logs = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let _ = tx.send(addr);
                }
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                panic!("moth serve did not start:\n{}", logs.lock().unwrap());
            }
        };
        Self {
            child,
            base_url: format!("http://{addr}"),
            env,
            logs,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.pid()),
            nix::sys::signal::Signal::SIGTERM,
        );
        self.wait_exit()
    }

    /// SIGKILL: a crash.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("moth did not exit:\n{}", self.logs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for MothServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(self.pid()),
                nix::sys::signal::Signal::SIGTERM,
            );
            let _ = self.wait_exit();
        }
    }
}

/// The first-run setup link `moth serve` logs while no user exists (waits
/// for it with a deadline).
pub fn setup_link(server: &MothServer) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let logs = server.logs();
        if let Some(rest) = logs.split("open ").find(|s| s.contains("/setup/")) {
            return rest.split_whitespace().next().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no setup link in the log:\n{logs}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Polls `cond` until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub mod captures;
pub mod ingest;
pub mod sdk;
pub mod web;

/// Whether a PostgreSQL postmaster is alive on `<data_dir>/postgres`.
pub fn embedded_postgres_running(data_dir: &Path) -> bool {
    moth_storage::embedded::PostmasterPid::read(&data_dir.join("postgres"))
        .is_some_and(|p| p.is_alive())
}
