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
use moth_protocol::event::NormalizeOptions;
use moth_protocol::event_id::EventId;
use moth_storage::write::EventToStore;

use crate::admission::Admitted;
use crate::body;
use crate::error::IngestError;
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

/// A slot for this request, or 429 at once when Moth already works on as
/// many as it may. The refused body is read and dropped unparsed (bounded
/// by the size limit and the body timeout) so that the connection stays
/// usable for the client's next request.
async fn admit(
    state: &IngestState,
    body: axum::body::Body,
) -> Result<(Admitted, axum::body::Body), IngestError> {
    match state.0.admission.try_admit() {
        Some(admitted) => Ok((admitted, body)),
        None => {
            body::discard(
                body,
                state.0.config.limits.max_body,
                state.0.config.body_timeout,
            )
            .await;
            Err(IngestError::QueueFull)
        }
    }
}

/// Stores one prepared event through the pipeline; returns once committed.
async fn store_event(state: &IngestState, prepared: EventToStore) -> Result<(), IngestError> {
    state.0.pipeline.store(prepared).await?;
    Ok(())
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
