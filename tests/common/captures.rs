//! Loading and replaying the real SDK captures in `fixtures/sdk-captures`.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The DSN key and project id the captures were recorded with.
pub const CAPTURE_KEY: &str = "abcdef0123456789abcdef0123456789";
pub const CAPTURE_PROJECT: i64 = 42;

/// Creates the captures' project (id 42, slug `captures`) and its key.
pub async fn add_capture_project(db: &moth_storage::Database, platform: Option<&str>) {
    sqlx::query(
        "INSERT INTO projects (id, slug, name, platform) VALUES ($1, 'captures', 'Captures', $2)",
    )
    .bind(CAPTURE_PROJECT)
    .bind(platform)
    .execute(db.pool())
    .await
    .unwrap();
    sqlx::query("INSERT INTO project_keys (project_id, public_key) VALUES ($1, $2)")
        .bind(CAPTURE_PROJECT)
        .bind(CAPTURE_KEY)
        .execute(db.pool())
        .await
        .unwrap();
}

pub fn captures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/sdk-captures")
}

/// One recorded request.
pub struct Capture {
    pub name: String,
    pub meta: Value,
    pub body: Vec<u8>,
}

impl Capture {
    pub fn header(&self, name: &str) -> Option<String> {
        self.meta["headers"].as_array()?.iter().find_map(|h| {
            let pair = h.as_array()?;
            (pair[0].as_str()?.eq_ignore_ascii_case(name))
                .then(|| pair[1].as_str().unwrap_or("").to_string())
        })
    }

    pub fn is_envelope(&self) -> bool {
        self.meta["method"] == "POST"
            && self.meta["path"]
                .as_str()
                .is_some_and(|p| p.ends_with("/envelope/"))
    }

    pub fn item_types(&self) -> Vec<String> {
        self.meta["envelope_item_types"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The event id, canonical (32 lowercase hex; Rust and sentry-cli send it dashed).
    pub fn event_id(&self) -> Option<String> {
        self.meta["event_id_found"]
            .as_str()
            .map(|s| s.replace('-', "").to_ascii_lowercase())
    }

    /// The body as the SDK meant it: decompressed per Content-Encoding.
    pub fn decoded_body(&self) -> Vec<u8> {
        match self.header("content-encoding").as_deref() {
            Some("gzip") => {
                let mut out = Vec::new();
                flate2::read::MultiGzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            Some("br") => {
                let mut out = Vec::new();
                brotli::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
                out
            }
            _ => self.body.clone(),
        }
    }

    /// The event payload of an envelope with an event item.
    pub fn event_json(&self) -> Option<Value> {
        let body = self.decoded_body();
        let mut lines = body.split(|b| *b == b'\n');
        lines.next()?;
        while let Some(header) = lines.next() {
            let header: Value = serde_json::from_slice(header).ok()?;
            let payload = match header["length"].as_u64() {
                // Payloads with a length have no newline in these captures.
                Some(_) | None => lines.next()?,
            };
            if header["type"] == "event" {
                return serde_json::from_slice(payload).ok();
            }
        }
        None
    }
}

/// Every capture, sorted by name.
pub fn all() -> Vec<Capture> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let Some(stem) = name.strip_suffix(".json") else {
            continue;
        };
        if stem == "index" {
            continue;
        }
        let meta: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let body = std::fs::read(path.with_extension("body")).unwrap_or_default();
        out.push(Capture {
            name: stem.to_string(),
            meta,
            body,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Sends a capture to `base` as the SDK did: same path, query, headers and
/// body bytes; chunked when the SDK streamed it.
pub async fn replay(client: &reqwest::Client, base: &str, c: &Capture) -> reqwest::Response {
    let target = c.meta["request_target"].as_str().unwrap();
    let mut req = client.post(format!("{base}{target}"));
    for h in c.meta["headers"].as_array().unwrap() {
        let name = h[0].as_str().unwrap();
        if ["host", "content-length", "transfer-encoding", "connection"]
            .contains(&name.to_ascii_lowercase().as_str())
        {
            continue;
        }
        req = req.header(name, h[1].as_str().unwrap());
    }
    let req = if c.meta["chunked_transfer"] == true {
        let chunks: Vec<Result<bytes::Bytes, std::io::Error>> = c
            .body
            .chunks(1024)
            .map(|ch| Ok(bytes::Bytes::copy_from_slice(ch)))
            .collect();
        req.body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
    } else {
        req.body(c.body.clone())
    };
    req.send().await.unwrap()
}
