//! Turning a normalised event into what the write pipeline stores: grouping
//! hashes, title, culprit and the compressed payload.

use chrono::{DateTime, Utc};
use moth_protocol::event::NormalizedEvent;
use moth_storage::events::compress_payload;
use moth_storage::write::EventToStore;

use crate::grouping::{group_event, GROUPING_VERSION};

/// Groups the event and packs it for storage. `raw_size` is the length of
/// the payload as received (it sizes the output buffer).
pub fn prepare_event(
    project_id: i64,
    event: NormalizedEvent,
    raw_size: usize,
    received_at: DateTime<Utc>,
) -> EventToStore {
    let grouping = group_event(&event.data);
    let mut data = event.data;
    if let Some(obj) = data.as_object_mut() {
        obj.insert("title".into(), grouping.title.clone().into());
        obj.insert("culprit".into(), grouping.culprit.clone().into());
        obj.insert("metadata".into(), grouping.metadata.clone());
        obj.insert("hashes".into(), grouping.hashes.clone().into());
        obj.insert("grouping_config".into(), GROUPING_VERSION.into());
    }
    // sonic-rs writes JSON about twice as fast as serde_json (SIMD string
    // escaping); the output is ordinary JSON that serde_json reads back.
    // Sized for the whole event at once (the normalised event is about
    // as large as the received one): no copying while the buffer grows.
    let mut json = Vec::with_capacity(raw_size + 1024);
    sonic_rs::to_writer(&mut json, &data).expect("a JSON value serialises");
    EventToStore {
        project_id,
        event_id: *event.event_id.as_uuid(),
        timestamp: event.timestamp,
        received_at,
        level: event.level.as_i16(),
        platform: event.platform,
        release: event.release,
        environment: event.environment,
        transaction: event.transaction,
        user_ident: event.user_ident,
        title: grouping.title,
        culprit: grouping.culprit,
        issue_kind: grouping.kind.as_str().to_string(),
        metadata: grouping.metadata,
        tags: event.tags,
        hashes: grouping.hashes,
        grouping_version: GROUPING_VERSION.to_string(),
        payload: compress_payload(&json),
        attachments: Vec::new(),
    }
}
