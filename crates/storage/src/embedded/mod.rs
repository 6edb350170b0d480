//! The embedded PostgreSQL manager.
//!
//! With no `DATABASE_URL`, Moth keeps its own PostgreSQL cluster under
//! `$MOTH_DATA_DIR/postgres`, listening only on a Unix socket inside that
//! directory. A supervisor thread owns the `postgres` child: it restarts it if
//! it dies and stops it (fast shutdown) when Moth stops. The child also gets
//! `PR_SET_PDEATHSIG`, so even a `kill -9` of Moth shuts PostgreSQL down
//! instead of leaving an orphaned postmaster.

mod binaries;
mod cluster;
mod server;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;

pub use binaries::PgBinaries;
pub use cluster::PostmasterPid;
use cluster::RunAs;
use server::{ServerConfig, ServerProcess};

/// Errors of the embedded manager, each phrased for the operator.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("no PostgreSQL server binaries (initdb, postgres) found on PATH, in `pg_config --bindir` or in /usr/lib/postgresql/*/bin: install PostgreSQL (e.g. `apt install postgresql`) or set DATABASE_URL to use an existing server")]
    NoBinaries,
    #[error("running as root, but there is no `postgres` system user to run PostgreSQL as (PostgreSQL refuses to run as root): create that user, run Moth as a normal user, or set DATABASE_URL")]
    NoPostgresUser,
    #[error("the `postgres` system user cannot enter {dir} (PostgreSQL runs as that user when Moth runs as root): choose a MOTH_DATA_DIR outside it or run `chmod o+x {dir}`", dir = .dir.display())]
    Unreachable { dir: PathBuf },
    #[error("{} exists but is not a PostgreSQL cluster; move it away or choose another MOTH_DATA_DIR", .dir.display())]
    NotACluster { dir: PathBuf },
    #[error("the socket path {} is longer than the 107 bytes Unix sockets allow; choose a shorter MOTH_DATA_DIR", .path.display())]
    SocketPathTooLong { path: PathBuf },
    #[error("initdb failed:\n{output}")]
    Initdb { output: String },
    #[error("PostgreSQL did not start; last lines of {}:\n{log_tail}", .log.display())]
    StartFailed { log: PathBuf, log_tail: String },
    #[error("another Moth process (pid {pid}) is already serving {}; stop it first or use another MOTH_DATA_DIR", .data_dir.display())]
    AlreadyServed { pid: i32, data_dir: PathBuf },
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl EmbeddedError {
    fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }
}

/// How the embedded cluster is run.
#[derive(Debug, Clone)]
pub struct EmbeddedConfig {
    /// Moth's data directory; the cluster lives in `<data_dir>/postgres`.
    pub data_dir: PathBuf,
    /// `false` turns fsync off: for throwaway test clusters only.
    pub durable: bool,
}

impl EmbeddedConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            durable: true,
        }
    }

    pub fn cluster_dir(&self) -> PathBuf {
        self.data_dir.join("postgres")
    }

    fn lock_path(&self) -> PathBuf {
        self.data_dir.join("moth.lock")
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("postgres.log")
    }
}

/// A running embedded PostgreSQL, either owned by this process (started or
/// adopted; stopped on [`EmbeddedPostgres::stop`] or drop) or attached to
/// (owned by another Moth process serving the same data dir).
pub struct EmbeddedPostgres {
    socket_dir: PathBuf,
    port: u16,
    supervisor: Option<Supervisor>,
    _lock: Option<File>,
}

struct Supervisor {
    stop_tx: mpsc::Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl EmbeddedPostgres {
    /// Starts (or adopts) the cluster for `moth serve`. Fails if another Moth
    /// process already serves this data dir.
    pub fn start(config: &EmbeddedConfig) -> Result<Self, EmbeddedError> {
        let config = &prepare_data_dir(config)?;
        match try_lock(&config.lock_path())? {
            Some(lock) => Self::own(config, lock),
            None => Err(EmbeddedError::AlreadyServed {
                pid: read_lock_pid(&config.lock_path()).unwrap_or(0),
                data_dir: config.data_dir.clone(),
            }),
        }
    }

    /// For CLI commands: connect to the server of a running `moth serve` on
    /// this data dir, or start one for as long as the returned value lives.
    pub fn start_or_attach(config: &EmbeddedConfig) -> Result<Self, EmbeddedError> {
        let config = &prepare_data_dir(config)?;
        match try_lock(&config.lock_path())? {
            Some(lock) => Self::own(config, lock),
            None => {
                let pid = wait_for_ready_server(&config.cluster_dir(), Duration::from_secs(60))
                    .ok_or_else(|| EmbeddedError::StartFailed {
                        log: config.log_path(),
                        log_tail: "another Moth process holds the data dir but its PostgreSQL is not ready".into(),
                    })?;
                Ok(Self {
                    socket_dir: pid.socket_dir,
                    port: pid.port,
                    supervisor: None,
                    _lock: None,
                })
            }
        }
    }

    fn own(config: &EmbeddedConfig, mut lock: File) -> Result<Self, EmbeddedError> {
        use std::io::Write;
        let _ = lock.set_len(0);
        let _ = write!(lock, "{}", std::process::id());

        let bins = PgBinaries::find()?;
        let run_as = RunAs::detect()?;
        let cluster_dir = config.cluster_dir();
        run_as.check_reachable(&cluster_dir)?;
        let socket_path = cluster_dir.join(".s.PGSQL.5432");
        if socket_path.as_os_str().len() > 107 {
            return Err(EmbeddedError::SocketPathTooLong { path: socket_path });
        }
        if cluster::ensure_initialised(&bins, run_as, &cluster_dir, config.durable)? {
            tracing::info!(dir = %cluster_dir.display(), "initialised a new PostgreSQL cluster");
        }

        let server_config = ServerConfig {
            bins,
            run_as,
            cluster_dir: cluster_dir.clone(),
            log_path: config.log_path(),
            durable: config.durable,
        };
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel();
        // The thread that spawns the child must outlive it: PR_SET_PDEATHSIG
        // fires when the spawning *thread* exits.
        let thread = std::thread::Builder::new()
            .name("embedded-postgres".into())
            .spawn(move || supervise(server_config, ready_tx, stop_rx))
            .map_err(|e| EmbeddedError::io("spawn supervisor thread", e))?;
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(Self {
                socket_dir: cluster_dir,
                port: 5432,
                supervisor: Some(Supervisor {
                    stop_tx,
                    thread: Some(thread),
                }),
                _lock: Some(lock),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                let _ = thread.join();
                Err(EmbeddedError::StartFailed {
                    log: config.log_path(),
                    log_tail: "the supervisor thread ended unexpectedly".into(),
                })
            }
        }
    }

    /// Connection options for `database` on this server (superuser `postgres`).
    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.socket_dir)
            .port(self.port)
            .username("postgres")
            .database(database)
    }

    /// A `postgres://` URL for `database`, for child processes (tests).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@localhost:{}/{}?host={}",
            self.port,
            database,
            self.socket_dir.display()
        )
    }

    /// Whether this process owns (and will stop) the server.
    pub fn is_owned(&self) -> bool {
        self.supervisor.is_some()
    }

    /// Stops the server if this process owns it, waiting for a clean shutdown.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        if let Some(mut sup) = self.supervisor.take() {
            let _ = sup.stop_tx.send(());
            if let Some(thread) = sup.thread.take() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for EmbeddedPostgres {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

/// Creates the data dir and makes its path absolute (PostgreSQL runs with
/// the cluster as its working directory).
fn prepare_data_dir(config: &EmbeddedConfig) -> Result<EmbeddedConfig, EmbeddedError> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir)
        .map_err(|e| EmbeddedError::io(format!("create {}", dir.display()), e))?;
    let absolute = std::fs::canonicalize(dir)
        .map_err(|e| EmbeddedError::io(format!("resolve {}", dir.display()), e))?;
    Ok(EmbeddedConfig {
        data_dir: absolute,
        ..config.clone()
    })
}

/// Takes the data dir's exclusive lock without blocking; `None` if another
/// process holds it.
fn try_lock(path: &Path) -> Result<Option<File>, EmbeddedError> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| EmbeddedError::io(format!("open {}", path.display()), e))?;
    // SAFETY: flock on a file descriptor we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(Some(file))
    } else {
        let err = std::io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
            Ok(None)
        } else {
            Err(EmbeddedError::io(format!("lock {}", path.display()), err))
        }
    }
}

fn read_lock_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

fn wait_for_ready_server(cluster_dir: &Path, timeout: Duration) -> Option<PostmasterPid> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(pid) = PostmasterPid::read(cluster_dir) {
            if pid.is_ready() && pid.is_alive() {
                return Some(pid);
            }
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The supervisor loop: start, report readiness, restart on unexpected
/// exits, stop on request (or when the owning handle is dropped).
fn supervise(
    config: ServerConfig,
    ready_tx: mpsc::Sender<Result<(), EmbeddedError>>,
    stop_rx: mpsc::Receiver<()>,
) {
    let mut server = match ServerProcess::start(&config) {
        Ok(s) => s,
        Err(e) => {
            let _ = ready_tx.send(Err(e));
            return;
        }
    };
    let _ = ready_tx.send(Ok(()));
    let mut backoff = Duration::from_millis(500);
    loop {
        match stop_rx.recv_timeout(Duration::from_millis(250)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                server.shutdown();
                return;
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if server.is_running() {
            backoff = Duration::from_millis(500);
            continue;
        }
        tracing::error!(
            log = %config.log_path.display(),
            "embedded PostgreSQL exited unexpectedly; restarting it"
        );
        match stop_rx.recv_timeout(backoff) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => return,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        match ServerProcess::start(&config) {
            Ok(s) => {
                tracing::info!("embedded PostgreSQL is back");
                server = s;
            }
            Err(e) => {
                tracing::error!(error = %e, "restarting embedded PostgreSQL failed; will retry");
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        }
    }
}
