//! Stack traces and frames (sentry-protocol.md §6.4). Frames stay in the
//! order sent: oldest (caller) first, crashing frame last.

use serde_json::{json, Map, Value};

use super::attrs::lenient_string;
use super::ctx::Ctx;
use super::trim::{bag_at, cap_string_at};

/// Normalises a stack trace at the current path: `{frames: [...], ...}`
/// (a bare list of frames is accepted too). Returns `None`, with a note,
/// when there is no usable frame list.
pub(crate) fn normalize_stacktrace(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let map = match value {
        Value::Object(map) => map,
        Value::Array(frames) => {
            let mut map = Map::with_capacity(1);
            map.insert("frames".into(), Value::Array(frames));
            map
        }
        Value::Null => return None,
        other => {
            ctx.invalid(&other);
            return None;
        }
    };
    let depth = ctx.limits.max_depth;
    let mut out = Map::with_capacity(map.len());
    let mut has_frames = false;
    for (key, mut value) in map {
        match key.as_str() {
            "frames" => match value {
                Value::Array(frames) => {
                    let frames = ctx.at("frames", |ctx| normalize_frames(ctx, frames, &mut out));
                    out.insert(key, Value::Array(frames));
                    has_frames = true;
                }
                other => ctx.invalid_at("frames", &other),
            },
            // Set by us when frames are cut; a client's value is meaningless.
            "frames_omitted" if has_frames_omitted(&out) => {}
            _ => {
                bag_at(ctx, &key, &mut value, depth);
                out.insert(key, value);
            }
        }
    }
    has_frames.then_some(Value::Object(out))
}

fn has_frames_omitted(out: &Map<String, Value>) -> bool {
    out.contains_key("frames_omitted")
}

/// Cuts the frame list to `max_frames` by removing the middle (the ends
/// hold the entry point and the crash, the parts worth reading), recording
/// the removed range as `frames_omitted: [start, end]` like Relay, then
/// normalises each frame.
fn normalize_frames(
    ctx: &mut Ctx,
    mut frames: Vec<Value>,
    stacktrace: &mut Map<String, Value>,
) -> Vec<Value> {
    let max = ctx.limits.max_frames;
    if frames.len() > max {
        let sent = frames.len();
        let keep_start = max / 2;
        let keep_end = max - keep_start;
        frames.drain(keep_start..sent - keep_end);
        stacktrace.insert(
            "frames_omitted".into(),
            json!([keep_start, sent - keep_end]),
        );
        ctx.too_many(sent, max);
    }
    let mut out = Vec::with_capacity(frames.len());
    for frame in frames {
        let index = out.len();
        if let Some(frame) = ctx.at_index(index, |ctx| normalize_frame(ctx, frame)) {
            out.push(frame);
        }
    }
    out
}

/// Normalises one frame; non-objects are dropped with a note.
fn normalize_frame(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Object(map) = value else {
        ctx.invalid(&value);
        return None;
    };
    let max_string = ctx.limits.max_string;
    let depth = ctx.limits.max_depth;
    let mut out = Map::with_capacity(map.len() + 1);
    for (key, value) in map {
        let value = match key.as_str() {
            // Only a real boolean is kept: grouping decides the default, and
            // guessing from "yes"/1 would change grouping silently.
            "in_app" => match value {
                Value::Bool(_) => Some(value),
                Value::Null => None,
                other => {
                    ctx.invalid_at("in_app", &other);
                    None
                }
            },
            "lineno" | "colno" => ctx.at(&key, |ctx| line_number(ctx, value)),
            "vars" => ctx.at("vars", |ctx| vars(ctx, value)),
            "pre_context" | "post_context" => ctx.at(&key, |ctx| context_lines(ctx, value)),
            "filename" | "abs_path" | "function" | "raw_function" | "module" | "package"
            | "symbol" | "platform" | "context_line" | "addr_mode" | "function_id" => {
                ctx.at(&key, |ctx| {
                    let mut s = lenient_string(ctx, value)?;
                    cap_string_at(ctx, &mut s, max_string, "");
                    Some(Value::String(s))
                })
            }
            "instruction_addr" | "symbol_addr" | "image_addr" => {
                ctx.at(&key, |ctx| address(ctx, value))
            }
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
    // Browser JS frames carry the URL in `filename` only; source maps and
    // the UI key on `abs_path`, as Relay backfills it.
    if !out.contains_key("abs_path") {
        if let Some(Value::String(filename)) = out.get("filename") {
            if is_url(filename) {
                let filename = filename.clone();
                out.insert("abs_path".into(), Value::String(filename));
            }
        }
    }
    Some(Value::Object(out))
}

/// A 1-based line or column: non-negative integers, also as numeric
/// strings or integral floats.
fn line_number(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let n = match &value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Null => return None,
        _ => None,
    };
    match n {
        Some(n) => Some(json!(n)),
        None => {
            ctx.invalid(&value);
            None
        }
    }
}

/// Frame locals: an object; a list becomes an object keyed `"0"`, `"1"`...
fn vars(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let mut value = match value {
        Value::Object(_) => value,
        Value::Array(items) => Value::Object(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v))
                .collect(),
        ),
        Value::Null => return None,
        other => {
            ctx.invalid(&other);
            return None;
        }
    };
    let depth = ctx.limits.max_depth;
    super::trim::bag(ctx, &mut value, depth);
    Some(value)
}

/// Source lines around the frame: a list of strings (`null` lines become
/// empty, other values their JSON text).
fn context_lines(ctx: &mut Ctx, value: Value) -> Option<Value> {
    let Value::Array(lines) = value else {
        if !value.is_null() {
            ctx.invalid(&value);
        }
        return None;
    };
    let max_items = ctx.limits.max_items;
    let max_string = ctx.limits.max_string;
    if lines.len() > max_items {
        ctx.too_many(lines.len(), max_items);
    }
    let mut out = Vec::with_capacity(lines.len().min(max_items));
    for (i, line) in lines.into_iter().take(max_items).enumerate() {
        let mut s = match line {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        cap_string_at(ctx, &mut s, max_string, &i.to_string());
        out.push(Value::String(s));
    }
    Some(Value::Array(out))
}

/// A memory address: `"0x…"` strings are kept, integers become such strings.
fn address(ctx: &mut Ctx, value: Value) -> Option<Value> {
    match value {
        Value::String(mut s) => {
            cap_string_at(ctx, &mut s, 64, "");
            Some(Value::String(s))
        }
        Value::Number(n) if n.as_u64().is_some() => Some(Value::String(format!(
            "{:#x}",
            n.as_u64().unwrap_or_default()
        ))),
        Value::Null => None,
        other => {
            ctx.invalid(&other);
            None
        }
    }
}

/// `scheme://...` with an RFC 3986 scheme (`http`, `https`, `app`,
/// `webpack`...). `node:internal/...` is not a URL here: it has no `//`.
pub(crate) fn is_url(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

#[cfg(test)]
#[path = "stacktrace_tests.rs"]
mod tests;
