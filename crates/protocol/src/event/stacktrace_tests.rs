use serde_json::json;

use super::*;
use crate::event::EventLimits;

fn run(limits: EventLimits, v: Value) -> (Option<Value>, Vec<Value>) {
    let mut ctx = Ctx::new(&limits);
    let out = ctx.at("stacktrace", |ctx| normalize_stacktrace(ctx, v));
    (out, ctx.into_notes())
}

fn names(notes: &[Value]) -> Vec<&str> {
    notes.iter().map(|n| n["name"].as_str().unwrap()).collect()
}

#[test]
fn frames_are_repaired_field_by_field() {
    let (out, notes) = run(
        EventLimits::default(),
        json!({"frames": [
            {"filename": "http://x/app.js", "function": "f", "lineno": "12", "colno": 3.0, "in_app": true},
            {"abs_path": "/a.py", "filename": "a.py", "lineno": -1, "colno": "x", "in_app": "yes",
             "vars": ["a", {"b": 1}], "pre_context": ["x", null, 5], "post_context": "nope",
             "instruction_addr": 4096, "symbol_addr": "0x10", "image_addr": [1]},
            "not a frame",
            {"filename": "node:internal/x", "vars": "str", "module": 7, "data": {"k": "v"}},
        ]}),
    );
    assert_eq!(
        out,
        Some(json!({"frames": [
            {"filename": "http://x/app.js", "function": "f", "lineno": 12, "colno": 3, "in_app": true, "abs_path": "http://x/app.js"},
            {"abs_path": "/a.py", "filename": "a.py", "vars": {"0": "a", "1": {"b": 1}},
             "pre_context": ["x", "", "5"], "instruction_addr": "0x1000", "symbol_addr": "0x10"},
            {"filename": "node:internal/x", "module": "7", "data": {"k": "v"}},
        ]}))
    );
    assert_eq!(
        names(&notes),
        [
            "stacktrace.frames.1.lineno",
            "stacktrace.frames.1.colno",
            "stacktrace.frames.1.in_app",
            "stacktrace.frames.1.post_context",
            "stacktrace.frames.1.image_addr",
            "stacktrace.frames.2",
            "stacktrace.frames.2.vars",
        ]
    );
}

#[test]
fn frame_order_is_kept_and_bare_lists_accepted() {
    let (out, notes) = run(
        EventLimits::default(),
        json!([{"function": "main"}, {"function": "crash"}]),
    );
    assert_eq!(
        out,
        Some(json!({"frames": [{"function": "main"}, {"function": "crash"}]}))
    );
    assert!(notes.is_empty());
}

#[test]
fn stacktraces_without_frames_are_dropped() {
    let (out, notes) = run(EventLimits::default(), json!({"frames": "x"}));
    assert_eq!(out, None);
    assert_eq!(names(&notes), ["stacktrace.frames"]);
    let (out, notes) = run(EventLimits::default(), json!({"registers": {}}));
    assert_eq!((out, notes.len()), (None, 0));
    let (out, notes) = run(EventLimits::default(), json!(5));
    assert_eq!((out, names(&notes)), (None, vec!["stacktrace"]));
}

#[test]
fn too_many_frames_lose_the_middle() {
    let limits = EventLimits {
        max_frames: 5,
        ..EventLimits::default()
    };
    let frames: Vec<Value> = (0..12).map(|i| json!({"lineno": i})).collect();
    let (out, notes) = run(limits, json!({"frames": frames, "frames_omitted": [0, 1]}));
    let out = out.unwrap();
    let kept: Vec<u64> = out["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["lineno"].as_u64().unwrap())
        .collect();
    assert_eq!(kept, [0, 1, 9, 10, 11]);
    assert_eq!(out["frames_omitted"], json!([2, 9]));
    assert_eq!(
        notes,
        vec![json!({"type": "too_many_items", "name": "stacktrace.frames", "value": 12, "max": 5})]
    );
}

#[test]
fn urls() {
    assert!(is_url("http://127.0.0.1:8766/js/scenarios.js"));
    assert!(is_url("app:///main.js"));
    assert!(is_url("webpack://src/x.ts"));
    assert!(!is_url("node:internal/modules/cjs/loader"));
    assert!(!is_url("/srv/app/a.js"));
    assert!(!is_url("://x"));
    assert!(!is_url("1http://x"));
}
