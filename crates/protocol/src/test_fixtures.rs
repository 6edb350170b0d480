//! Test helper: the real SDK captures in `fixtures/sdk-captures/`, with their
//! bodies decompressed as their recorded `Content-Encoding` says.

use std::io::Read;
use std::path::PathBuf;

use serde_json::Value;

/// One recorded request.
pub(crate) struct Capture {
    /// `<scenario>.<NN>.<kind>`.
    pub name: String,
    /// The `<name>.json` metadata.
    pub meta: Value,
    /// The body, decompressed.
    pub body: Vec<u8>,
}

impl Capture {
    /// `envelope_item_types` from the metadata; `None` for non-envelopes.
    pub fn item_types(&self) -> Option<Vec<String>> {
        let types = self.meta.get("envelope_item_types")?.as_array()?;
        Some(
            types
                .iter()
                .map(|t| t.as_str().expect("item type is a string").to_owned())
                .collect(),
        )
    }

    // Whether the body on file differs in size from what was recorded
    // (`decoded_length`): the captures had paths shortened after
    // recording, which left the items' declared `length`s stale.

    /// When the recording server received the request.
    pub fn received_at(&self) -> chrono::DateTime<chrono::Utc> {
        let s = self.meta["received_at"].as_str().expect("received_at");
        chrono::DateTime::parse_from_rfc3339(s)
            .expect("received_at is RFC 3339")
            .with_timezone(&chrono::Utc)
    }
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sdk-captures")
}

/// Every capture, sorted by name.
pub(crate) fn all() -> Vec<Capture> {
    let mut names: Vec<String> = std::fs::read_dir(dir())
        .expect("fixtures/sdk-captures exists")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|n| n.strip_suffix(".body").map(str::to_owned))
        .collect();
    names.sort();
    assert!(
        names.len() >= 40,
        "expected the SDK captures, found {}",
        names.len()
    );
    names.into_iter().map(|n| load(&n)).collect()
}

fn load(name: &str) -> Capture {
    let meta_text = std::fs::read(dir().join(format!("{name}.json"))).expect("capture .json");
    let meta: Value = serde_json::from_slice(&meta_text).expect("capture .json parses");
    let raw = std::fs::read(dir().join(format!("{name}.body"))).expect("capture .body");
    let encoding = meta["headers"]
        .as_array()
        .expect("headers list")
        .iter()
        .find(|h| {
            h[0].as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case("content-encoding"))
        })
        .and_then(|h| h[1].as_str())
        .unwrap_or("identity")
        .to_ascii_lowercase();
    let body = match encoding.as_str() {
        "identity" => raw,
        "gzip" => read_all(flate2::read::GzDecoder::new(&raw[..])),
        "deflate" => read_all(flate2::read::ZlibDecoder::new(&raw[..])),
        "br" => read_all(brotli::Decompressor::new(&raw[..], 4096)),
        other => panic!("{name}: unexpected Content-Encoding {other}"),
    };
    Capture {
        name: name.to_owned(),
        meta,
        body,
    }
}

fn read_all(mut r: impl Read) -> Vec<u8> {
    let mut out = Vec::new();
    r.read_to_end(&mut out).expect("decompresses");
    out
}
