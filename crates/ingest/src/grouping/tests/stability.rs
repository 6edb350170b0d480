//! Grouping stability: what must and must not change the hashes. Each case
//! takes two real captures (or one twice), edits them the way a redeploy, a
//! different input or a different bug would, and states the relation of
//! the resulting hashes.

use serde_json::{json, Value};

use super::capture;
use crate::grouping::{group_event, Grouping};

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Rel {
    /// Identical hashes: certainly the same issue.
    Same,
    /// At least one hash in common: still the same issue (an event joins
    /// the issue owning any of its hashes), though not every hash matches.
    Shares,
    /// No hash in common: a different issue.
    Different,
}

pub(super) type Edit = fn(&mut Value);

pub(super) struct Case {
    pub what: &'static str,
    pub a: (&'static str, Edit),
    pub b: (&'static str, Edit),
    pub rel: Rel,
}

const PY_ZERO: &str = "python-a-zerodiv-deep.01.event";
const PY_ZERO_M: &str = "python-m-session.01.event";
const PY_CHAINED: &str = "python-b-chained.01.event";
const PY_CONTEXT: &str = "python-d-context.01.event";
const PY_MESSAGE: &str = "python-c-message-warning.01.event";
const PY_LOGGING: &str = "python-h-logging-error.01.event";
const NODE_NESTED: &str = "node-a-typeerror-nested.01.event";
const NODE_CONTEXT: &str = "node-d-context.02.event";
const BROWSER: &str = "browser-a-uncaught-typeerror.02.event";
const BROWSER_MSG: &str = "browser-d-message.02.event";
const RUST_ANYHOW: &str = "rust-b-anyhow.01.event";

pub(super) fn none(_: &mut Value) {}

pub(super) fn last_exception(ev: &mut Value) -> &mut Value {
    let values = ev["exception"]["values"]
        .as_array_mut()
        .expect("exception values");
    values.last_mut().expect("an exception")
}

pub(super) fn frames(ev: &mut Value) -> &mut Vec<Value> {
    last_exception(ev)["stacktrace"]["frames"]
        .as_array_mut()
        .expect("frames")
}

pub(super) fn set_value(ev: &mut Value, v: &str) {
    last_exception(ev)["value"] = json!(v);
}

fn set_message(ev: &mut Value, m: &str) {
    ev["message"] = json!(m);
}

/// A redeploy: every line moves, the checkout and virtualenv move.
fn redeploy_python(ev: &mut Value) {
    for f in frames(ev) {
        f["lineno"] = json!(f["lineno"].as_i64().unwrap_or(0) + 17);
        let file = f["filename"].as_str().unwrap_or("").to_string();
        f["abs_path"] = json!(format!("/opt/deploy-2/app/{file}"));
    }
}

/// Library frames between `main` and the app code, from one virtualenv...
fn with_library_frames(ev: &mut Value) {
    add_library_frames(ev, "/srv/app-v1/venv/lib/python3.11/site-packages", 120);
}

/// ...and the same library in another deploy's virtualenv and version.
fn with_library_frames_elsewhere(ev: &mut Value) {
    add_library_frames(ev, "/opt/deploy-2/.venv/lib/python3.12/site-packages", 131);
    redeploy_python(ev);
}

fn add_library_frames(ev: &mut Value, prefix: &str, line: i64) {
    let lib = |module: &str, file: &str, function: &str, context: &str| {
        json!({"module": module, "filename": file, "abs_path": format!("{prefix}/{file}"),
               "function": function, "lineno": line, "context_line": context, "in_app": false})
    };
    let fs = frames(ev);
    fs.insert(
        1,
        lib(
            "django.core.handlers.base",
            "django/core/handlers/base.py",
            "_get_response",
            "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
        ),
    );
    fs.insert(
        1,
        lib(
            "django.core.handlers.exception",
            "django/core/handlers/exception.py",
            "inner",
            "response = get_response(request)",
        ),
    );
}

fn redeploy_node(ev: &mut Value) {
    for f in frames(ev) {
        if let Some(l) = f["lineno"].as_i64() {
            f["lineno"] = json!(l + 40);
            f["colno"] = json!(f["colno"].as_i64().unwrap_or(0) + 3);
        }
        let file = f["filename"].as_str().unwrap_or("").to_string();
        if let Some((_, base)) = file.rsplit_once('/').filter(|_| file.starts_with('/')) {
            f["filename"] = json!(format!("/opt/deploy-2/{base}"));
        }
    }
}

/// A new Rust build: other addresses, another toolchain, symbol hashes.
pub(super) fn rebuild_rust(ev: &mut Value) {
    for (i, f) in frames(ev).iter_mut().enumerate() {
        f["instruction_addr"] = json!(format!("0x{:x}", 0x7f00_0000_0000u64 + i as u64 * 0x40));
        if let Some(p) = f["abs_path"].as_str() {
            f["abs_path"] = json!(p.replace(
                "59807616e1fa2540724bfbac14d7976d7e4a3860",
                "0123456789abcdef0123456789abcdef01234567"
            ));
        }
        if let Some(l) = f["lineno"].as_i64() {
            f["lineno"] = json!(l + 9);
        }
        if f["function"]
            .as_str()
            .is_some_and(|n| n.starts_with("sentry_capture::"))
        {
            let n = f["function"].as_str().unwrap_or("").to_string();
            f["function"] = json!(format!("{n}::h{:016x}", 0xdead_beef_u64 + i as u64));
        }
    }
}

/// Minified bundle served under a content hash, columns per build.
fn bundle(ev: &mut Value, hash: &str, col_shift: i64) {
    for f in frames(ev) {
        f["filename"] = json!(format!(
            "https://cdn.example.com/static/js/main.{hash}.js?v={col_shift}"
        ));
        f["colno"] = json!(f["colno"].as_i64().unwrap_or(0) + col_shift);
    }
}

fn minify_names(ev: &mut Value, names: [&str; 3]) {
    let fs = frames(ev);
    let n = fs.len();
    for (f, name) in fs[n - 3..].iter_mut().zip(names) {
        f["function"] = json!(name);
    }
}

fn fingerprint(ev: &mut Value, fp: Value) {
    ev["fingerprint"] = fp;
}

const CASES: &[Case] = &[
    // Same error, same line, different message: one issue.
    Case {
        what: "python: other message, same stack",
        a: (PY_ZERO, none),
        b: (PY_ZERO, |e| set_value(e, "division by zero for order 77")),
        rel: Rel::Same,
    },
    Case {
        what: "node: other message, same stack",
        a: (NODE_NESTED, none),
        b: (NODE_NESTED, |e| {
            set_value(e, "Cannot read properties of null (reading 'trim')")
        }),
        rel: Rel::Same,
    },
    Case {
        what: "browser: other message, same stack",
        a: (BROWSER, none),
        b: (BROWSER, |e| set_value(e, "undefined is not an object")),
        rel: Rel::Same,
    },
    // Redeploys: lines, columns, checkouts, virtualenvs, addresses move.
    Case {
        what: "python: lines shift and checkout moves",
        a: (PY_ZERO, none),
        b: (PY_ZERO, redeploy_python),
        rel: Rel::Same,
    },
    Case {
        what: "python: the SDK marks the frames in-app (project root set)",
        a: (PY_ZERO, none),
        b: (PY_ZERO, |e| {
            for f in frames(e) {
                f["in_app"] = json!(true);
            }
        }),
        rel: Rel::Same,
    },
    Case {
        what: "python: library frames from another virtualenv",
        a: (PY_ZERO, with_library_frames),
        b: (PY_ZERO, with_library_frames_elsewhere),
        rel: Rel::Same,
    },
    Case {
        what: "node: lines, columns and paths move",
        a: (NODE_NESTED, none),
        b: (NODE_NESTED, redeploy_node),
        rel: Rel::Same,
    },
    Case {
        what: "rust: rebuild with new addresses, toolchain and symbol hashes",
        a: (RUST_ANYHOW, none),
        b: (RUST_ANYHOW, rebuild_rust),
        rel: Rel::Same,
    },
    Case {
        what: "browser: new bundle hash, shifted columns",
        a: (BROWSER, |e| bundle(e, "3f2a9c1b", 0)),
        b: (BROWSER, |e| bundle(e, "a1b2c3d4", 211)),
        rel: Rel::Same,
    },
    // Different bugs: different issues.
    Case {
        what: "python: same type raised in another function",
        a: (PY_ZERO, none),
        b: (PY_ZERO, |e| {
            let f = frames(e).last_mut().expect("frame");
            f["function"] = json!("compute_average");
            f["context_line"] = json!("    return net / count");
        }),
        rel: Rel::Different,
    },
    Case {
        what: "python: ValueError from two different places",
        a: (PY_CONTEXT, none),
        b: (PY_CHAINED, |e| {
            e["exception"]["values"]
                .as_array_mut()
                .expect("values")
                .pop();
        }),
        rel: Rel::Different,
    },
    Case {
        what: "python: chained exception vs its cause alone",
        a: (PY_CHAINED, none),
        b: (PY_CHAINED, |e| {
            e["exception"]["values"]
                .as_array_mut()
                .expect("values")
                .remove(0);
        }),
        rel: Rel::Different,
    },
    Case {
        what: "browser: other minified function names",
        a: (BROWSER, |e| minify_names(e, ["a", "b", "c"])),
        b: (BROWSER, |e| minify_names(e, ["a", "b", "d"])),
        rel: Rel::Different,
    },
    Case {
        what: "messages: different text",
        a: (PY_MESSAGE, none),
        b: (PY_MESSAGE, |e| set_message(e, "Disk full on /var")),
        rel: Rel::Different,
    },
    Case {
        what: "messages with attached stack: different text, same place",
        a: (BROWSER_MSG, none),
        b: (BROWSER_MSG, |e| {
            set_message(e, "Cart is empty");
            set_value(e, "Cart is empty");
        }),
        rel: Rel::Different,
    },
    // Messages: data varies, template does not.
    Case {
        what: "messages: numbers vary",
        a: (PY_MESSAGE, none),
        b: (PY_MESSAGE, |e| {
            set_message(e, "Disk usage above 97% on /var")
        }),
        rel: Rel::Same,
    },
    Case {
        what: "messages: ids, emails, uuids, hosts vary",
        a: (PY_MESSAGE, |e| {
            set_message(e, "Order 1234 for bob@x.io failed on db-1.prod.internal (req 123e4567-e89b-12d3-a456-426614174000, 250ms)")
        }),
        b: (PY_MESSAGE, |e| {
            set_message(e, "Order 98 for alice@example.org failed on db-7.prod.internal (req 9f1c2a3b-0000-4aaa-8bbb-0123456789ab, 1.5s)")
        }),
        rel: Rel::Same,
    },
    Case {
        what: "logging: same template, other parameters",
        a: (PY_LOGGING, none),
        b: (PY_LOGGING, |e| {
            e["logentry"]["formatted"] = json!("Failed to charge invoice INV-7 for customer cus_9");
            e["logentry"]["params"] = json!(["INV-7", "cus_9"]);
        }),
        rel: Rel::Same,
    },
    Case {
        what: "messages with attached stack: numbers vary",
        a: (BROWSER_MSG, |e| set_message(e, "retry 3 failed")),
        b: (BROWSER_MSG, |e| set_message(e, "retry 4 failed")),
        rel: Rel::Same,
    },
    // in_app changes.
    Case {
        what: "in_app flips on a frame that never contributes",
        a: (NODE_NESTED, none),
        b: (NODE_NESTED, |e| {
            for f in frames(e) {
                if f["filename"] == "<anonymous>" {
                    f["in_app"] = json!(true);
                }
            }
        }),
        rel: Rel::Same,
    },
    Case {
        what: "a contributing frame loses in_app: system hash still matches",
        a: (NODE_NESTED, none),
        b: (NODE_NESTED, |e| {
            for f in frames(e) {
                if f["function"] == "handleRequest" {
                    f["in_app"] = json!(false);
                }
            }
        }),
        rel: Rel::Shares,
    },
    // Fingerprints.
    Case {
        what: "fingerprint {{ default }} is the default",
        a: (PY_ZERO, none),
        b: (PY_ZERO, |e| fingerprint(e, json!(["{{ default }}"]))),
        rel: Rel::Same,
    },
    Case {
        what: "custom fingerprint merges different errors",
        a: (PY_ZERO, |e| fingerprint(e, json!(["database-unavailable"]))),
        b: (NODE_NESTED, |e| {
            fingerprint(e, json!(["database-unavailable"]))
        }),
        rel: Rel::Same,
    },
    Case {
        what: "custom fingerprints differ",
        a: (PY_ZERO, |e| fingerprint(e, json!(["a"]))),
        b: (PY_ZERO, |e| fingerprint(e, json!(["b"]))),
        rel: Rel::Different,
    },
    Case {
        what: "hybrid fingerprint splits a default group",
        a: (PY_ZERO, |e| {
            fingerprint(e, json!(["{{ default }}", "tenant-a"]))
        }),
        b: (PY_ZERO, |e| {
            fingerprint(e, json!(["{{ default }}", "tenant-b"]))
        }),
        rel: Rel::Different,
    },
    Case {
        what: "hybrid fingerprint differs from default",
        a: (PY_ZERO, none),
        b: (PY_ZERO, |e| {
            fingerprint(e, json!(["{{ default }}", "tenant-a"]))
        }),
        rel: Rel::Different,
    },
    Case {
        what: "hybrid fingerprint keeps default's tolerance",
        a: (PY_ZERO, |e| {
            fingerprint(e, json!(["{{ default }}", "tenant-a"]))
        }),
        b: (PY_ZERO, |e| {
            fingerprint(e, json!(["{{default}}", "tenant-a"]));
            redeploy_python(e);
            set_value(e, "other text");
        }),
        rel: Rel::Same,
    },
    Case {
        what: "{{ type }} merges by exception type",
        a: (PY_ZERO, |e| fingerprint(e, json!(["{{ type }}"]))),
        b: (PY_ZERO_M, |e| fingerprint(e, json!(["{{ error.type }}"]))),
        rel: Rel::Same,
    },
    Case {
        what: "{{ type }} splits by exception type",
        a: (PY_ZERO, |e| fingerprint(e, json!(["{{ type }}"]))),
        b: (PY_CONTEXT, |e| fingerprint(e, json!(["{{ type }}"]))),
        rel: Rel::Different,
    },
    Case {
        what: "{{ tags.feature }} across platforms",
        a: (NODE_CONTEXT, |e| {
            fingerprint(e, json!(["{{ tags.feature }}"]))
        }),
        b: (PY_CONTEXT, |e| fingerprint(e, json!(["{{tags.feature}}"]))),
        rel: Rel::Same,
    },
    Case {
        what: "{{ function }} is the crash frame's",
        a: (PY_ZERO, |e| fingerprint(e, json!(["{{ function }}"]))),
        b: (PY_ZERO_M, |e| fingerprint(e, json!(["level6"]))),
        rel: Rel::Same,
    },
    Case {
        what: "unknown variables are literal",
        a: (PY_ZERO, |e| fingerprint(e, json!(["{{ nope }}"]))),
        b: (NODE_NESTED, |e| fingerprint(e, json!(["{{ nope }}"]))),
        rel: Rel::Same,
    },
    Case {
        what: "checksum overrides grouping",
        a: (PY_ZERO, |e| e["checksum"] = json!("legacy-1")),
        b: (NODE_NESTED, |e| e["checksum"] = json!("legacy-1")),
        rel: Rel::Same,
    },
];

pub(super) fn edited(capture_name: &str, edit: Edit) -> Value {
    let mut ev = capture(capture_name);
    edit(&mut ev);
    ev
}

fn grouped(capture_name: &str, edit: Edit) -> Grouping {
    group_event(&edited(capture_name, edit))
}

/// How two groupings relate.
pub(super) fn relation(a: &Grouping, b: &Grouping) -> Rel {
    if a.hashes == b.hashes {
        Rel::Same
    } else if a.hashes.iter().any(|h| b.hashes.contains(h)) {
        Rel::Shares
    } else {
        Rel::Different
    }
}

/// Runs `cases`, reporting every mismatch at once. A case comparing two
/// identical events proves nothing (an edit that no longer applies after a
/// re-recording, say): that is a failure too.
pub(super) fn check_cases(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let (ea, eb) = (edited(case.a.0, case.a.1), edited(case.b.0, case.b.1));
        if ea == eb {
            failures.push(format!("{}: both sides are the same event", case.what));
            continue;
        }
        let (a, b) = (group_event(&ea), group_event(&eb));
        let rel = relation(&a, &b);
        if rel != case.rel {
            failures.push(format!(
                "{}: expected {:?}, got {rel:?}\n  a={:?} {:?}\n  b={:?} {:?}",
                case.what, case.rel, a.hashes, a.variant_names, b.hashes, b.variant_names
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn stability_cases() {
    check_cases(CASES);
}

#[test]
fn variant_names_for_fingerprints_and_checksums() {
    let g = grouped(PY_ZERO, |e| fingerprint(e, json!(["x"])));
    assert_eq!(g.variant_names, ["custom"]);
    let g = grouped(NODE_NESTED, |e| {
        fingerprint(e, json!(["{{ default }}", "x"]))
    });
    assert_eq!(g.variant_names, ["hybrid:app", "hybrid:system"]);
    let g = grouped(PY_MESSAGE, |e| {
        fingerprint(e, json!(["{{ default }}", "x"]))
    });
    assert_eq!(g.variant_names, ["hybrid:default"]);
    let g = group_event(&json!({"fingerprint": ["{{ default }}", "x"]}));
    assert_eq!(g.variant_names, ["hybrid:fallback"]);
    let g = grouped(PY_ZERO, |e| {
        e["checksum"] = json!("0123456789ABCDEF0123456789abcdef")
    });
    assert_eq!(
        (g.hashes, g.variant_names),
        (
            vec!["0123456789abcdef0123456789abcdef".to_string()],
            vec!["checksum"]
        )
    );
    let g = grouped(PY_ZERO, |e| e["checksum"] = json!("not-a-hash"));
    assert_eq!(g.hashes, [crate::grouping::hash::md5_hex(b"not-a-hash")]);
}

#[test]
fn nothing_contributing_gives_the_fallback_hash() {
    for ev in [
        json!({}),
        json!({"platform": "python", "exception": {"values": [{"mechanism": {"synthetic": true}}]}}),
    ] {
        let g = group_event(&ev);
        assert_eq!(g.hashes, ["d41d8cd98f00b204e9800998ecf8427e"], "{ev}");
        assert_eq!(g.variant_names, ["fallback"]);
    }
    let g = group_event(&json!({}));
    assert_eq!(
        (g.title.as_str(), g.culprit.as_str()),
        ("<unlabeled event>", "")
    );
}
