//! Shared setup of the alerts tests: a fresh database, events stored the
//! way ingest stores them, destinations, and polling with a deadline.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use chrono::Utc;
use moth_alerts::{
    Actor, Alerts, AlertsConfig, DeliveryConfig, Destination, DestinationInput, DestinationKind,
    RetryPolicy, Threshold, Trigger, WorkerConfig,
};
use moth_storage::issues::StatusChange;
use moth_storage::payload::compress_payload;
use moth_storage::write::{EventToStore, StoreOutcome};
use moth_storage::Database;
use uuid::Uuid;

pub const BASE_URL: &str = "http://moth.test";

/// Fast settings for tests: short timeouts and retry delays, quick polling.
pub fn config() -> AlertsConfig {
    AlertsConfig {
        base_url: BASE_URL.into(),
        delivery: DeliveryConfig {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(2),
            max_response_bytes: 64 << 10,
        },
        retry: RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        },
        worker: WorkerConfig {
            poll_interval: Duration::from_millis(50),
            threshold_interval: Duration::from_millis(100),
            lease: Duration::from_secs(30),
            ..WorkerConfig::default()
        },
    }
}

/// An event of the issue grouped by `hash`, as ingest would store it.
pub fn event(project_id: i64, hash: &str, title: &str) -> EventToStore {
    EventToStore {
        project_id,
        event_id: Uuid::new_v4(),
        timestamp: Utc::now(),
        received_at: Utc::now(),
        level: 40,
        platform: "python".into(),
        release: Some("app@1.0.0".into()),
        environment: Some("production".into()),
        transaction: None,
        user_ident: None,
        title: title.into(),
        culprit: "app.views in index".into(),
        issue_kind: "error".into(),
        metadata: serde_json::json!({}),
        tags: vec![("environment".into(), "production".into())],
        hashes: vec![hash.into()],
        grouping_version: "test".into(),
        payload: compress_payload(b"{}"),
        attachments: vec![],
    }
}

/// Stores events and returns the issue of the first.
pub async fn store(db: &Database, events: &[EventToStore]) -> i64 {
    match db.store_events(events).await.unwrap()[0] {
        StoreOutcome::Stored { issue_id, .. } => issue_id,
        StoreOutcome::Duplicate => panic!("duplicate event"),
    }
}

/// Resolves an issue the way a person does on its page.
pub async fn resolve(db: &Database, issue: i64) {
    let changed = db
        .set_issue_status(&[issue], &StatusChange::Resolve, None)
        .await
        .unwrap();
    assert_eq!(changed, 1);
}

pub async fn add(
    alerts: &Alerts,
    project_id: i64,
    kind: DestinationKind,
    url: &str,
) -> Destination {
    add_with(alerts, project_id, kind, url, Trigger::ALL.to_vec(), None).await
}

pub async fn add_with(
    alerts: &Alerts,
    project_id: i64,
    kind: DestinationKind,
    url: &str,
    triggers: Vec<Trigger>,
    threshold: Option<Threshold>,
) -> Destination {
    alerts
        .add_destination(
            Actor::Operator,
            project_id,
            DestinationInput {
                name: String::new(),
                kind,
                url: url.into(),
                triggers,
                threshold,
            },
        )
        .await
        .unwrap()
}

pub async fn scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

/// Polls `cond` until it holds; panics after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waits until the worker has nothing left to do: every outbox row is
/// dispatched and no delivery is waiting or being sent. What the receiver
/// has then is all it will get.
pub async fn settled(db: &Database) {
    eventually(
        "the alerts worker to settle",
        Duration::from_secs(20),
        || async {
            scalar(
                db,
                "SELECT (SELECT count(*) FROM alert_outbox WHERE dispatched_at IS NULL) \
                  + (SELECT count(*) FROM alert_deliveries WHERE state IN ('pending', 'sending'))",
            )
            .await
                == 0
        },
    )
    .await;
}
