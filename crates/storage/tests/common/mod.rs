//! Helpers shared by the storage test binaries.

#![allow(dead_code)]

use chrono::Utc;
use moth_storage::payload::compress_payload;
use moth_storage::write::{EventToStore, StoreOutcome};
use moth_storage::Database;
use uuid::Uuid;

/// An event of `hash` with the tags environment=production and
/// browser.name=Chrome, release 1.0.
pub fn event(project_id: i64, hash: &str, title: &str) -> EventToStore {
    EventToStore {
        project_id,
        event_id: Uuid::new_v4(),
        timestamp: Utc::now(),
        received_at: Utc::now(),
        level: 40,
        platform: "python".into(),
        release: Some("1.0".into()),
        environment: Some("production".into()),
        transaction: None,
        user_ident: None,
        title: title.into(),
        culprit: "app in main".into(),
        issue_kind: "error".into(),
        metadata: serde_json::json!({}),
        tags: vec![
            ("environment".into(), "production".into()),
            ("browser.name".into(), "Chrome".into()),
        ],
        hashes: vec![hash.into()],
        grouping_version: "t".into(),
        payload: compress_payload(br#"{"k":"v"}"#),
        attachments: vec![],
    }
}

/// Stores a batch; panics on a duplicate. Returns the issue ids.
pub async fn store(db: &Database, events: Vec<EventToStore>) -> Vec<i64> {
    db.store_events(&events)
        .await
        .unwrap()
        .into_iter()
        .map(|o| match o {
            StoreOutcome::Stored { issue_id, .. } => issue_id,
            StoreOutcome::Duplicate => panic!("duplicate"),
        })
        .collect()
}

/// Four writers storing 25 batches of 4 events each, 400 in all, spread
/// over seven hashes that every writer shares with the others. `event`
/// makes an event of a hash.
pub fn spawn_overlapping_writers(
    db: &Database,
    project_id: i64,
    event: fn(i64, &str) -> EventToStore,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..4)
        .map(|w| {
            let db = db.clone();
            tokio::spawn(async move {
                for round in 0..25 {
                    let batch = (0..4)
                        .map(|i| event(project_id, &format!("h{}", (w + round + i) % 7)))
                        .collect();
                    store(&db, batch).await;
                }
            })
        })
        .collect()
}
