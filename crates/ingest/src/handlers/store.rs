//! `POST /api/{project_id}/store/`: the legacy single-event endpoint.

use std::borrow::Cow;

use axum::extract::{Path, Request, State};
use axum::response::Response;
use base64::Engine;
use chrono::Utc;

use super::{admit, answer, normalize_options, parse_project_id, store_event};
use crate::auth;
use crate::body::{self, decompress_bytes, BodyLimits};
use crate::error::IngestError;
use crate::prepare::prepare;
use crate::IngestState;

pub async fn store(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    request: Request,
) -> Result<Response, IngestError> {
    let project_id = parse_project_id(&project)?;
    handle(state, Some(project_id), request).await
}

/// `/api/store/` of very old SDKs: the project comes from the key.
pub async fn store_without_project(
    State(state): State<IngestState>,
    request: Request,
) -> Result<Response, IngestError> {
    handle(state, None, request).await
}

async fn handle(
    state: IngestState,
    project_id: Option<u64>,
    request: Request,
) -> Result<Response, IngestError> {
    let received_at = Utc::now();
    let (parts, body) = request.into_parts();
    let credentials =
        auth::from_request(&parts.headers, parts.uri.query())?.ok_or(IngestError::MissingAuth)?;
    let project_db_id = match project_id {
        Some(id) => state.0.keys.authorize(&credentials.public_key, id).await?,
        None => state.0.keys.project_of(&credentials.public_key).await?,
    };
    let (_admitted, body) = admit(&state, body).await?;
    let max = state.0.config.limits.max_event;
    let raw = body::receive(
        &parts.headers,
        body,
        BodyLimits {
            max_compressed: max,
            max_decompressed: max,
            name: "event",
        },
        &state.0.budget,
        state.0.config.body_timeout,
    )
    .await?;
    let opts = normalize_options(&parts, received_at, None);
    // Decompressing, decoding and preparing the event: one task on the
    // ingest threads (see `crate::cpu`).
    let (id, prepared) = state
        .0
        .cpu
        .run(move || {
            let received = raw.decode()?;
            let payload = legacy_decode(&received.bytes, max)?;
            prepare(project_db_id, &payload, &opts, received_at, None)
                .map_err(|e| IngestError::InvalidEvent(e.to_string()))
        })
        .await??;
    store_event(&state, prepared).await?;
    Ok(answer(Some(id)))
}

/// Old raven clients post base64 of zlib-deflated JSON with no
/// Content-Encoding; anything that does not start like JSON is tried that way.
fn legacy_decode(body: &[u8], max: usize) -> Result<Cow<'_, [u8]>, IngestError> {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    if trimmed[0] == b'{' {
        return Ok(std::borrow::Cow::Borrowed(body));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(body.trim_ascii())
        .map_err(|_| {
            IngestError::InvalidEvent("the body is neither JSON nor base64-encoded zlib".into())
        })?;
    let inflated = decompress_bytes(&decoded, "zlib", max)?;
    Ok(std::borrow::Cow::Owned(inflated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn decodes_legacy_base64_zlib_bodies() {
        let json = br#"{"message":"hi"}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(z.finish().unwrap());
        assert_eq!(&legacy_decode(b64.as_bytes(), 1000).unwrap()[..], json);
        assert_eq!(&legacy_decode(json, 1000).unwrap()[..], json);
        assert!(matches!(
            legacy_decode(b"not json", 1000),
            Err(IngestError::InvalidEvent(_))
        ));
        assert!(matches!(
            legacy_decode(b"  ", 1000),
            Err(IngestError::EmptyBody)
        ));
    }
}
