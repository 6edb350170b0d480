//! The event captures of `fixtures/sdk-captures`, decoded, for the grouping
//! benchmark and the `dump_grouping` example: each request body is
//! decompressed per its recorded `Content-Encoding`, split by the protocol
//! crate's envelope parser, and its `event` item normalised the way ingest
//! does before grouping (`raw` keeps the payload as the SDK sent it).

use std::io::Read;
use std::path::PathBuf;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use moth_protocol::envelope::{Envelope, ItemType};
use moth_protocol::event::{normalize_event, NormalizeOptions};
use serde_json::Value;

pub struct EventCapture {
    /// `<scenario>.<NN>.event`
    pub name: String,
    /// The payload as the SDK sent it.
    pub raw: Value,
    /// The payload after ingest's normalisation: what grouping sees.
    pub normalized: Value,
}

fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sdk-captures")
}

/// Every event capture, sorted by name.
pub fn event_captures() -> Vec<EventCapture> {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .expect("fixtures/sdk-captures exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".event.body").map(|s| format!("{s}.event")))
        .collect();
    names.sort();
    names.into_iter().map(|name| load(&name)).collect()
}

fn load(name: &str) -> EventCapture {
    let dir = captures_dir();
    let meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.json"))).expect("meta"))
            .expect("meta is JSON");
    let encoding = meta["headers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| Some((h.get(0)?.as_str()?, h.get(1)?.as_str()?)))
        .find(|(k, _)| k.eq_ignore_ascii_case("content-encoding"))
        .map(|(_, v)| v.to_ascii_lowercase());
    let raw = std::fs::read(dir.join(format!("{name}.body"))).expect("body");
    let mut body = Vec::new();
    match encoding.as_deref() {
        Some("gzip") => {
            flate2::read::GzDecoder::new(&raw[..])
                .read_to_end(&mut body)
                .expect("gzip body");
        }
        Some("br") => {
            brotli::Decompressor::new(&raw[..], 4096)
                .read_to_end(&mut body)
                .expect("br body");
        }
        Some(other) => panic!("{name}: unexpected Content-Encoding {other}"),
        None => body = raw,
    }
    let envelope = Envelope::parse(Bytes::from(body)).expect("envelope parses");
    let item = envelope
        .items_of_type(&ItemType::Event)
        .next()
        .unwrap_or_else(|| panic!("{name}: no event item"));
    let received: DateTime<Utc> = "2026-11-22T23:30:00Z".parse().expect("timestamp");
    let normalized = normalize_event(&item.payload, &NormalizeOptions::new(received))
        .expect("event normalises")
        .data;
    EventCapture {
        name: name.to_string(),
        raw: serde_json::from_slice(&item.payload).expect("event is JSON"),
        normalized,
    }
}
