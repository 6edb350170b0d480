//! Short, bounded renderings of untrusted JSON values for error messages and
//! `errors[]` notes: a hostile payload must not make an error message huge.

use serde_json::Value;

/// Longest rendering in characters (the ellipsis included).
pub(crate) const SHORT_REPR_CHARS: usize = 64;

/// The value as compact JSON, cut to [`SHORT_REPR_CHARS`] characters with a
/// trailing `…` when longer. Large containers are not serialised in full:
/// only enough of them is written to fill the budget.
pub(crate) fn short_json(value: &Value) -> String {
    let mut out = String::new();
    write_bounded(value, &mut out, SHORT_REPR_CHARS * 4);
    cut_chars(out, SHORT_REPR_CHARS)
}

/// Cuts a string to `max` characters, the last being `…` when it was longer.
pub(crate) fn cut_chars(mut s: String, max: usize) -> String {
    if s.len() <= max {
        return s;
    }
    if let Some((idx, _)) = s.char_indices().nth(max.saturating_sub(1)) {
        s.truncate(idx);
        s.push('…');
    }
    s
}

/// Writes compact JSON until `out` holds at least `budget` bytes, then stops.
fn write_bounded(value: &Value, out: &mut String, budget: usize) {
    if out.len() >= budget {
        return;
    }
    match value {
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if out.len() >= budget {
                    return;
                }
                if i > 0 {
                    out.push(',');
                }
                write_bounded(item, out, budget);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if out.len() >= budget {
                    return;
                }
                if i > 0 {
                    out.push(',');
                }
                write_bounded(&Value::String(cut_chars(key.clone(), budget)), out, budget);
                out.push(':');
                write_bounded(item, out, budget);
            }
            out.push('}');
        }
        Value::String(s) if s.len() > budget => {
            // Only the head matters; avoid escaping megabytes.
            let head = cut_chars(s.clone(), budget);
            out.push_str(&Value::String(head).to_string());
        }
        other => out.push_str(&other.to_string()),
    }
}

/// A human name for the JSON type of a value ("an object", "a string"...).
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn short_values_are_plain_json() {
        assert_eq!(short_json(&json!("a\"b")), r#""a\"b""#);
        assert_eq!(
            short_json(&json!({"k": [1, true, null]})),
            r#"{"k":[1,true,null]}"#
        );
    }

    #[test]
    fn long_values_are_cut() {
        let long = "é".repeat(10_000);
        let r = short_json(&json!(long));
        assert_eq!(r.chars().count(), SHORT_REPR_CHARS);
        assert!(r.ends_with('…'));
        let big: Vec<u32> = (0..100_000).collect();
        let r = short_json(&json!(big));
        assert_eq!(r.chars().count(), SHORT_REPR_CHARS);
        assert!(r.starts_with("[0,1,2,"));
    }

    #[test]
    fn cut_keeps_short_strings() {
        assert_eq!(cut_chars("abc".into(), 3), "abc");
        assert_eq!(cut_chars("abcd".into(), 3), "ab…");
    }
}
