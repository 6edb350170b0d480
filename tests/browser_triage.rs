//! The triage acceptance in headless Chromium: the first admin through the
//! setup link, a project, a real Python SDK exception, the issue list, the
//! issue's stack trace with source context, resolving it, and a hostile
//! event whose payloads must not run. The browser part is
//! `tests/browser/triage.mjs`; it leaves screenshots of the main pages in
//! `<target dir>/screenshots/` (`.ci/run` keeps them as artifacts).

mod common;

use std::path::PathBuf;
use std::process::Command;

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
    let tools = sdk::browser_tools();
    let t = TestDatabase::new().await;
    let dir = TempDir::new("browser-triage");
    let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
    let link = setup_link(&server);

    let script = sdk::repo().join("tests/browser/triage.mjs");
    let scenario = sdk::repo().join("scripts/sdk/scenarios/python/python-a-zerodiv-deep.py");
    let base = server.base_url.clone();
    let shots = screenshots_dir();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(tools.join("bin/node"))
            .arg(script)
            .env("MOTH_URL", base)
            .env("MOTH_SETUP_LINK", link)
            .env("MOTH_PYTHON", tools.join("venv/bin/python"))
            .env("MOTH_PY_SCENARIO", scenario)
            .env("MOTH_SCREENSHOTS", shots)
            .output()
            .expect("run node")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("browser triage run: ok"),
        "the browser run failed:\n{stdout}\n{stderr}\nserver log:\n{}",
        server.logs()
    );

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
