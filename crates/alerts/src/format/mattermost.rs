//! Mattermost incoming webhooks: Slack-compatible `attachments` (colour bar
//! by level, title linking to Moth, short fields). Mattermost renders
//! markdown in `text`, `pretext` and field values, so event data is
//! escaped as markdown there; the title is plain text.

use serde_json::{json, Value};

use super::text::{code_span, fit, markdown, unmentioned};
use super::{digest_lines, issue_facts, issue_label, FactValue};
use crate::message::{headline, test_text, utc_text, Message, Subject};

pub(super) fn render(message: &Message) -> Value {
    let head = headline(message);
    match &message.subject {
        Subject::Issue(alert) => {
            let issue = &alert.issue;
            let label = issue_label(&issue.short_id, &issue.title);
            let fields: Vec<Value> = issue_facts(alert, &message.project.slug)
                .into_iter()
                .map(|(title, value)| json!({"short": true, "title": title, "value": fact(value)}))
                .collect();
            let mut attachment = json!({
                "fallback": fit(&format!("{head}: {label}"), 300, unmentioned),
                "color": level_color(issue.level),
                "pretext": fit(&head, 300, markdown),
                "title": fit(&label, 250, unmentioned),
                "title_link": issue.url,
                "fields": fields,
                "footer": "Moth",
                "ts": message.sent_at.timestamp(),
            });
            if !issue.culprit.trim().is_empty() {
                attachment["text"] =
                    Value::String(format!("`{}`", fit(&issue.culprit, 500, code_span)));
            }
            json!({"username": "Moth", "attachments": [attachment]})
        }
        Subject::Digest(digest) => {
            let lines = digest_lines(
                digest,
                |label, url| format!("- [{}]({url})", fit(label, 200, markdown)),
                "- ",
            );
            json!({
                "username": "Moth",
                "attachments": [{
                    "fallback": fit(&head, 300, unmentioned),
                    "color": level_color("error"),
                    "title": fit(&head, 250, unmentioned),
                    "title_link": digest.url,
                    "text": lines.join("\n"),
                    "footer": "Moth",
                    "ts": message.sent_at.timestamp(),
                }]
            })
        }
        Subject::Test { destination_name } => json!({
            "username": "Moth",
            "attachments": [{
                "fallback": fit(&head, 300, unmentioned),
                "color": level_color("info"),
                "title": fit(&head, 250, unmentioned),
                "text": fit(&test_text(destination_name, &message.project.slug), 2000, markdown),
                "footer": "Moth",
                "ts": message.sent_at.timestamp(),
            }]
        }),
    }
}

fn fact(value: FactValue<'_>) -> String {
    match value {
        FactValue::Text(s) => fit(s, 500, markdown),
        FactValue::Missing => "—".into(),
        FactValue::Count(n) => n.to_string(),
        FactValue::Time(t) => utc_text(t),
    }
}

/// The attachment's colour bar.
pub(super) fn level_color(level: &str) -> &'static str {
    match level {
        "fatal" => "#8B1A1A",
        "error" => "#E03E2F",
        "warning" => "#F2A900",
        "info" => "#2F80ED",
        _ => "#8B8B8B",
    }
}
