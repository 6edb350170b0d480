//! Grouping tests over real SDK captures (`fixtures/sdk-captures`) and
//! events derived from them.
//!
//! The captures are raw request bodies: decompressed per the recorded
//! `Content-Encoding` and split into envelope items here with a minimal
//! parser (the real one lives in the protocol crate). The events are fed to
//! grouping as the SDK sent them, un-normalised, which also exercises the
//! tolerance for legacy shapes (top-level `message`, tags as an object).

mod captures;
mod scenarios;
mod shapes;
mod stability;

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

use super::{group_event, Grouping};

fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sdk-captures")
}

/// Names (`<scenario>.<NN>.event`) of every capture holding an event.
pub(crate) fn event_capture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .expect("fixtures/sdk-captures exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".event.body").map(|s| format!("{s}.event")))
        .collect();
    names.sort();
    names
}

/// The event payload of capture `name`, decoded.
pub(crate) fn capture(name: &str) -> Value {
    let dir = captures_dir();
    let meta: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.json"))).expect("meta file"),
    )
    .expect("meta is JSON");
    let encoding = meta["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| Some((h.get(0)?.as_str()?, h.get(1)?.as_str()?)))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, v)| v.to_ascii_lowercase());
    let raw = std::fs::read(dir.join(format!("{name}.body"))).expect("body file");
    let body = decode(&raw, encoding.as_deref());
    envelope_event(&body).unwrap_or_else(|| panic!("{name}: no event item"))
}

fn decode(raw: &[u8], encoding: Option<&str>) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        Some("gzip") => {
            flate2::read::GzDecoder::new(raw)
                .read_to_end(&mut out)
                .expect("gzip body");
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(raw)
                .read_to_end(&mut out)
                .expect("deflate body");
        }
        Some("br") => {
            brotli::Decompressor::new(raw, 4096)
                .read_to_end(&mut out)
                .expect("br body");
        }
        _ => out.extend_from_slice(raw),
    }
    out
}

/// Splits an envelope (header line, then item header + payload pairs; a
/// payload is `length` bytes when given, else runs to the next newline) and
/// returns the first `event` payload.
fn envelope_event(body: &[u8]) -> Option<Value> {
    let mut rest = split_line(body).1;
    while !rest.is_empty() {
        let (header_line, after) = split_line(rest);
        if header_line.iter().all(u8::is_ascii_whitespace) {
            rest = after;
            continue;
        }
        let header: Value = serde_json::from_slice(header_line).ok()?;
        let (payload, next) = match header.get("length").and_then(Value::as_u64) {
            Some(len) => {
                let len = usize::try_from(len).ok()?.min(after.len());
                let next = &after[len..];
                (&after[..len], next.strip_prefix(b"\n").unwrap_or(next))
            }
            None => split_line(after),
        };
        if header.get("type").and_then(Value::as_str) == Some("event") {
            return serde_json::from_slice(payload).ok();
        }
        rest = next;
    }
    None
}

fn split_line(b: &[u8]) -> (&[u8], &[u8]) {
    match b.iter().position(|&c| c == b'\n') {
        Some(i) => (&b[..i], &b[i + 1..]),
        None => (b, &[]),
    }
}

/// Groups capture `name`.
pub(super) fn group_capture(name: &str) -> Grouping {
    group_event(&capture(name))
}
