//! Event shapes the captures do not cover: exception groups, threads, top-
//! level stack traces, synthetic crashes, long titles, hostile input.

use serde_json::{json, Value};

use super::capture;
use crate::grouping::{group_event, hash_inputs, IssueKind};

fn py_frame(function: &str, context: &str) -> Value {
    json!({"module": "app.jobs", "filename": "app/jobs.py", "abs_path": "/srv/app/app/jobs.py",
           "function": function, "lineno": 10, "context_line": context, "in_app": true})
}

fn value_error(id: i64, parent: Option<i64>, function: &str, text: &str) -> Value {
    let mut mechanism = json!({"type": "chained", "exception_id": id, "source": "exceptions[0]"});
    if let Some(p) = parent {
        mechanism["parent_id"] = json!(p);
    }
    json!({"type": "ValueError", "value": text, "mechanism": mechanism,
           "stacktrace": {"frames": [py_frame(function, "raise ValueError(x)")]}})
}

fn group(id: i64, children_note: &str) -> Value {
    json!({"type": "ExceptionGroup", "value": format!("{children_note} (2 sub-exceptions)"),
           "mechanism": {"type": "excepthook", "exception_id": id, "is_exception_group": true},
           "stacktrace": {"frames": [py_frame("run_all", "async with TaskGroup() as tg:")]}})
}

fn py_event(values: Vec<Value>) -> Value {
    json!({"platform": "python", "sdk": {"name": "sentry.python", "version": "2.75.0"},
           "exception": {"values": values}})
}

#[test]
fn exception_group_with_one_distinct_error_groups_as_that_error() {
    let grouped = py_event(vec![
        value_error(1, Some(0), "parse", "bad row 1"),
        value_error(2, Some(0), "parse", "bad row 2"),
        group(0, "unhandled errors in a TaskGroup"),
    ]);
    let plain = py_event(vec![value_error(0, None, "parse", "bad row 7")]);
    let g = group_event(&grouped);
    assert_eq!(g.hashes, group_event(&plain).hashes);
    // The title names the error inside the group, not the wrapper.
    assert_eq!(g.title, "ValueError: bad row 1");

    // Another wrapper message or more copies of the same error: same issue.
    let more = py_event(vec![
        value_error(1, Some(0), "parse", "x"),
        value_error(2, Some(0), "parse", "y"),
        value_error(3, Some(0), "parse", "z"),
        group(0, "other wrapper text"),
    ]);
    assert_eq!(group_event(&more).hashes, g.hashes);
}

#[test]
fn exception_group_with_distinct_errors_is_its_own_issue() {
    let two = py_event(vec![
        value_error(1, Some(0), "parse", "bad row"),
        value_error(2, Some(0), "load", "bad file"),
        group(0, "unhandled errors in a TaskGroup"),
    ]);
    let one = py_event(vec![
        value_error(1, Some(0), "parse", "bad row"),
        group(0, "unhandled errors in a TaskGroup"),
    ]);
    let g = group_event(&two);
    assert_ne!(g.hashes, group_event(&one).hashes);
    assert!(g.title.starts_with("ExceptionGroup: "), "{}", g.title);
    // Order of the sub-exceptions does not matter.
    let swapped = py_event(vec![
        value_error(1, Some(0), "load", "bad file"),
        value_error(2, Some(0), "parse", "bad row"),
        group(0, "unhandled errors in a TaskGroup"),
    ]);
    let inputs = |e: &Value| {
        hash_inputs(e)
            .into_iter()
            .map(|(_, t)| {
                let mut t = t;
                t.sort();
                t
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(inputs(&swapped), inputs(&two));
}

#[test]
fn node_cause_chain_with_ids_is_kept_whole() {
    let mut ev = capture("node-d-context.02.event");
    let outer = ev["exception"]["values"][0].clone();
    let mut cause = outer.clone();
    cause["type"] = json!("TypeError");
    cause["mechanism"] =
        json!({"type": "chained", "source": "cause", "exception_id": 1, "parent_id": 0});
    let mut outer = outer;
    outer["mechanism"] = json!({"type": "generic", "handled": true, "exception_id": 0});
    ev["exception"]["values"] = json!([cause, outer]);
    let inputs = hash_inputs(&ev);
    let types: Vec<&String> = inputs[0]
        .1
        .iter()
        .filter(|t| t.starts_with("type="))
        .collect();
    assert_eq!(types, ["type=TypeError", "type=RangeError"]);
    assert_eq!(
        group_event(&ev).title,
        "RangeError: quantity must be between 1 and 10"
    );
}

#[test]
fn threads_locate_messages_and_the_template_still_counts() {
    // Python `attach_stacktrace=True` puts the stack into a single thread.
    let frames = json!([
        py_frame("main", "run()"),
        py_frame("run", "logger.warning('queue %s slow', name)")
    ]);
    let ev = |msg: &str| {
        json!({"platform": "python", "logentry": {"message": msg, "formatted": msg},
               "threads": {"values": [{"id": 1, "current": true, "stacktrace": {"frames": frames.clone()}}]}})
    };
    let a = group_event(&ev("queue %s slow"));
    assert_eq!(a.variant_names, ["app"]);
    assert_eq!(a.kind, IssueKind::Default);
    assert_eq!(a.title, "queue %s slow");
    assert_eq!(a.culprit, "app.jobs in run");
    assert_ne!(a.hashes, group_event(&ev("queue %s stalled")).hashes);
    assert_eq!(a.hashes, group_event(&ev("queue %s slow")).hashes);
    // Several threads and none crashed/current: not usable, message decides.
    let multi = json!({"platform": "python", "logentry": {"message": "m"},
        "threads": {"values": [{"id": 1, "stacktrace": {"frames": frames}}, {"id": 2}]}});
    assert_eq!(group_event(&multi).variant_names, ["default"]);
}

#[test]
fn top_level_stacktrace_is_used_without_exception() {
    let ev = json!({"platform": "python", "stacktrace": {"frames": [py_frame("main", "boom()")]}});
    let g = group_event(&ev);
    assert_eq!(g.variant_names, ["app"]);
    assert_eq!(
        hash_inputs(&ev)[0].1,
        [
            "frame",
            "module=app.jobs",
            "function=main",
            "context=boom()"
        ]
    );
}

#[test]
fn synthetic_native_crash_titles_by_function() {
    let ev = json!({"platform": "native", "exception": {"values": [{
    "type": "SIGSEGV", "value": "Segfault at 0x0000000000000010",
    "mechanism": {"type": "signal", "synthetic": true, "handled": false},
    "stacktrace": {"frames": [
        {"function": "main", "in_app": true, "instruction_addr": "0x1000"},
        {"function": "worker::process(Job const&)", "in_app": true, "instruction_addr": "0x1040"},
        {"function": "<unknown>", "in_app": true, "instruction_addr": "0x1080"},
    ]}}]}});
    let g = group_event(&ev);
    assert_eq!(g.title, "worker::process(Job const&)");
    assert_eq!(g.culprit, "");
    assert_eq!(g.kind, IssueKind::Error);
    assert!(g.metadata.get("type").is_none());
    let fns: Vec<String> = hash_inputs(&ev)[0]
        .1
        .iter()
        .filter(|t| !t.starts_with("frame"))
        .cloned()
        .collect();
    assert_eq!(
        fns,
        ["exception", "function=main", "function=worker::process"]
    );
}

#[test]
fn long_and_odd_titles() {
    let long = "x".repeat(300);
    let ev =
        json!({"exception": {"values": [{"type": "E", "value": format!("{long}\nsecond line")}]}});
    let g = group_event(&ev);
    assert_eq!(g.title, format!("E: {}...", "x".repeat(97)));
    assert_eq!(g.metadata["value"].as_str().map(str::len), Some(300 + 12));
    let ev = json!({"exception": {"values": [{"type": "KeyError"}]}});
    assert_eq!(group_event(&ev).title, "KeyError");
    let ev = json!({"exception": {"values": [{"value": "only a value"}]}});
    assert_eq!(group_event(&ev).title, "Error: only a value");
    let ev = json!({"logentry": {"formatted": "\n  first line  \nsecond"}});
    assert_eq!(group_event(&ev).title, "first line");
    let ev = json!({"culprit": "explicit", "transaction": "/t", "request": {"url": "http://x"}});
    assert_eq!(group_event(&ev).culprit, "explicit");
    let ev = json!({"request": {"url": "http://x.io/checkout"}});
    assert_eq!(group_event(&ev).culprit, "http://x.io/checkout");
    let ev = json!({"transaction": "t".repeat(300)});
    assert_eq!(group_event(&ev).culprit.chars().count(), 200);
}

#[test]
fn hostile_and_malformed_input_never_panics() {
    let events = [
        json!(null),
        json!([]),
        json!("event"),
        json!({"exception": 5}),
        json!({"exception": {"values": "x"}}),
        json!({"exception": {"values": [null, 3, {"stacktrace": "frames"}]}}),
        json!({"exception": {"values": [{"type": 5, "value": {"a": 1}, "stacktrace": {"frames": [null, 1, "f", {"function": 7}]}}]}}),
        json!({"exception": {"values": [{"type": "E", "mechanism": {"exception_id": 0, "parent_id": 0, "is_exception_group": true}}]}}),
        json!({"exception": {"values": [
            {"type": "A", "mechanism": {"exception_id": 0, "parent_id": 1, "is_exception_group": true}},
            {"type": "B", "mechanism": {"exception_id": 1, "parent_id": 0, "is_exception_group": true}}]}}),
        json!({"threads": 3, "stacktrace": [1, 2], "fingerprint": "x", "tags": 4, "checksum": 12}),
        json!({"fingerprint": [null, 1, true, {"a": 1}, "{{ tags.x }}", "{{ stack.package }}"], "tags": [[1, 2], "x", ["x"]]}),
        json!({"message": {"message": "a %s", "params": [1]}}),
        json!({"logentry": "oops", "message": false}),
        json!({"platform": 42, "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "at :1:2"}, {"function": "<<<>>>::<"}, {"function": "f(((("}, {"function": "g))))"},
            {"function": "::<impl"}, {"abs_path": "\\\\?\\C:\\x"}, {"filename": "https://"}, {"module": "$$Lambda$"}]}}]}}),
    ];
    for ev in &events {
        let g = group_event(ev);
        assert!(
            !g.hashes.is_empty() && g.hashes.len() == g.variant_names.len(),
            "{ev}"
        );
        assert!(!g.title.is_empty(), "{ev}");
    }
}
