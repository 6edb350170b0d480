//! Threads (sentry-protocol.md §6.5): `{"values": [...]}`, each thread with
//! an optional stack trace.

use serde_json::Value;

use super::ctx::Ctx;
use super::fields;
use super::stacktrace::normalize_in_place;
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
            let mut index = 0;
            values.retain_mut(|thread| {
                let keep = ctx.at_index(index, |ctx| normalize_thread(ctx, thread));
                index += usize::from(keep);
                keep
            });
            values
        })
    })
}

fn normalize_thread(ctx: &mut Ctx, thread: &mut Value) -> bool {
    let Value::Object(map) = thread else {
        ctx.invalid(thread);
        return false;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match key.as_str() {
            "stacktrace" | "raw_stacktrace" => normalize_in_place(ctx, value),
            "crashed" | "current" | "main" => fields::boolean(ctx, value),
            "id" => fields::id(ctx, value, max_string),
            "name" | "state" => fields::string(ctx, value, max_string),
            _ => fields::any(ctx, value, depth),
        })
    });
    true
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
