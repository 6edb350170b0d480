//! The `{"values": [...]}` containers (`exception`, `threads`,
//! `breadcrumbs`), which SDKs also send as bare lists.

use serde_json::Value;

use super::ctx::Ctx;

/// Extracts the list from a container at the current path: `{values: [...]}`
/// or a bare list; with `single_object`, also one bare entry object (old
/// SDKs send `exception: {type, value}`). Anything else is noted and empty.
pub(crate) fn take_values(ctx: &mut Ctx, value: Value, single_object: bool) -> Vec<Value> {
    match value {
        Value::Object(mut map) if map.contains_key("values") => {
            match map.remove("values").unwrap_or(Value::Null) {
                Value::Array(values) => values,
                Value::Null => Vec::new(),
                obj @ Value::Object(_) if single_object => vec![obj],
                other => {
                    ctx.invalid_at("values", &other);
                    Vec::new()
                }
            }
        }
        Value::Object(map) if map.is_empty() => Vec::new(),
        obj @ Value::Object(_) if single_object => vec![obj],
        Value::Array(values) => values,
        Value::Null => Vec::new(),
        other => {
            ctx.invalid(&other);
            Vec::new()
        }
    }
}

/// Wraps a list back into the canonical container.
pub(crate) fn container(values: Vec<Value>) -> Value {
    let mut map = serde_json::Map::with_capacity(1);
    map.insert("values".into(), Value::Array(values));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn take(v: Value, single: bool) -> (Vec<Value>, usize) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = take_values(&mut ctx, v, single);
        (out, ctx.into_notes().len())
    }

    #[test]
    fn shapes() {
        assert_eq!(
            take(json!({"values": [1, 2]}), false),
            (vec![json!(1), json!(2)], 0)
        );
        assert_eq!(take(json!([1]), false), (vec![json!(1)], 0));
        assert_eq!(take(json!({"values": null}), false), (vec![], 0));
        assert_eq!(take(json!({}), true), (vec![], 0));
        assert_eq!(
            take(json!({"type": "E"}), true),
            (vec![json!({"type": "E"})], 0)
        );
        assert_eq!(
            take(json!({"values": {"type": "E"}}), true),
            (vec![json!({"type": "E"})], 0)
        );
        assert_eq!(take(json!({"type": "E"}), false), (vec![], 1));
        assert_eq!(take(json!("x"), true), (vec![], 1));
        assert_eq!(take(json!({"values": 3}), true), (vec![], 1));
        assert_eq!(container(vec![json!(1)]), json!({"values": [1]}));
    }
}
