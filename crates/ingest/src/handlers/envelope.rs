//! `POST /api/{project_id}/envelope/`: everything modern SDKs send.

use axum::extract::{Path, Request, State};
use axum::response::Response;
use chrono::Utc;
use moth_protocol::dsn::Dsn;
use moth_protocol::envelope::{Envelope, EnvelopeItem, ItemType};
use moth_storage::feedback::UserReportToStore;
use moth_storage::write::AttachmentToStore;
use serde_json::Value;

use super::{admit, answer, normalize_options, parse_project_id, prepare, store_event};
use crate::auth::{self, Credentials};
use crate::body::{self, BodyLimits};
use crate::drops::DropReason;
use crate::error::IngestError;
use crate::IngestState;

pub async fn envelope(
    State(state): State<IngestState>,
    Path(project): Path<String>,
    request: Request,
) -> Result<Response, IngestError> {
    let received_at = Utc::now();
    let project_id = parse_project_id(&project)?;
    let (parts, body) = request.into_parts();
    let credentials = auth::from_request(&parts.headers, parts.uri.query())?;
    // Reject bad keys before reading (possibly large) bodies.
    if let Some(c) = &credentials {
        state.0.keys.authorize(&c.public_key, project_id).await?;
    }
    let (_admitted, body) = admit(&state, body).await?;
    let limits = state.0.config.limits;
    let received = body::read(
        &parts.headers,
        body,
        BodyLimits {
            max_compressed: limits.max_body,
            max_decompressed: limits.max_envelope,
            name: "envelope",
        },
        &state.0.budget,
        &state.0.cpu,
        state.0.config.body_timeout,
    )
    .await?;
    if received.bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::EmptyBody);
    }
    let envelope = Envelope::parse(received.bytes.clone())
        .map_err(|e| IngestError::InvalidEnvelope(e.to_string()))?;
    let project_db_id =
        authenticate_envelope(&state, credentials.as_ref(), &envelope, project_id).await?;
    check_item_sizes(&envelope, &limits)?;

    let opts = normalize_options(&parts, received_at, envelope.headers.event_id);
    let drops = &state.0.drops;
    let mut event_payload = None;
    let mut attachments = Vec::new();
    let mut reports = Vec::new();
    for item in &envelope.items {
        match &item.headers.item_type {
            ItemType::Event => {
                if event_payload.is_some() {
                    drops.record(project_db_id, DropReason::DuplicateItem, "event");
                    continue;
                }
                event_payload = Some(item.payload.clone());
            }
            ItemType::Attachment => attachments.push(attachment(item)),
            ItemType::UserReport | ItemType::Feedback => match user_report(item, project_db_id) {
                Some(r) => reports.push(r),
                None => drops.record(
                    project_db_id,
                    DropReason::InvalidUserReport,
                    item.headers.item_type.as_str(),
                ),
            },
            other => drops.record(project_db_id, DropReason::NotStored, other.as_str()),
        }
    }
    // The raw envelope is not needed while the event waits for its commit
    // (the event's payload is a slice of it until it is normalised).
    let header_event_id = envelope.headers.event_id;
    drop((envelope, received));

    let mut event = None;
    if let Some(payload) = event_payload {
        match prepare(&state, project_db_id, payload, opts, received_at).await? {
            Ok(prepared) => event = Some(prepared),
            Err(e) => {
                tracing::debug!(project = project_db_id, error = %e, "dropping an invalid event item");
                drops.record(project_db_id, DropReason::InvalidEvent, "event");
            }
        }
    }

    let mut answered_id = header_event_id;
    if let Some((id, mut prepared)) = event {
        prepared.attachments = std::mem::take(&mut attachments);
        store_event(&state, prepared).await?;
        answered_id = Some(id);
    } else if !attachments.is_empty() {
        // Attachments for an event sent earlier (same envelope event_id).
        match header_event_id {
            Some(id) => {
                state
                    .0
                    .db
                    .store_attachments(project_db_id, *id.as_uuid(), &attachments)
                    .await?
            }
            None => {
                for _ in &attachments {
                    drops.record(
                        project_db_id,
                        DropReason::AttachmentWithoutEvent,
                        "attachment",
                    );
                }
            }
        }
    }
    for mut report in reports {
        if report.event_id.is_none() {
            report.event_id = answered_id.map(|id| *id.as_uuid());
        }
        state.0.db.store_user_report(&report).await?;
    }
    Ok(answer(answered_id))
}

/// Authenticates by the request's key, or else by the envelope's `dsn`;
/// when both exist they must agree. Returns the project's id.
async fn authenticate_envelope(
    state: &IngestState,
    credentials: Option<&Credentials>,
    envelope: &Envelope,
    project_id: u64,
) -> Result<i64, IngestError> {
    let dsn = match envelope.headers.dsn.as_deref() {
        Some(raw) => Some(
            Dsn::parse(raw).map_err(|e| IngestError::BadAuth(format!("bad envelope dsn: {e}")))?,
        ),
        None => None,
    };
    match (credentials, dsn) {
        (Some(c), Some(dsn)) => {
            if dsn.public_key != c.public_key {
                return Err(IngestError::InvalidEnvelope(
                    "the envelope's dsn names another public key than the request".into(),
                ));
            }
            if dsn.project_id != project_id {
                return Err(IngestError::InvalidEnvelope(
                    "the envelope's dsn names another project than the URL".into(),
                ));
            }
            state.0.keys.authorize(&c.public_key, project_id).await
        }
        (Some(c), None) => state.0.keys.authorize(&c.public_key, project_id).await,
        (None, Some(dsn)) => {
            if dsn.project_id != project_id {
                return Err(IngestError::WrongProject(project_id));
            }
            state.0.keys.authorize(&dsn.public_key, project_id).await
        }
        (None, None) => Err(IngestError::MissingAuth),
    }
}

/// Per-item limits: an item over its limit fails the envelope with 413.
fn check_item_sizes(envelope: &Envelope, limits: &crate::IngestLimits) -> Result<(), IngestError> {
    for item in &envelope.items {
        let (limit, max) = match item.headers.item_type {
            ItemType::Event | ItemType::Transaction | ItemType::Feedback => {
                ("event", limits.max_event)
            }
            ItemType::Attachment => ("attachment", limits.max_attachment),
            _ => continue,
        };
        if item.payload.len() > max {
            return Err(IngestError::TooLarge { limit, max });
        }
    }
    Ok(())
}

fn attachment(item: &EnvelopeItem) -> AttachmentToStore {
    AttachmentToStore {
        filename: item
            .headers
            .filename
            .clone()
            .filter(|f| !f.is_empty())
            .unwrap_or_else(|| "attachment".into()),
        content_type: item.headers.content_type.clone(),
        attachment_type: item
            .headers
            .attachment_type
            .clone()
            .unwrap_or_else(|| "event.attachment".into()),
        data: item.payload.to_vec(),
    }
}

/// A `user_report` (`{event_id, name, email, comments}`) or a `feedback`
/// event (`contexts.feedback {message, contact_email, name, associated_event_id}`).
fn user_report(item: &EnvelopeItem, project_id: i64) -> Option<UserReportToStore> {
    let value: Value = serde_json::from_slice(&item.payload).ok()?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let event_id = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(moth_protocol::event_id::EventId::parse)
            .map(|id| *id.as_uuid())
    };
    if item.headers.item_type == ItemType::Feedback {
        let fb = value.get("contexts")?.get("feedback")?;
        return Some(UserReportToStore {
            project_id,
            event_id: event_id(fb.get("associated_event_id")),
            name: text(fb.get("name")),
            email: text(fb.get("contact_email")),
            comments: text(fb.get("message")).unwrap_or_default(),
        });
    }
    Some(UserReportToStore {
        project_id,
        event_id: event_id(value.get("event_id")),
        name: text(value.get("name")),
        email: text(value.get("email")),
        comments: text(value.get("comments")).unwrap_or_default(),
    })
}
