//! The outbox worker against a real database and a real HTTP receiver on
//! loopback: exactly one message per destination and trigger, in each
//! kind's format; retries; timeouts; digests; thresholds; several workers.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::*;
use moth_alerts::signature::{
    verify, DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use moth_alerts::testing::{Receiver, Reply};
use moth_alerts::{Alerts, AlertsWorker, DestinationKind, Threshold};
use moth_storage::testing::TestDatabase;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread")]
async fn one_message_per_destination_per_trigger_in_each_format() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let (other, _) = t.db.create_project("other", None).await.unwrap();
    let rx = Receiver::start().await;
    let alerts = Alerts::new(t.db.clone(), config());
    let kinds = DestinationKind::ALL;
    let mut secret = String::new();
    for kind in kinds {
        let d = add(&alerts, p.id, kind, &rx.url(&format!("/{kind}"))).await;
        if kind == DestinationKind::Webhook {
            secret = d.secret;
        }
    }
    add(&alerts, other.id, DestinationKind::Slack, &rx.url("/other")).await;
    let worker = AlertsWorker::start(t.db.clone(), config());

    let issue = store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    let link = format!("{BASE_URL}/issues/{issue}");
    rx.wait_until("one message per kind", WAIT, |r| {
        kinds
            .iter()
            .all(|k| r.iter().any(|x| x.path == format!("/{k}")))
    })
    .await;

    let first = |kind: DestinationKind| rx.accepted(&format!("/{kind}"))[0].clone();
    let slack = first(DestinationKind::Slack).json();
    assert_eq!(slack["blocks"][0]["text"]["text"], "New issue in app");
    assert!(slack["blocks"][1]["text"]["text"]
        .as_str()
        .unwrap()
        .contains(&format!("<{link}|APP-1: ValueError: bad>")));
    assert_eq!(slack["blocks"][3]["elements"][0]["url"], link.as_str());
    let discord = first(DestinationKind::Discord).json();
    assert_eq!(discord["embeds"][0]["url"], link.as_str());
    assert_eq!(discord["embeds"][0]["color"], 0xE03E2F);
    let mattermost = first(DestinationKind::Mattermost).json();
    assert_eq!(mattermost["attachments"][0]["title_link"], link.as_str());
    assert_eq!(
        mattermost["attachments"][0]["fields"][1]["value"],
        "production"
    );
    let teams = first(DestinationKind::Teams).json();
    assert_eq!(teams["type"], "message");
    assert_eq!(
        teams["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(
        teams["attachments"][0]["content"]["actions"][0]["url"],
        link.as_str()
    );
    let hook = first(DestinationKind::Webhook);
    let body = hook.json();
    assert_eq!(body["type"], "issue.new");
    assert_eq!(body["issue"]["id"], issue);
    assert_eq!(body["issue"]["short_id"], "APP-1");
    assert_eq!(body["issue"]["url"], link.as_str());
    assert_eq!(body["event"]["environment"], "production");
    assert_eq!(body["event"]["release"], "app@1.0.0");
    assert!(verify(
        &secret,
        &hook.body,
        hook.header(SIGNATURE_HEADER).unwrap()
    ));
    assert_eq!(hook.header(EVENT_HEADER), Some("issue.new"));
    assert!(hook
        .header(TIMESTAMP_HEADER)
        .unwrap()
        .parse::<i64>()
        .is_ok());
    assert!(hook.header(DELIVERY_HEADER).is_some());
    assert_eq!(hook.header("content-type"), Some("application/json"));

    // More events of the same issue: no new message.
    store(
        &t.db,
        &[
            event(p.id, "a", "ValueError: bad"),
            event(p.id, "a", "ValueError: bad"),
        ],
    )
    .await;
    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    settled(&t.db).await;
    for kind in kinds {
        assert_eq!(rx.accepted(&format!("/{kind}")).len(), 1, "{kind}");
    }

    // Resolved, then seen again: one regression message each.
    resolve(&t.db, issue).await;
    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    rx.wait_until("one regression per kind", WAIT, |r| {
        kinds
            .iter()
            .all(|k| r.iter().filter(|x| x.path == format!("/{k}")).count() == 2)
    })
    .await;
    settled(&t.db).await;
    for kind in kinds {
        assert_eq!(rx.accepted(&format!("/{kind}")).len(), 2, "{kind}");
    }
    let regression = rx.accepted("/webhook")[1].json();
    assert_eq!(regression["type"], "issue.regression");
    assert_eq!(regression["issue"]["id"], issue);
    assert_eq!(
        rx.accepted("/slack")[1].json()["blocks"][0]["text"]["text"],
        "Regression in app"
    );
    assert!(rx.accepted("/other").is_empty());
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_failures_with_500_then_success_deliver_exactly_once() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    rx.plan("/hook", [Reply::Status(500), Reply::Status(500)]);
    let alerts = Alerts::new(t.db.clone(), config());
    let d = add(&alerts, p.id, DestinationKind::Slack, &rx.url("/hook")).await;
    let worker = AlertsWorker::start(t.db.clone(), config());

    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    rx.wait_until("a delivered message", WAIT, |r| {
        r.iter().any(|x| x.accepted())
    })
    .await;
    settled(&t.db).await;
    let got = rx.received();
    assert_eq!(
        got.iter().map(|r| r.status).collect::<Vec<_>>(),
        [500, 500, 200]
    );
    // The retry sends the very same message.
    assert_eq!(got[0].body, got[2].body);
    let deliveries = alerts
        .recent_deliveries(moth_alerts::Actor::Operator, d.id, 10)
        .await
        .unwrap();
    assert_eq!(deliveries.len(), 1);
    assert_eq!(deliveries[0].state, moth_alerts::DeliveryState::Delivered);
    assert_eq!(deliveries[0].attempts, 3);
    assert_eq!(deliveries[0].last_status, Some(200));
    let list = alerts
        .list_destinations(moth_alerts::Actor::Operator, Some(p.id))
        .await
        .unwrap();
    assert!(list[0].last_success_at.is_some());
    assert!(list[0].last_failure.is_none(), "a later success clears it");
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_hangs_is_timed_out_without_holding_up_others() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    rx.set_default("/hang", Reply::Hang);
    let alerts = Alerts::new(t.db.clone(), config());
    let hanging = add(&alerts, p.id, DestinationKind::Discord, &rx.url("/hang")).await;
    add(&alerts, p.id, DestinationKind::Discord, &rx.url("/ok")).await;
    let worker = AlertsWorker::start(t.db.clone(), config());

    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    rx.wait_until("the healthy destination's message", WAIT, |r| {
        r.iter().any(|x| x.path == "/ok")
    })
    .await;
    eventually("the hanging send to time out", WAIT, || async {
        let d = t.db.alert_deliveries(hanging.id, 1).await.unwrap();
        d[0].last_error
            .as_deref()
            .is_some_and(|e| e.contains("timed out after 2 s"))
    })
    .await;
    let list = alerts
        .list_destinations(moth_alerts::Actor::Operator, Some(p.id))
        .await
        .unwrap();
    let status = list
        .iter()
        .find(|s| s.destination.id == hanging.id)
        .unwrap();
    let failure = status.last_failure.as_ref().expect("failure shown");
    assert!(failure.error.contains("timed out"), "{}", failure.error);
    assert_eq!(failure.status, None);
    assert_eq!(rx.accepted("/ok").len(), 1);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_and_fails_visibly() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    let elsewhere = Receiver::start().await;
    rx.set_default("/moved", Reply::Redirect(elsewhere.url("/steal")));
    let alerts = Alerts::new(t.db.clone(), config());
    let d = add(&alerts, p.id, DestinationKind::Webhook, &rx.url("/moved")).await;
    let worker = AlertsWorker::start(t.db.clone(), config());

    store(&t.db, &[event(p.id, "a", "ValueError: bad")]).await;
    settled(&t.db).await;
    assert_eq!(rx.received().len(), 1, "sent once, not retried");
    assert!(elsewhere.received().is_empty(), "the redirect was followed");
    let delivery = &t.db.alert_deliveries(d.id, 1).await.unwrap()[0];
    assert_eq!(delivery.state, moth_storage::alerts::DeliveryState::Failed);
    assert_eq!(delivery.last_status, Some(302));
    assert!(delivery
        .last_error
        .as_deref()
        .unwrap()
        .contains("not followed"));
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_burst_of_new_issues_becomes_one_digest() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    let alerts = Alerts::new(t.db.clone(), config());
    add(&alerts, p.id, DestinationKind::Webhook, &rx.url("/hook")).await;
    add(&alerts, p.id, DestinationKind::Slack, &rx.url("/slack")).await;
    let burst: Vec<_> = (0..12)
        .map(|i| event(p.id, &format!("h{i}"), &format!("KeyError: 'k{i}'")))
        .collect();
    t.db.store_events(&burst).await.unwrap();
    let worker = AlertsWorker::start(t.db.clone(), config());

    settled(&t.db).await;
    let hook = rx.accepted("/hook");
    assert_eq!(hook.len(), 1, "one digest, not twelve messages");
    let digest = hook[0].json();
    assert_eq!(digest["type"], "issues.digest");
    assert_eq!(digest["text"], "12 new issues in app");
    assert_eq!(digest["digest"]["count"], 12);
    assert_eq!(digest["digest"]["issues"].as_array().unwrap().len(), 12);
    assert_eq!(
        digest["digest"]["url"],
        format!("{BASE_URL}/projects/app/issues")
    );
    let slack = rx.accepted("/slack");
    assert_eq!(slack.len(), 1);
    let text = slack[0].json()["blocks"][1]["text"]["text"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(text.matches("• <").count(), 5);
    assert!(text.ends_with("…and 7 more"), "{text}");
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_share_the_outbox_without_sending_anything_twice() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    let mut cfg = config();
    // Separate issues, not a digest.
    cfg.worker.digest_above = 1000;
    let alerts = Alerts::new(t.db.clone(), cfg.clone());
    add(&alerts, p.id, DestinationKind::Webhook, &rx.url("/a")).await;
    add(&alerts, p.id, DestinationKind::Webhook, &rx.url("/b")).await;
    let one = AlertsWorker::start(t.db.clone(), cfg.clone());
    let two = AlertsWorker::start(t.db.clone(), cfg);

    for i in 0..8 {
        store(&t.db, &[event(p.id, &format!("h{i}"), &format!("E{i}"))]).await;
    }
    settled(&t.db).await;
    for path in ["/a", "/b"] {
        let got = rx.accepted(path);
        let issues: HashSet<i64> = got
            .iter()
            .map(|r| r.json()["issue"]["id"].as_i64().unwrap())
            .collect();
        assert_eq!(got.len(), 8, "{path}");
        assert_eq!(issues.len(), 8, "{path}: an issue was alerted twice");
    }
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_threshold_fires_once_per_issue_per_window() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    let alerts = Alerts::new(t.db.clone(), config());
    let d = add_with(
        &alerts,
        p.id,
        DestinationKind::Webhook,
        &rx.url("/hook"),
        vec![],
        Some(Threshold {
            events: 3,
            minutes: 10,
        }),
    )
    .await;
    let worker = AlertsWorker::start(t.db.clone(), config());
    let checked_after = |since: chrono::DateTime<chrono::Utc>| {
        let db = t.db.clone();
        async move {
            let at: Option<chrono::DateTime<chrono::Utc>> = sqlx::query_scalar(
                "SELECT threshold_checked_at FROM alert_destinations WHERE id = $1",
            )
            .bind(d.id)
            .fetch_one(db.pool())
            .await
            .unwrap();
            at.is_some_and(|at| at > since)
        }
    };

    // Three events: not more than three.
    let e: Vec<_> = (0..3).map(|_| event(p.id, "a", "Boom")).collect();
    let issue = store(&t.db, &e).await;
    let stored = chrono::Utc::now();
    eventually("a threshold check", WAIT, || checked_after(stored)).await;
    settled(&t.db).await;
    assert!(rx.received().is_empty(), "the new-issue trigger is off");

    // Two more: five in the window.
    store(&t.db, &[event(p.id, "a", "Boom"), event(p.id, "a", "Boom")]).await;
    rx.wait_until("the threshold alert", WAIT, |r| !r.is_empty())
        .await;
    let body = rx.accepted("/hook")[0].json();
    assert_eq!(body["type"], "issue.threshold");
    assert_eq!(body["issue"]["id"], issue);
    assert_eq!(body["threshold"]["events"], 3);
    assert_eq!(body["threshold"]["minutes"], 10);
    assert_eq!(body["threshold"]["count"], 4);
    assert_eq!(body["text"], "More than 3 events in 10 minutes in app");
    assert_eq!(body["event"]["environment"], "production");

    // More within the same window: nothing new.
    store(&t.db, &[event(p.id, "a", "Boom"), event(p.id, "a", "Boom")]).await;
    let stored = chrono::Utc::now();
    eventually("another threshold check", WAIT, || checked_after(stored)).await;
    settled(&t.db).await;
    assert_eq!(rx.received().len(), 1);
    worker.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undelivered_alert_is_delivered_by_the_next_worker() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    rx.set_default("/hook", Reply::Status(503));
    let alerts = Alerts::new(t.db.clone(), config());
    let d = add(&alerts, p.id, DestinationKind::Slack, &rx.url("/hook")).await;
    let mut cfg = config();
    cfg.retry.base_delay = Duration::from_secs(1);
    let worker = AlertsWorker::start(t.db.clone(), cfg.clone());
    store(&t.db, &[event(p.id, "a", "Boom")]).await;
    rx.wait_until("a first, failed attempt", WAIT, |r| !r.is_empty())
        .await;
    worker.shutdown().await;

    rx.set_default("/hook", Reply::Status(200));
    let worker = AlertsWorker::start(t.db.clone(), cfg);
    rx.wait_until("the delivery", WAIT, |r| r.iter().any(|x| x.accepted()))
        .await;
    settled(&t.db).await;
    assert_eq!(rx.accepted("/hook").len(), 1);
    assert_eq!(t.db.alert_deliveries(d.id, 10).await.unwrap().len(), 1);
    worker.shutdown().await;
}
