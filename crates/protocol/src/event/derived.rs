//! Tags Moth derives from the normalised event, as Sentry does, so that
//! the UI and search can use them without reading the event body.

use serde_json::{Map, Value};

use super::ctx::Ctx;
use super::level::Level;
use super::tags::TagList;

/// The normalised parts the derived tags come from.
pub(crate) struct Sources<'a> {
    pub level: Level,
    pub environment: Option<&'a str>,
    pub release: Option<&'a str>,
    pub dist: Option<&'a str>,
    pub server_name: Option<&'a str>,
    pub site: Option<&'a str>,
    pub transaction: Option<&'a str>,
    pub logger: Option<&'a str>,
    pub request: Option<&'a Value>,
    pub user_ident: Option<&'a str>,
    pub contexts: Option<&'a Map<String, Value>>,
    pub exceptions: &'a [Value],
}

/// Appends the derived tags, each only when the event has no tag with that
/// key already: `level`, `environment`, `release`, `dist`, `server_name`,
/// `site`, `transaction`, `logger`, `url`, `user`, `browser`,
/// `browser.name`, `os`, `os.name`, `runtime`, `runtime.name`, `device`,
/// `handled`, `mechanism`.
pub(crate) fn add_derived_tags(ctx: &Ctx, tags: &mut TagList, src: &Sources) {
    tags.add_derived(ctx, "level", src.level.as_str());
    let attributes = [
        ("environment", src.environment),
        ("release", src.release),
        ("dist", src.dist),
        ("server_name", src.server_name),
        ("site", src.site),
        ("transaction", src.transaction),
        ("logger", src.logger),
    ];
    for (key, value) in attributes {
        if let Some(value) = value {
            tags.add_derived(ctx, key, value);
        }
    }
    if let Some(url) = src
        .request
        .and_then(|r| r.get("url"))
        .and_then(Value::as_str)
    {
        let end = url.find(['?', '#']).unwrap_or(url.len());
        tags.add_derived(ctx, "url", &url[..end]);
    }
    if let Some(user) = src.user_ident {
        tags.add_derived(ctx, "user", user);
    }
    for name in ["browser", "os", "runtime"] {
        let Some(context) = context(src.contexts, name) else {
            continue;
        };
        let Some(product) = context.get("name").and_then(as_text) else {
            continue;
        };
        match context.get("version").and_then(as_text) {
            Some(version) => tags.add_derived(ctx, name, &format!("{product} {version}")),
            None => tags.add_derived(ctx, name, &product),
        }
        tags.add_derived(ctx, &format!("{name}.name"), &product);
    }
    if let Some(device) = context(src.contexts, "device") {
        if let Some(model) = device
            .get("model")
            .and_then(as_text)
            .or_else(|| device.get("family").and_then(as_text))
        {
            tags.add_derived(ctx, "device", &model);
        }
    }
    // The last exception is the one raised; its mechanism says how it was
    // caught.
    if let Some(mechanism) = src.exceptions.last().and_then(|e| e.get("mechanism")) {
        if let Some(handled) = mechanism.get("handled").and_then(Value::as_bool) {
            tags.add_derived(ctx, "handled", if handled { "yes" } else { "no" });
        }
        if let Some(ty) = mechanism.get("type").and_then(Value::as_str) {
            tags.add_derived(ctx, "mechanism", ty);
        }
    }
}

/// The context named `name`, or else the first whose `type` is `name`
/// (the Rust SDK files its runtime under `rust`).
fn context<'a>(
    contexts: Option<&'a Map<String, Value>>,
    name: &str,
) -> Option<&'a Map<String, Value>> {
    let contexts = contexts?;
    contexts.get(name).and_then(Value::as_object).or_else(|| {
        contexts
            .values()
            .filter_map(Value::as_object)
            .find(|c| c.get("type").and_then(Value::as_str) == Some(name))
    })
}

/// Context fields are usually strings, sometimes numbers (`"version": 17`).
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventLimits;
    use serde_json::json;

    #[test]
    fn derives_everything_it_can() {
        let limits = EventLimits::default();
        let ctx = Ctx::new(&limits);
        let contexts = json!({
            "browser": {"name": "Chrome", "version": "120.0"},
            "os": {"name": "Windows", "version": 10},
            "rust": {"type": "runtime", "name": "rustc", "version": "1.95.0"},
            "device": {"family": "Pixel", "model": "Pixel 8"},
        });
        let request = json!({"url": "https://shop.example/cart?id=1#top"});
        let exceptions = [
            json!({"type": "A"}),
            json!({"type": "B", "mechanism": {"type": "onerror", "handled": false}}),
        ];
        let mut tags = TagList::default();
        tags.add_derived(&ctx, "environment", "from-sdk");
        add_derived_tags(
            &ctx,
            &mut tags,
            &Sources {
                level: Level::Warning,
                environment: Some("prod"),
                release: Some("app@1"),
                dist: None,
                server_name: Some("vm"),
                site: None,
                transaction: Some("/cart"),
                logger: None,
                request: Some(&request),
                user_ident: Some("id:42"),
                contexts: contexts.as_object(),
                exceptions: &exceptions,
            },
        );
        let got: Vec<(String, String)> = tags.into_pairs();
        let expected: Vec<(String, String)> = [
            ("environment", "from-sdk"),
            ("level", "warning"),
            ("release", "app@1"),
            ("server_name", "vm"),
            ("transaction", "/cart"),
            ("url", "https://shop.example/cart"),
            ("user", "id:42"),
            ("browser", "Chrome 120.0"),
            ("browser.name", "Chrome"),
            ("os", "Windows 10"),
            ("os.name", "Windows"),
            ("runtime", "rustc 1.95.0"),
            ("runtime.name", "rustc"),
            ("device", "Pixel 8"),
            ("handled", "no"),
            ("mechanism", "onerror"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, expected);
    }
}
