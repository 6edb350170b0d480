//! Criterion benchmarks of envelope parsing and event normalisation over
//! every event capture and a synthetic ~20 KB event; criterion reports
//! events/s per core (`cargo bench -p moth-protocol`).

use std::hint::black_box;
use std::path::PathBuf;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use moth_protocol::envelope::{Envelope, ItemType};
use moth_protocol::event::{normalize_event, NormalizeOptions};
use serde_json::{json, Value};

/// A browser-style event grown to about 20 KB: a long stack, breadcrumbs,
/// tags, request headers and some extra data.
fn synthetic_envelope() -> Vec<u8> {
    let frames: Vec<Value> = (0..60)
        .map(|i| {
            json!({"filename": format!("https://cdn.example.com/assets/app.{i}.js"), "function": format!("handler{i}"),
                   "lineno": 100 + i, "colno": 17, "in_app": i % 3 != 0})
        })
        .collect();
    let crumbs: Vec<Value> = (0..60)
        .map(|i| json!({"timestamp": 1795348419.1 + i as f64, "category": "ui.click", "message": format!("button#item-{i} clicked in the product list"), "level": "info"}))
        .collect();
    let event = json!({
        "event_id": "61e02333feaa4839955f22494049a924",
        "timestamp": 1795348439.311,
        "platform": "javascript",
        "level": "error",
        "release": "webapp@1.0.0",
        "environment": "production",
        "exception": {"values": [{"type": "TypeError", "value": "Cannot read properties of undefined (reading 'value')",
            "stacktrace": {"frames": frames}, "mechanism": {"type": "onerror", "handled": false}}]},
        "breadcrumbs": crumbs,
        "request": {"url": "https://shop.example.com/cart?item=42", "headers": {
            "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36",
            "Referer": "https://shop.example.com/"}},
        "tags": {"feature": "checkout", "region": "eu-west-1", "canary": "false"},
        "user": {"id": "u-42", "email": "ada@example.com"},
        "extra": {"cart": {"items": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}], "total": 19.0}},
        "contexts": {"trace": {"trace_id": "2bb8c8cc45bc48cd97e213ca65c6703b", "span_id": "aadda9af0e101398"}},
        "sdk": {"name": "sentry.javascript.browser", "version": "11.12.0"},
    });
    let payload = serde_json::to_vec(&event).unwrap();
    let mut body =
        b"{\"event_id\":\"61e02333feaa4839955f22494049a924\"}\n{\"type\":\"event\"}\n".to_vec();
    body.extend_from_slice(&payload);
    body
}

/// Every SDK capture's body, decompressed (gzip/brotli per its metadata).
fn capture_envelopes() -> Vec<Bytes> {
    use std::io::Read;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/sdk-captures");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("captures dir") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") || path.ends_with("index.json")
        {
            continue;
        }
        let meta: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if !meta["envelope_item_types"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "event"))
        {
            continue;
        }
        let body = std::fs::read(path.with_extension("body")).unwrap();
        let encoding = meta["headers"]
            .as_array()
            .and_then(|h| {
                h.iter().find(|p| {
                    p[0].as_str()
                        .is_some_and(|n| n.eq_ignore_ascii_case("content-encoding"))
                })
            })
            .and_then(|p| p[1].as_str())
            .unwrap_or("");
        let mut raw = Vec::new();
        match encoding {
            "gzip" => drop(flate2::read::MultiGzDecoder::new(&body[..]).read_to_end(&mut raw)),
            "br" => drop(brotli::Decompressor::new(&body[..], 4096).read_to_end(&mut raw)),
            _ => raw = body,
        }
        out.push(Bytes::from(raw));
    }
    out
}

fn options() -> NormalizeOptions {
    let received: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-22T11:55:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut opts = NormalizeOptions::new(received);
    opts.client_ip = Some([127, 0, 0, 1].into());
    opts
}

fn benches(c: &mut Criterion) {
    let opts = options();
    let captures = capture_envelopes();
    let synthetic = Bytes::from(synthetic_envelope());

    let mut group = c.benchmark_group("envelope");
    group.throughput(Throughput::Elements(captures.len() as u64));
    group.bench_function("parse_all_event_captures", |b| {
        b.iter(|| {
            for body in &captures {
                black_box(Envelope::parse(body.clone()).expect("parses"));
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("normalize");
    group.throughput(Throughput::Elements(captures.len() as u64));
    group.bench_function("all_event_captures", |b| {
        b.iter(|| {
            for body in &captures {
                let env = Envelope::parse(body.clone()).expect("parses");
                for item in env.items_of_type(&ItemType::Event) {
                    black_box(normalize_event(&item.payload, &opts).expect("normalises"));
                }
            }
        })
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("synthetic_20kb_browser_event", |b| {
        b.iter(|| {
            let env = Envelope::parse(synthetic.clone()).expect("parses");
            for item in env.items_of_type(&ItemType::Event) {
                black_box(normalize_event(&item.payload, &opts).expect("normalises"));
            }
        })
    });
    // The floor: parsing the payload into a `Value`, which normalisation
    // cannot avoid.
    group.bench_function("synthetic_20kb_json_parse_only", |b| {
        b.iter(|| {
            let env = Envelope::parse(synthetic.clone()).expect("parses");
            for item in env.items_of_type(&ItemType::Event) {
                black_box(serde_json::from_slice::<Value>(&item.payload).expect("json"));
            }
        })
    });
    group.finish();
}

criterion_group!(normalize_benches, benches);
criterion_main!(normalize_benches);
