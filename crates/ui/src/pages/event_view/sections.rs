//! The other parts of an event: message, breadcrumbs, request, user,
//! tags, contexts, extra data, SDK, packages and processing errors.

use serde::Serialize;
use serde_json::Value;

use super::stack::pairs;
use super::text::{key, safe_href, Budget, Clip, HEAD};

/// Rows shown of any one list (headers, breadcrumbs' data...).
const MAX_ROWS: usize = 200;

#[derive(Debug, Serialize)]
pub(crate) struct MessageView {
    /// What to read: `formatted`, or `message` with its parameters applied.
    pub text: Clip,
    /// The template, when it differs from `text`.
    pub template: Option<Clip>,
    pub params: Vec<Clip>,
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

pub(crate) fn message(data: &Value, b: &Budget) -> Option<MessageView> {
    let log = data.get("logentry")?;
    let template = str_of(log, "message");
    let params: Vec<&Value> = match log.get("params") {
        Some(Value::Array(a)) => a.iter().take(MAX_ROWS).collect(),
        Some(Value::Object(o)) => o.values().take(MAX_ROWS).collect(),
        _ => Vec::new(),
    };
    let text = match (str_of(log, "formatted"), template) {
        (Some(f), _) => f.to_string(),
        (None, Some(t)) => apply_params(t, &params),
        (None, None) => return None,
    };
    Some(MessageView {
        template: template.filter(|t| *t != text).map(|t| b.clip(t, HEAD)),
        text: b.clip(&text, 2000),
        params: params.iter().map(|p| b.value(p, HEAD)).collect(),
    })
}

/// `%s`/`%d`/`%r`/`{}` placeholders filled in order, as the SDKs'
/// loggers would have (for entries sent without `formatted`).
fn apply_params(template: &str, params: &[&Value]) -> String {
    if params.is_empty() {
        return template.to_string();
    }
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut out = String::with_capacity(template.len());
    let mut next = params.iter();
    let mut rest = template;
    while let Some(i) = rest.find(['%', '{']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let placeholder = ["%s", "%d", "%r", "%i", "%f", "{}"]
            .into_iter()
            .find(|p| tail.starts_with(p));
        match (placeholder, tail.starts_with("%%")) {
            (_, true) => {
                out.push('%');
                rest = &tail[2..];
            }
            (Some(p), _) => {
                match next.next() {
                    Some(v) => out.push_str(&text(v)),
                    None => out.push_str(p),
                }
                rest = &tail[p.len()..];
            }
            (None, _) => {
                out.push_str(&tail[..1]);
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[derive(Debug, Serialize)]
pub(crate) struct CrumbView {
    pub time: String,
    pub timestamp: String,
    pub ty: String,
    pub category: String,
    pub level: String,
    pub message: Clip,
    pub data: Vec<(String, Clip)>,
}

/// Breadcrumbs oldest first, as a timeline ending at the event.
pub(crate) fn breadcrumbs(data: &Value, b: &Budget) -> Vec<CrumbView> {
    let Some(values) = data
        .pointer("/breadcrumbs/values")
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    values
        .iter()
        .map(|c| {
            let timestamp = str_of(c, "timestamp").unwrap_or("");
            // RFC 3339 from normalisation: the time of day is enough in a row.
            let time = timestamp
                .split_once('T')
                .map(|(_, t)| t.trim_end_matches('Z'))
                .map(|t| t.get(..12).unwrap_or(t))
                .unwrap_or(timestamp);
            CrumbView {
                time: b.line(time, 40),
                timestamp: b.line(timestamp, 60),
                ty: b.line(str_of(c, "type").unwrap_or("default"), 60),
                category: b.line(str_of(c, "category").unwrap_or(""), 100),
                level: b.line(str_of(c, "level").unwrap_or("info"), 20),
                message: b.clip(str_of(c, "message").unwrap_or(""), HEAD),
                data: c
                    .get("data")
                    .and_then(Value::as_object)
                    .map(|d| pairs(d, b))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

#[derive(Debug, Serialize)]
pub(crate) struct RequestView {
    pub method: Option<String>,
    pub url: Option<Clip>,
    pub url_href: Option<String>,
    pub query: Vec<(String, Clip)>,
    pub query_text: Option<Clip>,
    pub fragment: Option<Clip>,
    pub headers: Vec<(String, Clip)>,
    pub cookies: Vec<(String, Clip)>,
    pub cookies_text: Option<Clip>,
    pub body: Option<Clip>,
    pub env: Vec<(String, Clip)>,
}

pub(crate) fn request(data: &Value, b: &Budget) -> Option<RequestView> {
    let r = data.get("request")?.as_object()?;
    let get = |k: &str| r.get(k).filter(|v| !v.is_null());
    let url = get("url").and_then(Value::as_str);
    let (query, query_text) = pair_list_or_text(get("query_string"), b);
    let (cookies, cookies_text) = pair_list_or_text(get("cookies"), b);
    let (headers, _) = pair_list_or_text(get("headers"), b);
    Some(RequestView {
        method: get("method").and_then(Value::as_str).map(|m| b.line(m, 20)),
        url: url.map(|u| b.clip(u, HEAD)),
        url_href: url.and_then(safe_href),
        query,
        query_text,
        fragment: get("fragment")
            .and_then(Value::as_str)
            .map(|f| b.clip(f, HEAD)),
        headers,
        cookies,
        cookies_text,
        body: get("data").map(|d| b.value(d, 1000)),
        env: get("env")
            .and_then(Value::as_object)
            .map(|e| pairs(e, b))
            .unwrap_or_default(),
    })
}

/// `[[name, value], ...]` or `{name: value}` as rows; a string as text.
fn pair_list_or_text(v: Option<&Value>, b: &Budget) -> (Vec<(String, Clip)>, Option<Clip>) {
    match v {
        Some(Value::Array(items)) => (
            items
                .iter()
                .take(MAX_ROWS)
                .filter_map(|p| {
                    let p = p.as_array()?;
                    let k = p.first()?.as_str().unwrap_or("");
                    Some((key(b, k), b.value(p.get(1).unwrap_or(&Value::Null), HEAD)))
                })
                .collect(),
            None,
        ),
        Some(Value::Object(o)) => (pairs(o, b), None),
        Some(Value::String(s)) if !s.is_empty() => (Vec::new(), Some(b.clip(s, HEAD))),
        _ => (Vec::new(), None),
    }
}

/// The user: the identifying fields first, then whatever else came.
pub(crate) fn user(data: &Value, b: &Budget) -> Vec<(String, Clip)> {
    let Some(u) = data.get("user").and_then(Value::as_object) else {
        return Vec::new();
    };
    const FIRST: [&str; 5] = ["id", "email", "username", "ip_address", "name"];
    let mut rows: Vec<(String, Clip)> = FIRST
        .iter()
        .filter_map(|k| Some((k.to_string(), b.value(u.get(*k)?, HEAD))))
        .collect();
    rows.extend(
        u.iter()
            .filter(|(k, _)| !FIRST.contains(&k.as_str()))
            .take(MAX_ROWS)
            .map(|(k, v)| (key(b, k), b.value(v, HEAD))),
    );
    rows
}

#[derive(Debug, Serialize)]
pub(crate) struct TagView {
    pub key: String,
    pub value: Clip,
    /// The issue list of the project searched for this tag, when the key
    /// can be written in the search syntax.
    pub search_href: Option<String>,
}

pub(crate) fn tags(data: &Value, project_slug: &str, b: &Budget) -> Vec<TagView> {
    let Some(list) = data.get("tags").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .take(MAX_ROWS)
        .filter_map(|pair| {
            let k = pair.get(0)?.as_str()?;
            let v = pair.get(1)?.as_str()?;
            Some(TagView {
                key: key(b, k),
                value: b.clip(v, 100),
                search_href: tag_search_href(project_slug, k, v),
            })
        })
        .collect()
}

/// `/projects/{slug}/issues?query=key:"value"&status=all`, with the value
/// quoted for the search syntax and the whole query URL-encoded.
pub(crate) fn tag_search_href(project_slug: &str, k: &str, v: &str) -> Option<String> {
    let plain_key = !k.is_empty()
        && k.len() <= 200
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    if !plain_key || v.len() > 200 {
        return None;
    }
    let quoted = v.replace('\\', "\\\\").replace('"', "\\\"");
    // `user` tag values are `email:x`, searched as `user.email:x`.
    let term = match (k, v.split_once(':')) {
        ("user", Some((field, rest))) if ["id", "email", "username", "ip"].contains(&field) => {
            format!(
                "user.{field}:\"{}\"",
                rest.replace('\\', "\\\\").replace('"', "\\\"")
            )
        }
        _ => format!("{k}:\"{quoted}\""),
    };
    let query = serde_urlencoded::to_string([("query", term.as_str()), ("status", "all")]).ok()?;
    Some(format!("/projects/{project_slug}/issues?{query}"))
}

#[derive(Debug, Serialize)]
pub(crate) struct ContextView {
    pub name: String,
    pub ty: String,
    pub rows: Vec<(String, Clip)>,
}

/// Contexts, the well-known ones first in Sentry's order.
pub(crate) fn contexts(data: &Value, b: &Budget) -> Vec<ContextView> {
    let Some(ctx) = data.get("contexts").and_then(Value::as_object) else {
        return Vec::new();
    };
    const ORDER: [&str; 8] = [
        "os", "browser", "runtime", "device", "app", "trace", "culture", "gpu",
    ];
    let rank = |k: &str| ORDER.iter().position(|o| *o == k).unwrap_or(ORDER.len());
    let mut names: Vec<&String> = ctx.keys().collect();
    names.sort_by_key(|k| (rank(k), k.to_string()));
    names
        .into_iter()
        .take(MAX_ROWS)
        .map(|name| {
            let c = &ctx[name];
            let rows = c
                .as_object()
                .map(|o| {
                    let filtered: serde_json::Map<String, Value> = o
                        .iter()
                        .filter(|(k, _)| k.as_str() != "type")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    pairs(&filtered, b)
                })
                .unwrap_or_default();
            ContextView {
                name: key(b, name),
                ty: b.line(str_of(c, "type").unwrap_or(name), 100),
                rows,
            }
        })
        .collect()
}

/// `extra` as rows.
pub(crate) fn extra(data: &Value, b: &Budget) -> Vec<(String, Clip)> {
    data.get("extra")
        .and_then(Value::as_object)
        .map(|e| pairs(e, b))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub(crate) struct SdkView {
    pub name: String,
    pub version: String,
    pub integrations: String,
    pub packages: Vec<String>,
}

pub(crate) fn sdk(data: &Value, b: &Budget) -> Option<SdkView> {
    let s = data.get("sdk")?;
    let integrations: Vec<&str> = s
        .get("integrations")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).take(MAX_ROWS).collect())
        .unwrap_or_default();
    let packages = s
        .get("packages")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .take(MAX_ROWS)
                .filter_map(|p| {
                    Some(b.line(
                        &format!(
                            "{} {}",
                            str_of(p, "name")?,
                            str_of(p, "version").unwrap_or("")
                        ),
                        200,
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(SdkView {
        name: b.line(str_of(s, "name").unwrap_or("unknown"), 200),
        version: b.line(str_of(s, "version").unwrap_or(""), 100),
        integrations: b.line(&integrations.join(", "), 2000),
        packages,
    })
}

/// Installed packages (`modules`), name → version.
pub(crate) fn modules(data: &Value, b: &Budget) -> Vec<(String, Clip)> {
    data.get("modules")
        .and_then(Value::as_object)
        .map(|m| pairs(m, b))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
pub(crate) struct ProcessingError {
    pub ty: String,
    pub details: Vec<(String, Clip)>,
}

/// `errors`: what the SDK reported and what normalisation repaired.
pub(crate) fn errors(data: &Value, b: &Budget) -> Vec<ProcessingError> {
    let Some(list) = data.get("errors").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .take(MAX_ROWS)
        .map(|e| {
            let details = e
                .as_object()
                .map(|o| {
                    let rest: serde_json::Map<String, Value> = o
                        .iter()
                        .filter(|(k, _)| k.as_str() != "type")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    pairs(&rest, b)
                })
                .unwrap_or_default();
            ProcessingError {
                ty: b.line(str_of(e, "type").unwrap_or("error"), 200),
                details,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_show_formatted_text_with_parameters() {
        let b = Budget::default();
        let m = message(
            &json!({"logentry": {"message": "user %s paid %d%% of {}", "params": ["ada", 50, "x"]}}),
            &b,
        )
        .unwrap();
        assert_eq!(m.text.head, "user ada paid 50% of x");
        assert_eq!(m.template.unwrap().head, "user %s paid %d%% of {}");
        assert_eq!(m.params.len(), 3);
        let m = message(
            &json!({"logentry": {"formatted": "done", "message": "done"}}),
            &b,
        )
        .unwrap();
        assert_eq!(m.text.head, "done");
        assert!(m.template.is_none());
        assert_eq!(apply_params("%s and %s", &[&json!(1)]), "1 and %s");
        assert!(message(&json!({}), &b).is_none());
    }

    #[test]
    fn requests_link_only_http_urls() {
        let b = Budget::default();
        let r = request(
            &json!({"request": {"url": "javascript:alert(1)", "method": "POST",
                "headers": [["Host", "x"], ["X-Evil", "<script>"]], "query_string": [["a", "1"]],
                "data": {"k": "v"}}}),
            &b,
        )
        .unwrap();
        assert_eq!(r.url_href, None);
        assert_eq!(r.url.unwrap().head, "javascript:alert(1)");
        assert_eq!(r.headers[1].0, "X-Evil");
        assert_eq!(r.query[0].0, "a");
        assert!(r.body.unwrap().head.contains("\"k\""));
        let r = request(
            &json!({"request": {"url": "https://shop.example/cart?x=1"}}),
            &b,
        )
        .unwrap();
        assert_eq!(r.url_href.as_deref(), Some("https://shop.example/cart?x=1"));
    }

    #[test]
    fn tag_links_are_encoded_searches() {
        assert_eq!(
            tag_search_href("app", "browser.name", "Chrome \"x\" & y").unwrap(),
            "/projects/app/issues?query=browser.name%3A%22Chrome+%5C%22x%5C%22+%26+y%22&status=all"
        );
        assert_eq!(
            tag_search_href("app", "user", "email:a@b.c").unwrap(),
            "/projects/app/issues?query=user.email%3A%22a%40b.c%22&status=all"
        );
        assert_eq!(tag_search_href("app", "bad key", "v"), None);
        assert_eq!(tag_search_href("app", "<script>", "v"), None);
    }

    #[test]
    fn contexts_come_in_a_useful_order() {
        let b = Budget::default();
        let c = contexts(
            &json!({"contexts": {"zeta": {"type": "zeta", "a": 1}, "trace": {"type": "trace"}, "os": {"type": "os", "name": "Linux"}}}),
            &b,
        );
        let names: Vec<&str> = c.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, vec!["os", "trace", "zeta"]);
        assert_eq!(c[0].rows[0].0, "name");
    }
}
