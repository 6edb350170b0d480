//! The real Python and Node SDKs, unmodified, against the running binary.

mod common;

use std::time::Duration;

use common::*;
use moth_storage::testing::TestDatabase;

struct Setup {
    t: TestDatabase,
    _dir: TempDir,
    _server: MothServer,
    dsn: String,
}

async fn setup() -> Setup {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("sdk");
    let env = MothEnv::external(&t.url(), dir.path());
    let server = MothServer::start(env.clone());
    // The DSN must name the port the server really listens on.
    let env = env.with("MOTH_BASE_URL", &server.base_url);
    let dsn = env.create_project("sdk app");
    Setup {
        t,
        _dir: dir,
        _server: server,
        dsn,
    }
}

async fn titles(t: &TestDatabase) -> Vec<String> {
    sqlx::query_scalar("SELECT title FROM events ORDER BY id")
        .fetch_all(t.db.pool())
        .await
        .unwrap()
}

async fn wait_for_events(t: &TestDatabase, n: i64) {
    eventually("events to be stored", Duration::from_secs(30), || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
            .fetch_one(t.db.pool())
            .await
            .unwrap()
            >= n
    })
    .await;
}

fn check(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "SDK script failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_events_become_issues() {
    let s = setup().await;
    let dsn = s.dsn.clone();
    let outs = tokio::task::spawn_blocking(move || {
        [
            sdk::python("python-a-zerodiv-deep", &dsn),
            sdk::python("python-a-zerodiv-deep", &dsn),
            sdk::python("python-b-chained", &dsn),
            sdk::python("python-c-message-warning", &dsn),
            sdk::python("python-l-brotli", &dsn),
        ]
    })
    .await
    .unwrap();
    outs.iter().for_each(check);
    wait_for_events(&s.t, 5).await;
    let titles = titles(&s.t).await;
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("ZeroDivisionError: float division by zero")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.starts_with("RuntimeError")),
        "{titles:?}"
    );
    assert!(
        titles.iter().any(|t| t.contains("Disk usage above 90%")),
        "{titles:?}"
    );
    // The same ZeroDivisionError twice: one issue, two events. The brotli
    // scenario calls it from a different line of `main`: its own issue.
    s.t.db.fold_issue_counts().await.unwrap();
    let (issues, max_times): (i64, i64) =
        sqlx::query_as("SELECT count(*), max(times_seen)::int8 FROM issues")
            .fetch_one(s.t.db.pool())
            .await
            .unwrap();
    assert_eq!((issues, max_times), (4, 2));
    let culprit: String = sqlx::query_scalar(
        "SELECT culprit FROM issues WHERE title LIKE 'ZeroDivisionError%' LIMIT 1",
    )
    .fetch_one(s.t.db.pool())
    .await
    .unwrap();
    assert!(culprit.ends_with("in level6"), "{culprit}");
}

#[tokio::test(flavor = "multi_thread")]
async fn node_sdk_events_become_issues() {
    let s = setup().await;
    let dsn = s.dsn.clone();
    let outs = tokio::task::spawn_blocking(move || {
        [
            sdk::node("node-a-typeerror-nested", &dsn),
            sdk::node("node-i-cause-chain", &dsn),
            // > 32 KiB: gzip'd and streamed chunked by the Node transport.
            sdk::node("node-h-large-event", &dsn),
        ]
    })
    .await
    .unwrap();
    outs.iter().for_each(check);
    wait_for_events(&s.t, 3).await;
    let titles = titles(&s.t).await;
    assert!(
        titles.iter().any(|t| t.starts_with("TypeError")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Error: dashboard could not be loaded")),
        "{titles:?}"
    );
    let exceptions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM issues WHERE metadata->>'value' = 'dashboard could not be loaded'",
    )
    .fetch_one(s.t.db.pool())
    .await
    .unwrap();
    assert_eq!(exceptions, 1);
}
