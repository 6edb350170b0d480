//! An event's interfaces as Sentry's API lists them in `entries`:
//! `{"type": "exception" | "message" | "stacktrace" | "threads" |
//! "breadcrumbs" | "request", "data": ...}`, with Sentry's camelCase field
//! names (`absPath`, `lineNo`, `inApp`, `context` as `[lineno, line]` pairs).
//! The input is Moth's normalised event JSON, whose shape `moth-protocol`
//! guarantees; anything missing becomes `null` rather than an error.

use serde_json::{json, Map, Value};

/// The entries of an event, in Sentry's display order.
pub(crate) fn entries(data: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let mut push = |kind: &str, value: Option<Value>| {
        if let Some(data) = value {
            out.push(json!({ "type": kind, "data": data }));
        }
    };
    push("message", message(data));
    push("exception", exception(data));
    push("stacktrace", data.get("stacktrace").and_then(stacktrace));
    push("threads", threads(data));
    push("breadcrumbs", breadcrumbs(data));
    push("request", request(data));
    out
}

fn str_or_null(v: Option<&Value>) -> Value {
    v.filter(|v| v.is_string()).cloned().unwrap_or(Value::Null)
}

fn values(v: Option<&Value>) -> &[Value] {
    v.and_then(|v| v.get("values"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `logentry` → `{"formatted", "message", "params"}`.
fn message(data: &Value) -> Option<Value> {
    let log = data.get("logentry")?.as_object()?;
    let formatted = log
        .get("formatted")
        .or_else(|| log.get("message"))
        .filter(|v| v.is_string())?;
    Some(json!({
        "formatted": formatted,
        "message": str_or_null(log.get("message")),
        "params": log.get("params").cloned().unwrap_or(Value::Null),
    }))
}

fn exception(data: &Value) -> Option<Value> {
    let list = values(data.get("exception"));
    if list.is_empty() {
        return None;
    }
    let mut system = false;
    let exceptions: Vec<Value> = list
        .iter()
        .map(|e| {
            let st = e.get("stacktrace").and_then(stacktrace);
            system |= st
                .as_ref()
                .is_some_and(|s| s["hasSystemFrames"] == Value::Bool(true));
            json!({
                "type": str_or_null(e.get("type")),
                "value": str_or_null(e.get("value")),
                "module": str_or_null(e.get("module")),
                "mechanism": e.get("mechanism").cloned().unwrap_or(Value::Null),
                "threadId": e.get("thread_id").cloned().unwrap_or(Value::Null),
                "stacktrace": st,
                "rawStacktrace": null,
            })
        })
        .collect();
    Some(json!({ "values": exceptions, "hasSystemFrames": system, "excOmitted": null }))
}

/// A stack trace, oldest frame first as Sentry lists them too.
fn stacktrace(st: &Value) -> Option<Value> {
    let frames = st.get("frames")?.as_array()?;
    let in_app = |f: &Value| f.get("in_app") == Some(&Value::Bool(true));
    let has_system = frames.iter().any(in_app) && frames.iter().any(|f| !in_app(f));
    Some(json!({
        "frames": frames.iter().map(frame).collect::<Vec<_>>(),
        "framesOmitted": st.get("frames_omitted").cloned().unwrap_or(Value::Null),
        "registers": st.get("registers").cloned().unwrap_or(Value::Null),
        "hasSystemFrames": has_system,
    }))
}

fn frame(f: &Value) -> Value {
    json!({
        "filename": str_or_null(f.get("filename")),
        "absPath": str_or_null(f.get("abs_path")),
        "module": str_or_null(f.get("module")),
        "package": str_or_null(f.get("package")),
        "platform": str_or_null(f.get("platform")),
        "instructionAddr": str_or_null(f.get("instruction_addr")),
        "symbolAddr": str_or_null(f.get("symbol_addr")),
        "function": str_or_null(f.get("function")),
        "rawFunction": str_or_null(f.get("raw_function")),
        "symbol": str_or_null(f.get("symbol")),
        "context": context(f),
        "lineNo": f.get("lineno").filter(|v| v.is_u64()).cloned().unwrap_or(Value::Null),
        "colNo": f.get("colno").filter(|v| v.is_u64()).cloned().unwrap_or(Value::Null),
        "inApp": f.get("in_app") == Some(&Value::Bool(true)),
        "trust": str_or_null(f.get("trust")),
        "errors": null,
        "vars": f.get("vars").filter(|v| v.is_object()).cloned().unwrap_or(Value::Null),
    })
}

/// `pre_context`, `context_line`, `post_context` → `[[lineno, line], ...]`.
fn context(f: &Value) -> Value {
    let (Some(line), Some(lineno)) = (
        f.get("context_line").and_then(Value::as_str),
        f.get("lineno").and_then(Value::as_i64),
    ) else {
        return json!([]);
    };
    let lines = |key: &str| -> Vec<&str> {
        f.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().map(|l| l.as_str().unwrap_or("")).collect())
            .unwrap_or_default()
    };
    let pre = lines("pre_context");
    let post = lines("post_context");
    let first = lineno - pre.len() as i64;
    let mut out = Vec::with_capacity(pre.len() + post.len() + 1);
    for (i, l) in pre.iter().enumerate() {
        out.push(json!([first + i as i64, l]));
    }
    out.push(json!([lineno, line]));
    for (i, l) in post.iter().enumerate() {
        out.push(json!([lineno + 1 + i as i64, l]));
    }
    Value::Array(out)
}

fn threads(data: &Value) -> Option<Value> {
    let list = values(data.get("threads"));
    if list.is_empty() {
        return None;
    }
    let threads: Vec<Value> = list
        .iter()
        .map(|t| {
            json!({
                "id": t.get("id").cloned().unwrap_or(Value::Null),
                "name": str_or_null(t.get("name")),
                "current": t.get("current").and_then(Value::as_bool).unwrap_or(false),
                "crashed": t.get("crashed").and_then(Value::as_bool).unwrap_or(false),
                "stacktrace": t.get("stacktrace").and_then(stacktrace),
                "rawStacktrace": null,
            })
        })
        .collect();
    Some(json!({ "values": threads }))
}

fn breadcrumbs(data: &Value) -> Option<Value> {
    let list = values(data.get("breadcrumbs"));
    if list.is_empty() {
        return None;
    }
    let crumbs: Vec<Value> = list
        .iter()
        .map(|b| {
            json!({
                "type": b.get("type").and_then(Value::as_str).unwrap_or("default"),
                "category": str_or_null(b.get("category")),
                "level": b.get("level").and_then(Value::as_str).unwrap_or("info"),
                "message": str_or_null(b.get("message")),
                "data": b.get("data").filter(|v| v.is_object()).cloned().unwrap_or(Value::Null),
                "timestamp": str_or_null(b.get("timestamp")),
                "event_id": str_or_null(b.get("event_id")),
            })
        })
        .collect();
    Some(json!({ "values": crumbs }))
}

/// Pairs as Sentry lists headers, query and cookies: `[[name, value], ...]`.
fn pairs(v: Option<&Value>) -> Value {
    match v {
        Some(Value::Array(a)) => Value::Array(
            a.iter()
                .filter(|p| p.as_array().is_some_and(|p| p.len() == 2))
                .cloned()
                .collect(),
        ),
        Some(Value::Object(o)) => Value::Array(
            o.iter()
                .map(|(k, v)| json!([k, v.as_str().map_or_else(|| v.to_string(), String::from)]))
                .collect(),
        ),
        Some(Value::String(s)) => {
            let parsed: Vec<(String, String)> =
                serde_urlencoded::from_str(s.trim_start_matches('?')).unwrap_or_default();
            Value::Array(parsed.into_iter().map(|(k, v)| json!([k, v])).collect())
        }
        _ => json!([]),
    }
}

fn request(data: &Value) -> Option<Value> {
    let r = data.get("request")?.as_object()?;
    if r.is_empty() {
        return None;
    }
    let cookies = match r.get("cookies") {
        Some(Value::String(s)) => Value::Array(
            s.split(';')
                .filter_map(|c| c.trim().split_once('='))
                .map(|(k, v)| json!([k, v]))
                .collect(),
        ),
        other => pairs(other),
    };
    let headers = pairs(r.get("headers"));
    let content_type = headers.as_array().and_then(|hs| {
        hs.iter().find_map(|h| {
            (h[0].as_str()?.eq_ignore_ascii_case("content-type")).then(|| h[1].clone())
        })
    });
    Some(json!({
        "method": str_or_null(r.get("method")),
        "url": str_or_null(r.get("url")),
        "query": pairs(r.get("query_string")),
        "fragment": str_or_null(r.get("fragment")),
        "data": r.get("data").cloned().unwrap_or(Value::Null),
        "headers": headers,
        "cookies": cookies,
        "env": r.get("env").filter(|v| v.is_object()).cloned().unwrap_or(Value::Null),
        "inferredContentType": content_type.unwrap_or(Value::Null),
    }))
}

/// The `user` interface: Sentry's known keys, the rest under `data`.
pub(crate) fn user(data: &Value) -> Value {
    let Some(u) = data.get("user").and_then(Value::as_object) else {
        return Value::Null;
    };
    let known = ["id", "email", "username", "ip_address", "name", "geo"];
    let mut rest = Map::new();
    for (k, v) in u {
        if !known.contains(&k.as_str()) && k != "data" {
            rest.insert(k.clone(), v.clone());
        }
    }
    if let Some(Value::Object(d)) = u.get("data") {
        rest.extend(d.clone());
    }
    json!({
        "id": u.get("id").map(|v| v.as_str().map_or_else(|| v.to_string(), String::from)),
        "email": str_or_null(u.get("email")),
        "username": str_or_null(u.get("username")),
        "ip_address": str_or_null(u.get("ip_address")),
        "name": str_or_null(u.get("name")),
        "geo": u.get("geo").cloned().unwrap_or(Value::Null),
        "data": if rest.is_empty() { Value::Null } else { Value::Object(rest) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_and_context_lines() {
        let data = json!({"exception": {"values": [{"type": "ZeroDivisionError", "value": "x",
        "stacktrace": {"frames": [
            {"filename": "lib.py", "lineno": 3, "in_app": false},
            {"filename": "app.py", "abs_path": "/srv/app.py", "function": "main", "lineno": 10,
             "colno": 2, "in_app": true, "context_line": "  1/0", "pre_context": ["a", "b"],
             "post_context": ["c"], "vars": {"x": "1"}}
        ]}}]}});
        let e = entries(&data);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0]["type"], "exception");
        let ex = &e[0]["data"]["values"][0];
        assert_eq!(ex["type"], "ZeroDivisionError");
        let f = &ex["stacktrace"]["frames"][1];
        assert_eq!(f["absPath"], "/srv/app.py");
        assert_eq!(f["lineNo"], 10);
        assert_eq!(f["colNo"], 2);
        assert_eq!(f["inApp"], true);
        assert_eq!(
            f["context"],
            json!([[8, "a"], [9, "b"], [10, "  1/0"], [11, "c"]])
        );
        assert_eq!(f["vars"]["x"], "1");
        assert_eq!(ex["stacktrace"]["hasSystemFrames"], true);
        assert_eq!(ex["stacktrace"]["frames"][0]["context"], json!([]));
    }

    #[test]
    fn message_breadcrumbs_request_user() {
        let data = json!({
            "logentry": {"message": "hi %s", "params": ["a"], "formatted": "hi a"},
            "breadcrumbs": {"values": [{"message": "m", "timestamp": "2026-01-01T00:00:00Z"}]},
            "request": {"url": "http://x/y", "method": "GET", "query_string": "a=1&b=2",
                        "headers": [["Content-Type", "text/plain"]], "cookies": "s=1; t=2"},
            "user": {"id": 7, "email": "a@b.c", "plan": "pro"},
        });
        let e = entries(&data);
        let kinds: Vec<&str> = e.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["message", "breadcrumbs", "request"]);
        assert_eq!(e[0]["data"]["formatted"], "hi a");
        assert_eq!(e[1]["data"]["values"][0]["type"], "default");
        assert_eq!(e[1]["data"]["values"][0]["level"], "info");
        assert_eq!(e[2]["data"]["query"], json!([["a", "1"], ["b", "2"]]));
        assert_eq!(e[2]["data"]["cookies"], json!([["s", "1"], ["t", "2"]]));
        assert_eq!(e[2]["data"]["inferredContentType"], "text/plain");
        let u = user(&data);
        assert_eq!(u["id"], "7");
        assert_eq!(u["data"]["plan"], "pro");
        assert_eq!(user(&json!({})), Value::Null);
    }
}
