//! Sentry envelopes: a JSON header line followed by items, each an item
//! header line and a payload (sentry-protocol.md §3).
//!
//! Payloads are [`Bytes`] slices of the request body, so parsing copies no
//! payload bytes whatever the envelope size.

mod error;
mod item_type;
mod parse;
#[cfg(test)]
mod tests;

use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use error::EnvelopeError;
pub use item_type::ItemType;

use crate::event_id::EventId;

/// A parsed envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// The envelope header (first line).
    pub headers: EnvelopeHeaders,
    /// The items in body order; possibly none.
    pub items: Vec<EnvelopeItem>,
}

/// The envelope header fields Moth uses; unknown keys (e.g. `trace`) are
/// ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvelopeHeaders {
    /// The event id, dashed or not on the wire. It wins over an event
    /// payload's own `event_id`.
    pub event_id: Option<EventId>,
    /// A full DSN, used to authenticate tunnelled envelopes.
    pub dsn: Option<String>,
    /// When the SDK sent the envelope; `None` when absent or unparseable
    /// (it only serves clock-drift correction, never worth a rejection).
    pub sent_at: Option<DateTime<Utc>>,
    /// The SDK description `{name, version, ...}` as sent.
    pub sdk: Option<serde_json::Value>,
}

/// One item: its header and its payload bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvelopeItem {
    /// The item header fields Moth uses.
    pub headers: ItemHeaders,
    /// The payload, a slice of the envelope body (no copy).
    pub payload: Bytes,
}

/// The item header fields Moth uses; unknown keys (e.g. `item_count`) are
/// ignored. String fields that arrive with another JSON type are `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemHeaders {
    /// The required `type`.
    pub item_type: ItemType,
    /// The payload length in bytes as declared in the header, when the SDK
    /// sent one (then equal to `payload.len()`).
    pub length: Option<usize>,
    /// e.g. `application/json`.
    pub content_type: Option<String>,
    /// Attachments: the file's base name.
    pub filename: Option<String>,
    /// Attachments: `event.attachment`, `event.minidump`, ...
    pub attachment_type: Option<String>,
}

impl Envelope {
    /// Parses an envelope body (already decompressed).
    ///
    /// More lenient than Relay where SDKs or proxies are sloppy: the final
    /// newline is optional, and blank lines or whitespace between items and
    /// after the last one are ignored. Everything that makes the framing
    /// ambiguous is an error: a bad header line, a missing `type`, a
    /// `length` that runs past the end or is not followed by a newline.
    pub fn parse(body: Bytes) -> Result<Envelope, EnvelopeError> {
        parse::parse(body)
    }

    /// The items of one type, in body order.
    pub fn items_of_type<'a>(
        &'a self,
        item_type: &'a ItemType,
    ) -> impl Iterator<Item = &'a EnvelopeItem> + 'a {
        self.items
            .iter()
            .filter(move |item| &item.headers.item_type == item_type)
    }
}
