//! The foundation as a new user meets it: the binary, its CLI, the embedded
//! PostgreSQL, the health endpoints and shutdown.

mod common;

use std::time::Duration;

use common::*;
use moth_storage::embedded::{EmbeddedConfig, EmbeddedPostgres};
use moth_storage::testing::TestDatabase;

async fn status(url: &str) -> u16 {
    reqwest::get(url)
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn embedded_lifecycle_keeps_data_and_leaves_no_postgres_behind() {
    let dir = TempDir::new("embedded");
    let env = MothEnv::embedded(dir.path());

    let server = MothServer::start(env.clone());
    assert_eq!(status(&server.url("/health/live")).await, 200);
    assert_eq!(status(&server.url("/health/ready")).await, 200);
    assert!(
        server.logs().contains("moth user create"),
        "first-run hint missing:\n{}",
        server.logs()
    );

    // A CLI command while the server runs attaches to its PostgreSQL.
    let dsn = env.create_project("Backend API");
    assert!(dsn.starts_with("http://") && dsn.ends_with("/1"), "{dsn}");
    let key = dsn.trim_start_matches("http://").split('@').next().unwrap();
    assert_eq!(key.len(), 32);

    let status_code = server.stop();
    assert!(status_code.success(), "moth exited with {status_code}");
    assert!(
        !embedded_postgres_running(dir.path()),
        "postgres left running after stop"
    );

    // Starting again keeps the project.
    let server = MothServer::start(env.clone());
    let out = env.run(&["project", "create", "backend-api"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "errors are one line: {err}");
    drop(server);
    assert!(!embedded_postgres_running(dir.path()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_command_without_a_server_starts_and_stops_postgres() {
    let dir = TempDir::new("cli");
    let env = MothEnv::embedded(dir.path());
    let out = env.run_ok(&["migrate"]);
    assert!(out.contains("migrations applied"));
    assert!(!embedded_postgres_running(dir.path()));
    let dsn = env.create_project("web");
    assert!(dsn.contains('@'));
    assert!(!embedded_postgres_running(dir.path()));
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_moth_does_not_orphan_postgres() {
    let dir = TempDir::new("kill9");
    let env = MothEnv::embedded(dir.path());
    let server = MothServer::start(env.clone());
    assert!(embedded_postgres_running(dir.path()));
    server.kill9();
    let d = dir.path().to_path_buf();
    eventually(
        "postgres to exit after moth was killed",
        Duration::from_secs(30),
        || {
            let d = d.clone();
            async move { !embedded_postgres_running(&d) }
        },
    )
    .await;
    // And the next start works on the same data dir.
    let server = MothServer::start(env);
    assert_eq!(status(&server.url("/health/ready")).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn external_database_url_starts_no_cluster() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("external");
    let env = MothEnv::external(&t.url(), dir.path());
    let server = MothServer::start(env.clone());
    assert_eq!(status(&server.url("/health/ready")).await, 200);
    let dsn = env.create_project("ext");
    assert!(dsn.contains('@'));
    assert!(
        !dir.path().join("postgres").exists(),
        "moth started its own cluster"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM projects")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn readiness_follows_the_database() {
    // A database server this test controls, reached through DATABASE_URL.
    let db_dir = TempDir::new("dbserver");
    let mut config = EmbeddedConfig::new(db_dir.path());
    config.durable = false;
    let pg = EmbeddedPostgres::start(&config).unwrap();
    let url = pg.url("postgres");
    let dir = TempDir::new("ready");
    let server = MothServer::start(MothEnv::external(&url, dir.path()));
    let ready = server.url("/health/ready");
    assert_eq!(status(&ready).await, 200);

    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap();
    eventually("ready to turn 503", Duration::from_secs(30), || {
        let ready = ready.clone();
        async move { status(&ready).await == 503 }
    })
    .await;
    assert_eq!(status(&server.url("/health/live")).await, 200);

    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&config).unwrap())
        .await
        .unwrap();
    eventually("ready to return to 200", Duration::from_secs(30), || {
        let ready = ready.clone();
        async move { status(&ready).await == 200 }
    })
    .await;
    drop(server);
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap();
}

#[test]
fn help_explains_every_command() {
    let env = MothEnv::embedded(std::path::Path::new("/nonexistent"));
    let out = env.run_ok(&["--help"]);
    for cmd in ["serve", "migrate", "user", "project", "token"] {
        assert!(out.contains(cmd), "--help lacks {cmd}: {out}");
    }
    let out = env.run_ok(&["project", "create", "--help"]);
    assert!(out.contains("--platform"));
    let out = env.run_ok(&["user", "create", "--help"]);
    assert!(out.contains("--password-stdin") && out.contains("--admin"));
}

#[test]
fn bad_configuration_is_one_clear_line() {
    let dir = TempDir::new("badcfg");
    let env = MothEnv::embedded(dir.path()).with("MOTH_BASE_URL", "ftp://x");
    let out = env.run(&["project", "create", "x"], None);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("MOTH_BASE_URL must start with http"), "{err}");
}
