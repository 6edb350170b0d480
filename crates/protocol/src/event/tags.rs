//! Event tags (sentry-protocol.md §6.5): a list of `[key, value]` string
//! pairs, keys `[A-Za-z0-9_.:-]` of at most `max_tag_key` characters,
//! values without line breaks of at most `max_tag_value` characters, the
//! first of duplicate keys winning.

use serde_json::{json, Value};

use super::ctx::{note, Ctx};
use super::trim::{cap_string_at, longer_than};
use crate::repr::short_json;

/// Keys Sentry reserves for its own derived tags; an SDK's tag with such a
/// key is removed (silently, as in Relay).
const RESERVED: &[&str] = &["release", "dist", "user", "filename", "function"];

/// Tags being collected, in order, first key wins.
#[derive(Default)]
pub(crate) struct TagList {
    pairs: Vec<(String, String)>,
}

impl TagList {
    pub fn contains(&self, key: &str) -> bool {
        self.pairs.iter().any(|(k, _)| k == key)
    }

    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Adds a tag unless the key is present. Values Moth derives itself go
    /// through here too, so they obey the same rules (a URL longer than
    /// `max_tag_value` is cut; a value with a line break is skipped).
    pub fn add_derived(&mut self, ctx: &Ctx, key: &str, value: &str) {
        if self.contains(key) {
            return;
        }
        let value = value.trim();
        if value.is_empty() || value.contains(['\n', '\r']) {
            return;
        }
        let max = ctx.limits.max_tag_value;
        let value = if longer_than(value, max) {
            crate::repr::cut_chars(value.to_owned(), max)
        } else {
            value.to_owned()
        };
        self.pairs.push((key.to_owned(), value));
    }

    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }
}

/// Normalises the SDK's `tags` at path `tags` (an object, a list of pairs,
/// or a list of `"key:value"` strings). Returns the tags kept and the value
/// of an `environment` tag, which belongs in the `environment` attribute.
pub(crate) fn normalize_tags(ctx: &mut Ctx, value: Value) -> (TagList, Option<String>) {
    ctx.at("tags", |ctx| {
        let entries: Vec<(Value, Value)> = match value {
            Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| (Value::String(k), v))
                .collect(),
            Value::Array(items) => {
                let mut entries = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    match item {
                        Value::Array(pair) if pair.len() == 2 => {
                            let mut pair = pair.into_iter();
                            entries.push((
                                pair.next().unwrap_or(Value::Null),
                                pair.next().unwrap_or(Value::Null),
                            ));
                        }
                        Value::String(s) if s.contains(':') => {
                            let (k, v) = s.split_once(':').unwrap_or_default();
                            entries.push((json!(k), json!(v)));
                        }
                        Value::Null => {}
                        other => ctx.invalid_at(&i.to_string(), &other),
                    }
                }
                entries
            }
            Value::Null => Vec::new(),
            other => {
                ctx.invalid(&other);
                Vec::new()
            }
        };
        let mut tags = TagList::default();
        let mut environment = None;
        let mut sent = 0usize;
        for (key, value) in entries {
            let Some((key, value)) = tag(ctx, key, value) else {
                continue;
            };
            if key == "environment" {
                environment.get_or_insert(value);
                continue;
            }
            if RESERVED.contains(&key.as_str()) || tags.contains(&key) {
                continue;
            }
            sent += 1;
            if tags.len() < ctx.limits.max_tags {
                tags.pairs.push((key, value));
            }
        }
        if sent > tags.len() {
            ctx.too_many(sent, ctx.limits.max_tags);
        }
        (tags, environment)
    })
}

/// One tag, cleaned; `None` (with a note unless the value was `null`) when
/// it cannot be a tag.
fn tag(ctx: &mut Ctx, key: Value, value: Value) -> Option<(String, String)> {
    let Value::String(key) = key else {
        ctx.invalid(&key);
        return None;
    };
    let key = key.trim().replace(' ', "-");
    let max_key = ctx.limits.max_tag_key;
    if key.is_empty()
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
    {
        ctx.invalid(&json!(key));
        return None;
    }
    if key.len() > max_key {
        ctx.note(
            note::VALUE_TOO_LONG,
            "",
            Value::String(short_json(&json!(key))),
            &[("length", json!(key.len())), ("max", json!(max_key))],
        );
        return None;
    }
    let mut value = match value {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        // Sentry writes Python's "True"; lowercase is what every other SDK
        // and every search box expects.
        Value::Bool(b) => b.to_string(),
        Value::Null => return None,
        other => {
            ctx.invalid_at(&key, &other);
            return None;
        }
    };
    if value.is_empty() || value.contains(['\n', '\r']) {
        ctx.invalid_at(&key, &Value::String(value));
        return None;
    }
    let max_value = ctx.limits.max_tag_value;
    cap_string_at(ctx, &mut value, max_value, &key);
    Some((key, value))
}

/// The tags as stored in `data.tags`.
pub(crate) fn to_json(tags: &[(String, String)]) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), Value::String(v.clone())]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;

    fn run(limits: EventLimits, v: Value) -> (Vec<(String, String)>, Option<String>, Vec<Value>) {
        let mut ctx = Ctx::new(&limits);
        let (tags, env) = normalize_tags(&mut ctx, v);
        (tags.into_pairs(), env, ctx.into_notes())
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accepted_shapes() {
        let expected = pairs(&[("feature", "checkout"), ("shard", "eu-1")]);
        for shape in [
            json!({"feature": "checkout", "shard": "eu-1"}),
            json!([["feature", "checkout"], ["shard", "eu-1"]]),
            json!(["feature:checkout", "shard:eu-1"]),
        ] {
            let (tags, env, notes) = run(EventLimits::default(), shape.clone());
            assert_eq!(tags, expected, "{shape}");
            assert_eq!(env, None);
            assert!(notes.is_empty(), "{shape}: {notes:?}");
        }
        let (tags, _, notes) = run(EventLimits::default(), json!("feature:checkout"));
        assert!(tags.is_empty());
        assert_eq!(notes[0]["name"], "tags");
    }

    #[test]
    fn keys_and_values_are_cleaned() {
        let (tags, env, notes) = run(
            EventLimits::default(),
            json!([
                [" my key ", true],
                ["num", 5],
                ["bad/key", "x"],
                ["release", "1.0"],
                ["user", "x"],
                ["environment", "prod"],
                ["multi", "a\nb"],
                ["empty", ""],
                ["obj", {"a": 1}],
                ["null", null],
                ["num", "dup"],
                [7, "x"],
                "no-colon",
                ["url:path", "ok"],
            ]),
        );
        assert_eq!(
            tags,
            pairs(&[("my-key", "true"), ("num", "5"), ("url:path", "ok")])
        );
        assert_eq!(env.as_deref(), Some("prod"));
        let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "tags.12",
                "tags",
                "tags.multi",
                "tags.empty",
                "tags.obj",
                "tags"
            ]
        );
    }

    #[test]
    fn lengths_and_counts_are_capped() {
        let limits = EventLimits {
            max_tags: 2,
            max_tag_key: 5,
            max_tag_value: 4,
            ..EventLimits::default()
        };
        let (tags, _, notes) = run(
            limits,
            json!({"a": "1", "toolong": "x", "b": "abcdef", "c": "3", "d": "4"}),
        );
        assert_eq!(tags, pairs(&[("a", "1"), ("b", "abc…")]));
        let kinds: Vec<_> = notes.iter().map(|n| n["type"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            ["value_too_long", "value_too_long", "too_many_items"]
        );
    }

    #[test]
    fn derived_tags_follow_the_rules() {
        let limits = EventLimits {
            max_tag_value: 5,
            ..EventLimits::default()
        };
        let ctx = Ctx::new(&limits);
        let mut tags = TagList::default();
        tags.add_derived(&ctx, "level", "error");
        tags.add_derived(&ctx, "level", "fatal");
        tags.add_derived(&ctx, "url", "http://long");
        tags.add_derived(&ctx, "x", "a\nb");
        tags.add_derived(&ctx, "y", " ");
        assert_eq!(
            tags.into_pairs(),
            pairs(&[("level", "error"), ("url", "http…")])
        );
        assert_eq!(to_json(&pairs(&[("a", "b")])), json!([["a", "b"]]));
    }
}
