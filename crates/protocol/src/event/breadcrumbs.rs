//! Breadcrumbs (sentry-protocol.md §6.5): `{"values": [...]}`, oldest first,
//! at most `max_breadcrumbs` of the most recent kept.

use serde_json::Value;

use super::ctx::Ctx;
use super::fields;
use super::level::Level;
use super::timestamp::{format_timestamp, parse_timestamp};
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
            let mut index = 0;
            values.retain_mut(|crumb| {
                let keep = ctx.at_index(index, |ctx| normalize_crumb(ctx, crumb));
                index += usize::from(keep);
                keep
            });
            values
        })
    })
}

fn normalize_crumb(ctx: &mut Ctx, crumb: &mut Value) -> bool {
    let Value::Object(map) = crumb else {
        ctx.invalid(crumb);
        return false;
    };
    let depth = ctx.limits.max_depth;
    let max_string = ctx.limits.max_string;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match key.as_str() {
            "timestamp" => match parse_timestamp(value) {
                Some(t) => {
                    *value = Value::String(format_timestamp(t));
                    true
                }
                None => invalid(ctx, value),
            },
            "level" => match Level::from_json(value) {
                Some(level) => {
                    if value.as_str() != Some(level.as_str()) {
                        *value = Value::String(level.as_str().into());
                    }
                    true
                }
                None => invalid(ctx, value),
            },
            "type" | "category" | "message" => fields::string(ctx, value, max_string),
            "data" => fields::object(ctx, value, depth),
            _ => fields::any(ctx, value, depth),
        })
    });
    true
}

/// Notes an unusable value (unless `null`) and drops it.
fn invalid(ctx: &mut Ctx, value: &Value) -> bool {
    if !value.is_null() {
        ctx.invalid(value);
    }
    false
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
