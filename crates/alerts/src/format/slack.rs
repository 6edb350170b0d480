//! Slack incoming webhooks: Block Kit (a header, the issue title linking to
//! Moth, the culprit, a field grid and a button), with `text` as the
//! notification fallback. Limits: header 150, section text 3000, field 2000
//! characters.

use serde_json::{json, Value};

use super::text::{fit, plain, slack};
use super::{digest_lines, issue_facts, issue_label, FactValue};
use crate::message::{headline, test_text, utc_text, Message, Subject};

pub(super) fn render(message: &Message) -> Value {
    let head = headline(message);
    let header = json!({
        "type": "header",
        "text": {"type": "plain_text", "text": fit(&head, 150, plain), "emoji": false}
    });
    match &message.subject {
        Subject::Issue(alert) => {
            let issue = &alert.issue;
            let label = issue_label(&issue.short_id, &issue.title);
            let mut summary = format!("*<{}|{}>*", issue.url, fit(&label, 500, slack));
            if !issue.culprit.trim().is_empty() {
                summary.push_str(&format!("\n`{}`", fit(&issue.culprit, 500, slack)));
            }
            let fields: Vec<Value> = issue_facts(alert, &message.project.slug)
                .into_iter()
                .map(|(label, value)| {
                    json!({"type": "mrkdwn", "text": format!("*{label}*\n{}", fact(value))})
                })
                .collect();
            json!({
                "text": fit(&format!("{head}: {label}"), 300, slack),
                "blocks": [
                    header,
                    {"type": "section", "text": {"type": "mrkdwn", "text": summary}},
                    {"type": "section", "fields": fields},
                    button("Open in Moth", &issue.url),
                ]
            })
        }
        Subject::Digest(digest) => {
            let lines = digest_lines(
                digest,
                |label, url| format!("• <{url}|{}>", fit(label, 200, slack)),
                "",
            );
            json!({
                "text": fit(&head, 300, slack),
                "blocks": [
                    header,
                    {"type": "section", "text": {"type": "mrkdwn", "text": lines.join("\n")}},
                    button("Open the issue list", &digest.url),
                ]
            })
        }
        Subject::Test { destination_name } => {
            let text = test_text(destination_name, &message.project.slug);
            json!({
                "text": fit(&head, 300, slack),
                "blocks": [
                    header,
                    {"type": "section", "text": {"type": "mrkdwn", "text": fit(&text, 2900, slack)}},
                ]
            })
        }
    }
}

fn fact(value: FactValue<'_>) -> String {
    match value {
        FactValue::Text(s) => fit(s, 1000, slack),
        FactValue::Missing => "—".into(),
        FactValue::Count(n) => n.to_string(),
        // Slack shows the date in the reader's time zone; the text after
        // `|` is the fallback.
        FactValue::Time(t) => format!(
            "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
            t.timestamp(),
            utc_text(t)
        ),
    }
}

fn button(text: &str, url: &str) -> Value {
    json!({
        "type": "actions",
        "elements": [{
            "type": "button",
            "text": {"type": "plain_text", "text": text},
            "url": url
        }]
    })
}
