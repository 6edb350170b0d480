//! The message of an event: `logentry {message, formatted, params}` and the
//! legacy top-level `message` (sentry-protocol.md §6.2).

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::trim::{bag_at, cap_string_at};

/// Builds the normalised `logentry` from the `logentry` attribute (or its
/// alias) and the legacy `message`. The `logentry` wins when both exist,
/// as in Relay; the legacy `message` is then ignored.
pub(crate) fn normalize(
    ctx: &mut Ctx,
    logentry: Option<Value>,
    message: Option<Value>,
) -> Option<Value> {
    if let Some(logentry) = logentry.filter(|v| !v.is_null()) {
        return ctx.at("logentry", |ctx| from_value(ctx, logentry));
    }
    let message = message?;
    ctx.at("message", |ctx| from_value(ctx, message))
}

/// One `logentry`/`message` value in any accepted shape.
fn from_value(ctx: &mut Ctx, value: Value) -> Option<Value> {
    match value {
        Value::Object(map) => from_object(ctx, map),
        Value::String(s) => finish(ctx, Map::new(), None, Some(s), None),
        // `message: false` is what some SDKs send for "no message".
        Value::Null | Value::Bool(false) => None,
        other => finish(ctx, Map::new(), None, Some(other.to_string()), None),
    }
}

fn from_object(ctx: &mut Ctx, map: Map<String, Value>) -> Option<Value> {
    let mut message = None;
    let mut formatted = None;
    let mut params = None;
    let mut rest = Map::new();
    for (key, value) in map {
        match key.as_str() {
            "message" => message = text(ctx, "message", value),
            "formatted" => formatted = text(ctx, "formatted", value),
            "params" => match value {
                Value::Array(_) | Value::Object(_) => params = Some(value),
                Value::Null => {}
                other => ctx.invalid_at("params", &other),
            },
            _ => {
                rest.insert(key, value);
            }
        }
    }
    finish(ctx, rest, message, formatted, params)
}

/// A message string; other JSON becomes its text, as Relay does.
fn text(ctx: &mut Ctx, key: &str, value: Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s),
        Value::Null => None,
        Value::Array(_) | Value::Object(_) => {
            ctx.invalid_at(key, &value);
            Some(value.to_string())
        }
        other => Some(other.to_string()),
    }
}

fn finish(
    ctx: &mut Ctx,
    mut rest: Map<String, Value>,
    message: Option<String>,
    formatted: Option<String>,
    params: Option<Value>,
) -> Option<Value> {
    let message = message.filter(|s| !s.is_empty());
    let mut formatted = formatted.filter(|s| !s.is_empty());
    if message.is_none() && formatted.is_none() {
        return None;
    }
    if formatted.is_none() {
        if let (Some(template), Some(params)) = (&message, &params) {
            formatted = format_params(template, params);
        }
    }
    let max = ctx.limits.max_string;
    let depth = ctx.limits.max_depth;
    let mut out = Map::with_capacity(3 + rest.len());
    if let Some(mut m) = message {
        cap_string_at(ctx, &mut m, max, "message");
        out.insert("message".into(), Value::String(m));
    }
    if let Some(mut f) = formatted {
        cap_string_at(ctx, &mut f, max, "formatted");
        out.insert("formatted".into(), Value::String(f));
    }
    if let Some(mut p) = params {
        bag_at(ctx, "params", &mut p, depth);
        out.insert("params".into(), p);
    }
    for (key, mut value) in std::mem::take(&mut rest) {
        bag_at(ctx, &key, &mut value, depth);
        out.insert(key, value);
    }
    Some(Value::Object(out))
}

/// Fills a message template with its parameters, best effort, so that the
/// UI has a readable `formatted` when the SDK sent only the template.
///
/// Positional parameters (a list) replace `%s`, `%d`, `%i`, `%f`, `%r` and
/// `{}` in order, and `{0}`, `{1}`... by index; named parameters (an object)
/// replace `%(name)s` and `{name}`. `%%` is a literal `%`. String parameters
/// are inserted as they are, others as JSON text. A placeholder without a
/// parameter is left as written. Returns `None` when nothing was replaced.
pub(crate) fn format_params(template: &str, params: &Value) -> Option<String> {
    let mut out = String::with_capacity(template.len() + 16);
    let mut next = 0usize;
    let mut replaced = false;
    let mut rest = template;
    while let Some(pos) = rest.find(['%', '{']) {
        out.push_str(&rest[..pos]);
        let tail = &rest[pos..];
        let (consumed, value) = placeholder(tail, params, &mut next);
        match value {
            Some(v) => {
                replaced = true;
                push_param(&mut out, v);
            }
            None if tail.starts_with("%%") => out.push('%'),
            None => out.push_str(&tail[..consumed]),
        }
        rest = &tail[consumed..];
    }
    out.push_str(rest);
    replaced.then_some(out)
}

/// Recognises a placeholder at the start of `tail` (which starts with `%`
/// or `{`). Returns the bytes it spans and the parameter it names, if any.
fn placeholder<'p>(tail: &str, params: &'p Value, next: &mut usize) -> (usize, Option<&'p Value>) {
    let bytes = tail.as_bytes();
    match (bytes[0], bytes.get(1)) {
        (b'%', Some(b'%')) => (2, None),
        (b'%', Some(b's' | b'd' | b'i' | b'f' | b'r')) => (2, positional(params, next)),
        (b'%', Some(b'(')) => match tail.find(")s") {
            Some(end) => (end + 2, params.get(&tail[2..end])),
            None => (1, None),
        },
        (b'{', Some(b'}')) => (2, positional(params, next)),
        (b'{', Some(_)) => match tail.find('}') {
            Some(end) => {
                let inner = &tail[1..end];
                let value = match inner.parse::<usize>() {
                    Ok(i) => params.as_array().and_then(|a| a.get(i)),
                    Err(_) => params.as_object().and_then(|m| m.get(inner)),
                };
                if value.is_some() {
                    (end + 1, value)
                } else {
                    (1, None)
                }
            }
            None => (1, None),
        },
        _ => (1, None),
    }
}

fn positional<'p>(params: &'p Value, next: &mut usize) -> Option<&'p Value> {
    let value = params.as_array()?.get(*next)?;
    *next += 1;
    Some(value)
}

fn push_param(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => out.push_str(s),
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn run(logentry: Option<Value>, message: Option<Value>) -> (Option<Value>, Vec<Value>) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = normalize(&mut ctx, logentry, message);
        (out, ctx.into_notes())
    }

    #[test]
    fn legacy_message_shapes() {
        assert_eq!(
            run(None, Some(json!("hi"))).0,
            Some(json!({"formatted": "hi"}))
        );
        assert_eq!(run(None, Some(json!(false))).0, None);
        assert_eq!(run(None, Some(json!(null))).0, None);
        assert_eq!(run(None, Some(json!(""))).0, None);
        assert_eq!(
            run(None, Some(json!(42))).0,
            Some(json!({"formatted": "42"}))
        );
        assert_eq!(
            run(None, Some(json!(true))).0,
            Some(json!({"formatted": "true"}))
        );
        assert_eq!(
            run(None, Some(json!(["a", 1]))).0,
            Some(json!({"formatted": "[\"a\",1]"}))
        );
        // An object is a logentry.
        assert_eq!(
            run(None, Some(json!({"message": "a %s", "params": ["b"]}))).0,
            Some(json!({"message": "a %s", "formatted": "a b", "params": ["b"]}))
        );
    }

    #[test]
    fn logentry_wins_over_message() {
        let (out, _) = run(
            Some(json!({"formatted": "from logentry"})),
            Some(json!("legacy")),
        );
        assert_eq!(out, Some(json!({"formatted": "from logentry"})));
        let (out, _) = run(Some(json!(null)), Some(json!("legacy")));
        assert_eq!(out, Some(json!({"formatted": "legacy"})));
    }

    #[test]
    fn logentry_repairs() {
        let (out, notes) = run(
            Some(json!({"message": {"a": 1}, "params": "x", "other": "kept"})),
            None,
        );
        assert_eq!(out, Some(json!({"message": "{\"a\":1}", "other": "kept"})));
        let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["logentry.message", "logentry.params"]);
        assert_eq!(run(Some(json!({"params": [1]})), None).0, None);
        let limits = EventLimits {
            max_string: 4,
            ..EventLimits::default()
        };
        let mut ctx = Ctx::new(&limits);
        let out = normalize(&mut ctx, Some(json!({"formatted": "abcdef"})), None);
        assert_eq!(out, Some(json!({"formatted": "abc…"})));
        assert_eq!(ctx.into_notes()[0]["name"], "logentry.formatted");
    }

    #[test]
    fn formats_params() {
        let f = |t: &str, p: Value| format_params(t, &p);
        assert_eq!(
            f(
                "Failed to charge invoice %s for customer %s",
                json!(["INV-1", "cus_42"])
            )
            .as_deref(),
            Some("Failed to charge invoice INV-1 for customer cus_42")
        );
        assert_eq!(
            f("%d items, %r, 100%%", json!([3, "x"])).as_deref(),
            Some("3 items, x, 100%")
        );
        assert_eq!(
            f("{} and {}", json!([1, null])).as_deref(),
            Some("1 and null")
        );
        assert_eq!(f("{1} {0}", json!(["a", "b"])).as_deref(), Some("b a"));
        assert_eq!(
            f("%(user)s did {what}", json!({"user": "ada", "what": "it"})).as_deref(),
            Some("ada did it")
        );
        assert_eq!(f("%s %s", json!(["only"])).as_deref(), Some("only %s"));
        assert_eq!(f("{unknown} {", json!({"a": 1})), None);
        assert_eq!(f("no placeholders", json!(["x"])), None);
        assert_eq!(f("é%s€", json!(["ü"])).as_deref(), Some("éü€"));
    }
}
