//! One `postgres` server process: spawned as our child, or adopted when a
//! previous Moth left one running on the cluster.

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::cluster::{self, process_is_postgres, PostmasterPid, RunAs};
use super::{EmbeddedError, PgBinaries};

pub struct ServerConfig {
    pub bins: PgBinaries,
    pub run_as: RunAs,
    pub cluster_dir: PathBuf,
    pub log_path: PathBuf,
    pub durable: bool,
}

pub enum ServerProcess {
    Child(Child),
    Adopted(i32),
}

const START_TIMEOUT: Duration = Duration::from_secs(120);

impl ServerProcess {
    pub fn start(config: &ServerConfig) -> Result<Self, EmbeddedError> {
        if let Some(existing) = PostmasterPid::read(&config.cluster_dir) {
            if existing.is_alive() {
                if let Some(adopted) = adopt(config, &existing) {
                    return Ok(adopted);
                }
            } else if pid_alive(existing.pid) {
                // The pid was reused by an unrelated process (after a
                // reboot): the lock file is stale and postgres would refuse it.
                let _ = std::fs::remove_file(config.cluster_dir.join("postmaster.pid"));
            }
        }
        spawn(config)
    }

    pub fn pid(&self) -> i32 {
        match self {
            Self::Child(c) => c.id() as i32,
            Self::Adopted(pid) => *pid,
        }
    }

    pub fn is_running(&mut self) -> bool {
        match self {
            Self::Child(c) => matches!(c.try_wait(), Ok(None)),
            Self::Adopted(pid) => process_is_postgres(*pid),
        }
    }

    /// Fast shutdown (SIGINT); escalates if the server does not stop.
    pub fn shutdown(&mut self) {
        let pid = Pid::from_raw(self.pid());
        for (signal, wait) in [
            (Signal::SIGINT, Duration::from_secs(60)),
            (Signal::SIGQUIT, Duration::from_secs(5)),
            (Signal::SIGKILL, Duration::from_secs(5)),
        ] {
            if !self.is_running() {
                return;
            }
            let _ = kill(pid, signal);
            let deadline = Instant::now() + wait;
            while Instant::now() < deadline {
                if !self.is_running() {
                    tracing::info!("embedded PostgreSQL stopped");
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            tracing::warn!(
                ?signal,
                "embedded PostgreSQL did not stop in time; escalating"
            );
        }
    }
}

/// A server already running on our cluster: one that is shutting down is
/// waited for (`None` → start a new one); one that is up is adopted.
fn adopt(config: &ServerConfig, existing: &PostmasterPid) -> Option<ServerProcess> {
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        match PostmasterPid::read(&config.cluster_dir) {
            Some(p) if p.pid == existing.pid && p.is_alive() => {
                if p.status == "stopping" {
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                if p.is_ready() {
                    tracing::warn!(
                        pid = p.pid,
                        "adopting a PostgreSQL server left running on this data dir by an earlier Moth"
                    );
                    return Some(ServerProcess::Adopted(p.pid));
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => return None,
        }
    }
    None
}

fn spawn(config: &ServerConfig) -> Result<ServerProcess, EmbeddedError> {
    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&config.log_path)
        .map_err(|e| EmbeddedError::io(format!("open {}", config.log_path.display()), e))?;
    let log_err = log
        .try_clone()
        .map_err(|e| EmbeddedError::io("clone log handle", e))?;

    let mut cmd = Command::new(&config.bins.postgres);
    cmd.arg("-D")
        .arg(&config.cluster_dir)
        .args(["-p", "5432", "-c", "listen_addresses="])
        .arg("-c")
        .arg(format!(
            "unix_socket_directories={}",
            config.cluster_dir.display()
        ))
        .args(["-c", "unix_socket_permissions=0700"])
        // A new 16 MB WAL segment is otherwise written full of zeroes (and
        // synced) by whichever commit first needs it: at ingest rates that
        // is a stall of 50-130 ms for every writer a few times a second
        // until checkpoints recycle old segments. Without it the segment is
        // created at its full size with one byte; its blocks are allocated
        // as WAL is written, and each commit's fdatasync makes them durable
        // like the records in them.
        .args(["-c", "wal_init_zero=off"]);
    if !config.durable {
        cmd.args([
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
        ]);
    }
    cmd.current_dir(&config.cluster_dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        // Own process group: a Ctrl-C in the terminal reaches Moth only, and
        // Moth stops PostgreSQL after draining its write queue.
        .process_group(0);
    cluster::clean_pg_env(&mut cmd);
    config.run_as.apply(&mut cmd);
    let parent = std::process::id() as i32;
    // SAFETY: only async-signal-safe calls (prctl, getppid) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGINT) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                return Err(std::io::Error::other("parent exited during spawn"));
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| EmbeddedError::io(format!("run {}", config.bins.postgres.display()), e))?;
    let pid = child.id() as i32;

    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return Err(start_failed(config));
        }
        if let Some(p) = PostmasterPid::read(&config.cluster_dir) {
            if p.pid == pid && p.is_ready() {
                return Ok(ServerProcess::Child(child));
            }
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(start_failed(config));
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

fn start_failed(config: &ServerConfig) -> EmbeddedError {
    let text = std::fs::read_to_string(&config.log_path).unwrap_or_default();
    EmbeddedError::StartFailed {
        log: config.log_path.clone(),
        log_tail: cluster::last_lines(&text, 15),
    }
}

fn pid_alive(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}
