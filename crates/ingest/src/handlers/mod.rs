//! The ingest HTTP handlers.

mod envelope;
mod store;

pub use envelope::envelope;
pub use store::{store, store_without_project};

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use moth_protocol::event::{NormalizeOptions, NormalizedEvent};
use moth_protocol::event_id::EventId;
use moth_storage::write::EventToStore;

use crate::error::IngestError;
use crate::prepare::prepare_event;
use crate::IngestState;

/// `/api/{project_id}/…`: project ids are numbers.
fn parse_project_id(raw: &str) -> Result<u64, IngestError> {
    raw.parse::<u64>()
        .map_err(|_| IngestError::BadProjectId(raw.chars().take(64).collect()))
}

/// The sender's address, as the socket saw it.
fn client_ip(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

fn normalize_options(
    parts: &Parts,
    received_at: DateTime<Utc>,
    envelope_event_id: Option<EventId>,
) -> NormalizeOptions {
    NormalizeOptions {
        received_at,
        client_ip: client_ip(parts),
        envelope_event_id,
        limits: Default::default(),
    }
}

/// `{"id": "<32 hex>"}`, or `{}` when there is no event id to report.
fn answer(id: Option<EventId>) -> Response {
    match id {
        Some(id) => Json(serde_json::json!({ "id": id.to_string() })).into_response(),
        None => Json(serde_json::json!({})).into_response(),
    }
}

/// Groups, packs and stores one event through the pipeline.
async fn store_event(
    state: &IngestState,
    project_id: i64,
    event: NormalizedEvent,
    raw_size: usize,
    received_at: DateTime<Utc>,
    attach: impl FnOnce(&mut EventToStore),
) -> Result<EventId, IngestError> {
    let id = event.event_id;
    // Grouping and compression are CPU work: small events run inline, large
    // ones on the blocking pool so they do not stall the async workers.
    let mut prepared = if raw_size > 256 * 1024 {
        tokio::task::spawn_blocking(move || prepare_event(project_id, event, received_at))
            .await
            .map_err(|e| IngestError::Internal(format!("preparing an event failed: {e}")))?
    } else {
        prepare_event(project_id, event, received_at)
    };
    attach(&mut prepared);
    state.0.pipeline.store(prepared).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_ids_are_numbers() {
        assert_eq!(parse_project_id("42").unwrap(), 42);
        assert!(matches!(
            parse_project_id("abc"),
            Err(IngestError::BadProjectId(_))
        ));
        assert!(parse_project_id("-1").is_err());
    }
}
