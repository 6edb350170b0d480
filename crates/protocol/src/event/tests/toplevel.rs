//! Top-level rules of event normalisation, one behaviour per test.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{json, Value};

use crate::event::{
    normalize_event, normalize_event_value, EventError, EventLimits, Level, NormalizeOptions,
    NormalizedEvent,
};
use crate::event_id::EventId;

fn received() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00.5Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn opts() -> NormalizeOptions {
    NormalizeOptions::new(received())
}

fn norm(v: Value) -> NormalizedEvent {
    normalize_event_value(v, &opts()).expect("object")
}

/// `(type, name)` of each note in `data.errors`.
fn notes(ev: &NormalizedEvent) -> Vec<(String, String)> {
    ev.data["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|n| {
                    (
                        n["type"].as_str().unwrap_or("").to_owned(),
                        n["name"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn note(kind: &str, name: &str) -> (String, String) {
    (kind.to_owned(), name.to_owned())
}

fn tag<'a>(ev: &'a NormalizedEvent, key: &str) -> Option<&'a str> {
    ev.tags
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

#[test]
fn rejects_only_unreadable_payloads() {
    let o = opts();
    assert_eq!(
        normalize_event(b"{\"a\":\"\xff\"}", &o).unwrap_err(),
        EventError::InvalidUtf8 { byte: 6 }
    );
    let err = normalize_event(b"{\n  \"a\": ,\n}", &o).unwrap_err();
    assert_eq!(
        err.to_string(),
        "event payload is not valid JSON: expected value at line 2 column 8"
    );
    let err = normalize_event(b"[1]", &o).unwrap_err();
    assert_eq!(err, EventError::NotAnObject { found: "an array" });
    assert_eq!(
        err.to_string(),
        "event payload is not a JSON object (found an array)"
    );
    assert!(normalize_event(b"{}", &o).is_ok());
}

#[test]
fn minimal_event_gets_defaults() {
    let ev = norm(json!({}));
    assert_eq!(ev.level, Level::Error);
    assert_eq!(ev.platform, "other");
    assert_eq!(ev.timestamp, received());
    assert_eq!(ev.data["timestamp"], "2026-11-22T12:00:00.500000Z");
    assert_eq!(ev.data["received"], "2026-11-22T12:00:00.500000Z");
    assert_eq!(ev.data["type"], "default");
    assert_eq!(ev.data["event_id"], ev.event_id.to_string());
    assert_eq!(ev.data["event_id"].as_str().unwrap().len(), 32);
    assert_eq!(ev.tags, vec![("level".to_owned(), "error".to_owned())]);
    assert!(ev.data.get("errors").is_none());
}

#[test]
fn event_ids() {
    let dashed = "9031CBFE-37e9-4217-9f55-8d8796e1e9b4";
    let ev = norm(json!({ "event_id": dashed }));
    assert_eq!(ev.data["event_id"], "9031cbfe37e942179f558d8796e1e9b4");
    let envelope_id = EventId::parse("4192b3babb604bcba8b828f98baacea3").unwrap();
    let o = NormalizeOptions {
        envelope_event_id: Some(envelope_id),
        ..opts()
    };
    let ev = normalize_event_value(json!({ "event_id": dashed }), &o).unwrap();
    assert_eq!(ev.event_id, envelope_id);
    assert_eq!(ev.data["event_id"], envelope_id.to_string());
    let ev = norm(json!({"event_id": "nope"}));
    assert_eq!(ev.data["event_id"].as_str().unwrap().len(), 32);
    assert_eq!(notes(&ev), vec![note("invalid_data", "event_id")]);
}

#[test]
fn timestamps_are_clamped_to_plausible_times() {
    let ts = |v: Value| norm(json!({ "timestamp": v }));
    let ev = ts(json!("2026-11-22T12:00:59Z"));
    assert_eq!(ev.data["timestamp"], "2026-11-22T12:00:59.000000Z");
    assert!(notes(&ev).is_empty());
    let ev = ts(json!("2026-11-22T12:02:00Z"));
    assert_eq!(ev.timestamp, received());
    assert_eq!(notes(&ev), vec![note("future_timestamp", "timestamp")]);
    assert_eq!(ev.data["errors"][0]["value"], "2026-11-22T12:02:00.000000Z");
    let old = received() - TimeDelta::days(91);
    let ev = ts(json!(old.timestamp()));
    assert_eq!(ev.timestamp, received());
    assert_eq!(notes(&ev), vec![note("past_timestamp", "timestamp")]);
    let ev = ts(json!("last tuesday"));
    assert_eq!(ev.timestamp, received());
    assert_eq!(notes(&ev), vec![note("invalid_data", "timestamp")]);
    let ev = ts(json!("2026-11-22T13:59:00+02:00"));
    assert_eq!(ev.data["timestamp"], "2026-11-22T11:59:00.000000Z");
    let ev = ts(json!(null));
    assert!(notes(&ev).is_empty());
}

#[test]
fn levels() {
    for (sent, want) in [
        (json!("critical"), "fatal"),
        (json!("warn"), "warning"),
        (json!("log"), "info"),
        (json!(10), "debug"),
        (json!(30), "warning"),
        (json!("INFO"), "info"),
    ] {
        let ev = norm(json!({ "level": sent }));
        assert_eq!(ev.data["level"], want, "{sent}");
        assert_eq!(tag(&ev, "level"), Some(want));
    }
    let ev = norm(json!({"level": "loud"}));
    assert_eq!(ev.level, Level::Error);
    assert_eq!(notes(&ev), vec![note("invalid_data", "level")]);
}

#[test]
fn legacy_aliases_are_read_and_canonical_keys_win() {
    let ev = norm(json!({
        "sentry.interfaces.Message": {"message": "m %s", "params": ["x"]},
        "sentry.interfaces.Exception": {"values": [{"type": "E", "value": "v"}]},
        "sentry.interfaces.Breadcrumbs": [{"message": "crumb"}],
        "sentry.interfaces.Http": {"url": "https://a.example/p?q=1"},
        "sentry.interfaces.User": {"id": 7},
        "sentry.interfaces.Contexts": {"os": {"name": "Linux"}},
    }));
    let d = &ev.data;
    assert_eq!(d["logentry"]["formatted"], "m x");
    assert_eq!(d["exception"]["values"][0]["type"], "E");
    assert_eq!(d["breadcrumbs"], json!({"values": [{"message": "crumb"}]}));
    assert_eq!(d["request"]["url"], "https://a.example/p?q=1");
    assert_eq!(d["user"]["id"], "7");
    assert_eq!(d["contexts"]["os"]["type"], "os");
    assert_eq!(ev.user_ident.as_deref(), Some("id:7"));
    assert_eq!(tag(&ev, "url"), Some("https://a.example/p"));
    for key in [
        "sentry.interfaces.Message",
        "sentry.interfaces.Exception",
        "sentry.interfaces.Http",
    ] {
        assert!(d.get(key).is_none(), "{key}");
    }
    let ev = norm(json!({
        "exception": [{"type": "Canonical"}],
        "sentry.interfaces.Exception": [{"type": "Alias"}],
    }));
    assert_eq!(ev.data["exception"]["values"][0]["type"], "Canonical");
}

#[test]
fn top_level_stacktrace_moves_into_the_exception() {
    let ev = norm(json!({
        "exception": {"type": "E", "value": "v"},
        "sentry.interfaces.Stacktrace": {"frames": [{"function": "f", "lineno": 1}]},
    }));
    assert_eq!(
        ev.data["exception"]["values"][0]["stacktrace"],
        json!({"frames": [{"function": "f", "lineno": 1}]})
    );
    assert!(ev.data.get("stacktrace").is_none());
    // Without an exception it stays where it is.
    let ev = norm(json!({"message": "m", "stacktrace": [{"function": "f"}]}));
    assert_eq!(
        ev.data["stacktrace"],
        json!({"frames": [{"function": "f"}]})
    );
}

#[test]
fn messages() {
    let ev = norm(json!({"message": "plain", "level": "info"}));
    assert_eq!(ev.data["logentry"], json!({"formatted": "plain"}));
    assert!(ev.data.get("message").is_none());
    let ev = norm(json!({"message": "legacy", "logentry": {"message": "wins"}}));
    assert_eq!(ev.data["logentry"], json!({"message": "wins"}));
    let ev = norm(json!({"message": false}));
    assert!(ev.data.get("logentry").is_none());
}

#[test]
fn internal_keys_go_and_unknown_keys_stay() {
    let ev = norm(json!({
        "project": 1, "key_id": 2, "hashes": ["x"], "metadata": {}, "title": "t",
        "grouping_config": {}, "received": 0, "main_exception_id": 0,
        "debug_meta": {"images": [{"type": "sourcemap", "debug_id": "d"}]},
        "transaction_info": {},
        "custom": {"deep": {"er": [1, 2]}},
    }));
    for key in [
        "project",
        "key_id",
        "hashes",
        "metadata",
        "title",
        "grouping_config",
        "main_exception_id",
    ] {
        assert!(ev.data.get(key).is_none(), "{key}");
    }
    assert_eq!(ev.data["debug_meta"]["images"][0]["debug_id"], "d");
    assert_eq!(ev.data["transaction_info"], json!({}));
    assert_eq!(ev.data["custom"], json!({"deep": {"er": [1, 2]}}));
}

#[test]
fn attributes_and_their_tags() {
    let ev = norm(json!({
        "release": "frontend@2024-05-01",
        "dist": "42",
        "environment": "prod",
        "server_name": "web-1",
        "site": "eu",
        "transaction": "/checkout",
        "logger": "app.views",
        "culprit": "views.checkout",
    }));
    assert_eq!(ev.release.as_deref(), Some("frontend@2024-05-01"));
    assert_eq!(ev.transaction.as_deref(), Some("/checkout"));
    for (k, v) in [
        ("release", "frontend@2024-05-01"),
        ("dist", "42"),
        ("environment", "prod"),
        ("server_name", "web-1"),
        ("site", "eu"),
        ("transaction", "/checkout"),
        ("logger", "app.views"),
    ] {
        assert_eq!(tag(&ev, k), Some(v), "{k}");
    }
    assert_eq!(ev.data["culprit"], "views.checkout");
    let ev = norm(json!({"release": "a/b", "environment": "x".repeat(65)}));
    assert_eq!((&ev.release, &ev.environment), (&None, &None));
    let kinds = notes(&ev);
    assert_eq!(
        kinds,
        vec![
            note("invalid_data", "release"),
            note("value_too_long", "environment")
        ]
    );
}

#[test]
fn environment_tag_moves_into_the_attribute() {
    let ev = norm(json!({"tags": {"environment": "staging", "a": "b"}}));
    assert_eq!(ev.environment.as_deref(), Some("staging"));
    assert_eq!(ev.data["environment"], "staging");
    assert_eq!(
        ev.tags,
        [("a", "b"), ("level", "error"), ("environment", "staging")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    );
    let ev = norm(json!({"environment": "prod", "tags": [["environment", "staging"]]}));
    assert_eq!(ev.environment.as_deref(), Some("prod"));
    assert_eq!(tag(&ev, "environment"), Some("prod"));
}

#[test]
fn sdk_tags_win_over_derived_ones() {
    let ev = norm(json!({"level": "error", "tags": {"level": "custom", "os": "mine"}}));
    assert_eq!(tag(&ev, "level"), Some("custom"));
    assert_eq!(tag(&ev, "os"), Some("mine"));
    assert_eq!(ev.level, Level::Error);
}

#[test]
fn user_agent_derives_contexts_and_tags() {
    let ev = norm(json!({
        "platform": "javascript",
        "request": {"headers": [["user-agent", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15"]]},
    }));
    assert_eq!(
        ev.data["contexts"]["browser"],
        json!({"name": "Safari", "version": "17.1", "type": "browser"})
    );
    assert_eq!(tag(&ev, "browser"), Some("Safari 17.1"));
    assert_eq!(tag(&ev, "os"), Some("macOS 10.15.7"));
    assert_eq!(tag(&ev, "os.name"), Some("macOS"));
    // No client IP known: nothing to infer.
    assert!(ev.data.get("user").is_none());
}

#[test]
fn client_ip_fills_auto_and_javascript_users() {
    let o = NormalizeOptions {
        client_ip: Some("198.51.100.4".parse().unwrap()),
        ..opts()
    };
    let ev = normalize_event_value(json!({"platform": "javascript"}), &o).unwrap();
    assert_eq!(ev.data["user"], json!({"ip_address": "198.51.100.4"}));
    assert_eq!(ev.user_ident.as_deref(), Some("ip:198.51.100.4"));
    assert_eq!(tag(&ev, "user"), Some("ip:198.51.100.4"));
    let ev = normalize_event_value(json!({"platform": "python"}), &o).unwrap();
    assert!(ev.data.get("user").is_none());
    let ev = normalize_event_value(
        json!({"platform": "python", "user": {"ip_address": "{{auto}}"}}),
        &o,
    )
    .unwrap();
    assert_eq!(ev.data["user"]["ip_address"], "198.51.100.4");
}

#[test]
fn sdk_errors_are_kept_before_moths() {
    let ev = norm(json!({
        "errors": [{"type": "js_no_source", "url": "http://x/app.js"}],
        "level": 3.5,
    }));
    assert_eq!(ev.data["errors"][0]["type"], "js_no_source");
    assert_eq!(ev.data["errors"][1]["name"], "level");
    let ev = norm(json!({"errors": "oops"}));
    assert_eq!(notes(&ev), vec![note("invalid_data", "errors")]);
}

#[test]
fn wrong_types_are_repaired_not_rejected() {
    let ev = norm(json!({
        "platform": ["x"],
        "exception": 5,
        "breadcrumbs": "crumbs",
        "request": [],
        "user": "ada",
        "contexts": [],
        "tags": 3,
        "extra": "x",
        "fingerprint": "{{ default }}",
        "modules": [],
        "sdk": 1,
        "threads": "t",
    }));
    assert_eq!(ev.platform, "other");
    let names: Vec<String> = notes(&ev).into_iter().map(|(_, n)| n).collect();
    for key in [
        "platform",
        "exception",
        "breadcrumbs",
        "request",
        "user",
        "contexts",
        "tags",
        "extra",
        "fingerprint",
        "modules",
        "sdk",
        "threads",
    ] {
        assert!(names.iter().any(|n| n == key), "{key}: {names:?}");
        if key != "platform" {
            assert!(ev.data.get(key).is_none() || key == "tags", "{key}");
        }
    }
    assert!(notes(&ev).iter().all(|(k, _)| k == "invalid_data"));
}

#[test]
fn fingerprint_and_type() {
    let ev = norm(json!({"fingerprint": ["{{ default }}", 42], "type": "csp"}));
    assert_eq!(ev.data["fingerprint"], json!(["{{ default }}", "42"]));
    assert_eq!(ev.data["type"], "csp");
    let ev = norm(json!({"exception": [{"type": "E"}]}));
    assert_eq!(ev.data["type"], "error");
}

#[test]
fn hostile_events_are_bounded() {
    // 100 levels of nesting in extra, a 100 KB string in an unknown key, a
    // huge message and 1000 breadcrumbs.
    let mut deep = json!("bottom");
    for _ in 0..100 {
        deep = json!({ "d": deep });
    }
    let ev = norm(json!({
        "extra": {"deep": deep},
        "custom": "x".repeat(100_000),
        "message": "m".repeat(20_000),
        "breadcrumbs": (0..1000).map(|i| json!({"message": i.to_string()})).collect::<Vec<_>>(),
    }));
    let d = &ev.data;
    let mut node = &d["extra"]["deep"];
    let mut levels = 0;
    while let Some(next) = node.get("d") {
        node = next;
        levels += 1;
    }
    assert_eq!(node, &json!("[too deep]"));
    // Containers kept: extra, deep and 5 `d`s = 7 levels; the 6th `d` is
    // the marker.
    assert_eq!(levels, 6);
    assert_eq!(d["custom"].as_str().unwrap().chars().count(), 8192);
    assert_eq!(
        d["logentry"]["formatted"].as_str().unwrap().chars().count(),
        8192
    );
    assert_eq!(d["breadcrumbs"]["values"].as_array().unwrap().len(), 100);
    let kinds = notes(&ev);
    assert!(
        kinds.contains(&note("too_deep", "extra.deep.d.d.d.d.d.d")),
        "{kinds:?}"
    );
    assert!(kinds.contains(&note("value_too_long", "custom")));
    assert!(kinds.contains(&note("value_too_long", "message.formatted")));
    assert!(kinds.contains(&note("too_many_items", "breadcrumbs.values")));
}

#[test]
fn many_repairs_are_capped() {
    let o = NormalizeOptions {
        limits: EventLimits {
            max_errors: 3,
            ..EventLimits::default()
        },
        ..opts()
    };
    let frames: Vec<Value> = (0..10).map(|_| json!({"lineno": "x"})).collect();
    let ev = normalize_event_value(json!({"stacktrace": {"frames": frames}}), &o).unwrap();
    let errors = ev.data["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 4);
    assert_eq!(
        errors[3],
        json!({"type": "too_many_items", "name": "errors", "value": 10, "max": 3})
    );
}
