use serde_json::json;

use super::*;
use crate::event::EventLimits;

fn run(limits: EventLimits, v: Value) -> (Vec<Value>, Vec<Value>) {
    let mut ctx = Ctx::new(&limits);
    let out = normalize_exceptions(&mut ctx, v);
    (out, ctx.into_notes())
}

#[test]
fn accepted_shapes() {
    let one = json!({"type": "ValueError", "value": "bad"});
    for shape in [
        json!({"values": [one.clone()]}),
        json!([one.clone()]),
        one.clone(),
        json!({"values": one.clone()}),
    ] {
        let (out, notes) = run(EventLimits::default(), shape.clone());
        assert_eq!(out, vec![one.clone()], "{shape}");
        assert!(notes.is_empty());
    }
    let (out, notes) = run(EventLimits::default(), json!("boom"));
    assert!(out.is_empty());
    assert_eq!(notes[0]["name"], "exception");
}

#[test]
fn type_and_value_repairs() {
    let (out, notes) = run(
        EventLimits::default(),
        json!([
            {"value": "ValueError: bad input "},
            {"value": "not: split\nmultiline"},
            {"value": "has space: no split"},
            {"type": 42, "value": {"code": 7}},
            {"type": "", "value": ""},
            {"mechanism": {"type": "generic"}},
            "string",
        ]),
    );
    assert_eq!(
        out,
        vec![
            json!({"type": "ValueError", "value": "bad input"}),
            json!({"value": "not: split\nmultiline"}),
            json!({"value": "has space: no split"}),
            json!({"type": "42", "value": "{\"code\":7}"}),
        ]
    );
    let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "exception.values.4",
            "exception.values.4",
            "exception.values.4"
        ]
    );
}

#[test]
fn mechanism_rules() {
    let (out, notes) = run(
        EventLimits::default(),
        json!([
            {"type": "E", "mechanism": {"handled": "no", "synthetic": true, "exception_id": 0, "parent_id": -1, "data": {"a": 1}}},
            {"type": "F", "mechanism": "onerror"},
            {"type": "G", "mechanism": {"type": "onerror", "handled": false}, "thread_id": 3, "module": "m"},
        ]),
    );
    assert_eq!(
        out,
        vec![
            json!({"type": "E", "mechanism": {"type": "generic", "synthetic": true, "exception_id": 0, "data": {"a": 1}}}),
            json!({"type": "F"}),
            json!({"type": "G", "mechanism": {"type": "onerror", "handled": false}, "thread_id": 3, "module": "m"}),
        ]
    );
    let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "exception.values.0.mechanism.handled",
            "exception.values.0.mechanism.parent_id",
            "exception.values.1.mechanism",
        ]
    );
}

#[test]
fn long_chains_keep_the_raised_exception() {
    let limits = EventLimits {
        max_exceptions: 2,
        ..EventLimits::default()
    };
    let (out, notes) = run(limits, json!([{"type": "A"}, {"type": "B"}, {"type": "C"}]));
    assert_eq!(out, vec![json!({"type": "B"}), json!({"type": "C"})]);
    assert_eq!(notes[0]["type"], "too_many_items");
}

#[test]
fn long_types_and_values_are_cut() {
    let limits = EventLimits {
        max_string: 10,
        ..EventLimits::default()
    };
    let (out, notes) = run(
        limits,
        json!({"type": "T".repeat(300), "value": "v".repeat(20)}),
    );
    assert_eq!(out[0]["type"].as_str().unwrap().chars().count(), 256);
    assert_eq!(out[0]["value"], json!(format!("{}…", "v".repeat(9))));
    let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["exception.values.0.type", "exception.values.0.value"]
    );
}

#[test]
fn top_level_stacktrace_is_adopted_by_the_one_exception_without() {
    let st = json!({"frames": [{"function": "f"}]});
    let mut excs = vec![
        json!({"type": "A", "stacktrace": {"frames": []}}),
        json!({"type": "B"}),
    ];
    assert_eq!(adopt_stacktrace(&mut excs, st.clone()), None);
    assert_eq!(excs[1]["stacktrace"], st);
    let mut excs = vec![json!({"type": "A"}), json!({"type": "B"})];
    assert_eq!(adopt_stacktrace(&mut excs, st.clone()), Some(st.clone()));
    let mut excs: Vec<Value> = vec![];
    assert_eq!(adopt_stacktrace(&mut excs, st.clone()), Some(st));
}
