//! The on-disk cluster: initialisation, ownership and the `postmaster.pid` file.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nix::unistd::{Gid, Uid, User};

use super::{EmbeddedError, PgBinaries};

/// Which system account the PostgreSQL processes run as.
#[derive(Debug, Clone, Copy)]
pub struct RunAs {
    /// `Some` when we are root and must switch to the `postgres` user.
    pub switch_to: Option<(Uid, Gid)>,
}

impl RunAs {
    /// PostgreSQL refuses to run as root: as root we run it as `postgres`.
    pub fn detect() -> Result<Self, EmbeddedError> {
        if !Uid::effective().is_root() {
            return Ok(Self { switch_to: None });
        }
        let user = User::from_name("postgres")
            .ok()
            .flatten()
            .ok_or(EmbeddedError::NoPostgresUser)?;
        Ok(Self {
            switch_to: Some((user.uid, user.gid)),
        })
    }

    /// Applies the account switch to a command about to be spawned.
    pub fn apply(&self, cmd: &mut Command) {
        use std::os::unix::process::CommandExt;
        if let Some((uid, gid)) = self.switch_to {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
    }

    /// Makes `path` owned by the account PostgreSQL runs as.
    pub fn chown(&self, path: &Path) -> Result<(), EmbeddedError> {
        if let Some((uid, gid)) = self.switch_to {
            std::os::unix::fs::chown(path, Some(uid.as_raw()), Some(gid.as_raw()))
                .map_err(|e| EmbeddedError::io(format!("chown {}", path.display()), e))?;
        }
        Ok(())
    }

    /// Checks that the PostgreSQL account can reach `path` (every ancestor
    /// directory must be searchable by it), so that a data dir under `/root`
    /// gives a clear message instead of a cryptic initdb failure.
    pub fn check_reachable(&self, path: &Path) -> Result<(), EmbeddedError> {
        let Some((uid, gid)) = self.switch_to else {
            return Ok(());
        };
        for dir in path.ancestors().skip(1) {
            if dir.as_os_str().is_empty() {
                continue;
            }
            let meta = fs::metadata(dir)
                .map_err(|e| EmbeddedError::io(format!("stat {}", dir.display()), e))?;
            let mode = meta.permissions().mode();
            let searchable = mode & 0o001 != 0
                || (meta.uid() == uid.as_raw() && mode & 0o100 != 0)
                || (meta.gid() == gid.as_raw() && mode & 0o010 != 0);
            if !searchable {
                return Err(EmbeddedError::Unreachable {
                    dir: dir.to_path_buf(),
                });
            }
        }
        Ok(())
    }
}

/// Creates the cluster with `initdb` unless it already exists. `initdb` runs
/// in a scratch directory that is renamed into place, so a crash half-way
/// never leaves a broken cluster behind.
pub fn ensure_initialised(
    bins: &PgBinaries,
    run_as: RunAs,
    cluster_dir: &Path,
    durable: bool,
) -> Result<bool, EmbeddedError> {
    if cluster_dir.join("PG_VERSION").exists() {
        return Ok(false);
    }
    if cluster_dir.exists()
        && fs::read_dir(cluster_dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(EmbeddedError::NotACluster {
            dir: cluster_dir.to_path_buf(),
        });
    }
    let parent = cluster_dir.parent().unwrap_or(Path::new("."));
    let scratch = parent.join("postgres.initdb-tmp");
    if scratch.exists() {
        fs::remove_dir_all(&scratch)
            .map_err(|e| EmbeddedError::io(format!("remove {}", scratch.display()), e))?;
    }
    create_private_dir(&scratch, run_as)?;
    run_as.check_reachable(&scratch)?;

    let mut cmd = Command::new(&bins.initdb);
    cmd.arg("-D")
        .arg(&scratch)
        .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
        .current_dir(&scratch)
        .stdin(Stdio::null());
    if !durable {
        cmd.arg("--no-sync");
    }
    clean_pg_env(&mut cmd);
    run_as.apply(&mut cmd);
    let out = cmd
        .output()
        .map_err(|e| EmbeddedError::io(format!("run {}", bins.initdb.display()), e))?;
    if !out.status.success() {
        let mut text = String::from_utf8_lossy(&out.stdout).to_string();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        return Err(EmbeddedError::Initdb {
            output: last_lines(&text, 15),
        });
    }
    if cluster_dir.exists() {
        fs::remove_dir(cluster_dir)
            .map_err(|e| EmbeddedError::io(format!("remove {}", cluster_dir.display()), e))?;
    }
    fs::rename(&scratch, cluster_dir)
        .map_err(|e| EmbeddedError::io(format!("rename {}", scratch.display()), e))?;
    Ok(true)
}

/// Creates a 0700 directory owned by the PostgreSQL account.
pub fn create_private_dir(dir: &Path, run_as: RunAs) -> Result<(), EmbeddedError> {
    fs::create_dir_all(dir)
        .map_err(|e| EmbeddedError::io(format!("create {}", dir.display()), e))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(|e| EmbeddedError::io(format!("chmod {}", dir.display()), e))?;
    run_as.chown(dir)
}

/// Variables that would point libpq-aware programs somewhere else.
pub fn clean_pg_env(cmd: &mut Command) {
    for var in [
        "PGDATA",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGOPTIONS",
        "PGPASSWORD",
    ] {
        cmd.env_remove(var);
    }
}

/// What `postmaster.pid` says about a server running on a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostmasterPid {
    pub pid: i32,
    pub port: u16,
    pub socket_dir: PathBuf,
    pub status: String,
}

impl PostmasterPid {
    /// Reads and parses `<cluster>/postmaster.pid`; `None` if absent or partial.
    pub fn read(cluster_dir: &Path) -> Option<Self> {
        let text = fs::read_to_string(cluster_dir.join("postmaster.pid")).ok()?;
        Self::parse(&text)
    }

    fn parse(text: &str) -> Option<Self> {
        let lines: Vec<&str> = text.lines().collect();
        Some(Self {
            pid: lines.first()?.trim().parse().ok()?,
            port: lines.get(3)?.trim().parse().ok()?,
            socket_dir: PathBuf::from(lines.get(4)?.trim()),
            status: lines
                .get(7)
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
        })
    }

    pub fn is_ready(&self) -> bool {
        self.status == "ready"
    }

    /// True when the pid is alive and really is a PostgreSQL process (pids
    /// are reused after a reboot).
    pub fn is_alive(&self) -> bool {
        process_is_postgres(self.pid)
    }
}

/// Whether `pid` is a live `postgres` process.
pub fn process_is_postgres(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // "<pid> (<comm>) <state> ...": a zombie (Z) is as good as gone.
        Ok(stat) => {
            let comm_ok = stat.contains("(postgres)") || stat.contains("(postmaster)");
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|s| s.split_whitespace().next());
            comm_ok && state != Some("Z")
        }
        Err(_) => false,
    }
}

/// The last `n` lines of `text`, for error messages.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_postmaster_pid() {
        let text = "4242\n/data/postgres\n1700000000\n5432\n/data/postgres\n\n  1234567  98304\nready   \n";
        let pid = PostmasterPid::parse(text).unwrap();
        assert_eq!(pid.pid, 4242);
        assert_eq!(pid.port, 5432);
        assert_eq!(pid.socket_dir, PathBuf::from("/data/postgres"));
        assert!(pid.is_ready());
    }

    #[test]
    fn partial_postmaster_pid_is_none() {
        assert_eq!(PostmasterPid::parse("4242\n/data\n"), None);
    }

    #[test]
    fn last_lines_skips_blank_lines() {
        assert_eq!(last_lines("a\n\nb\nc\n\n", 2), "b\nc");
    }
}
