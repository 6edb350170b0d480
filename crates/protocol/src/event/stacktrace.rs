//! Stack traces and frames (sentry-protocol.md §6.4). Frames stay in the
//! order sent: oldest (caller) first, crashing frame last.

use serde_json::{json, Map, Value};

use super::ctx::Ctx;
use super::fields;
use super::trim::{cap_string, cap_string_at};

/// Normalises a stack trace at the current path; see [`normalize_in_place`].
pub(crate) fn normalize_stacktrace(ctx: &mut Ctx, mut value: Value) -> Option<Value> {
    normalize_in_place(ctx, &mut value).then_some(value)
}

/// Normalises a stack trace at the current path: `{frames: [...], ...}`
/// (a bare list of frames is accepted too). Returns false, with a note,
/// when there is no usable frame list.
pub(crate) fn normalize_in_place(ctx: &mut Ctx, value: &mut Value) -> bool {
    if value.is_array() {
        let mut map = Map::with_capacity(1);
        map.insert("frames".into(), value.take());
        *value = Value::Object(map);
    }
    let Value::Object(map) = value else {
        if !value.is_null() {
            ctx.invalid(value);
        }
        return false;
    };
    let depth = ctx.limits.max_depth;
    let mut has_frames = false;
    let mut omitted = None;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match (key.as_str(), value) {
            ("frames", Value::Array(frames)) => {
                omitted = normalize_frames(ctx, frames);
                has_frames = true;
                true
            }
            ("frames", other) => {
                ctx.invalid(other);
                false
            }
            (_, value) => fields::any(ctx, value, depth),
        })
    });
    // Ours replaces whatever the client claimed.
    if let Some(omitted) = omitted {
        map.insert("frames_omitted".into(), omitted);
    }
    has_frames
}

/// Cuts the frame list to `max_frames` by removing the middle (the ends
/// hold the entry point and the crash, the parts worth reading), then
/// normalises each frame. Returns Relay's `frames_omitted: [start, end]`
/// when frames were removed.
fn normalize_frames(ctx: &mut Ctx, frames: &mut Vec<Value>) -> Option<Value> {
    let max = ctx.limits.max_frames;
    let mut omitted = None;
    if frames.len() > max {
        let sent = frames.len();
        let keep_start = max / 2;
        let keep_end = max - keep_start;
        frames.drain(keep_start..sent - keep_end);
        omitted = Some(json!([keep_start, sent - keep_end]));
        ctx.too_many(sent, max);
    }
    let mut index = 0;
    frames.retain_mut(|frame| {
        let keep = ctx.at_index(index, |ctx| normalize_frame(ctx, frame));
        index += usize::from(keep);
        keep
    });
    omitted
}

/// Normalises one frame in place; non-objects are dropped with a note.
fn normalize_frame(ctx: &mut Ctx, frame: &mut Value) -> bool {
    let Value::Object(map) = frame else {
        ctx.invalid(frame);
        return false;
    };
    let max_string = ctx.limits.max_string;
    let depth = ctx.limits.max_depth;
    map.retain(|key, value| {
        ctx.at(key, |ctx| match key.as_str() {
            "in_app" => fields::boolean(ctx, value),
            "lineno" | "colno" => line_number(ctx, value),
            "vars" => vars(ctx, value),
            "pre_context" | "post_context" => context_lines(ctx, value),
            "filename" | "abs_path" | "function" | "raw_function" | "module" | "package"
            | "symbol" | "platform" | "context_line" | "addr_mode" | "function_id" => {
                fields::string(ctx, value, max_string)
            }
            "instruction_addr" | "symbol_addr" | "image_addr" => address(ctx, value),
            _ => fields::any(ctx, value, depth),
        })
    });
    // Browser JS frames carry the URL in `filename` only; source maps and
    // the UI key on `abs_path`, so Relay backfills it, and so does Moth.
    if !map.contains_key("abs_path") {
        if let Some(Value::String(filename)) = map.get("filename") {
            if is_url(filename) {
                let filename = filename.clone();
                map.insert("abs_path".into(), Value::String(filename));
            }
        }
    }
    true
}

/// A 1-based line or column: non-negative integers, also as numeric
/// strings or integral floats.
fn line_number(ctx: &mut Ctx, value: &mut Value) -> bool {
    let n = match &*value {
        Value::Number(n) if n.is_u64() => return true,
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..1e15).contains(f))
            .map(|f| f as u64),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        Value::Null => return false,
        _ => None,
    };
    match n {
        Some(n) => {
            *value = json!(n);
            true
        }
        None => {
            ctx.invalid(value);
            false
        }
    }
}

/// Frame locals: an object; a list becomes an object keyed `"0"`, `"1"`...
fn vars(ctx: &mut Ctx, value: &mut Value) -> bool {
    if let Value::Array(items) = value {
        let map: Map<String, Value> = std::mem::take(items)
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect();
        *value = Value::Object(map);
    }
    let depth = ctx.limits.max_depth;
    fields::object(ctx, value, depth)
}

/// Source lines around the frame: a list of strings (`null` lines become
/// empty, other values their JSON text).
fn context_lines(ctx: &mut Ctx, value: &mut Value) -> bool {
    let Value::Array(lines) = value else {
        if !value.is_null() {
            ctx.invalid(value);
        }
        return false;
    };
    let max_items = ctx.limits.max_items;
    let max_string = ctx.limits.max_string;
    if lines.len() > max_items {
        ctx.too_many(lines.len(), max_items);
        lines.truncate(max_items);
    }
    for (i, line) in lines.iter_mut().enumerate() {
        match line {
            Value::String(s) => {
                if s.len() > max_string {
                    cap_string_at(ctx, s, max_string, &i.to_string());
                }
            }
            Value::Null => *line = Value::String(String::new()),
            other => *other = Value::String(other.to_string()),
        }
    }
    true
}

/// A memory address: `"0x…"` strings are kept, integers become such strings.
fn address(ctx: &mut Ctx, value: &mut Value) -> bool {
    match value {
        Value::String(s) => {
            cap_string(ctx, s, 64);
            true
        }
        Value::Number(n) if n.is_u64() => {
            *value = Value::String(format!("{:#x}", n.as_u64().unwrap_or_default()));
            true
        }
        Value::Null => false,
        other => {
            ctx.invalid(other);
            false
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
