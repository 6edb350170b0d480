//! The HTTP request interface (sentry-protocol.md §6.5): headers become a
//! list of `[name, value]` pairs, whatever shape they arrive in.

use serde_json::Value;

use super::ctx::Ctx;
use super::fields;
use super::trim::cap_string_at;

/// Normalises `request` (or its alias) at path `request`.
pub(crate) fn normalize_request(ctx: &mut Ctx, mut value: Value) -> Option<Value> {
    ctx.at("request", |ctx| {
        let Value::Object(map) = &mut value else {
            if !value.is_null() {
                ctx.invalid(&value);
            }
            return None;
        };
        let depth = ctx.limits.max_depth;
        let max_string = ctx.limits.max_string;
        map.retain(|key, value| {
            ctx.at(key, |ctx| match key.as_str() {
                "headers" => replace(value, |v| pairs(ctx, v)),
                "query_string" => replace(value, |v| query_string(ctx, v)),
                "method" => {
                    if let Value::String(s) = value {
                        s.make_ascii_uppercase();
                    }
                    fields::string(ctx, value, 64)
                }
                "url" | "fragment" | "inferred_content_type" | "api_target" | "protocol" => {
                    fields::string(ctx, value, max_string)
                }
                "env" => fields::object(ctx, value, depth),
                // `cookies` (string, object or pairs), `data` and unknown
                // keys are kept as sent, within the bag limits.
                _ => fields::any(ctx, value, depth),
            })
        });
        Some(value)
    })
}

/// Replaces a value by `f` of it; `None` removes it.
fn replace(value: &mut Value, f: impl FnOnce(Value) -> Option<Value>) -> bool {
    match f(value.take()) {
        Some(v) => {
            *value = v;
            true
        }
        None => false,
    }
}

/// `query_string`: a string (without a leading `?`) or a list of pairs; an
/// object becomes pairs.
fn query_string(ctx: &mut Ctx, value: Value) -> Option<Value> {
    match value {
        Value::String(s) => {
            let mut s = match s.strip_prefix('?') {
                Some(rest) => rest.to_owned(),
                None => s,
            };
            let max = ctx.limits.max_string;
            cap_string_at(ctx, &mut s, max, "");
            Some(Value::String(s))
        }
        Value::Array(_) | Value::Object(_) => pairs(ctx, value),
        Value::Null => None,
        other => {
            ctx.invalid(&other);
            None
        }
    }
}

/// Header-like data as a list of `[name, value]` string pairs, from an
/// object or a pair list. A list value (`{"Set-Cookie": ["a", "b"]}`) gives
/// one pair per entry; numbers and booleans become text; other entries are
/// dropped with a note.
pub(crate) fn pairs(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let entries: Vec<(Value, Value)> = match value {
        Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (Value::String(k), v))
            .collect(),
        Value::Array(items) => {
            let mut entries = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match item {
                    Value::Array(pair) if pair.len() == 2 => {
                        let mut pair = pair.into_iter();
                        let k = pair.next().unwrap_or(Value::Null);
                        let v = pair.next().unwrap_or(Value::Null);
                        entries.push((k, v));
                    }
                    other => ctx.invalid_at(&i.to_string(), &other),
                }
            }
            entries
        }
        Value::Null => return None,
        other => {
            ctx.invalid(&other);
            return None;
        }
    };
    let max_items = ctx.limits.max_items;
    let max_string = ctx.limits.max_string;
    let mut out: Vec<Value> = Vec::with_capacity(entries.len().min(max_items));
    let mut sent = 0usize;
    for (name, value) in entries {
        let Value::String(mut name) = name else {
            ctx.invalid_at(&out.len().to_string(), &name);
            continue;
        };
        let values = match value {
            Value::String(s) => vec![s],
            Value::Number(n) => vec![n.to_string()],
            Value::Bool(b) => vec![b.to_string()],
            Value::Null => continue,
            Value::Array(items) if items.iter().all(|v| v.is_string()) => items
                .into_iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s),
                    _ => None,
                })
                .collect(),
            other => {
                ctx.invalid_at(&name, &other);
                continue;
            }
        };
        let index = out.len();
        cap_string_at(ctx, &mut name, max_string, &index.to_string());
        for mut v in values {
            sent += 1;
            if out.len() >= max_items {
                continue;
            }
            cap_string_at(ctx, &mut v, max_string, &out.len().to_string());
            out.push(Value::Array(vec![
                Value::String(name.clone()),
                Value::String(v),
            ]));
        }
    }
    if sent > out.len() {
        ctx.too_many(sent, max_items);
    }
    Some(Value::Array(out))
}

/// The value of a header in a normalised pair list, matched without regard
/// to case.
pub(crate) fn header<'a>(request: Option<&'a Value>, name: &str) -> Option<&'a str> {
    request?
        .get("headers")?
        .as_array()?
        .iter()
        .filter_map(|pair| Some((pair.get(0)?.as_str()?, pair.get(1)?.as_str()?)))
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn run(v: Value) -> (Option<Value>, Vec<Value>) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = normalize_request(&mut ctx, v);
        (out, ctx.into_notes())
    }

    #[test]
    fn headers_become_pairs() {
        let (out, notes) = run(json!({
            "url": "http://x/a?b=1",
            "method": "post",
            "headers": {"User-Agent": "UA", "X-Num": 5, "Set-Cookie": ["a", "b"], "X-Null": null, "X-Obj": {"a": 1}},
        }));
        assert_eq!(
            out,
            Some(json!({
                "url": "http://x/a?b=1",
                "method": "POST",
                "headers": [["User-Agent", "UA"], ["X-Num", "5"], ["Set-Cookie", "a"], ["Set-Cookie", "b"]],
            }))
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(notes[0]["name"], "request.headers.X-Obj");
        assert_eq!(header(out.as_ref(), "user-agent"), Some("UA"));
        assert_eq!(header(out.as_ref(), "accept"), None);
    }

    #[test]
    fn pair_lists_and_query_strings() {
        let (out, notes) = run(json!({
            "headers": [["Accept", "*/*"], ["bad"], [1, "x"]],
            "query_string": "?a=1&b=2",
            "cookies": "session=abc",
            "data": {"k": "v"},
            "env": {"REMOTE_ADDR": "10.0.0.1"},
        }));
        assert_eq!(
            out,
            Some(json!({
                "headers": [["Accept", "*/*"]],
                "query_string": "a=1&b=2",
                "cookies": "session=abc",
                "data": {"k": "v"},
                "env": {"REMOTE_ADDR": "10.0.0.1"},
            }))
        );
        assert_eq!(notes.len(), 2);
        let (out, _) = run(json!({"query_string": {"a": "1"}}));
        assert_eq!(out, Some(json!({"query_string": [["a", "1"]]})));
        let (out, _) = run(json!({"query_string": [["a", "1"]]}));
        assert_eq!(out, Some(json!({"query_string": [["a", "1"]]})));
        let (out, notes) = run(json!({"query_string": 5, "env": "x", "headers": "h"}));
        assert_eq!(out, Some(json!({})));
        assert_eq!(notes.len(), 3);
    }

    #[test]
    fn non_object_request_is_dropped() {
        let (out, notes) = run(json!("GET /"));
        assert_eq!(out, None);
        assert_eq!(notes[0]["name"], "request");
    }

    #[test]
    fn header_count_is_capped() {
        let limits = EventLimits {
            max_items: 2,
            ..EventLimits::default()
        };
        let mut ctx = Ctx::new(&limits);
        let out = pairs(&mut ctx, json!({"a": "1", "b": ["2", "3"], "c": "4"}));
        assert_eq!(out, Some(json!([["a", "1"], ["b", "2"]])));
        assert_eq!(ctx.into_notes()[0]["value"], 4);
    }
}
