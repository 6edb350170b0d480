//! Contexts (sentry-protocol.md §6.5): an object of objects, each with a
//! `type` (defaulting to its key). Browser and OS contexts are derived from
//! the request's User-Agent when the SDK sent none.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::fields;
use super::user_agent::{parse_browser, parse_os, Software};

/// Normalises `contexts` (or its alias) at path `contexts`.
pub(crate) fn normalize_contexts(ctx: &mut Ctx, value: Value) -> Option<Map<String, Value>> {
    ctx.at("contexts", |ctx| {
        let Value::Object(mut map) = value else {
            if !value.is_null() {
                ctx.invalid(&value);
            }
            return None;
        };
        let max_items = ctx.limits.max_items;
        if map.len() > max_items {
            ctx.too_many(map.len(), max_items);
            let mut kept = 0;
            map.retain(|_, _| {
                kept += 1;
                kept <= max_items
            });
        }
        map.retain(|key, value| ctx.at(key, |ctx| normalize_context(ctx, key, value)));
        Some(map)
    })
}

fn normalize_context(ctx: &mut Ctx, key: &str, value: &mut Value) -> bool {
    let Value::Object(map) = value else {
        if !value.is_null() {
            ctx.invalid(value);
        }
        return false;
    };
    // The context object itself is one level of the depth budget.
    let depth = ctx.limits.max_depth.saturating_sub(1);
    map.retain(|field, value| {
        // Node reads os.version from /etc/debian_version: "12.11\n".
        if let Value::String(s) = value {
            if s.trim().len() != s.len() {
                *s = s.trim().to_owned();
            }
        }
        ctx.at(field, |ctx| {
            if field == "type" && !value.is_string() {
                ctx.invalid(value);
                return false;
            }
            fields::any(ctx, value, depth)
        })
    });
    if !map.contains_key("type") {
        map.insert("type".into(), Value::String(key.to_owned()));
    }
    true
}

/// Adds `browser` and `os` contexts derived from a User-Agent, each only
/// when the event has no context of that name.
pub(crate) fn derive_from_user_agent(contexts: &mut Option<Map<String, Value>>, user_agent: &str) {
    let has = |name: &str| contexts.as_ref().is_some_and(|c| c.contains_key(name));
    let browser = (!has("browser"))
        .then(|| parse_browser(user_agent))
        .flatten();
    let os = (!has("os")).then(|| parse_os(user_agent)).flatten();
    for (name, software) in [("browser", browser), ("os", os)] {
        if let Some(software) = software {
            contexts
                .get_or_insert_with(Map::new)
                .insert(name.into(), software_context(name, software));
        }
    }
}

fn software_context(ty: &str, software: Software) -> Value {
    let mut map = Map::with_capacity(3);
    map.insert("name".into(), Value::String(software.name));
    if let Some(version) = software.version {
        map.insert("version".into(), Value::String(version));
    }
    map.insert("type".into(), Value::String(ty.to_owned()));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    fn run(v: Value) -> (Option<Map<String, Value>>, Vec<Value>) {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        let out = normalize_contexts(&mut ctx, v);
        (out, ctx.into_notes())
    }

    #[test]
    fn contexts_get_types_and_trimmed_strings() {
        let (out, notes) = run(json!({
            "os": {"name": "Debian", "version": "12.11\n"},
            "rust": {"type": "runtime", "name": "rustc"},
            "payment": {"provider": "stripe", "attempt": 2},
            "bad": "x",
            "none": null,
            "weird": {"type": 5},
        }));
        assert_eq!(
            Value::Object(out.unwrap()),
            json!({
                "os": {"name": "Debian", "version": "12.11", "type": "os"},
                "rust": {"type": "runtime", "name": "rustc"},
                "payment": {"provider": "stripe", "attempt": 2, "type": "payment"},
                "weird": {"type": "weird"},
            })
        );
        let names: Vec<_> = notes.iter().map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["contexts.bad", "contexts.weird.type"]);
        let (out, notes) = run(json!([1]));
        assert_eq!((out, notes.len()), (None, 1));
    }

    #[test]
    fn derives_browser_and_os_only_when_missing() {
        let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36";
        let mut contexts = None;
        derive_from_user_agent(&mut contexts, ua);
        assert_eq!(
            Value::Object(contexts.unwrap()),
            json!({
                "browser": {"name": "Chrome", "version": "120.0", "type": "browser"},
                "os": {"name": "Windows", "version": "10", "type": "os"},
            })
        );
        let mut contexts = json!({"os": {"name": "Debian"}}).as_object().cloned();
        derive_from_user_agent(&mut contexts, ua);
        let contexts = contexts.unwrap();
        assert_eq!(contexts["os"], json!({"name": "Debian"}));
        assert_eq!(contexts["browser"]["name"], "Chrome");
        let mut contexts = None;
        derive_from_user_agent(&mut contexts, "sentry.python/2.75.0");
        assert_eq!(contexts, None);
    }
}
