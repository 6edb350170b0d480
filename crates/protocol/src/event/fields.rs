//! In-place repairs of single fields, shared by the interface normalisers.
//!
//! Each takes the field's value at the current path and returns whether to
//! keep it. Interfaces are edited with `Map::retain` rather than rebuilt:
//! rebuilding re-hashes every key and reallocates every object, which cost
//! more than all the checks together.

use serde_json::Value;

use super::ctx::Ctx;
use super::trim::{bag, cap_string};

/// A string field: strings are cut to `max`, numbers and booleans become
/// their text, `null` is removed, anything else is noted and removed.
pub(crate) fn string(ctx: &mut Ctx, value: &mut Value, max: usize) -> bool {
    match value {
        Value::String(s) => {
            cap_string(ctx, s, max);
            true
        }
        Value::Number(n) => {
            *value = Value::String(n.to_string());
            true
        }
        Value::Bool(b) => {
            *value = Value::String(b.to_string());
            true
        }
        Value::Null => false,
        other => {
            ctx.invalid(other);
            false
        }
    }
}

/// A boolean field: only real booleans are kept (guessing from `"yes"` or
/// `1` could silently change grouping); `null` is removed quietly.
pub(crate) fn boolean(ctx: &mut Ctx, value: &mut Value) -> bool {
    match value {
        Value::Bool(_) => true,
        Value::Null => false,
        other => {
            ctx.invalid(other);
            false
        }
    }
}

/// An object field, bounded as a bag of `depth` levels.
pub(crate) fn object(ctx: &mut Ctx, value: &mut Value, depth: usize) -> bool {
    match value {
        Value::Object(_) => {
            bag(ctx, value, depth);
            true
        }
        Value::Null => false,
        other => {
            ctx.invalid(other);
            false
        }
    }
}

/// An identifier that may be a number or a string (thread ids).
pub(crate) fn id(ctx: &mut Ctx, value: &mut Value, max: usize) -> bool {
    match value {
        Value::Number(_) => true,
        Value::String(s) => {
            cap_string(ctx, s, max);
            true
        }
        Value::Null => false,
        other => {
            ctx.invalid(other);
            false
        }
    }
}

/// A field Moth does not interpret: kept within the bag limits.
pub(crate) fn any(ctx: &mut Ctx, value: &mut Value, depth: usize) -> bool {
    bag(ctx, value, depth);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn run(f: impl Fn(&mut Ctx, &mut Value) -> bool, v: Value) -> (Option<Value>, usize) {
        let limits = EventLimits {
            max_depth: 1,
            ..EventLimits::default()
        };
        let mut ctx = Ctx::new(&limits);
        let mut v = v;
        let keep = f(&mut ctx, &mut v);
        (keep.then_some(v), ctx.into_notes().len())
    }

    #[test]
    fn repairs() {
        let s = |ctx: &mut Ctx, v: &mut Value| string(ctx, v, 3);
        assert_eq!(run(s, json!("ab")), (Some(json!("ab")), 0));
        assert_eq!(run(s, json!("abcd")), (Some(json!("ab…")), 1));
        assert_eq!(run(s, json!(12)), (Some(json!("12")), 0));
        assert_eq!(run(s, json!(false)), (Some(json!("false")), 0));
        assert_eq!(run(s, json!(null)), (None, 0));
        assert_eq!(run(s, json!([1])), (None, 1));
        assert_eq!(run(boolean, json!(true)), (Some(json!(true)), 0));
        assert_eq!(run(boolean, json!("true")), (None, 1));
        assert_eq!(run(boolean, json!(null)), (None, 0));
        let o = |ctx: &mut Ctx, v: &mut Value| object(ctx, v, 1);
        assert_eq!(
            run(o, json!({"a": {"b": 1}})),
            (Some(json!({"a": "[too deep]"})), 1)
        );
        assert_eq!(run(o, json!("x")), (None, 1));
        let i = |ctx: &mut Ctx, v: &mut Value| id(ctx, v, 10);
        assert_eq!(run(i, json!(3)), (Some(json!(3)), 0));
        assert_eq!(run(i, json!("main")), (Some(json!("main")), 0));
        assert_eq!(run(i, json!({})), (None, 1));
        let a = |ctx: &mut Ctx, v: &mut Value| any(ctx, v, 1);
        assert_eq!(run(a, json!([1])), (Some(json!([1])), 0));
    }
}
