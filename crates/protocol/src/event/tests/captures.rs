//! Normalisation of every event item in `fixtures/sdk-captures`.

use std::net::IpAddr;

use bytes::Bytes;
use serde_json::Value;

use crate::envelope::{Envelope, ItemType};
use crate::event::{format_timestamp, normalize_event, normalize_event_value, NormalizeOptions};
use crate::test_fixtures::{self, Capture};

/// What each capture is known to contain (read off the payloads).
struct Expected {
    name: &'static str,
    event_id: &'static str,
    level: &'static str,
    platform: &'static str,
    timestamp: &'static str,
    /// (type, frame count) per exception, oldest first; "" = no type.
    exceptions: &'static [(&'static str, usize)],
    release: Option<&'static str>,
    environment: Option<&'static str>,
    user: Option<&'static str>,
}

#[rustfmt::skip]
const EXPECTED: &[Expected] = &[
    Expected { name: "browser-a-uncaught-typeerror.01.event", event_id: "61e02333feaa4839955f22494049a924", level: "error", platform: "javascript", timestamp: "2026-11-22T11:53:59.311000Z", exceptions: &[("TypeError", 5)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-c-capture-exception.02.event", event_id: "d94142b36ee7431aab1277cf7f95636b", level: "error", platform: "javascript", timestamp: "2026-11-22T11:54:09.139000Z", exceptions: &[("Error", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-d-message.02.event", event_id: "b01919b157fd49a6829670b7c2b0fcaf", level: "info", platform: "javascript", timestamp: "2026-11-22T11:54:13.911000Z", exceptions: &[("", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-f-tracing-fetch.05.event", event_id: "9ed0aeee7909423fbae6179ead91ec84", level: "info", platform: "javascript", timestamp: "2026-11-22T11:54:23.623000Z", exceptions: &[("", 2)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-g-client-report.02.event", event_id: "005fd47de078415e86d917f39185ac34", level: "info", platform: "javascript", timestamp: "2026-11-22T11:54:28.357000Z", exceptions: &[("", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-h-settimeout-wrapped.03.event", event_id: "b33692780d754da18341bd43d525f80e", level: "error", platform: "javascript", timestamp: "2026-11-22T11:54:33.175000Z", exceptions: &[("TypeError", 4)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "cli-a-send-event.01.event", event_id: "ef6f1f19bccf490ba2087f2c872ae01b", level: "error", platform: "native", timestamp: "2026-11-22T11:54:43.380524Z", exceptions: &[], release: None, environment: Some("production"), user: Some("username:root") },
    Expected { name: "node-a-typeerror-nested.01.event", event_id: "c4d1523c6e24457d8a6c7cddc3bd3b67", level: "error", platform: "node", timestamp: "2026-11-22T11:53:39.705000Z", exceptions: &[("TypeError", 10)], release: None, environment: Some("production"), user: None },
    Expected { name: "node-b-message.01.event", event_id: "106198110e7d4ddcad722da751352bb3", level: "warning", platform: "node", timestamp: "2026-11-22T11:53:41.638000Z", exceptions: &[("", 8)], release: None, environment: Some("production"), user: None },
    Expected { name: "node-d-context.02.event", event_id: "ee99eaaa3ffc4298b9bcb9a325955417", level: "error", platform: "node", timestamp: "2026-11-22T11:53:45.309000Z", exceptions: &[("RangeError", 8)], release: Some("shop-api@2.3.0"), environment: Some("staging"), user: Some("id:u-42") },
    Expected { name: "node-f-uncaught.02.event", event_id: "42924f0ff26c4bc4b5fdc02db51221a8", level: "fatal", platform: "node", timestamp: "2026-11-22T11:53:50.917000Z", exceptions: &[("TypeError", 9)], release: Some("shop-api@2.3.0"), environment: Some("production"), user: None },
    Expected { name: "node-g-unhandled-rejection.02.event", event_id: "e69c4877e97a4d6dbd19f32c5cc4f2f0", level: "error", platform: "node", timestamp: "2026-11-22T11:53:52.873000Z", exceptions: &[("Error", 3)], release: Some("shop-api@2.3.0"), environment: Some("production"), user: None },
    Expected { name: "node-h-large-event.01.event", event_id: "f6d2225333b34301aab04fb599fb3c96", level: "error", platform: "node", timestamp: "2026-11-22T11:53:56.176000Z", exceptions: &[("Error", 8)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-a-zerodiv-deep.01.event", event_id: "4192b3babb604bcba8b828f98baacea3", level: "error", platform: "python", timestamp: "2026-11-22T11:53:19.917624Z", exceptions: &[("ZeroDivisionError", 7)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-b-chained.01.event", event_id: "938c0621fa9a420ba7d918685ff1f341", level: "error", platform: "python", timestamp: "2026-11-22T11:53:21.216050Z", exceptions: &[("ValueError", 2), ("RuntimeError", 2)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-c-message-warning.01.event", event_id: "fc39094f49e647a58023d955cd9a9953", level: "warning", platform: "python", timestamp: "2026-11-22T11:53:22.545931Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-d-context.01.event", event_id: "4178021a686941d9a3099d61e955175c", level: "error", platform: "python", timestamp: "2026-11-22T11:53:23.842011Z", exceptions: &[("ValueError", 1)], release: Some("myapp@1.4.2"), environment: Some("staging"), user: Some("id:u-42") },
    Expected { name: "python-h-logging-error.01.event", event_id: "72551bffa1af4881a9728638c75fdb15", level: "error", platform: "python", timestamp: "2026-11-22T11:53:29.257491Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-l-brotli.01.event", event_id: "9164f1fc3dd6441f8474f03f44be3881", level: "error", platform: "python", timestamp: "2026-11-22T11:53:37.604252Z", exceptions: &[("ZeroDivisionError", 7)], release: Some("myapp@1.4.2"), environment: Some("production"), user: None },
    Expected { name: "python-m-session.01.event", event_id: "934c24b65c124624b1afdd2cfe2cc7fc", level: "error", platform: "python", timestamp: "2026-11-22T11:53:34.752435Z", exceptions: &[("ZeroDivisionError", 2)], release: Some("myapp@1.4.2"), environment: Some("production"), user: None },
    Expected { name: "python-n-client-report.01.event", event_id: "ff56fb4dcc374f5795cc183bf614bb50", level: "info", platform: "python", timestamp: "2026-11-22T11:53:36.186564Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "rust-a-std-error.01.event", event_id: "dd16a3af8b724d23a0106a928ec961fe", level: "error", platform: "native", timestamp: "2026-11-22T11:54:38.058273Z", exceptions: &[("ParseIntError", 0), ("ConfigError", 0)], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
    Expected { name: "rust-b-anyhow.01.event", event_id: "9031cbfe37e942179f558d8796e1e9b4", level: "error", platform: "native", timestamp: "2026-11-22T11:54:39.177811Z", exceptions: &[("Os", 0), ("Error", 26)], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
    Expected { name: "rust-d-message.01.event", event_id: "e5ea2454ba614fe39111c063266695ce", level: "warning", platform: "native", timestamp: "2026-11-22T11:54:42.200571Z", exceptions: &[], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
];

/// The captures were made on loopback.
fn client_ip() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// Every event item of every capture, normalised as ingest would.
fn normalized_events() -> Vec<(Capture, crate::event::NormalizedEvent, NormalizeOptions)> {
    let mut out = Vec::new();
    for capture in test_fixtures::all() {
        if capture.item_types().is_none() {
            continue;
        }
        let env = Envelope::parse(Bytes::from(capture.body.clone())).expect("parses");
        for item in env.items_of_type(&ItemType::Event) {
            let opts = NormalizeOptions {
                client_ip: Some(client_ip()),
                envelope_event_id: env.headers.event_id,
                ..NormalizeOptions::new(capture.received_at())
            };
            let event = normalize_event(&item.payload, &opts)
                .unwrap_or_else(|e| panic!("{}: {e}", capture.name));
            out.push((capture_clone(&capture), event, opts));
        }
    }
    out
}

fn capture_clone(c: &Capture) -> Capture {
    Capture {
        name: c.name.clone(),
        meta: c.meta.clone(),
        body: Vec::new(),
    }
}

fn exception_summary(data: &Value) -> Vec<(String, usize)> {
    let Some(values) = data.pointer("/exception/values").and_then(Value::as_array) else {
        return Vec::new();
    };
    values
        .iter()
        .map(|e| {
            let ty = e
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let frames = e
                .pointer("/stacktrace/frames")
                .and_then(Value::as_array)
                .map_or(0, Vec::len);
            (ty, frames)
        })
        .collect()
}

#[test]
fn every_captured_event_normalises_as_expected() {
    let events = normalized_events();
    let names: Vec<&str> = events.iter().map(|(c, _, _)| c.name.as_str()).collect();
    let expected_names: Vec<&str> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(names, expected_names, "every event capture is covered");

    for ((capture, ev, opts), want) in events.iter().zip(EXPECTED) {
        let name = &capture.name;
        let data = &ev.data;
        assert_eq!(ev.event_id.to_string(), want.event_id, "{name}");
        assert_eq!(data["event_id"], want.event_id, "{name}");
        assert_eq!(ev.level.as_str(), want.level, "{name}");
        assert_eq!(data["level"], want.level, "{name}");
        assert_eq!(ev.platform, want.platform, "{name}");
        assert_eq!(format_timestamp(ev.timestamp), want.timestamp, "{name}");
        assert_eq!(data["timestamp"], want.timestamp, "{name}");
        assert_eq!(
            data["received"],
            format_timestamp(opts.received_at),
            "{name}"
        );
        let want_exc: Vec<(String, usize)> = want
            .exceptions
            .iter()
            .map(|(t, n)| (t.to_string(), *n))
            .collect();
        assert_eq!(exception_summary(data), want_exc, "{name}");
        assert_eq!(ev.release.as_deref(), want.release, "{name}");
        assert_eq!(ev.environment.as_deref(), want.environment, "{name}");
        assert_eq!(ev.user_ident.as_deref(), want.user, "{name}");

        // Tags: the stored list equals the struct's, keys are unique, and
        // the basic derived ones are there.
        let stored: Vec<(String, String)> = data["tags"]
            .as_array()
            .expect("tags list")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(stored, ev.tags, "{name}");
        let mut keys: Vec<&str> = ev.tags.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ev.tags.len(), "{name}: duplicate tag keys");
        let tag = |k: &str| {
            ev.tags
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(tag("level"), Some(want.level), "{name}");
        assert_eq!(tag("environment"), want.environment, "{name}");
        assert_eq!(tag("release"), want.release, "{name}");
        assert_eq!(tag("user"), want.user, "{name}");

        // Real SDKs send valid data: the only repairs allowed are the
        // deliberate oversize string in node-h.
        let notes: Vec<&Value> = data["errors"]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default();
        if name.starts_with("node-h-large-event") {
            assert_eq!(notes.len(), 1, "{name}: {notes:?}");
            assert_eq!(notes[0]["type"], "value_too_long");
            assert_eq!(notes[0]["name"], "extra.request_log");
            assert_eq!(
                data["extra"]["request_log"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .count(),
                8192
            );
        } else {
            assert!(notes.is_empty(), "{name}: {notes:?}");
        }
        // The legacy and internal keys are gone.
        for key in ["message", "sentry.interfaces.Message", "project", "hashes"] {
            assert!(data.get(key).is_none(), "{name}: {key}");
        }
    }
}

/// Normalising stored data again changes nothing but the order of tags:
/// reserved keys (`release`, `user`...) are re-derived after the others.
#[test]
fn normalisation_is_idempotent_on_captures() {
    let sorted = |tags: &[(String, String)]| {
        let mut tags = tags.to_vec();
        tags.sort();
        tags
    };
    for (capture, ev, opts) in normalized_events() {
        let again = normalize_event_value(ev.data.clone(), &opts).expect("object");
        assert_eq!(sorted(&again.tags), sorted(&ev.tags), "{}", capture.name);
        let (mut a, mut b) = (again.data, ev.data);
        a["tags"] = Value::Null;
        b["tags"] = Value::Null;
        assert_eq!(a, b, "{}", capture.name);
    }
}

#[test]
fn capture_specifics() {
    let events = normalized_events();
    let get = |name: &str| {
        &events
            .iter()
            .find(|(c, _, _)| c.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .1
    };
    let tag = |ev: &crate::event::NormalizedEvent, k: &str| {
        ev.tags
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };

    // Browser: contexts derived from the User-Agent, abs_path from the URL.
    let ev = get("browser-a-uncaught-typeerror.01.event");
    assert_eq!(ev.data["contexts"]["browser"]["name"], "HeadlessChrome");
    assert_eq!(tag(ev, "browser").as_deref(), Some("HeadlessChrome 156.0"));
    assert_eq!(tag(ev, "os.name").as_deref(), Some("Linux"));
    assert_eq!(tag(ev, "handled").as_deref(), Some("no"));
    assert_eq!(
        tag(ev, "mechanism").as_deref(),
        Some("auto.browser.global_handlers.onerror")
    );
    assert_eq!(
        tag(ev, "url").as_deref(),
        Some("http://127.0.0.1:8766/index.html")
    );
    let frame = &ev.data["exception"]["values"][0]["stacktrace"]["frames"][0];
    assert_eq!(frame["abs_path"], "http://127.0.0.1:8766/js/scenarios.js");
    assert_eq!(ev.data["user"]["ip_address"], "127.0.0.1");

    // captureMessage with attachStacktrace: message becomes the logentry.
    let ev = get("browser-d-message.02.event");
    assert_eq!(
        ev.data["logentry"]["formatted"],
        "Checkout page rendered without prices"
    );
    assert_eq!(
        ev.data["exception"]["values"][0]["mechanism"]["synthetic"],
        true
    );

    // Node: os.version newline trimmed; tags kept before derived ones.
    let ev = get("node-d-context.02.event");
    assert_eq!(ev.data["contexts"]["os"]["version"], "12.11");
    assert_eq!(tag(ev, "os").as_deref(), Some("Debian 12.11"));
    assert_eq!(tag(ev, "runtime").as_deref(), Some("node v20.20.2"));
    assert_eq!(
        &ev.tags[..3],
        &[
            ("feature".to_owned(), "checkout".to_owned()),
            ("region".to_owned(), "eu-west-1".to_owned()),
            ("canary".to_owned(), "false".to_owned()),
        ]
    );
    assert_eq!(
        ev.data["breadcrumbs"]["values"][0]["timestamp"],
        "2026-11-22T11:53:45.307000Z"
    );
    assert_eq!(tag(ev, "server_name").as_deref(), Some("vm"));

    // Python logging: logentry kept with its params.
    let ev = get("python-h-logging-error.01.event");
    assert_eq!(
        ev.data["logentry"]["message"],
        "Failed to charge invoice %s for customer %s"
    );
    assert_eq!(
        ev.data["logentry"]["formatted"],
        "Failed to charge invoice INV-1001 for customer cus_42"
    );
    assert_eq!(tag(ev, "logger").as_deref(), Some("billing.worker"));
    assert_eq!(ev.data["type"], "default");

    // Python capture_message: top-level message string → logentry.formatted.
    let ev = get("python-c-message-warning.01.event");
    assert_eq!(
        ev.data["logentry"],
        serde_json::json!({"formatted": "Disk usage above 90% on /var"})
    );

    // Rust: runtime context filed under "rust"; no level sent → error.
    let ev = get("rust-b-anyhow.01.event");
    assert_eq!(tag(ev, "runtime").as_deref(), Some("rustc 1.95.0"));
    assert_eq!(ev.data["type"], "error");
    let ev = get("rust-d-message.01.event");
    assert_eq!(tag(ev, "component").as_deref(), Some("scheduler"));

    // sentry-cli: {{auto}} replaced by the client's IP.
    let ev = get("cli-a-send-event.01.event");
    assert_eq!(ev.data["user"]["ip_address"], "127.0.0.1");
    assert_eq!(ev.data["logentry"]["message"], "hello");
}
