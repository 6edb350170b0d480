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
    Expected { name: "browser-a-uncaught-typeerror.02.event", event_id: "4b18452329ba4316bc6b57240986c71f", level: "error", platform: "javascript", timestamp: "2026-11-22T23:15:38.273000Z", exceptions: &[("TypeError", 5)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-c-capture-exception.02.event", event_id: "a237468c0b9f4b259371de7c5f19da99", level: "error", platform: "javascript", timestamp: "2026-11-22T23:15:50.249000Z", exceptions: &[("Error", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-d-message.02.event", event_id: "de2815d8bc854fb1bc00037f923c5360", level: "info", platform: "javascript", timestamp: "2026-11-22T23:15:59.382000Z", exceptions: &[("", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-f-tracing-fetch.04.event", event_id: "a795b1b41fc44b8db08f9ce09e60b64f", level: "info", platform: "javascript", timestamp: "2026-11-22T23:16:09.391000Z", exceptions: &[("", 2)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-g-client-report.02.event", event_id: "20344d27df344192b5e6566d55de4760", level: "info", platform: "javascript", timestamp: "2026-11-22T23:16:22.802000Z", exceptions: &[("", 3)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-h-settimeout-wrapped.03.event", event_id: "123777cc3b894315824007b3dc2728b7", level: "error", platform: "javascript", timestamp: "2026-11-22T23:16:31.506000Z", exceptions: &[("TypeError", 5)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "browser-i-minified.02.event", event_id: "ced6499531264486b3f4952f91949a2c", level: "error", platform: "javascript", timestamp: "2026-11-22T23:16:40.067000Z", exceptions: &[("TypeError", 7)], release: Some("webapp@1.0.0"), environment: Some("production"), user: Some("ip:127.0.0.1") },
    Expected { name: "cli-a-send-event.01.event", event_id: "cca86466cc7e4e16b9b61b5c0a6fb9b3", level: "error", platform: "native", timestamp: "2026-11-22T23:16:56.486456Z", exceptions: &[], release: None, environment: Some("production"), user: Some("username:root") },
    Expected { name: "node-a-typeerror-nested.01.event", event_id: "e010ed83430b4046aa812384a55a2894", level: "error", platform: "node", timestamp: "2026-11-22T23:14:40.568000Z", exceptions: &[("TypeError", 10)], release: None, environment: Some("production"), user: None },
    Expected { name: "node-b-message.01.event", event_id: "1b1b04c76844483e9ca65d24033aa1ff", level: "warning", platform: "node", timestamp: "2026-11-22T23:14:47.885000Z", exceptions: &[("", 4)], release: None, environment: Some("production"), user: None },
    Expected { name: "node-d-context.02.event", event_id: "4fbeb3e5dffa4289bbcf931248c84669", level: "error", platform: "node", timestamp: "2026-11-22T23:14:57.126000Z", exceptions: &[("RangeError", 4)], release: Some("shop-api@2.3.0"), environment: Some("staging"), user: Some("id:u-42") },
    Expected { name: "node-f-uncaught.02.event", event_id: "1b79fa5d170740978881d46a1d63bbd2", level: "fatal", platform: "node", timestamp: "2026-11-22T23:15:06.598000Z", exceptions: &[("TypeError", 9)], release: Some("shop-api@2.3.0"), environment: Some("production"), user: None },
    Expected { name: "node-g-unhandled-rejection.02.event", event_id: "9a5496152f25400d816f844020421571", level: "error", platform: "node", timestamp: "2026-11-22T23:15:14.814000Z", exceptions: &[("Error", 3)], release: Some("shop-api@2.3.0"), environment: Some("production"), user: None },
    Expected { name: "node-h-large-event.01.event", event_id: "f7175e053e5c456e812de08acc5eb362", level: "error", platform: "node", timestamp: "2026-11-22T23:15:23.528000Z", exceptions: &[("Error", 4)], release: None, environment: Some("production"), user: None },
    Expected { name: "node-i-cause-chain.01.event", event_id: "0453af79bc4e45319c9f108fe35b9142", level: "error", platform: "node", timestamp: "2026-11-22T23:15:30.840000Z", exceptions: &[("Error", 7), ("DbError", 6), ("Error", 5)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-a-zerodiv-deep.01.event", event_id: "ac7e56a2b57e4ceca42884eb32e45ee5", level: "error", platform: "python", timestamp: "2026-11-22T23:14:02.764560Z", exceptions: &[("ZeroDivisionError", 7)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-b-chained.01.event", event_id: "f5ad15f9b10f457b85dd0e562e6ca052", level: "error", platform: "python", timestamp: "2026-11-22T23:14:05.045629Z", exceptions: &[("ValueError", 2), ("RuntimeError", 2)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-c-message-warning.01.event", event_id: "9e5c5d38e87a48b689ae75c15a353fb8", level: "warning", platform: "python", timestamp: "2026-11-22T23:14:07.417513Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-d-context.01.event", event_id: "f98c994a717445069da00c37b2a9fbac", level: "error", platform: "python", timestamp: "2026-11-22T23:14:09.599394Z", exceptions: &[("ValueError", 1)], release: Some("myapp@1.4.2"), environment: Some("staging"), user: Some("id:u-42") },
    Expected { name: "python-h-logging-error.01.event", event_id: "298608328a4f4a4f8e025abd08e5db32", level: "error", platform: "python", timestamp: "2026-11-22T23:14:12.145498Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-l-brotli.01.event", event_id: "a58980ce48a543d8aa8a165142dbcb19", level: "error", platform: "python", timestamp: "2026-11-22T23:14:19.908312Z", exceptions: &[("ZeroDivisionError", 7)], release: Some("myapp@1.4.2"), environment: Some("production"), user: None },
    Expected { name: "python-m-session.01.event", event_id: "ee4651d00a3d47178bb3996c1e7d4f79", level: "error", platform: "python", timestamp: "2026-11-22T23:14:22.456258Z", exceptions: &[("ZeroDivisionError", 2)], release: Some("myapp@1.4.2"), environment: Some("production"), user: None },
    Expected { name: "python-n-client-report.01.event", event_id: "3a4e181262cb40a5a05ceb795c0f356c", level: "info", platform: "python", timestamp: "2026-11-22T23:14:24.887075Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-o-exception-group.01.event", event_id: "afd5550688164645a800377dd4e1b3ce", level: "error", platform: "python", timestamp: "2026-11-22T23:14:27.410292Z", exceptions: &[("KeyError", 2), ("ValueError", 2), ("ExceptionGroup", 2)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-p-same-line-different-messages.01.event", event_id: "f5900e410cd14eedb755ff65842ad636", level: "error", platform: "python", timestamp: "2026-11-22T23:14:30.111936Z", exceptions: &[("ValueError", 2)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-p-same-line-different-messages.02.event", event_id: "f3461fc312e445a99ad20987c7b56284", level: "error", platform: "python", timestamp: "2026-11-22T23:14:30.142220Z", exceptions: &[("ValueError", 2)], release: None, environment: Some("production"), user: None },
    Expected { name: "python-q-message-ids.01.event", event_id: "b21ddfc1848c4362be0235cbc4594422", level: "info", platform: "python", timestamp: "2026-11-22T23:14:32.617598Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-q-message-ids.02.event", event_id: "046909217e9d43f492b20abd136238d8", level: "info", platform: "python", timestamp: "2026-11-22T23:14:32.639791Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "python-q-message-ids.03.event", event_id: "2b00d7d26eeb491cb236d4951d402f02", level: "info", platform: "python", timestamp: "2026-11-22T23:14:32.640821Z", exceptions: &[], release: None, environment: Some("production"), user: None },
    Expected { name: "rust-a-std-error.01.event", event_id: "1132f620217a4f92895f6efae5c1b40c", level: "error", platform: "native", timestamp: "2026-11-22T23:16:45.824605Z", exceptions: &[("ParseIntError", 0), ("ConfigError", 0)], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
    Expected { name: "rust-b-anyhow.01.event", event_id: "6846ca25bcad406ba6181d6acbfcfaef", level: "error", platform: "native", timestamp: "2026-11-22T23:16:47.773091Z", exceptions: &[("Os", 0), ("Error", 26)], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
    Expected { name: "rust-c-panic.01.event", event_id: "fddf315809364a82ad2bde446b595f26", level: "fatal", platform: "native", timestamp: "2026-11-22T23:16:52.248512Z", exceptions: &[("panic", 37)], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
    Expected { name: "rust-d-message.01.event", event_id: "146cd29c4ca24bf1959fd8d4176cf490", level: "warning", platform: "native", timestamp: "2026-11-22T23:16:54.603074Z", exceptions: &[], release: Some("sentry_capture@0.1.0"), environment: Some("development"), user: None },
];

/// The captures were made on loopback.
fn client_ip() -> IpAddr {
    IpAddr::from([127, 0, 0, 1])
}

/// Every event item of every capture (its capture without the body, its
/// payload), with the options ingest would normalise it with.
pub(super) fn event_items() -> Vec<(Capture, Bytes, NormalizeOptions)> {
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
            out.push((capture_clone(&capture), item.payload.clone(), opts));
        }
    }
    out
}

/// Every event item of every capture, normalised as ingest would.
fn normalized_events() -> Vec<(Capture, crate::event::NormalizedEvent, NormalizeOptions)> {
    event_items()
        .into_iter()
        .map(|(capture, payload, opts)| {
            let event = normalize_event(&payload, &opts)
                .unwrap_or_else(|e| panic!("{}: {e}", capture.name));
            (capture, event, opts)
        })
        .collect()
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
        // Within a microsecond: float seconds round either way.
        let want_ts = chrono::DateTime::parse_from_rfc3339(want.timestamp).unwrap();
        let drift = (ev.timestamp - want_ts.with_timezone(&chrono::Utc)).num_microseconds();
        assert!(
            drift.is_some_and(|d| d.abs() <= 1),
            "{name}: {} vs {}",
            ev.timestamp,
            want.timestamp
        );
        assert_eq!(data["timestamp"], format_timestamp(ev.timestamp), "{name}");
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
    let ev = get("browser-a-uncaught-typeerror.02.event");
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
        "2026-11-22T23:14:57.116000Z"
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
