//! Throughput of envelope parsing + event normalisation on real captures and
//! a synthetic ~20 KB event. Run with `cargo bench -p moth-protocol`; the
//! numbers are for humans, nothing asserts on them.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use moth_protocol::envelope::{Envelope, ItemType};
use moth_protocol::event::{normalize_event, NormalizeOptions};
use serde_json::{json, Value};

fn capture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/sdk-captures")
        .join(format!("{name}.body"));
    std::fs::read(path).expect("capture exists")
}

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

fn run(name: &str, body: Vec<u8>) {
    let body = Bytes::from(body);
    let received: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-22T11:55:00Z")
        .unwrap()
        .with_timezone(&Utc);
    let mut opts = NormalizeOptions::new(received);
    opts.client_ip = Some([127, 0, 0, 1].into());
    let once = || {
        let env = Envelope::parse(body.clone()).expect("parses");
        for item in env.items_of_type(&ItemType::Event) {
            black_box(normalize_event(&item.payload, &opts).expect("normalises"));
        }
    };
    // The floor: parsing the payload into a `Value`, which normalisation
    // cannot avoid.
    let parse_only = || {
        let env = Envelope::parse(body.clone()).expect("parses");
        for item in env.items_of_type(&ItemType::Event) {
            black_box(serde_json::from_slice::<Value>(&item.payload).expect("json"));
        }
    };
    let per = time(once);
    let floor = time(parse_only);
    println!(
        "{name:<40} {:>7} bytes {:>8.1} µs/event {:>7.0} events/s (JSON parse alone {:>6.1} µs)",
        body.len(),
        per.as_secs_f64() * 1e6,
        1.0 / per.as_secs_f64(),
        floor.as_secs_f64() * 1e6,
    );
}

/// Mean wall time of `f` over about a second, after a warm-up. With
/// `BENCH_ITERS=n` it runs exactly `n` times instead, for profilers
/// (`valgrind --tool=callgrind`, `perf stat`) on a loaded machine where
/// wall time means little.
fn time(f: impl Fn()) -> Duration {
    if let Some(n) = std::env::var("BENCH_ITERS")
        .ok()
        .and_then(|s| s.parse::<u32>().ok())
    {
        let start = Instant::now();
        for _ in 0..n {
            f();
        }
        return start.elapsed() / n.max(1);
    }
    for _ in 0..200 {
        f();
    }
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(1) {
        f();
        n += 1;
    }
    start.elapsed() / n
}

fn main() {
    run("synthetic ~20 KB browser event", synthetic_envelope());
    for name in [
        "browser-a-uncaught-typeerror.01.event",
        "node-a-typeerror-nested.01.event",
        "rust-b-anyhow.01.event",
        "node-h-large-event.01.event",
    ] {
        let mut body = capture(name);
        if body.starts_with(&[0x1f, 0x8b]) {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .unwrap();
            body = out;
        }
        run(name, body);
    }
}
