//! The generic JSON webhook: a documented, versioned schema
//! (`docs/webhooks.md`) for receivers that are programs rather than chats.
//! The body is signed by [`crate::signature`]; strings are JSON-escaped by
//! serde and truncated, never otherwise changed.

use serde_json::{json, Value};

use super::text::clip;
use crate::message::{headline, test_text, IssueInfo, IssueTrigger, Message, Subject};

/// The schema version in every body (`"version"`).
pub const SCHEMA_VERSION: u32 = 1;

/// The `type` of a message, also sent as the `X-Moth-Event` header.
pub fn event_type(message: &Message) -> &'static str {
    match &message.subject {
        Subject::Issue(a) => a.trigger.event_type(),
        Subject::Digest(_) => "issues.digest",
        Subject::Test { .. } => "test",
    }
}

pub(super) fn render(message: &Message) -> Value {
    let mut body = json!({
        "version": SCHEMA_VERSION,
        "type": event_type(message),
        "delivery_id": message.delivery_id,
        "sent_at": message.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "text": clip(&headline(message), 300),
        "project": {
            "id": message.project.id,
            "slug": message.project.slug,
            "name": clip(&message.project.name, 200),
        },
        "issue": null,
        "event": null,
    });
    match &message.subject {
        Subject::Issue(alert) => {
            body["issue"] = issue(&alert.issue);
            body["event"] = match &alert.event {
                Some(e) => json!({
                    "event_id": e.event_id,
                    "environment": e.environment.as_deref().map(|s| clip(s, 200)),
                    "release": e.release.as_deref().map(|s| clip(s, 200)),
                    "timestamp": e.timestamp.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                }),
                None => Value::Null,
            };
            if let IssueTrigger::Threshold {
                events,
                minutes,
                count,
            } = alert.trigger
            {
                body["threshold"] = json!({"events": events, "minutes": minutes, "count": count});
            }
        }
        Subject::Digest(digest) => {
            body["digest"] = json!({
                "count": digest.count,
                "issues": digest.issues.iter().map(issue).collect::<Vec<_>>(),
                "url": digest.url,
            });
        }
        Subject::Test { destination_name } => {
            body["text"] = Value::String(clip(
                &test_text(destination_name, &message.project.slug),
                1000,
            ));
        }
    }
    body
}

fn issue(i: &IssueInfo) -> Value {
    json!({
        "id": i.id,
        "short_id": i.short_id,
        "title": clip(&i.title, 1000),
        "culprit": clip(&i.culprit, 1000),
        "level": i.level,
        "status": i.status,
        "times_seen": i.times_seen,
        "first_seen": i.first_seen.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "last_seen": i.last_seen.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "first_release": i.first_release.as_deref().map(|s| clip(s, 200)),
        "last_release": i.last_release.as_deref().map(|s| clip(s, 200)),
        "url": i.url,
    })
}
