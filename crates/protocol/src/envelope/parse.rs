//! The byte-level envelope grammar (sentry-protocol.md §3.1).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;

use super::{Envelope, EnvelopeError, EnvelopeHeaders, EnvelopeItem, ItemHeaders, ItemType};
use crate::event_id::EventId;
use crate::repr::short_json;

/// The envelope header keys Moth reads. serde skips every other key without
/// building values for them (`trace` can be sizeable).
#[derive(Deserialize)]
struct RawEnvelopeHeader {
    event_id: Option<Value>,
    dsn: Option<Value>,
    sent_at: Option<Value>,
    sdk: Option<Value>,
}

/// The item header keys Moth reads. Kept as `Value` so that a wrong type is
/// reported precisely instead of as a generic serde message.
#[derive(Deserialize)]
struct RawItemHeader {
    #[serde(rename = "type")]
    ty: Option<Value>,
    length: Option<Value>,
    content_type: Option<Value>,
    filename: Option<Value>,
    attachment_type: Option<Value>,
}

pub(super) fn parse(body: Bytes) -> Result<Envelope, EnvelopeError> {
    if body.is_empty() {
        return Err(EnvelopeError::Empty);
    }
    let (header_line, next) = line_at(&body, 0);
    let headers = parse_envelope_header(header_line)?;
    let mut pos = next.unwrap_or(body.len());

    let mut items = Vec::new();
    loop {
        pos = skip_blank(&body, pos);
        if pos >= body.len() {
            break;
        }
        let number = items.len() + 1;
        let (item, next) = parse_item(&body, pos, number)?;
        items.push(item);
        pos = next;
    }
    Ok(Envelope { headers, items })
}

/// The line starting at `start` (without its `\n`) and the offset after the
/// `\n`, or `None` when the line runs to the end of the body.
fn line_at(body: &[u8], start: usize) -> (&[u8], Option<usize>) {
    match memchr::memchr(b'\n', &body[start..]) {
        Some(i) => (&body[start..start + i], Some(start + i + 1)),
        None => (&body[start..], None),
    }
}

/// Skips whitespace between items. SDKs never put any there, but proxies
/// and hand-written envelopes do, and Relay's strictness here only loses
/// events.
fn skip_blank(body: &[u8], mut pos: usize) -> usize {
    while pos < body.len() && matches!(body[pos], b'\n' | b'\r' | b' ' | b'\t') {
        pos += 1;
    }
    pos
}

fn parse_envelope_header(line: &[u8]) -> Result<EnvelopeHeaders, EnvelopeError> {
    if let Err(e) = std::str::from_utf8(line) {
        return Err(EnvelopeError::HeaderNotUtf8 {
            byte: e.valid_up_to(),
        });
    }
    let raw: RawEnvelopeHeader = parse_object(line).map_err(|e| match e {
        LineError::NotObject(kind) => EnvelopeError::HeaderNotObject {
            reason: format!("found {kind}"),
        },
        LineError::Invalid(reason) => EnvelopeError::HeaderNotObject { reason },
    })?;

    let event_id = match raw.event_id {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            Some(
                EventId::parse(&s).ok_or_else(|| EnvelopeError::InvalidEventId {
                    value: short_json(&Value::String(s)),
                })?,
            )
        }
        Some(other) => {
            return Err(EnvelopeError::InvalidEventId {
                value: short_json(&other),
            })
        }
    };
    let dsn = match raw.dsn {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let sent_at = match raw.sent_at {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s.trim())
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    };
    let sdk = raw.sdk.filter(|v| !v.is_null());
    Ok(EnvelopeHeaders {
        event_id,
        dsn,
        sent_at,
        sdk,
    })
}

/// Why a header line is not one JSON object.
enum LineError {
    /// Valid JSON of another kind ("an array", ...).
    NotObject(&'static str),
    /// Not valid JSON: serde's reason with the column.
    Invalid(String),
}

/// Deserialises a header line that must hold exactly one JSON object. The
/// reason names the column only: a header is one line, so a line number
/// would only confuse.
fn parse_object<T: for<'de> Deserialize<'de>>(line: &[u8]) -> Result<T, LineError> {
    let first = line.iter().position(|b| !b.is_ascii_whitespace());
    match first.map(|i| line[i]) {
        Some(b'{') => serde_json::from_slice(line).map_err(|e| LineError::Invalid(json_reason(&e))),
        None => Err(LineError::Invalid("the line is empty".to_owned())),
        // serde would happily read a struct from an array; say what it is.
        Some(_) => match serde_json::from_slice::<Value>(line) {
            Ok(v) => Err(LineError::NotObject(crate::repr::kind(&v))),
            Err(e) => Err(LineError::Invalid(json_reason(&e))),
        },
    }
}

/// serde's message with its position given as a column only.
fn json_reason(e: &serde_json::Error) -> String {
    let full = e.to_string();
    if e.line() == 0 {
        return full;
    }
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    format!("{message} at column {}", e.column())
}

fn parse_item(
    body: &Bytes,
    start: usize,
    number: usize,
) -> Result<(EnvelopeItem, usize), EnvelopeError> {
    let (line, after_header) = line_at(body, start);
    if let Err(e) = std::str::from_utf8(line) {
        return Err(EnvelopeError::ItemHeaderNotUtf8 {
            item: number,
            offset: start,
            byte: start + e.valid_up_to(),
        });
    }
    let raw: RawItemHeader = parse_object(line).map_err(|e| match e {
        LineError::NotObject(_) => EnvelopeError::ItemHeaderNotObject {
            item: number,
            offset: start,
        },
        LineError::Invalid(reason) => EnvelopeError::ItemHeaderInvalid {
            item: number,
            offset: start,
            reason,
        },
    })?;
    let headers = item_headers(raw, number)?;

    // A header line that runs to the end of the body has an empty payload.
    let Some(payload_start) = after_header else {
        return match headers.length {
            Some(length) if length > 0 => Err(EnvelopeError::LengthPastEnd {
                item: number,
                length: length as u64,
                remaining: 0,
            }),
            _ => Ok((
                EnvelopeItem {
                    headers,
                    payload: Bytes::new(),
                },
                body.len(),
            )),
        };
    };
    let framed = match headers.length {
        Some(length) => framed_by_length(body, payload_start, length, number),
        None => Ok(line_from(body, payload_start)),
    };
    let (payload, next) = framed?;
    Ok((EnvelopeItem { headers, payload }, next))
}

/// The payload of declared `length` at `start`, and where the next item
/// may begin.
fn framed_by_length(
    body: &Bytes,
    start: usize,
    length: usize,
    number: usize,
) -> Result<(Bytes, usize), EnvelopeError> {
    let remaining = body.len() - start;
    if length > remaining {
        return Err(EnvelopeError::LengthPastEnd {
            item: number,
            length: length as u64,
            remaining,
        });
    }
    let end = start + length;
    match body.get(end) {
        None => Ok((body.slice(start..end), end)),
        Some(b'\n') => Ok((body.slice(start..end), end + 1)),
        Some(&other) => Err(EnvelopeError::MissingNewline {
            item: number,
            length: length as u64,
            offset: end,
            found: describe_byte(other),
        }),
    }
}

/// The payload running from `start` to the next newline or the end.
fn line_from(body: &Bytes, start: usize) -> (Bytes, usize) {
    let (line, next) = line_at(body, start);
    let end = start + line.len();
    (body.slice(start..end), next.unwrap_or(end))
}

fn item_headers(raw: RawItemHeader, number: usize) -> Result<ItemHeaders, EnvelopeError> {
    let item_type = match raw.ty {
        None | Some(Value::Null) => return Err(EnvelopeError::MissingType { item: number }),
        Some(Value::String(s)) => ItemType::from_name(&s),
        Some(other) => {
            return Err(EnvelopeError::InvalidType {
                item: number,
                value: short_json(&other),
            })
        }
    };
    let length = match raw.length {
        None | Some(Value::Null) => None,
        // Only the type is checked here; whether the body holds that many
        // bytes is checked before slicing, so an absurd value never drives
        // an allocation.
        Some(Value::Number(n)) if n.as_u64().is_some() => {
            let n = n.as_u64().unwrap_or_default();
            Some(usize::try_from(n).unwrap_or(usize::MAX))
        }
        Some(other) => {
            return Err(EnvelopeError::InvalidLength {
                item: number,
                value: short_json(&other),
            })
        }
    };
    Ok(ItemHeaders {
        item_type,
        length,
        content_type: string(raw.content_type),
        filename: string(raw.filename),
        attachment_type: string(raw.attachment_type),
    })
}

fn string(value: Option<Value>) -> Option<String> {
    match value {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

fn describe_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        format!("'{}'", b as char)
    } else {
        format!("byte 0x{b:02x}")
    }
}
