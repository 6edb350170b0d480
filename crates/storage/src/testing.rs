//! Test support: one throwaway PostgreSQL cluster per test binary, started
//! through the same embedded manager Moth uses, and a fresh database per test
//! cloned from a migrated template (fast: a file copy, no migrations).

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::{ConnectOptions, Connection};

use crate::database::{create_database_if_missing, quote_ident};
use crate::embedded::{EmbeddedConfig, EmbeddedPostgres, PostmasterPid};
use crate::Database;

const TEMPLATE: &str = "moth_template";

struct TestCluster {
    server: EmbeddedPostgres,
}

fn cluster() -> &'static TestCluster {
    static CLUSTER: OnceLock<TestCluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        // Started on its own thread with its own runtime: the caller may be
        // inside a test's runtime, where blocking on another is not allowed.
        std::thread::spawn(start_cluster)
            .join()
            .expect("starting the test PostgreSQL cluster panicked")
    })
}

fn start_cluster() -> TestCluster {
    remove_stale_clusters();
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let dir = std::env::temp_dir().join(format!("moth-test-{}-{nanos}", std::process::id()));
    let mut config = EmbeddedConfig::new(&dir);
    config.durable = false;
    let server = EmbeddedPostgres::start(&config)
        .unwrap_or_else(|e| panic!("cannot start the test PostgreSQL cluster: {e}"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let opts = server.connect_options(TEMPLATE);
        create_database_if_missing(&opts, TEMPLATE)
            .await
            .expect("create template database");
        let mut conn = opts.connect().await.expect("connect to template database");
        crate::database::MIGRATOR
            .run(&mut conn)
            .await
            .expect("migrate template database");
        conn.close().await.ok();
    });
    TestCluster { server }
}

/// Removes clusters of earlier test runs whose process is gone.
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix("moth-test-") else {
            continue;
        };
        let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        let path = entry.path();
        if Path::new(&format!("/proc/{pid}")).exists() || postgres_running(&path) {
            continue;
        }
        let _ = std::fs::remove_dir_all(&path);
    }
}

fn postgres_running(data_dir: &Path) -> bool {
    PostmasterPid::read(&data_dir.join("postgres")).is_some_and(|p| p.is_alive())
}

/// A fresh, migrated database for one test.
pub struct TestDatabase {
    pub db: Database,
    name: String,
}

impl TestDatabase {
    pub async fn new() -> Self {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let cluster = cluster();
        let name = format!(
            "test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = cluster
            .server
            .connect_options("postgres")
            .connect()
            .await
            .expect("connect to test cluster");
        sqlx::query(&format!(
            "CREATE DATABASE {} TEMPLATE {}",
            quote_ident(&name),
            quote_ident(TEMPLATE)
        ))
        .execute(&mut admin)
        .await
        .expect("create test database");
        admin.close().await.ok();
        let db = Database::connect_lazy(cluster.server.connect_options(&name), 8);
        Self { db, name }
    }

    /// A `postgres://` URL of this database, for a `moth` child process.
    pub fn url(&self) -> String {
        cluster().server.url(&self.name)
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}
