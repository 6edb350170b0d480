//! Breadcrumbs (sentry-protocol.md §6.5): `{"values": [...]}`, oldest first,
//! at most `max_breadcrumbs` of the most recent kept.

use serde_json::{Map, Value};

use super::attrs::lenient_string;
use super::ctx::Ctx;
use super::level::Level;
use super::timestamp::{format_timestamp, parse_timestamp};
use super::trim::{bag_at, cap_string_at};
use super::values::take_values;

/// Normalises `breadcrumbs` (or its alias) at path `breadcrumbs`; returns
/// the crumbs kept.
pub(crate) fn normalize_breadcrumbs(ctx: &mut Ctx, value: Value) -> Vec<Value> {
    ctx.at("breadcrumbs", |ctx| {
        let mut values = take_values(ctx, value, false);
        ctx.at("values", |ctx| {
            let max = ctx.limits.max_breadcrumbs;
            if values.len() > max {
                // The crumbs just before the error tell the story.
                let sent = values.len();
                values.drain(..sent - max);
                ctx.too_many(sent, max);
            }
            let mut out = Vec::with_capacity(values.len());
            for value in values {
                let index = out.len();
                if let Some(b) = ctx.at_index(index, |ctx| normalize_crumb(ctx, value)) {
                    out.push(b);
                }
            }
            out
        })
    })
}

fn normalize_crumb(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        ctx.invalid(&value);
        return None;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    let mut out = Map::with_capacity(map.len());
    for (key, value) in map {
        let value = match key.as_str() {
            "timestamp" => match parse_timestamp(&value) {
                Some(t) => Some(Value::String(format_timestamp(t))),
                None => {
                    if !value.is_null() {
                        ctx.invalid_at("timestamp", &value);
                    }
                    None
                }
            },
            "level" => match Level::from_json(&value) {
                Some(level) => Some(Value::String(level.as_str().into())),
                None => {
                    if !value.is_null() {
                        ctx.invalid_at("level", &value);
                    }
                    None
                }
            },
            "type" | "category" | "message" => ctx.at(&key, |ctx| {
                let mut s = lenient_string(ctx, value)?;
                cap_string_at(ctx, &mut s, max_string, "");
                Some(Value::String(s))
            }),
            "data" => match value {
                Value::Object(_) => {
                    let mut value = value;
                    bag_at(ctx, "data", &mut value, depth);
                    Some(value)
                }
                Value::Null => None,
                other => {
                    ctx.invalid_at("data", &other);
                    None
                }
            },
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

    fn run(limits: EventLimits, v: Value) -> (Vec<Value>, Vec<Value>) {
        let mut ctx = Ctx::new(&limits);
        let out = normalize_breadcrumbs(&mut ctx, v);
        (out, ctx.into_notes())
    }

    #[test]
    fn bare_list_and_timestamps() {
        let (out, notes) = run(
            EventLimits::default(),
            json!([
                {"timestamp": 1795348425.307, "category": "auth", "message": "in", "level": "warn"},
                {"timestamp": "2026-11-22T11:53:23.841494Z", "data": {"rows": 1}},
                {"timestamp": "soon", "level": "loud", "data": "x"},
                7,
            ]),
        );
        assert_eq!(
            out,
            vec![
                json!({"timestamp": "2026-11-22T11:53:45.307000Z", "category": "auth", "message": "in", "level": "warning"}),
                json!({"timestamp": "2026-11-22T11:53:23.841494Z", "data": {"rows": 1}}),
                json!({}),
            ]
        );
        let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "breadcrumbs.values.2.timestamp",
                "breadcrumbs.values.2.level",
                "breadcrumbs.values.2.data",
                "breadcrumbs.values.3"
            ]
        );
    }

    #[test]
    fn keeps_the_most_recent() {
        let crumbs: Vec<Value> = (0..150)
            .map(|i| json!({"message": i.to_string()}))
            .collect();
        let (out, notes) = run(EventLimits::default(), json!({ "values": crumbs }));
        assert_eq!(out.len(), 100);
        assert_eq!(out[0]["message"], "50");
        assert_eq!(out[99]["message"], "149");
        assert_eq!(
            notes,
            vec![
                json!({"type": "too_many_items", "name": "breadcrumbs.values", "value": 150, "max": 100})
            ]
        );
    }
}
