//! Alerts end to end: the real `moth` binary, its CLI (`moth alert add |
//! list | test`), events over HTTP (and from the real Python SDK), and a
//! real HTTP receiver on loopback standing in for the chat.

mod common;

use std::time::Duration;

use common::*;
use moth_alerts::signature::{verify, SIGNATURE_HEADER};
use moth_alerts::testing::{Receiver, Reply};
use moth_storage::testing::TestDatabase;

const WAIT: Duration = Duration::from_secs(30);

/// The DSN's public key and project id.
fn dsn_parts(dsn: &str) -> (String, i64) {
    let rest = dsn.split("://").nth(1).unwrap();
    let (key, rest) = rest.split_once('@').unwrap();
    let project = rest.rsplit('/').next().unwrap().parse().unwrap();
    (key.to_string(), project)
}

/// Sends one Python-like exception event through the envelope endpoint.
async fn send_exception(server: &MothServer, dsn: &str, kind: &str, message: &str) {
    let (key, project) = dsn_parts(dsn);
    let id = uuid::Uuid::new_v4().simple().to_string();
    let event = serde_json::json!({
        "event_id": id,
        "platform": "python",
        "level": "error",
        "environment": "production",
        "release": "api@2.1.0",
        "exception": {"values": [{
            "type": kind,
            "value": message,
            "stacktrace": {"frames": [{
                "function": "create_order", "module": "api.orders",
                "filename": "api/orders.py", "lineno": 42, "in_app": true
            }]}
        }]}
    });
    let body = format!("{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n{event}\n");
    let url = server.url(&format!("/api/{project}/envelope/?sentry_key={key}"));
    let resp = reqwest::Client::new()
        .post(url)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

/// The id in `created alert destination <id> ...`.
fn created_id(stdout: &str) -> i64 {
    stdout
        .lines()
        .find_map(|l| l.strip_prefix("created alert destination "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {stdout:?}"))
}

async fn scalar(t: &TestDatabase, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(t.db.pool())
        .await
        .unwrap()
}

/// Nothing left for the worker: outbox dispatched, no delivery waiting.
async fn settled(t: &TestDatabase) {
    eventually("the alerts worker to settle", WAIT, || async {
        scalar(
            t,
            "SELECT (SELECT count(*) FROM alert_outbox WHERE dispatched_at IS NULL) \
                  + (SELECT count(*) FROM alert_deliveries WHERE state IN ('pending', 'sending'))",
        )
        .await
            == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_destinations_test_messages_and_one_alert_per_new_issue() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("alerts");
    let rx = Receiver::start().await;
    rx.set_default("/down", Reply::Body(500, b"no thanks".to_vec()));
    let env = MothEnv::external(&t.url(), dir.path());
    let server = MothServer::start(env.clone());
    let env = env.with("MOTH_BASE_URL", &server.base_url);
    let dsn = env.create_project("api");

    let out = env.run_ok(&[
        "alert",
        "add",
        "--project",
        "api",
        "--kind",
        "slack",
        "--url",
        &rx.url("/slack"),
    ]);
    let slack = created_id(&out);
    assert!(out.contains("new, regression, unmuted"), "{out}");
    let out = env.run_ok(&[
        "alert",
        "add",
        "--project",
        "api",
        "--kind",
        "webhook",
        "--url",
        &rx.url("/hook"),
        "--name",
        "CI hook",
        "--triggers",
        "new,regression",
    ]);
    let hook = created_id(&out);
    let secret = out
        .lines()
        .find_map(|l| l.strip_prefix("signing secret: "))
        .expect("the webhook's secret is printed")
        .to_string();
    assert_eq!(secret.len(), 64);

    let list = env.run_ok(&["alert", "list"]);
    assert!(list.contains(&format!("{slack}  api  slack")), "{list}");
    assert!(
        list.contains(&format!("{hook}  api  webhook  \"CI hook\"")),
        "{list}"
    );
    assert!(list.contains(&secret), "{list}");
    assert!(list.contains("triggers:     new, regression\n"), "{list}");
    assert!(!list.contains("/slack"), "URLs are credentials: {list}");

    // "Send test message".
    let out = env.run_ok(&["alert", "test", &slack.to_string()]);
    assert!(
        out.contains("test message delivered") && out.contains("HTTP 200"),
        "{out}"
    );
    let test = &rx.accepted("/slack")[0];
    assert!(test.json()["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Test message from Moth"));

    // A new issue: one message per destination, linking to the issue page.
    send_exception(&server, &dsn, "ValueError", "invalid quantity").await;
    rx.wait_until("the alerts", WAIT, |r| {
        r.iter().filter(|x| x.path == "/slack").count() == 2 && r.iter().any(|x| x.path == "/hook")
    })
    .await;
    let issue = scalar(&t, "SELECT id FROM issues").await;
    let link = format!("{}/issues/{issue}", server.base_url);
    let alert = rx.accepted("/slack")[1].json();
    assert_eq!(alert["blocks"][0]["text"]["text"], "New issue in api");
    assert_eq!(alert["blocks"][3]["elements"][0]["url"], link.as_str());
    assert!(alert["blocks"][1]["text"]["text"]
        .as_str()
        .unwrap()
        .contains("API-1: ValueError: invalid quantity"));
    let fields = alert["blocks"][2]["fields"].to_string();
    assert!(
        fields.contains("production") && fields.contains("api@2.1.0"),
        "{fields}"
    );
    let hooked = &rx.accepted("/hook")[0];
    assert!(verify(
        &secret,
        &hooked.body,
        hooked.header(SIGNATURE_HEADER).unwrap()
    ));
    assert_eq!(hooked.json()["issue"]["url"], link.as_str());

    // The same error again: no more messages.
    send_exception(&server, &dsn, "ValueError", "invalid quantity").await;
    send_exception(&server, &dsn, "ValueError", "invalid quantity").await;
    eventually("the repeats to be stored", WAIT, || async {
        scalar(&t, "SELECT times_seen FROM issues").await == 3
    })
    .await;
    settled(&t).await;
    assert_eq!(rx.accepted("/slack").len(), 2);
    assert_eq!(rx.accepted("/hook").len(), 1);

    // A failing test message says why and exits non-zero.
    let out = env.run_ok(&[
        "alert",
        "add",
        "--project",
        "api",
        "--kind",
        "discord",
        "--url",
        &rx.url("/down"),
    ]);
    let down = created_id(&out);
    let failed = env.run(&["alert", "test", &down.to_string()], None);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("HTTP 500: no thanks"), "{stderr}");
    let list = env.run_ok(&["alert", "list", "--project", "api"]);
    assert!(
        list.contains("last failure: ") && list.contains("HTTP 500: no thanks"),
        "{list}"
    );

    // Bad input gets a reason.
    for (args, reason) in [
        (
            vec!["--project", "nope", "--kind", "slack", "--url", "http://x/"],
            "no project",
        ),
        (
            vec!["--project", "api", "--kind", "slack", "--url", "ftp://x/"],
            "http://",
        ),
        (
            vec!["--project", "api", "--kind", "irc", "--url", "http://x/"],
            "irc",
        ),
        (
            vec![
                "--project",
                "api",
                "--kind",
                "slack",
                "--url",
                "http://x/",
                "--triggers",
                "threshold",
            ],
            "--threshold-events",
        ),
    ] {
        let mut full = vec!["alert", "add"];
        full.extend(args);
        let out = env.run(&full, None);
        assert!(!out.status.success(), "{full:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(reason), "{full:?}: {stderr}");
    }
    let out = env.run_ok(&[
        "alert",
        "add",
        "--project",
        "api",
        "--kind",
        "teams",
        "--url",
        &rx.url("/teams"),
        "--triggers",
        "threshold",
        "--threshold-events",
        "100",
        "--threshold-minutes",
        "10",
    ]);
    assert!(
        out.contains(": more than 100 events in 10 minutes"),
        "{out}"
    );
    server.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_with_pending_alerts_delivers_them_once() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("alerts-restart");
    let rx = Receiver::start().await;
    // The chat is down at first.
    rx.set_default("/slack", Reply::Status(503));
    let env = MothEnv::external(&t.url(), dir.path());
    let dsn = env.create_project("api");
    env.run_ok(&[
        "alert",
        "add",
        "--project",
        "api",
        "--kind",
        "slack",
        "--url",
        &rx.url("/slack"),
    ]);

    let server = MothServer::start(env.clone());
    send_exception(&server, &dsn, "KeyError", "'customer'").await;
    rx.wait_until("a first, refused attempt", WAIT, |r| !r.is_empty())
        .await;
    // Crash while the alert waits for its retry.
    server.kill9();
    assert_eq!(
        scalar(
            &t,
            "SELECT count(*) FROM alert_deliveries WHERE state = 'delivered'"
        )
        .await,
        0
    );

    // The chat comes back, and so does Moth.
    rx.set_default("/slack", Reply::Status(200));
    let server = MothServer::start(env.clone());
    rx.wait_until("the delivery after the restart", WAIT, |r| {
        r.iter().any(|x| x.accepted())
    })
    .await;
    settled(&t).await;
    // A graceful stop and another start send nothing more.
    server.stop();
    let server = MothServer::start(env);
    settled(&t).await;
    assert_eq!(rx.accepted("/slack").len(), 1);
    assert_eq!(
        scalar(
            &t,
            "SELECT count(*) FROM alert_deliveries WHERE state = 'delivered'"
        )
        .await,
        1
    );
    let refused = rx.received().iter().filter(|r| r.status == 503).count();
    assert!(refused >= 1);
    server.stop();
}

/// The acceptance scenario: a Slack destination, "send test message", then
/// an exception raised by the real Python SDK: one well-formed message
/// arrives within seconds, linking to the issue page.
#[tokio::test(flavor = "multi_thread")]
async fn python_sdk_exception_alerts_slack_once() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("alerts-sdk");
    let rx = Receiver::start().await;
    let env = MothEnv::external(&t.url(), dir.path());
    let server = MothServer::start(env.clone());
    let env = env.with("MOTH_BASE_URL", &server.base_url);
    let dsn = env.create_project("shop");
    let id = created_id(&env.run_ok(&[
        "alert",
        "add",
        "--project",
        "shop",
        "--kind",
        "slack",
        "--url",
        &rx.url("/slack"),
    ]));
    env.run_ok(&["alert", "test", &id.to_string()]);
    assert_eq!(rx.accepted("/slack").len(), 1);

    let sdk_dsn = dsn.clone();
    let out = tokio::task::spawn_blocking(move || sdk::python("python-a-zerodiv-deep", &sdk_dsn))
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = std::time::Instant::now();
    rx.wait_until("the Slack alert", WAIT, |r| r.len() == 2)
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    settled(&t).await;
    assert_eq!(rx.accepted("/slack").len(), 2);
    let issue = scalar(&t, "SELECT id FROM issues").await;
    let title: String = sqlx::query_scalar("SELECT title FROM issues")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    let alert = rx.accepted("/slack")[1].json();
    let link = format!("{}/issues/{issue}", server.base_url);
    assert_eq!(alert["blocks"][3]["elements"][0]["url"], link.as_str());
    let summary = alert["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        summary.starts_with(&format!("*<{link}|SHOP-1: ")),
        "{summary}"
    );
    assert!(title.contains("ZeroDivisionError"), "{title}");
    assert!(summary.contains("ZeroDivisionError"), "{summary}");
    server.stop();
}
