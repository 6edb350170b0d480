//! Discord webhooks: one embed (title linking to Moth, colour by level,
//! inline fields). `allowed_mentions` with an empty `parse` list means no
//! text in the message can ping anyone; markdown in event data is escaped
//! as well. Limits: title 256, description 4096, field value 1024.

use serde_json::{json, Value};

use super::text::{code_span, fit, markdown};
use super::{digest_lines, issue_facts, issue_label, FactValue};
use crate::message::{headline, test_text, Message, Subject};

pub(super) fn render(message: &Message) -> Value {
    let head = headline(message);
    let embed = match &message.subject {
        Subject::Issue(alert) => {
            let issue = &alert.issue;
            let mut description = format!("**{}**", fit(&head, 300, markdown));
            if !issue.culprit.trim().is_empty() {
                description.push_str(&format!("\n`{}`", fit(&issue.culprit, 1000, code_span)));
            }
            let fields: Vec<Value> = issue_facts(alert, &message.project.slug)
                .into_iter()
                .map(|(name, value)| json!({"name": name, "value": fact(value), "inline": true}))
                .collect();
            json!({
                "title": fit(&issue_label(&issue.short_id, &issue.title), 256, markdown),
                "url": issue.url,
                "description": description,
                "color": level_color(issue.level),
                "fields": fields,
                "footer": {"text": "Moth"},
                "timestamp": message.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        }
        Subject::Digest(digest) => {
            let lines = digest_lines(
                digest,
                |label, url| format!("• [{}]({url})", fit(label, 200, markdown)),
                "",
            );
            json!({
                "title": fit(&head, 256, markdown),
                "url": digest.url,
                "description": lines.join("\n"),
                "color": level_color("error"),
                "footer": {"text": "Moth"},
                "timestamp": message.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        }
        Subject::Test { destination_name } => json!({
            "title": fit(&head, 256, markdown),
            "description": fit(&test_text(destination_name, &message.project.slug), 4000, markdown),
            "color": level_color("info"),
            "footer": {"text": "Moth"},
            "timestamp": message.sent_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    };
    json!({
        "username": "Moth",
        "allowed_mentions": {"parse": []},
        "embeds": [embed],
    })
}

fn fact(value: FactValue<'_>) -> String {
    match value {
        FactValue::Text(s) => fit(s, 1000, markdown),
        FactValue::Missing => "—".into(),
        FactValue::Count(n) => n.to_string(),
        // Discord shows it in the reader's time zone.
        FactValue::Time(t) => format!("<t:{}:f>", t.timestamp()),
    }
}

/// Embed colour (an RGB integer) by level.
fn level_color(level: &str) -> u32 {
    match level {
        "fatal" => 0x8B1A1A,
        "error" => 0xE03E2F,
        "warning" => 0xF2A900,
        "info" => 0x2F80ED,
        _ => 0x8B8B8B,
    }
}
