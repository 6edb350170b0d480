//! The service behind the settings page and the CLI: admin rights, test
//! messages, disabling, listing with the last failure; and the storage
//! rules the worker relies on (rate limit, lapsed claims).

mod common;

use std::time::Duration;

use common::*;
use moth_alerts::signature::{verify, SIGNATURE_HEADER};
use moth_alerts::testing::{Receiver, Reply};
use moth_alerts::{
    Actor, AlertError, Alerts, AlertsWorker, DestinationInput, DestinationKind, Trigger,
};
use moth_storage::alerts::{AttemptOutcome, ClaimLimits, DeliveryState};
use moth_storage::testing::TestDatabase;

fn limits(per_minute: i32) -> ClaimLimits {
    ClaimLimits {
        max: 100,
        lease: Duration::from_secs(60),
        per_minute,
        digest_above: 1000,
        max_attempts: 5,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn only_admins_manage_destinations_and_others_see_no_urls() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let admin =
        t.db.create_user("admin@example.com", "x", true)
            .await
            .unwrap();
    let member =
        t.db.create_user("dev@example.com", "x", false)
            .await
            .unwrap();
    let alerts = Alerts::new(t.db.clone(), config());
    let input = DestinationInput {
        name: "  #errors ".into(),
        kind: DestinationKind::Slack,
        url: "https://hooks.slack.com/services/T/B/secret".into(),
        triggers: vec![Trigger::New],
        threshold: None,
    };
    assert!(matches!(
        alerts
            .add_destination(Actor::User(&member), p.id, input.clone())
            .await,
        Err(AlertError::Forbidden)
    ));
    let d = alerts
        .add_destination(Actor::User(&admin), p.id, input.clone())
        .await
        .unwrap();
    assert_eq!(d.name, "#errors");
    assert_eq!(d.secret.len(), 64);
    for denied in [
        alerts
            .set_enabled(Actor::User(&member), d.id, false)
            .await
            .err(),
        alerts
            .delete_destination(Actor::User(&member), d.id)
            .await
            .err(),
        alerts
            .send_test_message(Actor::User(&member), d.id)
            .await
            .err(),
        alerts
            .edit_destination(Actor::User(&member), d.id, input.clone())
            .await
            .err(),
    ] {
        assert!(matches!(denied, Some(AlertError::Forbidden)), "{denied:?}");
    }
    let seen = alerts
        .list_destinations(Actor::User(&member), Some(p.id))
        .await
        .unwrap();
    assert_eq!(seen[0].destination.url, "https://hooks.slack.com/…");
    assert!(seen[0].destination.secret.is_empty());
    let full = alerts
        .list_destinations(Actor::User(&admin), None)
        .await
        .unwrap();
    assert_eq!(full[0].destination.url, input.url);
    assert_eq!(full[0].project_slug, "app");

    // Edit keeps the secret; bad input is refused with a reason.
    let mut changed = input.clone();
    changed.kind = DestinationKind::Mattermost;
    changed.triggers = vec![Trigger::Regression, Trigger::Unmuted];
    let edited = alerts
        .edit_destination(Actor::Operator, d.id, changed)
        .await
        .unwrap();
    assert_eq!(edited.kind, DestinationKind::Mattermost);
    assert_eq!(edited.triggers, vec![Trigger::Regression, Trigger::Unmuted]);
    assert_eq!(edited.secret, d.secret);
    let mut bad = input.clone();
    bad.url = "javascript:alert(1)".into();
    assert!(matches!(
        alerts.add_destination(Actor::Operator, p.id, bad).await,
        Err(AlertError::Invalid(_))
    ));
    assert!(matches!(
        alerts.add_destination(Actor::Operator, 999_999, input).await,
        Err(AlertError::Invalid(m)) if m.contains("no project")
    ));
    alerts
        .delete_destination(Actor::Operator, d.id)
        .await
        .unwrap();
    assert!(matches!(
        alerts.delete_destination(Actor::Operator, d.id).await,
        Err(AlertError::NotFound(_))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn test_messages_are_sent_now_and_report_the_outcome() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    rx.set_default("/down", Reply::Body(500, b"upstream exploded".to_vec()));
    let alerts = Alerts::new(t.db.clone(), config());
    let ok = add(&alerts, p.id, DestinationKind::Webhook, &rx.url("/ok")).await;
    let down = add(&alerts, p.id, DestinationKind::Slack, &rx.url("/down")).await;

    let outcome = alerts
        .send_test_message(Actor::Operator, ok.id)
        .await
        .unwrap();
    assert!(outcome.delivered);
    assert_eq!(outcome.status, Some(200));
    let got = &rx.accepted("/ok")[0];
    let body = got.json();
    assert_eq!(body["type"], "test");
    assert!(body["text"].as_str().unwrap().contains("This is a test"));
    assert!(verify(
        &ok.secret,
        &got.body,
        got.header(SIGNATURE_HEADER).unwrap()
    ));

    let outcome = alerts
        .send_test_message(Actor::Operator, down.id)
        .await
        .unwrap();
    assert!(!outcome.delivered);
    assert_eq!(outcome.status, Some(500));
    assert_eq!(
        outcome.error.as_deref(),
        Some("HTTP 500: upstream exploded")
    );
    let test = rx
        .received()
        .into_iter()
        .find(|r| r.path == "/down")
        .unwrap();
    assert!(test.json()["blocks"][0]["text"]["text"]
        .as_str()
        .unwrap()
        .starts_with("Test message from Moth"));

    let list = alerts
        .list_destinations(Actor::Operator, Some(p.id))
        .await
        .unwrap();
    assert!(list[0].last_failure.is_none());
    let failure = list[1]
        .last_failure
        .as_ref()
        .expect("the failed test shows");
    assert_eq!(failure.status, Some(500));
    assert_eq!(failure.error, "HTTP 500: upstream exploded");
    assert!(matches!(
        alerts.send_test_message(Actor::Operator, 12345).await,
        Err(AlertError::NotFound(12345))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn disabled_destinations_get_nothing() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let rx = Receiver::start().await;
    let alerts = Alerts::new(t.db.clone(), config());
    let off = add(&alerts, p.id, DestinationKind::Discord, &rx.url("/off")).await;
    add(&alerts, p.id, DestinationKind::Discord, &rx.url("/on")).await;
    alerts
        .set_enabled(Actor::Operator, off.id, false)
        .await
        .unwrap();
    let worker = AlertsWorker::start(t.db.clone(), config());
    store(&t.db, &[event(p.id, "a", "Boom")]).await;
    rx.wait_until(
        "the enabled destination's message",
        Duration::from_secs(20),
        |r| r.iter().any(|x| x.path == "/on"),
    )
    .await;
    settled(&t.db).await;
    assert!(rx.received().iter().all(|r| r.path != "/off"));
    worker.shutdown().await;
}

#[tokio::test]
async fn the_rate_limit_defers_the_excess_to_the_next_minute() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let alerts = Alerts::new(t.db.clone(), config());
    let d = add(&alerts, p.id, DestinationKind::Slack, "http://127.0.0.1:9/").await;
    for i in 0..3 {
        store(&t.db, &[event(p.id, &format!("h{i}"), "E")]).await;
    }
    assert_eq!(t.db.dispatch_outbox(100).await.unwrap(), 3);
    assert_eq!(t.db.dispatch_outbox(100).await.unwrap(), 0);
    let lock = t.db.acquire_worker_lock().await.unwrap();
    let first = t.db.claim_deliveries(&lock, limits(2)).await.unwrap();
    assert_eq!(first.len(), 2);
    for c in &first {
        let done = AttemptOutcome::Delivered { status: 200 };
        assert!(t.db.finish_delivery(c.id, c.attempts, &done).await.unwrap());
    }
    assert!(t
        .db
        .claim_deliveries(&lock, limits(2))
        .await
        .unwrap()
        .is_empty());
    let waiting = t.db.alert_deliveries(d.id, 10).await.unwrap();
    assert_eq!(
        waiting
            .iter()
            .filter(|x| x.state == DeliveryState::Pending)
            .count(),
        1,
        "the third waits, it is not dropped"
    );
    // A minute later.
    sqlx::query("UPDATE alert_destinations SET rate_window_start = now() - interval '61 seconds'")
        .execute(t.db.pool())
        .await
        .unwrap();
    assert_eq!(
        t.db.claim_deliveries(&lock, limits(2)).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn a_lapsed_or_orphaned_claim_is_taken_over_and_the_stale_result_ignored() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let alerts = Alerts::new(t.db.clone(), config());
    add(&alerts, p.id, DestinationKind::Slack, "http://127.0.0.1:9/").await;
    store(&t.db, &[event(p.id, "a", "E")]).await;
    t.db.dispatch_outbox(100).await.unwrap();
    let one = t.db.acquire_worker_lock().await.unwrap();
    let two = t.db.acquire_worker_lock().await.unwrap();
    assert_ne!(one.key(), two.key());

    let first = t.db.claim_deliveries(&one, limits(100)).await.unwrap();
    assert_eq!(first.len(), 1);
    // While the claim holds and its worker lives, nobody else gets it...
    assert!(t
        .db
        .claim_deliveries(&two, limits(100))
        .await
        .unwrap()
        .is_empty());
    // ...once its lease lapsed, another worker takes over,
    sqlx::query("UPDATE alert_deliveries SET next_attempt_at = now() - interval '1 second'")
        .execute(t.db.pool())
        .await
        .unwrap();
    let second = t.db.claim_deliveries(&two, limits(100)).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    assert_eq!(second[0].attempts, 2);
    // and the first worker's late result is ignored.
    let done = AttemptOutcome::Delivered { status: 200 };
    assert!(!t.db.finish_delivery(first[0].id, 1, &done).await.unwrap());

    // A worker that dies (its session ends) loses its claims at once, long
    // before their lease.
    drop(two);
    eventually(
        "the dead worker's lock to go",
        Duration::from_secs(10),
        || async {
            !t.db
                .claim_deliveries(&one, limits(100))
                .await
                .unwrap()
                .is_empty()
        },
    )
    .await;
    let third: i32 = sqlx::query_scalar("SELECT attempts FROM alert_deliveries")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(third, 3);
    assert!(t.db.finish_delivery(first[0].id, 3, &done).await.unwrap());
    let three = t.db.acquire_worker_lock().await.unwrap();
    assert!(t
        .db
        .claim_deliveries(&three, limits(100))
        .await
        .unwrap()
        .is_empty());
}
