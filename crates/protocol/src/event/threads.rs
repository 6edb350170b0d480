//! Threads (sentry-protocol.md §6.5): `{"values": [...]}`, each thread with
//! an optional stack trace.

use serde_json::{Map, Value};

use super::attrs::lenient_string;
use super::ctx::Ctx;
use super::stacktrace::normalize_stacktrace;
use super::trim::{bag_at, cap_string_at};
use super::values::take_values;

/// Normalises `threads` at path `threads`; returns the threads kept.
pub(crate) fn normalize_threads(ctx: &mut Ctx, value: Value) -> Vec<Value> {
    ctx.at("threads", |ctx| {
        let mut values = take_values(ctx, value, false);
        ctx.at("values", |ctx| {
            let max = ctx.limits.max_threads;
            if values.len() > max {
                ctx.too_many(values.len(), max);
                values.truncate(max);
            }
            let mut out = Vec::with_capacity(values.len());
            for value in values {
                let index = out.len();
                if let Some(t) = ctx.at_index(index, |ctx| normalize_thread(ctx, value)) {
                    out.push(t);
                }
            }
            out
        })
    })
}

fn normalize_thread(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        ctx.invalid(&value);
        return None;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        let value = match key.as_str() {
            "stacktrace" | "raw_stacktrace" => ctx.at(&key, |ctx| normalize_stacktrace(ctx, value)),
            "crashed" | "current" | "main" => match value {
                Value::Bool(_) => Some(value),
                Value::Null => None,
                other => {
                    ctx.invalid_at(&key, &other);
                    None
                }
            },
            "id" => match value {
                Value::Number(_) | Value::String(_) => Some(value),
                Value::Null => None,
                other => {
                    ctx.invalid_at("id", &other);
                    None
                }
            },
            "name" | "state" => ctx.at(&key, |ctx| {
                let mut s = lenient_string(ctx, value)?;
                cap_string_at(ctx, &mut s, max_string, "");
                Some(Value::String(s))
            }),
            _ => {
                let mut value = value;
                bag_at(ctx, &key, &mut value, depth);
                Some(value)
            }
        };
        if let Some(value) = value {
            out.insert(key, value);
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    #[test]
    fn threads_are_normalised() {
        let limits = EventLimits {
            max_threads: 2,
            ..EventLimits::default()
        };
        let mut ctx = Ctx::new(&limits);
        let out = normalize_threads(
            &mut ctx,
            json!([
                {"id": 1, "crashed": "yes", "stacktrace": {"frames": [{"function": "f", "lineno": "3"}]}},
                "not a thread",
                {"id": 3},
            ]),
        );
        assert_eq!(
            out,
            vec![json!({"id": 1, "stacktrace": {"frames": [{"function": "f", "lineno": 3}]}})]
        );
        let names: Vec<_> = ctx
            .into_notes()
            .into_iter()
            .map(|n| n["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            names,
            [
                "threads.values",
                "threads.values.0.crashed",
                "threads.values.1"
            ]
        );
    }

    #[test]
    fn container_object_is_accepted() {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = normalize_threads(&mut ctx, json!({"values": [{"id": "main", "main": true}]}));
        assert_eq!(out, vec![json!({"id": "main", "main": true})]);
        assert!(ctx.into_notes().is_empty());
    }
}
