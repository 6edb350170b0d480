//! Realistic event bodies: a real Python SDK capture (a chained exception)
//! grown to ~20 frames with local variables and source context, varied per
//! issue so that grouping yields a chosen number of distinct issues.

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{json, Value};

/// How request bodies are compressed, as the SDKs do it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compression {
    /// Python SDK with `brotli` installed (quality 4).
    Brotli,
    /// Python SDK default (gzip level 9) / Node over 32 KiB.
    Gzip,
    /// Browser, Rust, small Node events.
    None,
}

impl Compression {
    pub fn header(&self) -> Option<&'static str> {
        match self {
            Self::Brotli => Some("br"),
            Self::Gzip => Some("gzip"),
            Self::None => None,
        }
    }

    pub fn compress(&self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Brotli => {
                let mut out = Vec::new();
                {
                    let mut w = brotli::CompressorWriter::new(&mut out, 4096, 4, 22);
                    w.write_all(data).expect("write to Vec");
                }
                out
            }
            Self::Gzip => {
                let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
                e.write_all(data).expect("write to Vec");
                e.finish().expect("finish gzip")
            }
            Self::None => data.to_vec(),
        }
    }
}

/// The capture every template is grown from.
const BASE: &str = "python-b-chained.01.event";

/// Loads the base event from the fixtures directory.
pub fn base_event(fixtures: &std::path::Path) -> Result<Value> {
    let body = std::fs::read(fixtures.join(format!("{BASE}.body")))
        .with_context(|| format!("read {BASE}.body"))?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(&body[..]), &mut raw)
        .context("gunzip capture")?;
    let envelope = moth_protocol::envelope::Envelope::parse(bytes::Bytes::from(raw))
        .context("parse capture")?;
    let item = envelope
        .items
        .iter()
        .find(|i| i.headers.item_type == moth_protocol::envelope::ItemType::Event)
        .context("capture has no event")?;
    Ok(serde_json::from_slice(&item.payload)?)
}

/// The event for issue `k`: 10 frames per exception (20 in all), each with
/// locals and 5 lines of context, function names unique to the issue.
pub fn issue_event(base: &Value, k: usize) -> Value {
    let mut ev = base.clone();
    let values = ev["exception"]["values"]
        .as_array_mut()
        .expect("capture has exceptions");
    for (x, exc) in values.iter_mut().enumerate() {
        let frames = exc["stacktrace"]["frames"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let template = frames.last().cloned().unwrap_or_else(|| json!({}));
        let mut grown = Vec::new();
        for depth in 0..10 {
            let mut f = template.clone();
            let name = format!("handler_{k}_{x}_{depth}");
            f["function"] = json!(name);
            f["lineno"] = json!(100 + depth * 7);
            f["context_line"] = json!(format!(
                "        result = step_{depth}(request, payload, retries={depth})"
            ));
            f["pre_context"] = json!((0..5)
                .map(|i| format!("    # step {depth} line {i}: validate the request payload"))
                .collect::<Vec<_>>());
            f["post_context"] = json!((0..5)
                .map(|i| format!("    log.debug('after step {depth}', extra={{'line': {i}}})"))
                .collect::<Vec<_>>());
            f["vars"] = json!({
                "request": format!("<Request id=req-{depth:04} path='/api/orders/{k}' method='POST' user=<User 4711>>"),
                "payload": format!("{{'order_id': {k}, 'items': [{{'sku': 'A-{depth}', 'qty': 2, 'price': 9.5}}, {{'sku': 'B-2', 'qty': 0}}], 'currency': 'EUR', 'coupon': None}}"),
                "retries": depth.to_string(),
                "settings": "{'timeout': 30, 'verify_tls': True, 'endpoint': 'https://payments.internal.example/v2/charge', 'region': 'eu-west-1'}",
                "self": format!("<OrderService object at 0x7f3a9c{depth:06x}>"),
            });
            grown.push(f);
        }
        exc["stacktrace"]["frames"] = json!(grown);
        exc["value"] = json!(format!(
            "invalid literal for int() with base 10: 'order-{k}'"
        ));
    }
    ev["tags"] = json!({"shard": format!("s{}", k % 8), "feature": "checkout"});
    ev["user"] =
        json!({"id": format!("user-{}", k % 50), "email": format!("user{}@example.com", k % 50)});
    ev["release"] = json!("shop@2.4.1");
    ev
}

/// One envelope body for `event` with a fresh event id, compressed.
pub fn envelope_body(event: &Value, compression: Compression) -> (String, Vec<u8>) {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let mut ev = event.clone();
    ev["event_id"] = json!(id);
    ev["timestamp"] = json!(std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default());
    let payload = serde_json::to_vec(&ev).expect("serialise event");
    let mut body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\",\"length\":{}}}\n",
        payload.len()
    )
    .into_bytes();
    body.extend_from_slice(&payload);
    body.push(b'\n');
    (id, compression.compress(&body))
}

/// Size of a typical event body before compression.
pub fn uncompressed_size(fixtures: &std::path::Path) -> Result<usize> {
    let base = base_event(fixtures)?;
    Ok(envelope_body(&issue_event(&base, 1), Compression::None)
        .1
        .len())
}
