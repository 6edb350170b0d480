//! Exceptions (sentry-protocol.md §6.3): always `{"values": [...]}`, oldest
//! cause first, the exception actually raised last.

use serde_json::{Map, Value};

use super::attrs::lenient_string;
use super::ctx::Ctx;
use super::stacktrace::normalize_stacktrace;
use super::trim::{bag_at, cap_string_at};
use super::values::take_values;

/// Longest exception `type` (Relay's limit).
const MAX_TYPE: usize = 256;

/// Normalises the `exception` attribute (or its alias) at path `exception`.
/// Accepts `{values: [...]}`, a bare list, or one exception object.
/// Returns the list of exceptions kept (possibly empty).
pub(crate) fn normalize_exceptions(ctx: &mut Ctx, value: Value) -> Vec<Value> {
    ctx.at("exception", |ctx| {
        let values = take_values(ctx, value, true);
        ctx.at("values", |ctx| normalize_list(ctx, values))
    })
}

fn normalize_list(ctx: &mut Ctx, mut values: Vec<Value>) -> Vec<Value> {
    let max = ctx.limits.max_exceptions;
    if values.len() > max {
        // The last exception is the one raised; the oldest causes go.
        let sent = values.len();
        values.drain(..sent - max);
        ctx.too_many(sent, max);
    }
    let mut out = Vec::with_capacity(values.len());
    for value in values {
        let index = out.len();
        if let Some(exc) = ctx.at_index(index, |ctx| normalize_exception(ctx, value)) {
            out.push(exc);
        }
    }
    out
}

/// Normalises one exception; it is dropped (with a note) when it is not an
/// object or has neither a type nor a value.
fn normalize_exception(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        ctx.invalid(&value);
        return None;
    };
    let depth = ctx.limits.max_depth;
    let mut ty: Option<String> = None;
    let mut val: Option<String> = None;
    let mut out = Map::with_capacity(map.len() + 2);
    for (key, value) in map {
        match key.as_str() {
            "type" => ty = ctx.at("type", |ctx| lenient_string(ctx, value)),
            // Non-string values are JSON text, as in Relay.
            "value" => {
                val = match value {
                    Value::String(s) => Some(s),
                    Value::Null => None,
                    other => Some(other.to_string()),
                }
            }
            "stacktrace" | "raw_stacktrace" => {
                if let Some(st) = ctx.at(&key, |ctx| normalize_stacktrace(ctx, value)) {
                    out.insert(key, st);
                }
            }
            "mechanism" => {
                if let Some(m) = ctx.at("mechanism", |ctx| normalize_mechanism(ctx, value)) {
                    out.insert(key, m);
                }
            }
            "module" => {
                if let Some(s) = ctx.at("module", |ctx| lenient_string(ctx, value)) {
                    out.insert(key, Value::String(s));
                }
            }
            "thread_id" => match value {
                Value::Number(_) | Value::String(_) => {
                    out.insert(key, value);
                }
                Value::Null => {}
                other => ctx.invalid_at("thread_id", &other),
            },
            _ => {
                let mut value = value;
                bag_at(ctx, &key, &mut value, depth);
                out.insert(key, value);
            }
        }
    }
    let mut ty = ty.filter(|s| !s.is_empty());
    let mut val = val.filter(|s| !s.is_empty());
    if ty.is_none() {
        if let Some((t, v)) = val.as_deref().and_then(split_type_value) {
            ty = Some(t);
            val = Some(v);
        }
    }
    if ty.is_none() && val.is_none() {
        ctx.invalid(&Value::Object(out));
        return None;
    }
    let max_string = ctx.limits.max_string;
    // Written first so that stored events read naturally.
    let mut head = Map::with_capacity(out.len() + 2);
    if let Some(mut t) = ty {
        cap_string_at(ctx, &mut t, MAX_TYPE, "type");
        head.insert("type".into(), Value::String(t));
    }
    if let Some(mut v) = val {
        cap_string_at(ctx, &mut v, max_string, "value");
        head.insert("value".into(), Value::String(v));
    }
    head.extend(out);
    Some(Value::Object(head))
}

/// Relay's rule for exceptions sent with only a value such as
/// `"ValueError: bad input"`: the value must match `^(\w+):(.*)$` (no line
/// break after the colon); the type is the word, the value the trimmed rest.
fn split_type_value(value: &str) -> Option<(String, String)> {
    let (ty, rest) = value.split_once(':')?;
    if ty.is_empty() || !ty.chars().all(|c| c.is_alphanumeric() || c == '_') || rest.contains('\n')
    {
        return None;
    }
    Some((ty.to_owned(), rest.trim().to_owned()))
}

/// `mechanism` must be an object; `type` defaults to `generic` (Relay
/// requires one), and the boolean flags are kept only when boolean.
fn normalize_mechanism(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        if !value.is_null() {
            ctx.invalid(&value);
        }
        return None;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    let mut out = Map::with_capacity(map.len() + 1);
    for (key, value) in map {
        match key.as_str() {
            "type" => {
                if let Some(mut s) = ctx.at("type", |ctx| lenient_string(ctx, value)) {
                    cap_string_at(ctx, &mut s, MAX_TYPE, "type");
                    out.insert(key, Value::String(s));
                }
            }
            "handled" | "synthetic" | "is_exception_group" => match value {
                Value::Bool(_) => {
                    out.insert(key, value);
                }
                Value::Null => {}
                other => ctx.invalid_at(&key, &other),
            },
            "exception_id" | "parent_id" => match value {
                Value::Number(ref n) if n.as_u64().is_some() => {
                    out.insert(key, value);
                }
                Value::Null => {}
                other => ctx.invalid_at(&key, &other),
            },
            "description" | "help_link" | "source" => {
                if let Some(mut s) = ctx.at(&key, |ctx| lenient_string(ctx, value)) {
                    cap_string_at(ctx, &mut s, max_string, &key);
                    out.insert(key, Value::String(s));
                }
            }
            _ => {
                let mut value = value;
                bag_at(ctx, &key, &mut value, depth);
                out.insert(key, value);
            }
        }
    }
    if !out.contains_key("type") {
        let mut with_type = Map::with_capacity(out.len() + 1);
        with_type.insert("type".into(), Value::String("generic".into()));
        with_type.extend(out);
        out = with_type;
    }
    Some(Value::Object(out))
}

/// Moves the deprecated top-level stack trace into the one exception that
/// lacks a stack trace, when exactly one does. Returns the stack trace back
/// when it was not moved.
pub(crate) fn adopt_stacktrace(exceptions: &mut [Value], stacktrace: Value) -> Option<Value> {
    let mut without = exceptions
        .iter_mut()
        .filter(|e| e.get("stacktrace").is_none());
    match (without.next(), without.next()) {
        (Some(Value::Object(exc)), None) => {
            exc.insert("stacktrace".into(), stacktrace);
            None
        }
        _ => Some(stacktrace),
    }
}

#[cfg(test)]
#[path = "exception_tests.rs"]
mod tests;
