//! Microsoft Teams through a Workflows ("Post to a channel when a webhook
//! request is received") webhook: a message carrying one Adaptive Card.
//! Event data goes into `RichTextBlock` text runs, which Teams never reads
//! as markdown, so nothing from an event can format or link anything.

use serde_json::{json, Value};

use super::text::{fit, teams};
use super::{issue_facts, issue_label, FactValue, DIGEST_SHOWN};
use crate::message::{headline, test_text, utc_text, Message, Subject};

pub(super) fn render(message: &Message) -> Value {
    let head = headline(message);
    let (body, actions) = match &message.subject {
        Subject::Issue(alert) => {
            let issue = &alert.issue;
            let mut body = vec![
                rich(vec![run(&head, 300)
                    .with("weight", "Bolder")
                    .with("size", "Medium")
                    .with("color", level_color(issue.level))]),
                rich(vec![run(&issue_label(&issue.short_id, &issue.title), 500)
                    .with("weight", "Bolder")
                    .with_value(
                        "selectAction",
                        json!({"type": "Action.OpenUrl", "url": issue.url}),
                    )]),
            ];
            if !issue.culprit.trim().is_empty() {
                body.push(rich(vec![run(&issue.culprit, 500)
                    .with("fontType", "Monospace")
                    .with_value("isSubtle", json!(true))]));
            }
            for (label, value) in issue_facts(alert, &message.project.slug) {
                let value = match value {
                    FactValue::Text(s) => fit(s, 300, teams),
                    FactValue::Missing => "—".into(),
                    FactValue::Count(n) => n.to_string(),
                    FactValue::Time(t) => utc_text(t),
                };
                body.push(rich(vec![
                    Run(json!({"type": "TextRun", "text": format!("{label}: "), "weight": "Bolder"})),
                    Run(json!({"type": "TextRun", "text": value})),
                ]));
            }
            (body, vec![open_url("Open in Moth", &issue.url)])
        }
        Subject::Digest(digest) => {
            let mut body = vec![rich(vec![run(&head, 300)
                .with("weight", "Bolder")
                .with("size", "Medium")
                .with("color", "Attention")])];
            for i in digest.issues.iter().take(DIGEST_SHOWN) {
                body.push(rich(vec![run(
                    &format!("• {}", issue_label(&i.short_id, &i.title)),
                    300,
                )
                .with_value(
                    "selectAction",
                    json!({"type": "Action.OpenUrl", "url": i.url}),
                )]));
            }
            let shown = digest.issues.len().min(DIGEST_SHOWN) as i64;
            if digest.count > shown {
                body.push(rich(vec![run(
                    &format!("…and {} more", digest.count - shown),
                    100,
                )
                .with_value("isSubtle", json!(true))]));
            }
            (body, vec![open_url("Open the issue list", &digest.url)])
        }
        Subject::Test { destination_name } => (
            vec![
                rich(vec![run(&head, 300)
                    .with("weight", "Bolder")
                    .with("size", "Medium")]),
                rich(vec![run(
                    &test_text(destination_name, &message.project.slug),
                    2000,
                )]),
            ],
            vec![],
        ),
    };
    let mut card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body.into_iter().map(|b| b.0).collect::<Vec<_>>(),
    });
    if !actions.is_empty() {
        card["actions"] = Value::Array(actions);
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        }]
    })
}

/// A card element or text run under construction.
struct Run(Value);

impl Run {
    fn with(self, key: &str, value: &str) -> Self {
        self.with_value(key, Value::String(value.into()))
    }

    fn with_value(mut self, key: &str, value: Value) -> Self {
        self.0[key] = value;
        self
    }
}

/// A text run of event-derived (or our own) text, defused and truncated.
fn run(text: &str, max: usize) -> Run {
    Run(json!({"type": "TextRun", "text": fit(text, max, teams)}))
}

fn rich(inlines: Vec<Run>) -> Run {
    Run(json!({
        "type": "RichTextBlock",
        "inlines": inlines.into_iter().map(|r| r.0).collect::<Vec<_>>(),
    }))
}

fn open_url(title: &str, url: &str) -> Value {
    json!({"type": "Action.OpenUrl", "title": title, "url": url})
}

/// A text colour of Adaptive Cards by level.
fn level_color(level: &str) -> &'static str {
    match level {
        "fatal" | "error" => "Attention",
        "warning" => "Warning",
        "info" => "Accent",
        _ => "Default",
    }
}
