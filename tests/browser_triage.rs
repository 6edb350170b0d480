//! The triage acceptance in headless Chromium: the first admin through the
//! setup link, a project, a real Python SDK exception, the issue list, the
//! issue's stack trace with source context, resolving it, and a hostile
//! event whose payloads must not run. The browser part is
//! `tests/browser/triage.mjs`; it leaves screenshots of the main pages in
//! `<target dir>/screenshots/` (`.ci/run` keeps them as artifacts).

mod common;

use std::path::PathBuf;

use common::*;
use moth_storage::testing::TestDatabase;

/// `<target dir>/screenshots`.
fn screenshots_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target dir")
        .join("screenshots")
}

#[tokio::test(flavor = "multi_thread")]
async fn triage_in_the_browser() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("browser-triage");
    let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
    let link = setup_link(&server);
    let tools = sdk::browser_tools();
    let env = vec![
        ("MOTH_PYTHON", tools.join("venv/bin/python")),
        (
            "MOTH_PY_SCENARIO",
            sdk::repo().join("scripts/sdk/scenarios/python/python-a-zerodiv-deep.py"),
        ),
        ("MOTH_SCREENSHOTS", screenshots_dir()),
    ];
    sdk::run_browser_script(&server, "triage", link, env).await;

    // What the browser did is in the database.
    let statuses: Vec<(String, String)> =
        sqlx::query_as("SELECT title, status FROM issues ORDER BY id")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
    assert_eq!(statuses.len(), 2, "{statuses:?}");
    assert!(statuses[0].0.starts_with("ZeroDivisionError"));
    assert_eq!(statuses[0].1, "resolved");
    assert_eq!(statuses[1].1, "unresolved");
    for page in [
        "projects",
        "issue-list",
        "issue",
        "event",
        "settings",
        "settings-alerts",
        "event-hostile",
    ] {
        let file = screenshots_dir().join(format!("{page}.png"));
        assert!(
            std::fs::metadata(&file).is_ok_and(|m| m.len() > 1000),
            "no screenshot {}",
            file.display()
        );
    }
}
