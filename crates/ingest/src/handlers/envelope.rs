//! `POST /api/{project_id}/envelope/`: everything modern SDKs send.

use axum::extract::{Path, Request, State};
use axum::response::Response;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use moth_protocol::dsn::Dsn;
use moth_protocol::envelope::{Envelope, EnvelopeItem, ItemType};
use moth_protocol::event::NormalizeOptions;
use moth_protocol::event_id::EventId;
use moth_storage::feedback::UserReportToStore;
use moth_storage::payload::BodyEncoding;
use moth_storage::write::{AttachmentToStore, EventToStore};
use serde_json::Value;

use super::{admit, answer, normalize_options, parse_project_id, store_event};
use crate::auth::{self, Credentials};
use crate::body::{self, BodyLimits, RawBody, ReceivedBody};
use crate::drops::DropReason;
use crate::error::IngestError;
use crate::prepare::prepare;
use crate::{IngestLimits, IngestState};

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
    let raw = body::receive(
        &parts.headers,
        body,
        BodyLimits {
            max_compressed: limits.max_body,
            max_decompressed: limits.max_envelope,
            name: "envelope",
        },
        &state.0.budget,
        state.0.config.body_timeout,
    )
    .await?;
    // The CPU-bound work happens on the ingest threads: decompressing and
    // parsing the envelope, then preparing its event.
    let opts = normalize_options(&parts, received_at, None);
    let cpu = &state.0.cpu;
    let (project_db_id, unpacked) = if credentials.is_some() {
        // The key was authorized before the body was read: one task (one
        // hand-over there and back); the envelope's `dsn`, if any, must
        // then agree with the key.
        let (dsn, unpacked) = cpu
            .run(move || {
                open(raw, &limits)
                    .map(|o| (o.envelope.headers.dsn.clone(), o.unpack(opts, received_at)))
            })
            .await??;
        let id =
            authenticate_envelope(&state, credentials.as_ref(), dsn.as_deref(), project_id).await?;
        (id, unpacked?)
    } else {
        // Authenticated by the envelope's own `dsn` (tunnels): its key is
        // checked before the event is normalised, so an unknown key costs
        // a parse of the envelope, not the whole preparation.
        let opened = cpu.run(move || open(raw, &limits)).await??;
        let dsn = opened.envelope.headers.dsn.as_deref();
        let id = authenticate_envelope(&state, None, dsn, project_id).await?;
        (
            id,
            cpu.run(move || opened.unpack(opts, received_at)).await??,
        )
    };
    let drops = &state.0.drops;
    for (reason, item_type) in &unpacked.drops {
        drops.record(project_db_id, *reason, item_type);
    }

    let header_event_id = unpacked.header_event_id;
    let mut attachments = unpacked.attachments;
    let mut answered_id = header_event_id;
    if let Some((id, mut prepared)) = unpacked.event {
        prepared.project_id = project_db_id;
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
    for mut report in unpacked.reports {
        report.project_id = project_db_id;
        if report.event_id.is_none() {
            report.event_id = answered_id.map(|id| *id.as_uuid());
        }
        state.0.db.store_user_report(&report).await?;
    }
    Ok(answer(answered_id))
}

/// An envelope decompressed and parsed, its items not yet looked at.
struct Opened {
    envelope: Envelope,
    /// The decoded body the items are slices of, with the memory budget it
    /// holds.
    body: ReceivedBody,
    /// An item over its size limit: the answer once authenticated.
    oversized: Option<IngestError>,
    /// The body as sent, when storage can keep it as is.
    as_sent: Option<(BodyEncoding, Bytes)>,
}

/// What the ingest threads make of an envelope. Project ids in it are 0
/// until the envelope is authenticated.
struct Unpacked {
    header_event_id: Option<EventId>,
    event: Option<(EventId, EventToStore)>,
    attachments: Vec<AttachmentToStore>,
    reports: Vec<UserReportToStore>,
    /// Items not stored, and why.
    drops: Vec<(DropReason, String)>,
}

/// Decompresses and parses an envelope body (CPU work, for the ingest
/// threads).
fn open(raw: RawBody, limits: &IngestLimits) -> Result<Opened, IngestError> {
    let as_sent = raw.as_sent();
    let received = raw.decode()?;
    if received.bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(IngestError::EmptyBody);
    }
    let envelope = Envelope::parse(received.bytes.clone())
        .map_err(|e| IngestError::InvalidEnvelope(e.to_string()))?;
    Ok(Opened {
        oversized: check_item_sizes(&envelope, limits).err(),
        envelope,
        body: received,
        as_sent,
    })
}

impl Opened {
    /// Sorts the items and prepares the event (CPU work, for the ingest
    /// threads); an item over its size limit is the answer instead. Call
    /// once the envelope is authenticated.
    fn unpack(
        self,
        mut opts: NormalizeOptions,
        received_at: DateTime<Utc>,
    ) -> Result<Unpacked, IngestError> {
        if let Some(e) = self.oversized {
            return Err(e);
        }
        let envelope = self.envelope;
        let mut unpacked = Unpacked {
            header_event_id: envelope.headers.event_id,
            event: None,
            attachments: Vec::new(),
            reports: Vec::new(),
            drops: Vec::new(),
        };
        let mut event_payload = None;
        for item in &envelope.items {
            let item_type = &item.headers.item_type;
            match item_type {
                ItemType::Event if event_payload.is_some() => unpacked
                    .drops
                    .push((DropReason::DuplicateItem, "event".into())),
                ItemType::Event => event_payload = Some(item.payload.clone()),
                ItemType::Attachment => unpacked.attachments.push(attachment(item)),
                ItemType::UserReport | ItemType::Feedback => match user_report(item) {
                    Some(r) => unpacked.reports.push(r),
                    None => unpacked
                        .drops
                        .push((DropReason::InvalidUserReport, item_type.as_str().into())),
                },
                other => unpacked
                    .drops
                    .push((DropReason::NotStored, other.as_str().into())),
            }
        }
        // An envelope that holds nothing but its event is kept as sent:
        // the event is stored without serialising and compressing it again.
        // Not a body larger than its content (padded compressed streams):
        // what is stored stays bounded by the event size limit.
        let decoded_len = self.body.bytes.len();
        let as_sent = self
            .as_sent
            .filter(|(_, sent)| envelope.items.len() == 1 && sent.len() <= decoded_len);
        // The decoded envelope is not needed while the event waits for its
        // commit (the event's payload is a slice of it until it is
        // normalised).
        drop((envelope, self.body));
        if let Some(payload) = event_payload {
            opts.envelope_event_id = unpacked.header_event_id;
            match prepare(0, &payload, &opts, received_at, as_sent) {
                Ok(prepared) => unpacked.event = Some(prepared),
                Err(e) => {
                    tracing::debug!(error = %e, "dropping an invalid event item");
                    unpacked
                        .drops
                        .push((DropReason::InvalidEvent, "event".into()));
                }
            }
        }
        Ok(unpacked)
    }
}

/// Authenticates by the request's key, or else by the envelope's `dsn`;
/// when both exist they must agree. Returns the project's id.
async fn authenticate_envelope(
    state: &IngestState,
    credentials: Option<&Credentials>,
    dsn: Option<&str>,
    project_id: u64,
) -> Result<i64, IngestError> {
    let dsn = match dsn {
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
fn check_item_sizes(envelope: &Envelope, limits: &IngestLimits) -> Result<(), IngestError> {
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
/// The project id is 0 until the envelope is authenticated.
fn user_report(item: &EnvelopeItem) -> Option<UserReportToStore> {
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
            project_id: 0,
            event_id: event_id(fb.get("associated_event_id")),
            name: text(fb.get("name")),
            email: text(fb.get("contact_email")),
            comments: text(fb.get("message")).unwrap_or_default(),
        });
    }
    Some(UserReportToStore {
        project_id: 0,
        event_id: event_id(value.get("event_id")),
        name: text(value.get("name")),
        email: text(value.get("email")),
        comments: text(value.get("comments")).unwrap_or_default(),
    })
}
