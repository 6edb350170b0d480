//! Exceptions (sentry-protocol.md §6.3): always `{"values": [...]}`, oldest
//! cause first, the exception actually raised last.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::fields;
use super::stacktrace::normalize_in_place;
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
    let mut index = 0;
    values.retain_mut(|exc| {
        let keep = ctx.at_index(index, |ctx| normalize_exception(ctx, exc));
        index += usize::from(keep);
        keep
    });
    values
}

/// Normalises one exception in place; it is dropped (with a note) when it
/// is not an object or has neither a type nor a value.
fn normalize_exception(ctx: &mut Ctx, exc: &mut Value) -> bool {
    let Value::Object(map) = exc else {
        ctx.invalid(exc);
        return false;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match key.as_str() {
            "type" => fields::string(ctx, value, MAX_TYPE),
            // Non-string values become JSON text, as in Relay.
            "value" => {
                if !value.is_string() && !value.is_null() {
                    *value = Value::String(value.to_string());
                }
                fields::string(ctx, value, max_string)
            }
            "stacktrace" | "raw_stacktrace" => normalize_in_place(ctx, value),
            "mechanism" => normalize_mechanism(ctx, value),
            "module" => fields::string(ctx, value, max_string),
            "thread_id" => fields::id(ctx, value, max_string),
            _ => fields::any(ctx, value, depth),
        })
    });
    let non_empty = |map: &Map<String, Value>, key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
    };
    if !non_empty(map, "type") {
        map.shift_remove("type");
        let split = map
            .get("value")
            .and_then(Value::as_str)
            .and_then(split_type_value);
        if let Some((ty, value)) = split {
            map.shift_insert(0, "type".into(), Value::String(ty));
            map.insert("value".into(), Value::String(value));
        }
    }
    if !non_empty(map, "value") {
        map.shift_remove("value");
    }
    if !map.contains_key("type") && !map.contains_key("value") {
        ctx.invalid(exc);
        return false;
    }
    true
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
/// requires one), and the flags and ids are kept only when well-typed.
fn normalize_mechanism(ctx: &mut Ctx, value: &mut Value) -> bool {
    let Value::Object(map) = value else {
        if !value.is_null() {
            ctx.invalid(value);
        }
        return false;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match key.as_str() {
            "type" => fields::string(ctx, value, MAX_TYPE),
            "handled" | "synthetic" | "is_exception_group" => fields::boolean(ctx, value),
            "exception_id" | "parent_id" => match value {
                Value::Number(n) if n.is_u64() => true,
                Value::Null => false,
                other => {
                    ctx.invalid(other);
                    false
                }
            },
            "description" | "help_link" | "source" => fields::string(ctx, value, max_string),
            _ => fields::any(ctx, value, depth),
        })
    });
    if !map.contains_key("type") {
        map.shift_insert(0, "type".into(), Value::String("generic".into()));
    }
    true
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
