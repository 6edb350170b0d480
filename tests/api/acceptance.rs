//! As a new user would try it: a project made with the CLI, the real
//! Python SDK sending to its DSN, a token from `moth token create`, and
//! curl listing and resolving the issues.

use std::process::Command;
use std::time::Duration;

use moth_storage::testing::TestDatabase;
use serde_json::Value;

use crate::common::{eventually, sdk, MothEnv, MothServer, TempDir};
use crate::support::last_line;

fn curl(args: &[&str]) -> Value {
    let out = Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .args(args)
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "curl {args:?} failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("curl {args:?}: not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_lists_and_resolves_real_sdk_issues_with_curl() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("api-accept");
    let env = MothEnv::external(&t.url(), dir.path());
    let server = MothServer::start(env.clone());
    let moth = server.base_url.clone();
    // The DSN must name the port the server really listens on.
    let env = env.with("MOTH_BASE_URL", &moth);
    let dsn = env.create_project("Shop");
    env.run_ok(&["user", "create", "--email", "dev@example.com"]);
    let dev = t.db.user_by_email("dev@example.com").await.unwrap();
    let shop = t.db.project_by_slug("shop").await.unwrap();
    t.db.set_project_members(shop.id, &[dev.id]).await.unwrap();
    let token = last_line(&env.run_ok(&[
        "token",
        "create",
        "--email",
        "dev@example.com",
        "--name",
        "laptop",
    ]));

    let outs = tokio::task::spawn_blocking(move || {
        [
            sdk::python("python-a-zerodiv-deep", &dsn),
            sdk::python("python-c-message-warning", &dsn),
        ]
    })
    .await
    .unwrap();
    for out in &outs {
        assert!(
            out.status.success(),
            "SDK script failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    eventually(
        "both events to be stored",
        Duration::from_secs(30),
        || async {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events")
                .fetch_one(t.db.pool())
                .await
                .unwrap()
                >= 2
        },
    )
    .await;

    let auth = format!("Authorization: Bearer {token}");
    let list_url = format!("{moth}/api/0/projects/moth/shop/issues/?query=is:unresolved");
    let issues = curl(&["-H", &auth, &list_url]);
    let titles: Vec<&str> = issues
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    let zero = issues
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["title"]
                .as_str()
                .unwrap()
                .starts_with("ZeroDivisionError")
        })
        .unwrap_or_else(|| panic!("{titles:?}"));
    assert!(titles.iter().any(|t| t.contains("Disk usage above 90%")));
    assert_eq!(zero["count"], "1");
    assert_eq!(zero["project"]["slug"], "shop");
    assert!(
        zero["culprit"].as_str().unwrap().ends_with("in level6"),
        "{zero}"
    );
    let id = zero["id"].as_str().unwrap();

    let resolved = curl(&[
        "-X",
        "PUT",
        "-H",
        &auth,
        "-H",
        "Content-Type: application/json",
        "-d",
        r#"{"status": "resolved"}"#,
        &format!("{moth}/api/0/issues/{id}/"),
    ]);
    assert_eq!(resolved["status"], "resolved");
    let stored: String = sqlx::query_scalar("SELECT status FROM issues WHERE id = $1")
        .bind(id.parse::<i64>().unwrap())
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(stored, "resolved");
    let left = curl(&["-H", &auth, &list_url]);
    assert_eq!(left.as_array().unwrap().len(), 1);
    let done = curl(&[
        "-H",
        &auth,
        &format!("{moth}/api/0/projects/moth/shop/issues/?query=is:resolved"),
    ]);
    assert_eq!(done[0]["id"], id);
    // The latest event carries the real SDK's stack trace with locals.
    let event = curl(&[
        "-H",
        &auth,
        &format!("{moth}/api/0/issues/{id}/events/latest/"),
    ]);
    let exc = event["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "exception")
        .unwrap();
    let frames = exc["data"]["values"][0]["stacktrace"]["frames"]
        .as_array()
        .unwrap();
    let crash = frames.last().unwrap();
    assert_eq!(crash["function"], "level6");
    assert!(crash["vars"].is_object(), "{crash}");
}
