//! Event normalisation: any event JSON an SDK may send, in any legacy shape,
//! becomes one canonical shape that grouping, storage and the UI rely on.
//!
//! Only a payload that is not a JSON object is rejected ([`EventError`]).
//! Everything else is repaired field by field: a value with the wrong type
//! is converted or dropped, an oversized one is cut, and each repair leaves
//! a note in `data.errors` (names in [`note`]) next to the errors the SDK
//! itself reported.
//!
//! # The canonical shape of `NormalizedEvent::data`
//!
//! - `event_id`: 32 lowercase hex. `timestamp`, `received`: RFC 3339 UTC
//!   with microseconds (`2026-11-22T11:53:23.842011Z`).
//! - `level`: `fatal|error|warning|info|debug`. `platform`: a string
//!   (`other` by default). `type`: as sent, else `error` when there are
//!   exceptions and `default` otherwise.
//! - `logentry`: `{message?, formatted?, params?}`; the legacy top-level
//!   `message` is folded into it and removed.
//! - `exception`: `{"values": [...]}`, present only with at least one
//!   exception; each has a non-empty `type` and/or `value` (strings),
//!   optional `stacktrace`, `mechanism` (an object with a `type`), `module`.
//! - stack traces (exceptions, threads, top level): `{"frames": [...]}`,
//!   oldest frame first; `in_app` only when a boolean; `lineno`/`colno`
//!   non-negative integers; `vars` an object; `pre_context`/`post_context`
//!   lists of strings; `abs_path` backfilled from a URL `filename`.
//! - `threads`, `breadcrumbs`: `{"values": [...]}` when non-empty;
//!   breadcrumb timestamps in the same RFC 3339 form.
//! - `request`: an object; `headers` (and an object `query_string`) as
//!   lists of `[name, value]` string pairs.
//! - `user`: an object with string `id`/`email`/`username`/`ip_address`.
//! - `contexts`: an object of objects, each with a `type`.
//! - `tags`: a list of `[key, value]` string pairs, the SDK's then the
//!   derived ones (see [`NormalizedEvent::tags`]).
//! - `fingerprint`: a list of strings. `extra`, `modules`, `sdk`: objects.
//! - Unknown keys are kept; `project`, `key_id`, `hashes`, `metadata`,
//!   `title`, `grouping_config`, `main_exception_id` are removed.
//! - `errors`: the SDK's own entries, then Moth's notes; absent when empty.

mod attrs;
mod breadcrumbs;
mod contexts;
mod ctx;
mod derived;
mod exception;
mod fields;
mod level;
mod logentry;
mod normalize;
mod outline;
mod request;
mod stacktrace;
mod tags;
mod threads;
mod timestamp;
mod trim;
mod user;
mod user_agent;
mod values;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use ctx::note;
pub use level::{InvalidLevel, Level};
pub use timestamp::{format_timestamp, parse_timestamp};
pub use user_agent::{parse_browser, parse_os, Software};

use crate::event_id::EventId;

/// What the caller knows about the event beyond its payload.
#[derive(Debug, Clone)]
pub struct NormalizeOptions {
    /// When Moth received the event. Becomes `received`, replaces missing,
    /// invalid or implausible timestamps. Passed in because this crate
    /// reads no clock.
    pub received_at: DateTime<Utc>,
    /// The sender's IP: replaces `user.ip_address: "{{auto}}"` and is
    /// inferred for browser SDKs (see `user` normalisation).
    pub client_ip: Option<IpAddr>,
    /// The envelope header's `event_id`, which wins over the payload's.
    pub envelope_event_id: Option<EventId>,
    /// Size limits.
    pub limits: EventLimits,
}

impl NormalizeOptions {
    /// Options with no client IP, no envelope id and default limits.
    pub fn new(received_at: DateTime<Utc>) -> Self {
        NormalizeOptions {
            received_at,
            client_ip: None,
            envelope_event_id: None,
            limits: EventLimits::default(),
        }
    }
}

/// Size limits applied while normalising. The defaults follow Sentry's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLimits {
    /// Longest string anywhere, in characters: messages, exception values,
    /// frame fields, bag values (8192). Longer ones are cut with `…`.
    pub max_string: usize,
    /// Breadcrumbs kept: the most recent ones (100).
    pub max_breadcrumbs: usize,
    /// Frames kept per stack trace; the middle is removed and recorded in
    /// `frames_omitted`, keeping the entry point and the crash (250).
    pub max_frames: usize,
    /// Exceptions kept in a chain: the last ones, i.e. the exception raised
    /// and its nearest causes (50).
    pub max_exceptions: usize,
    /// Threads kept: the first ones (100).
    pub max_threads: usize,
    /// Tags kept from the SDK; derived tags come on top (100).
    pub max_tags: usize,
    /// Longest tag key; longer keys drop the tag (200).
    pub max_tag_key: usize,
    /// Longest tag value; longer values are cut (200).
    pub max_tag_value: usize,
    /// Deepest nesting in bags (`extra`, frame `vars`, contexts, request
    /// data, unknown keys...); deeper values become `"[too deep]"` (7).
    pub max_depth: usize,
    /// Most entries in any list or object not covered by a specific limit
    /// (1000).
    pub max_items: usize,
    /// Most entries in `data.errors`, counting the SDK's own (100).
    pub max_errors: usize,
}

impl Default for EventLimits {
    fn default() -> Self {
        EventLimits {
            max_string: 8192,
            max_breadcrumbs: 100,
            max_frames: 250,
            max_exceptions: 50,
            max_threads: 100,
            max_tags: 100,
            max_tag_key: 200,
            max_tag_value: 200,
            max_depth: 7,
            max_items: 1000,
            max_errors: 100,
        }
    }
}

/// A normalised event: the fields Moth indexes, and the whole event.
#[derive(Debug, Clone, PartialEq)]
pub struct NormalizedEvent {
    /// The envelope's id, else the payload's, else a random one.
    pub event_id: EventId,
    /// When the event happened (or `received_at` when unknown/implausible).
    pub timestamp: DateTime<Utc>,
    /// Severity; `error` when not sent.
    pub level: Level,
    /// e.g. `python`, `javascript`, `node`, `native`; `other` when not sent.
    pub platform: String,
    /// Release name, when valid.
    pub release: Option<String>,
    /// Environment name, when valid (possibly moved from a tag).
    pub environment: Option<String>,
    /// The transaction (route, task name...), when sent.
    pub transaction: Option<String>,
    /// How Sentry counts users: `id:…`, else `email:…`, `username:…`, `ip:…`.
    pub user_ident: Option<String>,
    /// The event's tags then the derived ones, first key wins. The same list
    /// is stored as `data.tags`.
    pub tags: Vec<(String, String)>,
    /// The whole normalised event object; unknown fields are kept.
    pub data: Value,
}

/// Why an event payload could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// The payload is not UTF-8.
    #[error("event payload is not valid UTF-8: invalid byte at byte {byte}")]
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        byte: usize,
    },
    /// The payload is not JSON.
    #[error("event payload is not valid JSON: {message} at line {line} column {column}")]
    InvalidJson {
        /// serde's description of the problem.
        message: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The payload is JSON but not an object.
    #[error("event payload is not a JSON object (found {found})")]
    NotAnObject {
        /// What it is instead, e.g. `an array`.
        found: &'static str,
    },
}

/// Parses and normalises an event payload (an `event` item, or a `/store/`
/// body).
pub fn normalize_event(
    payload: &[u8],
    opts: &NormalizeOptions,
) -> Result<NormalizedEvent, EventError> {
    let text = std::str::from_utf8(payload).map_err(|e| EventError::InvalidUtf8 {
        byte: e.valid_up_to(),
    })?;
    let value: Value = serde_json::from_str(text).map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        EventError::InvalidJson {
            message: full.strip_suffix(&suffix).unwrap_or(&full).to_owned(),
            line: e.line(),
            column: e.column(),
        }
    })?;
    normalize_event_value(value, opts)
}

/// Parses and normalises the event's outline: the event without the parts
/// only a reader of the whole event looks at (frame `vars`,
/// `pre_context`, `post_context`; `breadcrumbs`, `extra`, `modules`,
/// `debug_meta`, `request.data`). Everything else — the indexed fields,
/// the tags and all that grouping reads — comes out exactly as from
/// [`normalize_event`], and so do the errors: a payload is rejected here
/// exactly when it is rejected there. For callers that keep the payload as
/// sent and only need what is derived from it.
pub fn normalize_event_outline(
    payload: &[u8],
    opts: &NormalizeOptions,
) -> Result<NormalizedEvent, EventError> {
    let outline = std::str::from_utf8(payload)
        .ok()
        .and_then(outline::parse_outline);
    match outline {
        Some(map) => Ok(normalize::normalize(map, opts)),
        // Not a JSON object: the full parse says why.
        None => normalize_event(payload, opts),
    }
}

/// Normalises an already parsed event.
pub fn normalize_event_value(
    value: Value,
    opts: &NormalizeOptions,
) -> Result<NormalizedEvent, EventError> {
    match value {
        Value::Object(map) => Ok(normalize::normalize(map, opts)),
        other => Err(EventError::NotAnObject {
            found: crate::repr::kind(&other),
        }),
    }
}
