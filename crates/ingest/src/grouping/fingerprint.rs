//! Client fingerprints and legacy checksums: how the default variants turn
//! into the final list of hashes.
//!
//! * `fingerprint` absent, empty, or `["{{ default }}"]`: the default
//!   variants' hashes.
//! * `{{ default }}` plus other entries (hybrid): one hash per default
//!   variant, over the entries with `{{ default }}` standing for that
//!   variant's hash. Salting with the variant hash (instead of Sentry's
//!   flattened values) keeps the input small and is equivalent: the hash is
//!   a function of the values.
//! * no `{{ default }}` (custom): one hash of the resolved entries.
//! * a legacy `checksum` overrides everything: 32 hex chars are used as the
//!   hash itself, anything else is md5'd.

use std::borrow::Cow;

use serde_json::Value;

use super::frame::RawFrame;
use super::hash::{hash_tokens, md5_hex, TokenHasher};
use super::input::trimmed;
use super::path::basename;
use super::stacktrace::crash_frame;
use super::{str_field, EventView, Variant};

/// md5 of nothing: the hash of events where nothing contributes.
pub(crate) const FALLBACK_HASH: &str = "d41d8cd98f00b204e9800998ecf8427e";

/// One resolved fingerprint entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry<'a> {
    Default,
    Value(Cow<'a, str>),
}

/// Final hashes and their variant names, primary first.
pub(crate) fn hashes(
    view: &EventView<'_>,
    variants: &[Variant<'_>],
) -> (Vec<String>, Vec<&'static str>) {
    if let Some(checksum) = trimmed(view.input.checksum) {
        let hash = if checksum.len() == 32 && checksum.bytes().all(|b| b.is_ascii_hexdigit()) {
            checksum.to_ascii_lowercase()
        } else {
            md5_hex(checksum.as_bytes())
        };
        return (vec![hash], vec!["checksum"]);
    }

    let defaults: Vec<(&'static str, String)> = if variants.is_empty() {
        vec![("fallback", FALLBACK_HASH.to_string())]
    } else {
        variants
            .iter()
            .map(|v| (v.name, hash_tokens(&v.tokens)))
            .collect()
    };

    let entries = resolve(view);
    let has_default = entries.contains(&Entry::Default);
    let has_custom = entries.iter().any(|e| matches!(e, Entry::Value(_)));
    if !has_custom {
        return defaults.into_iter().map(|(n, h)| (h, n)).unzip();
    }
    if !has_default {
        let mut h = TokenHasher::new();
        for e in &entries {
            if let Entry::Value(v) = e {
                h.push("fingerprint", v);
            }
        }
        return (vec![h.finish()], vec!["custom"]);
    }
    defaults
        .into_iter()
        .map(|(name, default_hash)| {
            let mut h = TokenHasher::new();
            for e in &entries {
                match e {
                    Entry::Default => h.push("default", &default_hash),
                    Entry::Value(v) => h.push("fingerprint", v),
                }
            }
            (h.finish(), hybrid_name(name))
        })
        .unzip()
}

fn hybrid_name(name: &str) -> &'static str {
    match name {
        "app" => "hybrid:app",
        "system" => "hybrid:system",
        "default" => "hybrid:default",
        _ => "hybrid:fallback",
    }
}

/// The event's fingerprint with variables resolved; empty = default.
fn resolve<'a>(view: &EventView<'a>) -> Vec<Entry<'a>> {
    let Some(list) = view.input.fingerprint.and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut crash: Option<Option<RawFrame<'a>>> = None;
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let text: Cow<'a, str> = match item {
            Value::String(s) => Cow::Borrowed(s.as_str()),
            Value::Null => continue,
            other => Cow::Owned(other.to_string()),
        };
        let Some(name) = variable_name(&text) else {
            out.push(Entry::Value(text));
            continue;
        };
        let name = name.to_ascii_lowercase();
        if name == "default" {
            out.push(Entry::Default);
            continue;
        }
        let crash = crash
            .get_or_insert_with(|| crash_frame(view.primary_frames(), view.platform, |_| true));
        match resolve_variable(view, &name, crash.as_ref()) {
            Some(v) => out.push(Entry::Value(v)),
            // Unknown variables are kept verbatim, as Sentry does.
            None => out.push(Entry::Value(text)),
        }
    }
    out
}

/// `{{ name }}` spanning the whole entry → `name`.
fn variable_name(entry: &str) -> Option<&str> {
    let inner = entry.strip_prefix("{{")?.strip_suffix("}}")?.trim();
    (!inner.is_empty() && !inner.contains(char::is_whitespace)).then_some(inner)
}

fn resolve_variable<'a>(
    view: &EventView<'a>,
    name: &str,
    crash: Option<&RawFrame<'a>>,
) -> Option<Cow<'a, str>> {
    let input = &view.input;
    let last_exc = view.exceptions.last().copied();
    let or = |v: Option<&'a str>, missing: &'static str| Cow::Borrowed(v.unwrap_or(missing));
    let value = match name {
        "transaction" => or(trimmed(input.transaction), "<no-transaction>"),
        "message" => {
            let (template, formatted) = view.logentry();
            let exc_value = last_exc.and_then(|e| str_field(e, "value"));
            or(formatted.or(template).or(exc_value), "<no-message>")
        }
        "type" | "error.type" => or(last_exc.and_then(|e| str_field(e, "type")), "<no-type>"),
        "value" | "error.value" => or(last_exc.and_then(|e| str_field(e, "value")), "<no-value>"),
        "function" | "stack.function" => or(crash.and_then(|f| f.function), "<no-function>"),
        "module" | "stack.module" => or(crash.and_then(|f| f.module), "<no-module>"),
        "path" | "stack.abs_path" => or(
            crash.and_then(|f| f.abs_path.or(f.filename)),
            "<no-abs-path>",
        ),
        "stack.filename" => or(
            crash.and_then(|f| f.filename.or(f.abs_path)),
            "<no-filename>",
        ),
        "package" | "stack.package" => {
            or(crash.and_then(|f| f.package).map(basename), "<no-package>")
        }
        "level" => or(trimmed(input.level), "error"),
        "logger" => or(trimmed(input.logger), "<no-logger>"),
        _ => {
            let tag = name.strip_prefix("tags.")?;
            match tag_value(input.tags, tag) {
                Some(v) => v,
                None => Cow::Owned(format!("<no-value-for-tag-{tag}>")),
            }
        }
    };
    Some(value)
}

/// A tag's value from the event's tags, `[[k, v], ...]` or `{k: v}`.
fn tag_value<'a>(tags: Option<&'a Value>, key: &str) -> Option<Cow<'a, str>> {
    let as_text = |v: &'a Value| match v {
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    };
    match tags? {
        Value::Array(pairs) => pairs.iter().find_map(|p| {
            let pair = p.as_array()?;
            (pair.first()?.as_str()? == key).then(|| pair.get(1).and_then(as_text))?
        }),
        Value::Object(map) => map.get(key).and_then(as_text),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variable_syntax() {
        assert_eq!(variable_name("{{ default }}"), Some("default"));
        assert_eq!(variable_name("{{default}}"), Some("default"));
        assert_eq!(variable_name("{{  tags.region  }}"), Some("tags.region"));
        assert_eq!(variable_name("x {{ default }}"), None);
        assert_eq!(variable_name("{{ two words }}"), None);
        assert_eq!(variable_name("{{}}"), None);
    }
}
