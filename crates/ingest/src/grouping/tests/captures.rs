//! Titles, culprits, kinds and variants of every real capture.

use serde_json::json;

use super::{capture, event_capture_names, group_capture};
use crate::grouping::{hash_inputs, IssueKind};

struct Expect {
    name: &'static str,
    title: &'static str,
    culprit: &'static str,
    kind: IssueKind,
    variants: &'static [&'static str],
}

const fn e(
    name: &'static str,
    title: &'static str,
    culprit: &'static str,
    kind: IssueKind,
    variants: &'static [&'static str],
) -> Expect {
    Expect {
        name,
        title,
        culprit,
        kind,
        variants,
    }
}

use IssueKind::{Default as Msg, Error as Err};

const TYPEERROR_VALUE: &str = "TypeError: Cannot read properties of undefined (reading 'value')";
const TYPEERROR_UPPER: &str =
    "TypeError: Cannot read properties of undefined (reading 'toUpperCase')";
const ZERO_DIV: &str = "ZeroDivisionError: float division by zero";

// Python scenarios run outside the SDK's project root, so the SDK sent no
// `in_app` for their frames: not in-app (Sentry's default for a silent
// client), the `app` view contributes nothing and only `system` remains.
// Same hash as with `in_app: true` marks, which would name it `app` (see
// the stability cases).
const EXPECTED: &[Expect] = &[
    e(
        "browser-a-uncaught-typeerror.02.event",
        TYPEERROR_VALUE,
        "readSetting(js/scenarios)",
        Err,
        &["app"],
    ),
    e(
        "browser-c-capture-exception.02.event",
        "Error: email is required",
        "validateForm(js/scenarios)",
        Err,
        &["app"],
    ),
    // captureMessage with attachStacktrace: a message, located by its stack
    // (the top frame is the SDK bundle's, machinery).
    e(
        "browser-d-message.02.event",
        "Checkout page rendered without prices",
        "browser-d-message(js/scenarios)",
        Msg,
        &["app"],
    ),
    e(
        "browser-f-tracing-fetch.04.event",
        "after traced fetch",
        "/index.html",
        Msg,
        &["app"],
    ),
    e(
        "browser-g-client-report.02.event",
        "kept #3",
        "browser-g-client-report(js/scenarios)",
        Msg,
        &["app"],
    ),
    e(
        "browser-h-settimeout-wrapped.03.event",
        TYPEERROR_VALUE,
        "readSetting(js/scenarios)",
        Err,
        &["app"],
    ),
    // `js/app.PSGOEEY4.min.js`: the module drops esbuild's content hash.
    e(
        "browser-i-minified.02.event",
        "TypeError: Cannot read properties of undefined (reading 'symbol')",
        "e(js/app)",
        Err,
        &["app"],
    ),
    e("cli-a-send-event.01.event", "hello", "", Msg, &["default"]),
    e(
        "node-a-typeerror-nested.01.event",
        TYPEERROR_UPPER,
        "?(node-a-typeerror-nested)",
        Err,
        &["app", "system"],
    ),
    // ES module top level: the SDK reports no function name (`?`).
    e(
        "node-b-message.01.event",
        "Payment provider latency high",
        "?(node-b-message)",
        Msg,
        &["app", "system"],
    ),
    e(
        "node-d-context.02.event",
        "RangeError: quantity must be between 1 and 10",
        "?(node-d-context)",
        Err,
        &["app", "system"],
    ),
    // Only timer internals besides app frames: they never group, so the
    // two views are the same.
    e(
        "node-f-uncaught.02.event",
        TYPEERROR_UPPER,
        "?(node-f-uncaught)",
        Err,
        &["app"],
    ),
    e(
        "node-g-unhandled-rejection.02.event",
        "Error: unhandled: token refresh failed",
        "Timeout._onTimeout(node-g-unhandled-rejection)",
        Err,
        &["app"],
    ),
    e(
        "node-h-large-event.01.event",
        "Error: response too large",
        "?(node-h-large-event)",
        Err,
        &["app", "system"],
    ),
    // Cause chain: titled by the last (outermost) error.
    e(
        "node-i-cause-chain.01.event",
        "Error: dashboard could not be loaded",
        "loadDashboard(node-i-cause-chain)",
        Err,
        &["app", "system"],
    ),
    e(
        "python-a-zerodiv-deep.01.event",
        ZERO_DIV,
        "__main__ in level6",
        Err,
        &["system"],
    ),
    e(
        "python-b-chained.01.event",
        "RuntimeError: invalid configuration: port must be an integer",
        "__main__ in load_config",
        Err,
        &["system"],
    ),
    e(
        "python-c-message-warning.01.event",
        "Disk usage above 90% on /var",
        "",
        Msg,
        &["default"],
    ),
    e(
        "python-d-context.01.event",
        "ValueError: coupon SPRING is expired",
        "__main__ in main",
        Err,
        &["system"],
    ),
    e(
        "python-h-logging-error.01.event",
        "Failed to charge invoice INV-1001 for customer cus_42",
        "",
        Msg,
        &["default"],
    ),
    e(
        "python-l-brotli.01.event",
        ZERO_DIV,
        "__main__ in level6",
        Err,
        &["system"],
    ),
    e(
        "python-m-session.01.event",
        ZERO_DIV,
        "__main__ in level6",
        Err,
        &["system"],
    ),
    e(
        "python-n-client-report.01.event",
        "kept #3",
        "",
        Msg,
        &["default"],
    ),
    // A ValueError and a KeyError in one ExceptionGroup: two distinct
    // errors, so the group itself stays the main exception.
    e(
        "python-o-exception-group.01.event",
        "ExceptionGroup: signup form is invalid",
        "__main__ in validate_signup",
        Err,
        &["system"],
    ),
    e(
        "python-p-same-line-different-messages.01.event",
        "ValueError: order 1001: quantity must be positive, got 0",
        "__main__ in check_quantity",
        Err,
        &["system"],
    ),
    e(
        "python-p-same-line-different-messages.02.event",
        "ValueError: order 1002: quantity must be positive, got -3",
        "__main__ in check_quantity",
        Err,
        &["system"],
    ),
    e(
        "python-q-message-ids.01.event",
        "User 123 not found",
        "",
        Msg,
        &["default"],
    ),
    e(
        "python-q-message-ids.02.event",
        "User 98765 not found",
        "",
        Msg,
        &["default"],
    ),
    e(
        "python-q-message-ids.03.event",
        "User 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b not found",
        "",
        Msg,
        &["default"],
    ),
    // std::error chain without a stack: type and value of each link.
    e(
        "rust-a-std-error.01.event",
        "ConfigError: invalid worker count in /etc/app.toml",
        "",
        Err,
        &["app"],
    ),
    // anyhow with a backtrace: SDK/std/anyhow frames are not the culprit.
    e(
        "rust-b-anyhow.01.event",
        "Error: reading settings from /nonexistent/settings.toml",
        "sentry_capture::load_settings",
        Err,
        &["app", "system"],
    ),
    // A panic: the frames above the panicking function are the panic
    // runtime, the hook and the SDK, never the culprit.
    e(
        "rust-c-panic.01.event",
        "panic: index out of bounds: the len is 3 but the index is 7",
        "sentry_capture::pick_shard",
        Err,
        &["app", "system"],
    ),
    e(
        "rust-d-message.01.event",
        "queue depth above threshold",
        "",
        Msg,
        &["default"],
    ),
];

#[test]
fn every_capture_is_covered() {
    let expected: Vec<&str> = EXPECTED.iter().map(|e| e.name).collect();
    assert_eq!(
        event_capture_names(),
        expected,
        "a capture was added or removed: extend EXPECTED"
    );
}

#[test]
fn titles_culprits_kinds_and_variants() {
    for exp in EXPECTED {
        let g = group_capture(exp.name);
        assert_eq!(g.title, exp.title, "{}: title", exp.name);
        assert_eq!(g.culprit, exp.culprit, "{}: culprit", exp.name);
        assert_eq!(g.kind, exp.kind, "{}: kind", exp.name);
        assert_eq!(g.variant_names, exp.variants, "{}: variants", exp.name);
        assert_eq!(g.hashes.len(), g.variant_names.len(), "{}", exp.name);
        for h in &g.hashes {
            assert!(
                h.len() == 32 && h.bytes().all(|b| b.is_ascii_hexdigit()),
                "{}: {h}",
                exp.name
            );
        }
    }
}

#[test]
fn metadata_shapes() {
    let g = group_capture("python-a-zerodiv-deep.01.event");
    assert_eq!(
        g.metadata,
        json!({"type": "ZeroDivisionError", "value": "float division by zero",
               "filename": "python-a-zerodiv-deep.py", "function": "level6"})
    );
    let g = group_capture("rust-a-std-error.01.event");
    assert_eq!(
        g.metadata,
        json!({"type": "ConfigError", "value": "invalid worker count in /etc/app.toml"})
    );
    let g = group_capture("browser-a-uncaught-typeerror.02.event");
    assert_eq!(g.metadata["function"], "readSetting");
    assert_eq!(
        g.metadata["filename"],
        "http://127.0.0.1:8766/js/scenarios.js"
    );
    // The metadata names the file as sent; only grouping drops the hash.
    let g = group_capture("browser-i-minified.02.event");
    assert_eq!(
        g.metadata,
        json!({"type": "TypeError", "value": "Cannot read properties of undefined (reading 'symbol')",
               "filename": "http://127.0.0.1:8766/js/app.PSGOEEY4.min.js", "function": "e"})
    );
    let g = group_capture("rust-c-panic.01.event");
    assert_eq!(
        g.metadata,
        json!({"type": "panic", "value": "index out of bounds: the len is 3 but the index is 7",
               "filename": "main.rs", "function": "sentry_capture::pick_shard"})
    );
    let g = group_capture("node-i-cause-chain.01.event");
    assert_eq!(
        g.metadata,
        json!({"type": "Error", "value": "dashboard could not be loaded",
               "filename": "/work/wt-capture/scripts/sdk/scenarios/node/node-i-cause-chain.mjs",
               "function": "loadDashboard"})
    );
    let g = group_capture("python-h-logging-error.01.event");
    assert_eq!(
        g.metadata,
        json!({"title": "Failed to charge invoice INV-1001 for customer cus_42"})
    );
    assert_eq!(g.kind.as_str(), "default");
    assert_eq!(IssueKind::Error.as_str(), "error");
}

/// Captures recorded to be one issue (see `scenarios.rs`); every other
/// pair of captures is a different bug or message.
const SAME_ISSUE: &[&[&str]] = &[
    &[
        "python-p-same-line-different-messages.01.event",
        "python-p-same-line-different-messages.02.event",
    ],
    &[
        "python-q-message-ids.01.event",
        "python-q-message-ids.02.event",
    ],
];

#[test]
fn distinct_captures_are_distinct_issues() {
    // Every other capture is a different bug or message, or the same
    // failing line reached from a different call site (the three
    // ZeroDivisionErrors are called from three different lines of `main`;
    // browser-a and -h reach `readSetting` from different callers), which
    // Sentry splits too. An event joins the issue owning any of its hashes,
    // so no hash at all may be shared.
    let same = |a: &str, b: &str| {
        SAME_ISSUE
            .iter()
            .any(|set| set.contains(&a) && set.contains(&b))
    };
    let groupings: Vec<_> = EXPECTED
        .iter()
        .map(|exp| (exp.name, group_capture(exp.name)))
        .collect();
    for (i, (a, ga)) in groupings.iter().enumerate() {
        for (b, gb) in &groupings[i + 1..] {
            let shared = ga.hashes.iter().any(|h| gb.hashes.contains(h));
            if same(a, b) {
                assert_eq!(ga.hashes, gb.hashes, "{a} and {b} are one issue");
            } else {
                assert!(!shared, "{a} shares a hash with {b}");
            }
        }
    }
}

#[test]
fn messages_group_by_template_not_formatted_text() {
    let inputs = hash_inputs(&capture("python-h-logging-error.01.event"));
    assert_eq!(
        inputs,
        [(
            "default",
            vec!["message=Failed to charge invoice %s for customer %s".to_string()]
        )]
    );
}

#[test]
fn minified_browser_frames_contribute_module_and_function_only() {
    let inputs = hash_inputs(&capture("browser-a-uncaught-typeerror.02.event"));
    let app = &inputs[0].1;
    assert!(
        app.iter()
            .all(|t| !t.contains("127.0.0.1") && !t.starts_with("filename=")),
        "{app:?}"
    );
    assert!(app.contains(&"function=readSetting".to_string()));
    assert!(app.contains(&"module=js/scenarios".to_string()));
}

#[test]
fn sdk_and_runtime_frames_never_contribute() {
    let inputs = hash_inputs(&capture("rust-b-anyhow.01.event"));
    for (variant, tokens) in &inputs {
        for t in tokens {
            assert!(
                !t.contains("backtrace_rs")
                    && !t.contains("Backtrace")
                    && !t.contains("__libc")
                    && t != "function=_start",
                "{variant}: {t}"
            );
        }
    }
    let app = &inputs[0].1;
    assert_eq!(
        app.iter()
            .filter(|t| t.starts_with("function="))
            .collect::<Vec<_>>(),
        [
            "function=main",
            "function=sentry_capture::main",
            "function=sentry_capture::load_settings"
        ]
    );
    // The browser SDK's own bundle frame (captureMessage) is machinery.
    let inputs = hash_inputs(&capture("browser-d-message.02.event"));
    assert!(
        inputs[0].1.iter().all(|t| !t.contains("Js")),
        "{:?}",
        inputs[0].1
    );
}
