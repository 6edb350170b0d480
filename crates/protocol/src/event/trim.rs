//! Size limits for values Moth does not interpret ("bags": `extra`, frame
//! `vars`, context fields, unknown keys...): every string is capped, lists
//! and objects are cut, and nesting is bounded, so a hostile event cannot
//! blow up memory, storage or the UI.

use serde_json::{json, Value};

use super::ctx::{note, Ctx, TOO_DEEP_MARKER};
use crate::repr::short_json;

/// Cuts `s` to `max` characters (the last one becoming `…`) and notes
/// `value_too_long` at the current path. Returns whether it cut.
#[inline]
pub(crate) fn cap_string(ctx: &mut Ctx, s: &mut String, max: usize) -> bool {
    cap_string_at(ctx, s, max, "")
}

/// [`cap_string`] for a value at `suffix` below the current path.
#[inline]
pub(crate) fn cap_string_at(ctx: &mut Ctx, s: &mut String, max: usize, suffix: &str) -> bool {
    // Bytes bound characters from above: the common case costs no scan.
    if s.len() <= max {
        return false;
    }
    cut_string(ctx, s, max, suffix)
}

#[cold]
fn cut_string(ctx: &mut Ctx, s: &mut String, max: usize, suffix: &str) -> bool {
    let Some((cut, _)) = s.char_indices().nth(max) else {
        return false;
    };
    // `cut` is the byte offset of character number `max`.
    let length = max + s[cut..].chars().count();
    let head_end = s
        .char_indices()
        .nth(crate::repr::SHORT_REPR_CHARS)
        .map_or(cut, |(i, _)| i.min(cut));
    let head = short_json(&Value::String(s[..head_end].to_owned()));
    let keep = s
        .char_indices()
        .nth(max.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    s.truncate(keep);
    s.push('…');
    ctx.note(
        note::VALUE_TOO_LONG,
        suffix,
        Value::String(head),
        &[("length", json!(length)), ("max", json!(max))],
    );
    true
}

/// Whether `s` is longer than `max` characters.
pub(crate) fn longer_than(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().nth(max).is_some()
}

/// Applies the generic limits to a value at the current path. `depth` is the
/// number of container levels allowed, the value's own included.
pub(crate) fn bag(ctx: &mut Ctx, value: &mut Value, depth: usize) {
    walk(ctx, value, depth, &Seg::Here);
}

/// [`bag`] for the value of `key` below the current path.
pub(crate) fn bag_at(ctx: &mut Ctx, key: &str, value: &mut Value, depth: usize) {
    walk(ctx, value, depth, &Seg::Key(key, &Seg::Here));
}

/// A path below the current one, built on the stack and rendered only when
/// a note needs it: most values need no note, so most paths are never
/// formatted.
enum Seg<'s> {
    Here,
    Key(&'s str, &'s Seg<'s>),
    Index(usize, &'s Seg<'s>),
}

impl Seg<'_> {
    fn render(&self) -> String {
        let mut parts = Vec::new();
        let mut seg = self;
        loop {
            match seg {
                Seg::Here => break,
                Seg::Key(k, parent) => {
                    parts.push((*k).to_owned());
                    seg = parent;
                }
                Seg::Index(i, parent) => {
                    parts.push(i.to_string());
                    seg = parent;
                }
            }
        }
        parts.reverse();
        parts.join(".")
    }
}

fn walk(ctx: &mut Ctx, value: &mut Value, depth: usize, seg: &Seg) {
    let max_items = ctx.limits.max_items;
    let max_string = ctx.limits.max_string;
    if depth == 0 && matches!(value, Value::Array(_) | Value::Object(_)) {
        let replaced = std::mem::replace(value, Value::String(TOO_DEEP_MARKER.to_owned()));
        ctx.note(
            note::TOO_DEEP,
            &seg.render(),
            Value::String(short_json(&replaced)),
            &[("max", json!(ctx.limits.max_depth))],
        );
        return;
    }
    match value {
        Value::String(s) => {
            if s.len() > max_string {
                cap_string_at(ctx, s, max_string, &seg.render());
            }
        }
        Value::Array(items) => {
            if items.len() > max_items {
                let sent = items.len();
                items.truncate(max_items);
                ctx.note(
                    note::TOO_MANY_ITEMS,
                    &seg.render(),
                    json!(sent),
                    &[("max", json!(max_items))],
                );
            }
            for (i, item) in items.iter_mut().enumerate() {
                if needs_walk(item) {
                    walk(ctx, item, depth - 1, &Seg::Index(i, seg));
                }
            }
        }
        Value::Object(map) => {
            if map.len() > max_items {
                let sent = map.len();
                let mut kept = 0;
                map.retain(|_, _| {
                    kept += 1;
                    kept <= max_items
                });
                ctx.note(
                    note::TOO_MANY_ITEMS,
                    &seg.render(),
                    json!(sent),
                    &[("max", json!(max_items))],
                );
            }
            if map.keys().any(|k| k.len() > max_string) {
                cap_keys(ctx, map, max_string, seg);
            }
            for (key, item) in map.iter_mut() {
                if needs_walk(item) {
                    walk(ctx, item, depth - 1, &Seg::Key(key, seg));
                }
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// Scalars other than strings never need limits; skipping them avoids a
/// call per number in large numeric arrays.
fn needs_walk(value: &Value) -> bool {
    matches!(value, Value::String(_) | Value::Array(_) | Value::Object(_))
}

/// Rebuilds an object whose keys are too long, cutting them (rare: only
/// hostile payloads have such keys).
fn cap_keys(ctx: &mut Ctx, map: &mut serde_json::Map<String, Value>, max: usize, seg: &Seg) {
    let old = std::mem::take(map);
    let path = seg.render();
    for (mut key, item) in old {
        cap_string_at(ctx, &mut key, max, &path);
        map.entry(key).or_insert(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;

    fn limits() -> EventLimits {
        EventLimits {
            max_string: 5,
            max_items: 3,
            max_depth: 2,
            ..EventLimits::default()
        }
    }

    #[test]
    fn strings_are_cut_with_an_ellipsis() {
        let limits = limits();
        let mut ctx = Ctx::new(&limits);
        let mut s = "abcdéfgh".to_owned();
        assert!(cap_string(&mut ctx, &mut s, 5));
        assert_eq!(s, "abcd…");
        let mut short = "abcdé".to_owned();
        assert!(!cap_string(&mut ctx, &mut short, 5));
        let notes = ctx.into_notes();
        assert_eq!(
            notes,
            vec![
                json!({"type": "value_too_long", "name": "", "value": "\"abcdé\"", "length": 8, "max": 5})
            ]
        );
        assert!(longer_than("abcdef", 5));
        assert!(!longer_than("ééééé", 5));
    }

    #[test]
    fn bags_are_bounded_in_depth_items_and_strings() {
        let limits = limits();
        let mut ctx = Ctx::new(&limits);
        let mut v = json!({
            "a": [1, 2, 3, 4, 5],
            "b": {"deep": {"x": 1}},
            "c": "long string",
            "d": 1,
            "e": 2,
        });
        ctx.at("extra", |ctx| bag(ctx, &mut v, 2));
        assert_eq!(
            v,
            json!({"a": [1, 2, 3], "b": {"deep": "[too deep]"}, "c": "long…"})
        );
        let names: Vec<(String, String)> = ctx
            .into_notes()
            .into_iter()
            .map(|n| {
                (
                    n["type"].as_str().unwrap().to_owned(),
                    n["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        let expected = [
            ("too_many_items", "extra"),
            ("too_many_items", "extra.a"),
            ("too_deep", "extra.b.deep"),
            ("value_too_long", "extra.c"),
        ];
        assert_eq!(
            names,
            expected
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn long_keys_are_cut() {
        let limits = limits();
        let mut ctx = Ctx::new(&limits);
        let mut v = json!({"abcdefgh": 1, "ok": 2});
        bag_at(&mut ctx, "x", &mut v, 3);
        assert_eq!(v, json!({"abcd…": 1, "ok": 2}));
        assert_eq!(ctx.into_notes()[0]["name"], "x");
    }
}
