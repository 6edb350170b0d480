//! The outline (`normalize_event_outline`) against the whole event: the
//! same event except the parts it leaves out, and the same rejections.

use serde_json::{json, Map, Value};

use super::captures::event_items;
use crate::event::{normalize_event, normalize_event_outline, NormalizeOptions, NormalizedEvent};

/// The whole normalised event without what the outline leaves out, and
/// without `errors` (notes about the parts left out are not made there).
fn without_unread_parts(mut event: NormalizedEvent) -> NormalizedEvent {
    let Value::Object(data) = &mut event.data else {
        panic!("an event is an object");
    };
    for key in ["breadcrumbs", "extra", "modules", "debug_meta", "errors"] {
        data.shift_remove(key);
    }
    if let Some(Value::Object(request)) = data.get_mut("request") {
        request.shift_remove("data");
    }
    for key in ["exception", "threads", "stacktrace"] {
        if let Some(value) = data.get_mut(key) {
            strip_frames(value);
        }
    }
    event
}

fn strip_frames(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(frames)) = map.get_mut("frames") {
                for frame in frames.iter_mut().filter_map(Value::as_object_mut) {
                    for key in ["vars", "pre_context", "post_context"] {
                        frame.shift_remove(key);
                    }
                }
            }
            map.values_mut().for_each(strip_frames);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_frames),
        _ => {}
    }
}

fn without_errors(mut event: NormalizedEvent) -> NormalizedEvent {
    if let Value::Object(data) = &mut event.data {
        data.shift_remove("errors");
    }
    event
}

/// Asserts the outline of `payload` is the whole event minus the unread
/// parts: same fields, same tags, same JSON text (key order included).
fn assert_outline_matches(name: &str, payload: &[u8], opts: &NormalizeOptions) {
    let whole = normalize_event(payload, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let outline = normalize_event_outline(payload, opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let whole = without_unread_parts(whole);
    let outline = without_errors(outline);
    assert_eq!(outline.data.to_string(), whole.data.to_string(), "{name}");
    assert_eq!(outline, whole, "{name}");
}

#[test]
fn every_captured_event_outlines_as_its_whole_event() {
    let items = event_items();
    assert!(items.len() >= 30, "only {} events", items.len());
    for (capture, payload, opts) in items {
        assert_outline_matches(&capture.name, &payload, &opts);
    }
}

fn opts() -> NormalizeOptions {
    NormalizeOptions {
        client_ip: Some([10, 0, 0, 7].into()),
        ..NormalizeOptions::new("2026-11-30T12:00:00Z".parse().expect("time"))
    }
}

#[test]
fn legacy_shapes_and_odd_values_outline_as_their_whole_event() {
    let frame = |n: u32| {
        json!({
            "function": format!("f{n}"), "module": "app.views", "lineno": n,
            "vars": ["positional", {"deep": {"er": [1, 2.5, null, true]}}],
            "pre_context": ["a", null, 3], "post_context": "not a list",
            "context_line": "    x = 1 / 0", "in_app": true,
        })
    };
    let events = [
        // Exceptions as a bare list, a top-level stack trace adopted by
        // the exception, a frame holding nothing but locals.
        json!({
            "exception": [{"type": "ValueError", "value": "bad 42"}],
            "stacktrace": {"frames": [frame(1), {"vars": {"only": "locals"}}, frame(2)]},
            "breadcrumbs": [{"message": "x", "timestamp": 1.5}],
            "extra": {"frames": [{"vars": 1}]},
            "modules": {"django": "5.0"},
            "request": {"url": "https://shop.example/cart?x=1", "data": {"card": "4111"},
                        "headers": {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}},
            "user": {"ip_address": "{{auto}}"},
            "platform": "python",
        }),
        // Legacy interface names, threads, frames as a bare list.
        json!({
            "sentry.interfaces.Exception": {"values": [{"type": "E", "stacktrace": [frame(3)]}]},
            "sentry.interfaces.Breadcrumbs": {"values": [1, 2]},
            "sentry.interfaces.Http": {"url": "http://h/", "data": "body"},
            "threads": {"values": [{"id": 1, "crashed": true, "stacktrace": {"frames": [frame(4)]}}]},
            "debug_meta": {"images": [{"type": "elf"}]},
            "message": "hello %s",
            "tags": {"environment": "staging", "k": "v"},
        }),
        // Parts left out that are the wrong type, and nulls.
        json!({
            "exception": {"values": [{"type": "T", "stacktrace": {"frames": [
                {"function": "g", "vars": null, "pre_context": {"x": 1}},
                "not a frame",
            ]}}]},
            "breadcrumbs": "none", "extra": 5, "modules": null,
            "request": "not an object",
        }),
    ];
    for (i, event) in events.iter().enumerate() {
        let mut event = event.clone();
        event["event_id"] = json!(format!("{i:032x}"));
        let payload = serde_json::to_vec(&event).expect("serialises");
        assert_outline_matches(&format!("event {i}"), &payload, &opts());
    }
}

#[test]
fn outline_rejects_exactly_what_the_whole_parse_rejects() {
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let payloads: Vec<Vec<u8>> = vec![
        // Problems inside the parts left out are still problems.
        br#"{"extra": {"n": 1e400}}"#.to_vec(),
        br#"{"breadcrumbs": ["\ud800"]}"#.to_vec(),
        br#"{"exception": [{"stacktrace": {"frames": [{"vars": {"a": tru}}]}}]}"#.to_vec(),
        format!(r#"{{"modules": {deep}}}"#).into_bytes(),
        br#"{"request": {"data": {"a": 1,}}}"#.to_vec(),
        // And everywhere else.
        br#"{"level": "error"} trailing"#.to_vec(),
        br#"[1, 2]"#.to_vec(),
        br#""text""#.to_vec(),
        b"{\"message\": \"\xff\"}".to_vec(),
        br#"{"message": "unterminated"#.to_vec(),
    ];
    for payload in &payloads {
        let whole = normalize_event(payload, &opts());
        let outline = normalize_event_outline(payload, &opts());
        assert!(whole.is_err(), "{}", String::from_utf8_lossy(payload));
        assert_eq!(
            outline.map(|e| e.data),
            whole.map(|e| e.data),
            "{}",
            String::from_utf8_lossy(payload)
        );
    }
}

#[test]
fn the_outline_leaves_the_unread_parts_out() {
    let payload = serde_json::to_vec(&json!({
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "f", "vars": {"secret": 1}, "pre_context": ["a"], "post_context": ["b"]},
        ]}}]},
        "breadcrumbs": {"values": [{"message": "m"}]},
        "extra": {"e": 1},
        "request": {"url": "http://h/", "data": "d"},
    }))
    .expect("serialises");
    let outline = normalize_event_outline(&payload, &opts()).expect("event");
    let data = outline.data.as_object().expect("object");
    for key in ["breadcrumbs", "extra"] {
        assert!(!data.contains_key(key), "{key}");
    }
    assert_eq!(data["request"], json!({"url": "http://h/"}));
    let frame: &Map<String, Value> = data["exception"]["values"][0]["stacktrace"]["frames"][0]
        .as_object()
        .expect("frame");
    assert_eq!(frame.keys().collect::<Vec<_>>(), ["function"]);
}
