//! The embedded PostgreSQL manager, end to end: initdb, start, reuse, stop,
//! restart after a crash of the server, and no orphaned processes.

use std::path::Path;
use std::time::{Duration, Instant};

use moth_storage::database::create_database_if_missing;
use moth_storage::embedded::{EmbeddedConfig, EmbeddedPostgres, PostmasterPid};
use moth_storage::Database;

fn temp_data_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moth-emb-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn config(dir: &Path) -> EmbeddedConfig {
    let mut c = EmbeddedConfig::new(dir);
    c.durable = false;
    c
}

async fn connect(server: &EmbeddedPostgres) -> Database {
    let opts = server.connect_options("moth");
    create_database_if_missing(&opts, "moth").await.unwrap();
    Database::connect_lazy(opts, 2)
}

fn postgres_pid(dir: &Path) -> Option<i32> {
    PostmasterPid::read(&dir.join("postgres"))
        .filter(|p| p.is_alive())
        .map(|p| p.pid)
}

fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn starts_keeps_data_across_restarts_and_leaves_no_process() {
    let dir = temp_data_dir("restart");
    let server = EmbeddedPostgres::start(&config(&dir)).unwrap();
    assert!(server.is_owned());
    let db = connect(&server).await;
    sqlx::query("CREATE TABLE kept (v int)")
        .execute(db.pool())
        .await
        .unwrap();
    sqlx::query("INSERT INTO kept VALUES (42)")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    let pid = postgres_pid(&dir).expect("postgres running");
    server.stop();
    assert!(
        postgres_pid(&dir).is_none(),
        "postgres {pid} still running after stop"
    );
    assert!(!Path::new(&format!("/proc/{pid}")).exists() || !moth_storage_process_alive(pid));

    let server = EmbeddedPostgres::start(&config(&dir)).unwrap();
    let db = connect(&server).await;
    let v: i32 = sqlx::query_scalar("SELECT v FROM kept")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(v, 42);
    db.close().await;
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The settings `moth serve` runs with: every commit synced, and new WAL
/// segments not zero-filled (see the README's embedded PostgreSQL section).
#[tokio::test(flavor = "multi_thread")]
async fn a_durable_server_syncs_commits_and_does_not_zero_fill_wal() {
    let dir = temp_data_dir("durable");
    let server = EmbeddedPostgres::start(&EmbeddedConfig::new(&dir)).unwrap();
    let db = connect(&server).await;
    for (setting, expected) in [
        ("fsync", "on"),
        ("synchronous_commit", "on"),
        ("full_page_writes", "on"),
        ("wal_init_zero", "off"),
    ] {
        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
            .bind(setting)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(value, expected, "{setting}");
    }
    db.close().await;
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

fn moth_storage_process_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            !s.rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .starts_with('Z')
        })
        .unwrap_or(false)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_owner_is_refused_but_a_cli_attaches() {
    let dir = temp_data_dir("attach");
    let server = EmbeddedPostgres::start(&config(&dir)).unwrap();
    let err = EmbeddedPostgres::start(&config(&dir))
        .err()
        .expect("second start must fail");
    assert!(err.to_string().contains("already serving"), "{err}");

    let attached = EmbeddedPostgres::start_or_attach(&config(&dir)).unwrap();
    assert!(!attached.is_owned());
    let db = connect(&attached).await;
    db.ping().await.unwrap();
    db.close().await;
    drop(attached);
    // Dropping an attached handle must not stop the owner's server.
    assert!(postgres_pid(&dir).is_some());
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_server_is_restarted_by_the_supervisor() {
    let dir = temp_data_dir("supervise");
    let server = EmbeddedPostgres::start(&config(&dir)).unwrap();
    let db = connect(&server).await;
    db.ping().await.unwrap();
    let pid = postgres_pid(&dir).unwrap();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    wait_until("a new postmaster", || {
        postgres_pid(&dir).is_some_and(|p| p != pid)
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while db.ping().await.is_err() {
        assert!(Instant::now() < deadline, "database did not come back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    db.close().await;
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_data_dir_that_is_not_a_cluster_is_refused() {
    let dir = temp_data_dir("notcluster");
    std::fs::create_dir_all(dir.join("postgres")).unwrap();
    std::fs::write(dir.join("postgres").join("junk"), b"x").unwrap();
    let err = EmbeddedPostgres::start(&config(&dir))
        .err()
        .expect("must fail");
    assert!(
        err.to_string().contains("not a PostgreSQL cluster"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
