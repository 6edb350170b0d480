//! Simple top-level attributes: strings with their Sentry rules (`release`,
//! `dist`, `environment`, `logger`...), `fingerprint`, `modules`, `extra`.

use serde_json::{json, Map, Value};

use super::ctx::{note, Ctx};
use super::trim::{bag, cap_string, longer_than};

/// Longest `release` Sentry accepts.
pub(crate) const MAX_RELEASE: usize = 200;
/// Longest `environment` and `dist`.
pub(crate) const MAX_ENVIRONMENT: usize = 64;
/// Longest `logger` and `platform`.
pub(crate) const MAX_LOGGER: usize = 64;
/// Longest `transaction` and `culprit`.
pub(crate) const MAX_TRANSACTION: usize = 200;

/// Reads a string leniently: numbers and booleans become their JSON text
/// (SDKs send numeric user ids and versions), `null` is absent, anything
/// else is noted as invalid and dropped. Runs at the current path.
pub(crate) fn lenient_string(ctx: &mut Ctx, value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => {
            ctx.invalid(&other);
            None
        }
    }
}

/// A free-text attribute cut to `max` characters (`logger`, `transaction`,
/// `culprit`, `server_name`, `platform`...). Empty strings are absent.
pub(crate) fn text(ctx: &mut Ctx, value: Value, max: usize) -> Option<String> {
    let mut s = lenient_string(ctx, value)?;
    cap_string(ctx, &mut s, max);
    (!s.is_empty()).then_some(s)
}

/// An identifier attribute: trimmed, empty is absent, and a value that is
/// too long or breaks `valid` is dropped with a note rather than cut: a
/// shortened release or environment would be a different one.
fn identifier(
    ctx: &mut Ctx,
    value: Value,
    max: usize,
    valid: impl Fn(&str) -> bool,
) -> Option<String> {
    let s = lenient_string(ctx, value)?;
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if longer_than(s, max) {
        ctx.note(
            note::VALUE_TOO_LONG,
            "",
            Value::String(crate::repr::short_json(&json!(s))),
            &[("length", json!(s.chars().count())), ("max", json!(max))],
        );
        return None;
    }
    if !valid(s) {
        ctx.invalid(&json!(s));
        return None;
    }
    Some(s.to_owned())
}

/// `release`: at most 200 characters, no `/`, `\r`, `\n`, `\t`, and not
/// `.`, `..` or `latest` (Sentry's release-name rules). `my-app@1.2.3+abc`
/// and `frontend@2024-05-01` are fine.
pub(crate) fn release(ctx: &mut Ctx, value: Value) -> Option<String> {
    identifier(ctx, value, MAX_RELEASE, |s| {
        !s.contains(['/', '\r', '\n', '\t', '\x0c'])
            && !matches!(s, "." | "..")
            && !s.eq_ignore_ascii_case("latest")
    })
}

/// `dist`: at most 64 characters of `[A-Za-z0-9_.-]`.
pub(crate) fn dist(ctx: &mut Ctx, value: Value) -> Option<String> {
    identifier(ctx, value, MAX_ENVIRONMENT, |s| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    })
}

/// `environment`: at most 64 characters, no `/` or line breaks (Sentry's
/// environment-name rules).
pub(crate) fn environment(ctx: &mut Ctx, value: Value) -> Option<String> {
    identifier(ctx, value, MAX_ENVIRONMENT, |s| {
        !s.contains(['/', '\r', '\n', '\x0c'])
    })
}

/// `fingerprint`: a list of strings. Numbers and booleans become their
/// text, other entries their JSON text, `null` entries are dropped; a
/// non-list is dropped with a note.
pub(crate) fn fingerprint(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Array(items) = value else {
        if !value.is_null() {
            ctx.invalid(&value);
        }
        return None;
    };
    let max_items = ctx.limits.max_items;
    let max_string = ctx.limits.max_string;
    if items.len() > max_items {
        ctx.too_many(items.len(), max_items);
    }
    let mut out = Vec::with_capacity(items.len().min(max_items));
    for (i, item) in items.into_iter().take(max_items).enumerate() {
        let mut s = match item {
            Value::String(s) => s,
            Value::Null => continue,
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        ctx.at_index(i, |ctx| cap_string(ctx, &mut s, max_string));
        out.push(Value::String(s));
    }
    Some(Value::Array(out))
}

/// `modules`: `{name: version}` with string versions.
pub(crate) fn modules(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        if !value.is_null() {
            ctx.invalid(&value);
        }
        return None;
    };
    let mut out = Map::with_capacity(map.len());
    for (name, version) in map {
        let version = ctx.at(&name, |ctx| lenient_string(ctx, version));
        if let Some(version) = version {
            out.insert(name, Value::String(version));
        }
    }
    let mut out = Value::Object(out);
    bag(ctx, &mut out, 1);
    Some(out)
}

/// An attribute that must be an object (`extra`, `sdk`): bounded like any
/// bag, dropped with a note when it is something else.
pub(crate) fn object_bag(ctx: &mut Ctx, value: Value) -> Option<Value> {
    match value {
        Value::Object(_) => {
            let mut value = value;
            let depth = ctx.limits.max_depth;
            bag(ctx, &mut value, depth);
            Some(value)
        }
        Value::Null => None,
        other => {
            ctx.invalid(&other);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;

    fn run<T>(f: impl FnOnce(&mut Ctx) -> T) -> (T, Vec<Value>) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = ctx.at("attr", f);
        (out, ctx.into_notes())
    }

    #[test]
    fn releases() {
        for ok in ["my-app@1.2.3", "frontend@2024-05-01", "1.0", " v2 ", "a b"] {
            let (r, notes) = run(|ctx| release(ctx, json!(ok)));
            assert_eq!(r.as_deref(), Some(ok.trim()), "{ok}");
            assert!(notes.is_empty());
        }
        let (r, _) = run(|ctx| release(ctx, json!(12)));
        assert_eq!(r.as_deref(), Some("12"));
        for bad in ["a/b", "a\nb", ".", "..", "latest", "LATEST"] {
            let (r, notes) = run(|ctx| release(ctx, json!(bad)));
            assert_eq!(r, None, "{bad}");
            assert_eq!(notes[0]["type"], "invalid_data");
            assert_eq!(notes[0]["name"], "attr");
        }
        let (r, notes) = run(|ctx| release(ctx, json!("x".repeat(201))));
        assert_eq!(r, None);
        assert_eq!(notes[0]["type"], "value_too_long");
        let (r, notes) = run(|ctx| release(ctx, json!("")));
        assert_eq!((r, notes.len()), (None, 0));
        let (r, notes) = run(|ctx| release(ctx, json!({"v": 1})));
        assert_eq!((r, notes.len()), (None, 1));
    }

    #[test]
    fn dists_and_environments() {
        assert_eq!(
            run(|ctx| dist(ctx, json!("build.1-a_b"))).0.as_deref(),
            Some("build.1-a_b")
        );
        assert_eq!(run(|ctx| dist(ctx, json!("a b"))).0, None);
        assert_eq!(run(|ctx| dist(ctx, json!(42))).0.as_deref(), Some("42"));
        assert_eq!(
            run(|ctx| environment(ctx, json!("staging eu")))
                .0
                .as_deref(),
            Some("staging eu")
        );
        assert_eq!(run(|ctx| environment(ctx, json!("a/b"))).0, None);
        assert_eq!(run(|ctx| environment(ctx, json!("e".repeat(65)))).0, None);
        assert_eq!(
            run(|ctx| environment(ctx, json!("e".repeat(64))))
                .0
                .map(|s| s.len()),
            Some(64)
        );
    }

    #[test]
    fn text_is_cut_not_dropped() {
        let (t, notes) = run(|ctx| text(ctx, json!("x".repeat(70)), MAX_LOGGER));
        assert_eq!(t.unwrap().chars().count(), 64);
        assert_eq!(notes[0]["type"], "value_too_long");
        assert_eq!(run(|ctx| text(ctx, json!(""), 5)).0, None);
        assert_eq!(
            run(|ctx| text(ctx, json!(true), 5)).0.as_deref(),
            Some("true")
        );
    }

    #[test]
    fn fingerprints() {
        let (f, notes) =
            run(|ctx| fingerprint(ctx, json!(["{{ default }}", 1, true, null, {"a": 1}])));
        assert_eq!(f, Some(json!(["{{ default }}", "1", "true", "{\"a\":1}"])));
        assert!(notes.is_empty());
        let (f, notes) = run(|ctx| fingerprint(ctx, json!("x")));
        assert_eq!(f, None);
        assert_eq!(notes[0]["type"], "invalid_data");
    }

    #[test]
    fn modules_and_bags() {
        let (m, notes) = run(|ctx| modules(ctx, json!({"a": "1.0", "b": 2, "c": [1]})));
        assert_eq!(m, Some(json!({"a": "1.0", "b": "2"})));
        assert_eq!(notes[0]["name"], "attr.c");
        let (e, notes) = run(|ctx| object_bag(ctx, json!([1])));
        assert_eq!(e, None);
        assert_eq!(notes.len(), 1);
        let (e, notes) = run(|ctx| object_bag(ctx, json!({"k": "v"})));
        assert_eq!(e, Some(json!({"k": "v"})));
        assert!(notes.is_empty());
    }
}
