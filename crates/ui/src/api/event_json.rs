//! An event as Sentry's API shows it: `id`/`eventID` (32 hex), `groupID`
//! and `projectID` as strings, `tags` as `[{key, value}]` sorted by key,
//! `entries` ([`super::entries`]), `contexts`, `user`, `sdk`, `errors`.
//! The short form (issue event lists without `full=true`) leaves out the
//! event body, as Sentry's `SimpleEventSerializer` does.

use moth_storage::events::StoredEvent;
use serde_json::{json, Map, Value};

use super::entries::{entries, user};
use super::iso;
use crate::UiError;

/// `[{key, value, query?}]`, sorted by key; `query` is the search that
/// finds the tag's issues, for user tags as Sentry writes it.
fn tags(data: &Value) -> Value {
    let mut pairs = StoredEvent::tag_pairs(data);
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    Value::Array(
        pairs
            .into_iter()
            .map(|(key, value)| {
                let mut t = json!({ "key": key, "value": value });
                if let Some(q) = user_tag_query(&key, &value) {
                    t["query"] = json!(q);
                }
                t
            })
            .collect(),
    )
}

/// `user` tag `email:a@b.c` → `user.email:"a@b.c"`.
fn user_tag_query(key: &str, value: &str) -> Option<String> {
    if key != "user" {
        return None;
    }
    let (sub, v) = value.split_once(':')?;
    ["id", "email", "username", "ip"]
        .contains(&sub)
        .then(|| format!("user.{sub}:\"{}\"", v.replace('"', "\\\"")))
}

/// The message Sentry shows: the formatted log message, else the raw one.
fn message(data: &Value) -> Value {
    let log = &data["logentry"];
    log["formatted"]
        .as_str()
        .or_else(|| log["message"].as_str())
        .map_or_else(|| json!(""), |m| json!(m))
}

/// `data.errors` as Sentry's API lists processing errors:
/// `{type, message, data}`; like Sentry it leaves out notes about
/// breadcrumbs, `extra` and single frames, which nobody can act on.
fn errors(data: &Value) -> Value {
    let Some(list) = data["errors"].as_array() else {
        return json!([]);
    };
    Value::Array(
        list.iter()
            .filter_map(Value::as_object)
            .filter(|e| {
                let name = e.get("name").and_then(Value::as_str).unwrap_or("");
                !name.starts_with("breadcrumbs.")
                    && !name.starts_with("extra.")
                    && !name.contains(".frames.")
            })
            .map(|e| {
                let kind = e
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown_error");
                let rest: Map<String, Value> = e
                    .iter()
                    .filter(|(k, _)| k.as_str() != "type")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                json!({ "type": kind, "message": error_message(kind), "data": rest })
            })
            .collect(),
    )
}

fn error_message(kind: &str) -> &'static str {
    match kind {
        "invalid_data" => "Discarded invalid value",
        "value_too_long" => "Discarded value due to exceeding maximum length",
        "too_many_items" => "Discarded items beyond the maximum count",
        "too_deep" => "Discarded value nested too deeply",
        "future_timestamp" => "Invalid timestamp (in future)",
        "past_timestamp" => "Invalid timestamp (too old)",
        _ => "Unknown error",
    }
}

fn object_or_empty(v: &Value) -> Value {
    if v.is_object() {
        v.clone()
    } else {
        json!({})
    }
}

/// The fields both forms share.
fn common(event: &StoredEvent, data: &Value) -> Map<String, Value> {
    let id = event.event_id_hex();
    let mut m = Map::new();
    let fields = [
        ("id", json!(id)),
        ("eventID", json!(id)),
        ("groupID", json!(event.issue_id.to_string())),
        ("projectID", json!(event.project_id.to_string())),
        ("title", json!(event.title)),
        ("message", message(data)),
        (
            "culprit",
            data["culprit"].as_str().map_or(Value::Null, |c| json!(c)),
        ),
        ("location", Value::Null),
        ("platform", json!(event.platform)),
        ("dateCreated", json!(iso(event.timestamp))),
        ("tags", tags(data)),
    ];
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    m
}

/// The short form of issue event lists.
pub(crate) fn simple_event_json(event: &StoredEvent) -> Result<Value, UiError> {
    let data = event.data()?;
    let mut m = common(event, &data);
    m.insert("event.type".into(), event_type(&data));
    m.insert("user".into(), user(&data));
    m.insert("crashFile".into(), Value::Null);
    Ok(Value::Object(m))
}

fn event_type(data: &Value) -> Value {
    data["type"]
        .as_str()
        .map_or_else(|| json!("default"), |t| json!(t))
}

/// The full event: entries, contexts, user, sdk, release, errors.
pub(crate) fn event_json(event: &StoredEvent) -> Result<Value, UiError> {
    let data = event.data()?;
    let mut m = common(event, &data);
    let release = event
        .release
        .as_ref()
        .map_or(Value::Null, |v| json!({ "version": v, "shortVersion": v }));
    let fields = [
        ("type", event_type(&data)),
        ("entries", Value::Array(entries(&data))),
        ("user", user(&data)),
        ("contexts", object_or_empty(&data["contexts"])),
        ("sdk", data.get("sdk").cloned().unwrap_or(Value::Null)),
        ("context", object_or_empty(&data["extra"])),
        ("packages", object_or_empty(&data["modules"])),
        ("metadata", object_or_empty(&data["metadata"])),
        ("errors", errors(&data)),
        ("dateReceived", json!(iso(event.received_at))),
        ("dist", data.get("dist").cloned().unwrap_or(Value::Null)),
        ("release", release),
        ("environment", json!(event.environment)),
        ("crashFile", Value::Null),
    ];
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tags_get_their_search() {
        assert_eq!(
            user_tag_query("user", "email:a@b.c").as_deref(),
            Some("user.email:\"a@b.c\"")
        );
        assert_eq!(user_tag_query("user", "nothing"), None);
        assert_eq!(user_tag_query("browser", "id:1"), None);
    }

    #[test]
    fn processing_notes_become_sentry_errors() {
        let data = json!({"errors": [
            {"type": "value_too_long", "name": "message", "max": 10},
            {"type": "invalid_data", "name": "breadcrumbs.values.0.level"},
            "junk",
        ]});
        let e = errors(&data);
        assert_eq!(e.as_array().unwrap().len(), 1);
        assert_eq!(e[0]["type"], "value_too_long");
        assert_eq!(e[0]["data"]["max"], 10);
        assert!(e[0]["message"].as_str().unwrap().contains("maximum length"));
    }
}
