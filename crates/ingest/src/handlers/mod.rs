//! The ingest HTTP handlers.

mod envelope;
mod store;

pub use envelope::envelope;
pub use store::{store, store_without_project};

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
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
/// Written out directly: an event id is 32 hex digits, nothing to escape
/// (every stored event is answered this way; no JSON map for it).
fn answer(id: Option<EventId>) -> Response {
    let body = match id {
        Some(id) => format!("{{\"id\":\"{id}\"}}"),
        None => "{}".to_string(),
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
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

    #[tokio::test]
    async fn the_answer_is_json_with_the_event_id() {
        let id = EventId::parse("9031cbfe37e942179f558d8796e1e9b4").unwrap();
        for (id, expected) in [
            (
                Some(id),
                serde_json::json!({"id": "9031cbfe37e942179f558d8796e1e9b4"}),
            ),
            (None, serde_json::json!({})),
        ] {
            let response = answer(id);
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
            let body = axum::body::to_bytes(response.into_body(), 1024)
                .await
                .unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(parsed, expected);
        }
    }
}
