//! Turning an event payload into what the write pipeline stores: the
//! normalised event's indexed fields, grouping hashes, title, culprit and
//! the payload.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use moth_protocol::event::{
    normalize_event, normalize_event_outline, EventError, NormalizeOptions, NormalizedEvent,
};
use moth_protocol::event_id::EventId;
use moth_storage::payload::{compress_payload, BodyEncoding, ReceivedEvent};
use moth_storage::write::EventToStore;
use serde_json::{Map, Value};

use crate::grouping::{group_event, GROUPING_VERSION};

/// Normalises, groups and packs one event (CPU work: call it on the
/// ingest threads, see [`crate::cpu`]). `as_sent` is the request body as
/// sent, to be kept as the payload, when the event is all it holds. The
/// error is the event's own (its payload is not a JSON object): the caller
/// decides whether that drops an envelope item or fails the request.
pub fn prepare(
    project_id: i64,
    payload: &[u8],
    opts: &NormalizeOptions,
    received_at: DateTime<Utc>,
    as_sent: Option<(BodyEncoding, Bytes)>,
) -> Result<(EventId, EventToStore), EventError> {
    // Kept as sent, the event is normalised whole when read; here only
    // what grouping and the indexed columns need is.
    let (event, form) = match as_sent {
        Some((encoding, body)) => (
            normalize_event_outline(payload, opts)?,
            PayloadForm::Received {
                encoding,
                body,
                opts,
            },
        ),
        None => (normalize_event(payload, opts)?, PayloadForm::Normalized),
    };
    let id = event.event_id;
    Ok((
        id,
        prepare_event(project_id, event, payload.len(), received_at, form),
    ))
}

/// The form the event's payload is kept in (see [`moth_storage::payload`]).
enum PayloadForm<'a> {
    /// The normalised event, serialised and compressed here.
    Normalized,
    /// The request body as sent (an envelope whose only item is this
    /// event), with the options it was normalised with: nothing to
    /// serialise or compress.
    Received {
        encoding: BodyEncoding,
        body: Bytes,
        opts: &'a NormalizeOptions,
    },
}

/// Groups the normalised event and packs it for storage. `raw_size` is the length of
/// the payload as received (it sizes the output buffer).
fn prepare_event(
    project_id: i64,
    event: NormalizedEvent,
    raw_size: usize,
    received_at: DateTime<Utc>,
    form: PayloadForm<'_>,
) -> EventToStore {
    let grouping = group_event(&event.data);
    // The fields the stored event gets besides the normalised payload.
    let mut added = Map::new();
    added.insert("title".into(), grouping.title.clone().into());
    added.insert("culprit".into(), grouping.culprit.clone().into());
    added.insert("metadata".into(), grouping.metadata.clone());
    added.insert("hashes".into(), grouping.hashes.clone().into());
    added.insert("grouping_config".into(), GROUPING_VERSION.into());
    let payload = match form {
        PayloadForm::Normalized => normalized_payload(event.data, added, raw_size),
        PayloadForm::Received {
            encoding,
            body,
            opts,
        } => ReceivedEvent {
            body,
            encoding,
            received_at: opts.received_at,
            client_ip: client_ip_used(&event.data, opts),
            envelope_event_id: opts.envelope_event_id,
            added,
        }
        .encode(),
    };
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
        payload,
        attachments: Vec::new(),
    }
}

/// The sender's address, when normalisation put it into the event (the
/// only place it goes: `user.ip_address`, for `{{auto}}` or inferred).
/// Otherwise it is not kept: the SDK did not ask for it.
fn client_ip_used(data: &Value, opts: &NormalizeOptions) -> Option<std::net::IpAddr> {
    let stored = data.pointer("/user/ip_address").and_then(Value::as_str);
    opts.client_ip
        .filter(|ip| stored.is_some_and(|s| s == ip.to_string()))
}

/// The normalised event with `added`, as JSON compressed with zstd.
fn normalized_payload(mut data: Value, added: Map<String, Value>, raw_size: usize) -> Vec<u8> {
    if let Some(obj) = data.as_object_mut() {
        obj.extend(added);
    }
    // sonic-rs writes JSON about twice as fast as serde_json (SIMD string
    // escaping); the output is ordinary JSON that serde_json reads back.
    // Sized for the whole event at once (the normalised event is about
    // as large as the received one): no copying while the buffer grows.
    let mut json = Vec::with_capacity(raw_size + 1024);
    sonic_rs::to_writer(&mut json, &data).expect("a JSON value serialises");
    compress_payload(&json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grouping::tests::{capture, event_capture_names};

    /// An event kept as sent is grouped from its outline: every capture
    /// must give the same row (issue hashes, title, tags, columns) as from
    /// the whole event; only the payload differs.
    #[test]
    fn the_outline_stores_the_same_row_as_the_whole_event() {
        let received_at: DateTime<Utc> = "2026-11-22T23:20:00Z".parse().expect("time");
        let opts = NormalizeOptions {
            client_ip: Some([127, 0, 0, 1].into()),
            ..NormalizeOptions::new(received_at)
        };
        let names = event_capture_names();
        assert!(names.len() >= 30, "{names:?}");
        for name in names {
            let payload = serde_json::to_vec(&capture(&name)).expect("serialises");
            let (whole_id, mut whole) =
                prepare(1, &payload, &opts, received_at, None).expect("event");
            let sent = (BodyEncoding::Gzip, Bytes::from_static(b"as sent"));
            let (outline_id, mut outline) =
                prepare(1, &payload, &opts, received_at, Some(sent)).expect("event");
            assert_eq!(whole_id, outline_id, "{name}");
            assert!(!whole.hashes.is_empty(), "{name}");
            whole.payload.clear();
            outline.payload.clear();
            assert_eq!(format!("{whole:?}"), format!("{outline:?}"), "{name}");
        }
    }
}
