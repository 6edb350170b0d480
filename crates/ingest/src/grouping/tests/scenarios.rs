//! The grouping decisions the newer SDK scenarios were recorded for:
//! python-o (exception group), python-p (same line, other messages),
//! python-q (message ids), node-i (cause chain), browser-i (minified,
//! content-hashed bundle), rust-c (panic).
//!
//! Two tables: how pairs of events (a capture, or a capture edited the way
//! another run, build or bug would change it) relate, and the title and
//! culprit of each event. Then what exactly contributes, per scenario.

use serde_json::{json, Value};

use super::capture;
use super::stability::{
    check_cases, edited, frames, last_exception, none, rebuild_rust, set_value, Case, Edit, Rel,
};
use crate::grouping::{group_event, hash_inputs, IssueKind};

const PY_GROUP: &str = "python-o-exception-group.01.event";
const PY_SAME_LINE_1: &str = "python-p-same-line-different-messages.01.event";
const PY_SAME_LINE_2: &str = "python-p-same-line-different-messages.02.event";
const PY_IDS_INT_1: &str = "python-q-message-ids.01.event";
const PY_IDS_INT_2: &str = "python-q-message-ids.02.event";
const PY_IDS_UUID: &str = "python-q-message-ids.03.event";
const NODE_CAUSES: &str = "node-i-cause-chain.01.event";
const BROWSER_MIN: &str = "browser-i-minified.02.event";
const RUST_PANIC: &str = "rust-c-panic.01.event";

fn values(ev: &mut Value) -> &mut Vec<Value> {
    ev["exception"]["values"]
        .as_array_mut()
        .expect("exception values")
}

// python-o: values are [KeyError (id 2), ValueError (id 1), ExceptionGroup
// (id 0, the root)].

/// The group's errors listed the other way round, as when the two checks
/// fail in the other order.
fn errors_in_other_order(ev: &mut Value) {
    let vs = values(ev);
    vs.swap(0, 1);
    for (v, (id, source)) in vs
        .iter_mut()
        .zip([(1, "exceptions[0]"), (2, "exceptions[1]")])
    {
        v["mechanism"]["exception_id"] = json!(id);
        v["mechanism"]["source"] = json!(source);
    }
}

/// The same two errors, and the KeyError a second time (`key` is the
/// missing plan).
fn key_error_twice(ev: &mut Value, key: &str) {
    let vs = values(ev);
    let mut again = vs[0].clone();
    again["value"] = json!(key);
    again["mechanism"]["exception_id"] = json!(3);
    again["mechanism"]["source"] = json!("exceptions[2]");
    vs.insert(1, again);
}

/// Only the email check failed: a group around one ValueError.
fn only_value_error_in_group(ev: &mut Value) {
    values(ev).remove(0);
}

/// The same ValueError raised on its own, not inside a group.
fn value_error_alone(ev: &mut Value) {
    let vs = values(ev);
    let mut error = vs.remove(1);
    error["mechanism"] = json!({"type": "generic", "handled": true});
    *vs = vec![error];
}

// node-i: values are [Error ECONNREFUSED (id 2), DbError (id 1), Error
// "dashboard could not be loaded" (id 0)].

/// The outermost error as if thrown without a cause.
fn outermost_alone(ev: &mut Value) {
    let vs = values(ev);
    let mut outer = vs.pop().expect("outermost");
    outer["mechanism"] = json!({"type": "generic", "handled": true});
    *vs = vec![outer];
}

/// Another root cause under the same two wrappers.
fn other_root_cause(ev: &mut Value) {
    values(ev)[0]["type"] = json!("TimeoutError");
}

/// Other data in every message (host, query, ...).
fn other_messages(ev: &mut Value) {
    let vs = values(ev);
    vs[0]["value"] = json!("connect ECONNREFUSED 10.0.0.9:6432");
    vs[1]["value"] = json!("query failed: SELECT * FROM invoices WHERE id = $1");
    vs[2]["value"] = json!("dashboard could not be loaded for tenant 7");
}

// browser-i: every app frame is in `js/app.PSGOEEY4.min.js`.

/// The next build: a new content hash, code moved by a line and columns.
fn next_build(ev: &mut Value) {
    for f in frames(ev) {
        if let Some(name) = f["filename"].as_str() {
            let name = name.replace("PSGOEEY4", "KQXWBMZ3");
            f["filename"] = json!(name);
        }
        if let Some(line) = f["lineno"].as_i64() {
            f["lineno"] = json!(line + 1);
            f["colno"] = json!(f["colno"].as_i64().unwrap_or(0) + 57);
        }
    }
    for image in ev["debug_meta"]["images"]
        .as_array_mut()
        .into_iter()
        .flatten()
    {
        image["code_file"] = json!("http://127.0.0.1:8766/js/app.KQXWBMZ3.min.js");
        image["debug_id"] = json!("0b6c2a43-9d1e-4f37-8a25-7c1e9f3d5b60");
    }
}

/// A rebuild where the minifier named the failing function differently.
fn renamed_minified_function(ev: &mut Value) {
    let f = frames(ev).last_mut().expect("frame");
    f["function"] = json!("t");
}

// rust-c: frames end with `sentry_capture::main`, `sentry_capture::
// pick_shard`, then the panic runtime (`core::panicking::panic_bounds_check`
// ...), the hook dispatch and the SDK's panic integration.

fn position_of(ev: &mut Value, function: &str) -> usize {
    frames(ev)
        .iter()
        .position(|f| f["function"] == function)
        .unwrap_or_else(|| panic!("no frame {function}"))
}

/// The same panic with nothing captured above the panicking function.
fn without_panic_handling(ev: &mut Value) {
    let cut = position_of(ev, "sentry_capture::pick_shard") + 1;
    frames(ev).truncate(cut);
}

/// The same panic through another hook chain: the application's own hook,
/// std's default hook, then the SDK.
fn own_panic_hook(ev: &mut Value) {
    let at = position_of(ev, "core::panicking::panic_fmt") + 1;
    let hook = [
        json!({"function": "std::panicking::default_hook", "in_app": false}),
        json!({"function": "sentry_capture::install_panic_hook::{{closure}}",
               "filename": "main.rs", "abs_path": "/srv/app/src/main.rs", "lineno": 12, "in_app": true}),
        json!({"function": "<alloc::boxed::Box<F,A> as core::ops::function::Fn<Args>>::call",
               "filename": "boxed.rs", "lineno": 2254, "in_app": false}),
    ];
    let fs = frames(ev);
    fs.truncate(at);
    fs.extend(hook);
    fs.push(json!({"function": "sentry_panic::panic_handler", "in_app": true}));
}

/// Another index, another length: the same bug.
fn other_index(ev: &mut Value) {
    set_value(ev, "index out of bounds: the len is 5 but the index is 9");
}

/// The same kind of panic in another function.
fn panics_elsewhere(ev: &mut Value) {
    let at = position_of(ev, "sentry_capture::pick_shard");
    frames(ev)[at]["function"] = json!("sentry_capture::pick_replica");
}

const CASES: &[Case] = &[
    // python-p: same stack and type, the message carries the data.
    Case {
        what: "python-p: same line, different messages",
        a: (PY_SAME_LINE_1, none),
        b: (PY_SAME_LINE_2, none),
        rel: Rel::Same,
    },
    // python-q: the message is parameterised before hashing. Numbers become
    // `<int>`, a UUID `<uuid>`: the placeholders keep their kind (Sentry's
    // parameterisation, docs/grouping.md "Messages and parameterisation"),
    // so the UUID message is a second issue, not the first one's.
    Case {
        what: "python-q: message ids 123 and 98765",
        a: (PY_IDS_INT_1, none),
        b: (PY_IDS_INT_2, none),
        rel: Rel::Same,
    },
    Case {
        what: "python-q: a numeric id vs a UUID",
        a: (PY_IDS_INT_1, none),
        b: (PY_IDS_UUID, none),
        rel: Rel::Different,
    },
    Case {
        what: "python-q: another UUID",
        a: (PY_IDS_UUID, none),
        b: (PY_IDS_UUID, |e| {
            e["message"] = json!("User 0d3f9a71-52be-4c1a-9e07-b1c2d3e4f5a6 not found");
        }),
        rel: Rel::Same,
    },
    // python-o: the group is grouped by the distinct errors inside it.
    Case {
        what: "python-o: the group's errors in the other order",
        a: (PY_GROUP, none),
        b: (PY_GROUP, errors_in_other_order),
        rel: Rel::Same,
    },
    Case {
        what: "python-o: one of the errors a second time",
        a: (PY_GROUP, none),
        b: (PY_GROUP, |e| key_error_twice(e, "'enterprise'")),
        rel: Rel::Same,
    },
    // Copies are told apart by all their hash inputs, as in Sentry: these
    // frames are not in-app, so the (empty) `app` view of each KeyError is
    // type + message, and another key makes another error.
    Case {
        what: "python-o: the KeyError a second time for another key",
        a: (PY_GROUP, none),
        b: (PY_GROUP, |e| key_error_twice(e, "'legacy'")),
        rel: Rel::Different,
    },
    Case {
        what: "python-o: another wrapper message",
        a: (PY_GROUP, none),
        b: (PY_GROUP, |e| {
            last_exception(e)["value"] = json!("registration rejected");
        }),
        rel: Rel::Same,
    },
    Case {
        what: "python-o: only one of the two errors",
        a: (PY_GROUP, none),
        b: (PY_GROUP, only_value_error_in_group),
        rel: Rel::Different,
    },
    Case {
        what: "python-o: a group of one error is that error",
        a: (PY_GROUP, only_value_error_in_group),
        b: (PY_GROUP, value_error_alone),
        rel: Rel::Same,
    },
    // node-i: every link of the cause chain contributes.
    Case {
        what: "node-i: the outermost error without its causes",
        a: (NODE_CAUSES, none),
        b: (NODE_CAUSES, outermost_alone),
        rel: Rel::Different,
    },
    Case {
        what: "node-i: another root cause",
        a: (NODE_CAUSES, none),
        b: (NODE_CAUSES, other_root_cause),
        rel: Rel::Different,
    },
    Case {
        what: "node-i: other data in the messages",
        a: (NODE_CAUSES, none),
        b: (NODE_CAUSES, other_messages),
        rel: Rel::Same,
    },
    // browser-i: a new build of the same code is the same issue.
    Case {
        what: "browser-i: new content hash, other lines and columns",
        a: (BROWSER_MIN, none),
        b: (BROWSER_MIN, next_build),
        rel: Rel::Same,
    },
    Case {
        what: "browser-i: the minifier renamed the failing function",
        a: (BROWSER_MIN, none),
        b: (BROWSER_MIN, renamed_minified_function),
        rel: Rel::Different,
    },
    // rust-c: only the code up to the panicking function counts.
    Case {
        what: "rust-c: nothing captured above the panicking function",
        a: (RUST_PANIC, none),
        b: (RUST_PANIC, without_panic_handling),
        rel: Rel::Same,
    },
    Case {
        what: "rust-c: another panic hook chain",
        a: (RUST_PANIC, none),
        b: (RUST_PANIC, own_panic_hook),
        rel: Rel::Same,
    },
    Case {
        what: "rust-c: rebuild with new addresses, toolchain and symbol hashes",
        a: (RUST_PANIC, none),
        b: (RUST_PANIC, rebuild_rust),
        rel: Rel::Same,
    },
    Case {
        what: "rust-c: another index",
        a: (RUST_PANIC, none),
        b: (RUST_PANIC, other_index),
        rel: Rel::Same,
    },
    Case {
        what: "rust-c: the same panic in another function",
        a: (RUST_PANIC, none),
        b: (RUST_PANIC, panics_elsewhere),
        rel: Rel::Different,
    },
];

#[test]
fn scenario_cases() {
    check_cases(CASES);
}

struct Named {
    event: (&'static str, Edit),
    title: &'static str,
    culprit: &'static str,
    kind: IssueKind,
}

const INVALID_EMAIL: &str = "ValueError: invalid email address: 'ada.example.com'";

const NAMES: &[Named] = &[
    // One issue, but every event keeps its own title.
    Named {
        event: (PY_SAME_LINE_1, none),
        title: "ValueError: order 1001: quantity must be positive, got 0",
        culprit: "__main__ in check_quantity",
        kind: IssueKind::Error,
    },
    Named {
        event: (PY_SAME_LINE_2, none),
        title: "ValueError: order 1002: quantity must be positive, got -3",
        culprit: "__main__ in check_quantity",
        kind: IssueKind::Error,
    },
    Named {
        event: (PY_IDS_INT_2, none),
        title: "User 98765 not found",
        culprit: "",
        kind: IssueKind::Default,
    },
    // Two distinct errors: the group is the main exception.
    Named {
        event: (PY_GROUP, none),
        title: "ExceptionGroup: signup form is invalid",
        culprit: "__main__ in validate_signup",
        kind: IssueKind::Error,
    },
    Named {
        event: (PY_GROUP, errors_in_other_order),
        title: "ExceptionGroup: signup form is invalid",
        culprit: "__main__ in validate_signup",
        kind: IssueKind::Error,
    },
    // One distinct error: it names the issue, not the wrapper; the culprit
    // stays where the group was raised (the last exception's stack).
    Named {
        event: (PY_GROUP, only_value_error_in_group),
        title: INVALID_EMAIL,
        culprit: "__main__ in validate_signup",
        kind: IssueKind::Error,
    },
    Named {
        event: (PY_GROUP, value_error_alone),
        title: INVALID_EMAIL,
        culprit: "__main__ in validate_email",
        kind: IssueKind::Error,
    },
    // Cause chain: the last (outermost) error names the issue.
    Named {
        event: (NODE_CAUSES, none),
        title: "Error: dashboard could not be loaded",
        culprit: "loadDashboard(node-i-cause-chain)",
        kind: IssueKind::Error,
    },
    Named {
        event: (BROWSER_MIN, next_build),
        title: "TypeError: Cannot read properties of undefined (reading 'symbol')",
        culprit: "e(js/app)",
        kind: IssueKind::Error,
    },
    // An in-app panic hook is not where the panic happened.
    Named {
        event: (RUST_PANIC, own_panic_hook),
        title: "panic: index out of bounds: the len is 3 but the index is 7",
        culprit: "sentry_capture::pick_shard",
        kind: IssueKind::Error,
    },
];

#[test]
fn scenario_titles_and_culprits() {
    for n in NAMES {
        let g = group_event(&edited(n.event.0, n.event.1));
        assert_eq!(g.title, n.title, "{}: title", n.event.0);
        assert_eq!(g.culprit, n.culprit, "{}: culprit", n.event.0);
        assert_eq!(g.kind, n.kind, "{}: kind", n.event.0);
    }
}

/// Tokens of `kind` (`type`, `function`, ...) in one variant's hash inputs.
fn tokens_of(inputs: &[String], kind: &str) -> Vec<String> {
    let prefix = format!("{kind}=");
    inputs
        .iter()
        .filter(|t| t.starts_with(&prefix))
        .cloned()
        .collect()
}

#[test]
fn python_p_message_does_not_contribute_next_to_a_stack() {
    for name in [PY_SAME_LINE_1, PY_SAME_LINE_2] {
        let inputs = hash_inputs(&capture(name));
        assert_eq!(inputs.len(), 1, "{name}");
        let (variant, tokens) = &inputs[0];
        assert_eq!(*variant, "system");
        assert!(tokens_of(tokens, "value").is_empty(), "{tokens:?}");
        assert_eq!(
            tokens_of(tokens, "function"),
            ["function=main", "function=check_quantity"]
        );
    }
}

#[test]
fn python_q_messages_are_parameterised() {
    let template = |name: &str| hash_inputs(&capture(name));
    for name in [PY_IDS_INT_1, PY_IDS_INT_2] {
        assert_eq!(
            template(name),
            [("default", vec!["message=User <int> not found".to_string()])]
        );
    }
    assert_eq!(
        template(PY_IDS_UUID),
        [("default", vec!["message=User <uuid> not found".to_string()])]
    );
}

#[test]
fn python_o_groups_by_each_distinct_error_and_the_group() {
    let inputs = hash_inputs(&capture(PY_GROUP));
    assert_eq!(inputs.len(), 1);
    let tokens = &inputs[0].1;
    // One of each distinct error, by type (descending, as Sentry sorts
    // them), then the root group; never in list order.
    assert_eq!(
        tokens_of(tokens, "type"),
        ["type=ValueError", "type=KeyError", "type=ExceptionGroup"]
    );
    assert_eq!(
        tokens_of(tokens, "function"),
        [
            "function=validate_signup",
            "function=validate_email",
            "function=validate_signup",
            "function=lookup_plan",
            "function=main",
            "function=validate_signup",
        ]
    );
    let one = hash_inputs(&edited(PY_GROUP, only_value_error_in_group));
    assert_eq!(tokens_of(&one[0].1, "type"), ["type=ValueError"]);
}

#[test]
fn node_i_every_link_of_the_cause_chain_contributes() {
    let inputs = hash_inputs(&capture(NODE_CAUSES));
    let names: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["app", "system"]);
    for (variant, tokens) in &inputs {
        assert_eq!(
            tokens_of(tokens, "type"),
            ["type=Error", "type=DbError", "type=Error"],
            "{variant}"
        );
        // Each with its own stack: where it was thrown, not its message.
        assert!(tokens_of(tokens, "value").is_empty(), "{variant}");
        let throws: Vec<String> = tokens_of(tokens, "context")
            .into_iter()
            .filter(|c| c.contains("throw"))
            .collect();
        assert_eq!(throws.len(), 3, "{variant}: {throws:?}");
    }
}

#[test]
fn browser_i_minified_frames_name_the_file_without_its_hash() {
    let inputs = hash_inputs(&capture(BROWSER_MIN));
    assert_eq!(inputs.len(), 1);
    let (variant, tokens) = &inputs[0];
    assert_eq!(*variant, "app");
    // Six frames in the bundle; the `<anonymous>` Array.map frame is ignored.
    assert_eq!(tokens_of(tokens, "module"), vec!["module=js/app"; 6]);
    assert_eq!(
        tokens_of(tokens, "function"),
        ["function=c", "function=r", "function=e"]
    );
    assert!(
        tokens.iter().all(|t| !t.contains("PSGOEEY4")
            && !t.contains("127.0.0.1")
            && !t.starts_with("filename=")
            && !t.starts_with("context=")),
        "{tokens:?}"
    );
}

#[test]
fn rust_c_panic_machinery_and_sdk_frames_never_contribute() {
    let inputs = hash_inputs(&capture(RUST_PANIC));
    let names: Vec<&str> = inputs.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["app", "system"]);
    for (variant, tokens) in &inputs {
        for t in tokens {
            assert!(
                !t.contains("sentry_panic")
                    && !t.contains("sentry_core")
                    && !t.contains("sentry_backtrace")
                    && !t.contains("panicking")
                    && !t.contains("rust_begin_unwind")
                    && !t.contains("PanicHookInfo")
                    && !t.contains("__libc")
                    && t != "function=_start",
                "{variant}: {t}"
            );
        }
        // The stack ends where the panic happened.
        assert_eq!(
            tokens_of(tokens, "function").last().map(String::as_str),
            Some("function=sentry_capture::pick_shard"),
            "{variant}"
        );
        // The panic message does not split issues when the stack locates it.
        assert!(tokens_of(tokens, "value").is_empty(), "{variant}");
    }
    assert_eq!(
        tokens_of(&inputs[0].1, "function"),
        [
            "function=main",
            "function=sentry_capture::main",
            "function=sentry_capture::pick_shard"
        ]
    );
}
