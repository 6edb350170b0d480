//! Message formats, one module per kind of destination. Each renders a
//! [`Message`] to the JSON body that chat's incoming webhooks accept.

mod discord;
mod mattermost;
mod slack;
mod teams;
pub(crate) mod text;
pub mod webhook;

use chrono::{DateTime, Utc};
use moth_storage::alerts::DestinationKind;

use crate::message::{Digest, IssueAlert, Message};

/// Issues a digest lists by name in a chat message; the rest are counted.
pub const DIGEST_SHOWN: usize = 5;

/// The JSON body of `message` for a destination of `kind`.
pub fn render(kind: DestinationKind, message: &Message) -> serde_json::Value {
    match kind {
        DestinationKind::Slack => slack::render(message),
        DestinationKind::Mattermost => mattermost::render(message),
        DestinationKind::Discord => discord::render(message),
        DestinationKind::Teams => teams::render(message),
        DestinationKind::Webhook => webhook::render(message),
    }
}

/// A value in an alert's list of facts.
pub(crate) enum FactValue<'a> {
    /// Event data (escaped by each format).
    Text(&'a str),
    /// Absent: shown as a dash.
    Missing,
    Count(i64),
    Time(DateTime<Utc>),
}

/// The facts every chat format shows under an issue alert, in order.
pub(crate) fn issue_facts<'a>(
    alert: &'a IssueAlert,
    project_slug: &'a str,
) -> Vec<(&'static str, FactValue<'a>)> {
    let text = |v: Option<&'a str>| match v {
        Some(s) if !s.trim().is_empty() => FactValue::Text(s),
        _ => FactValue::Missing,
    };
    let event = alert.event.as_ref();
    let release = event
        .and_then(|e| e.release.as_deref())
        .or(alert.issue.last_release.as_deref());
    vec![
        ("Project", FactValue::Text(project_slug)),
        (
            "Environment",
            text(event.and_then(|e| e.environment.as_deref())),
        ),
        ("Release", text(release)),
        ("Level", FactValue::Text(alert.issue.level)),
        ("Events", FactValue::Count(alert.issue.times_seen)),
        ("First seen", FactValue::Time(alert.issue.first_seen)),
    ]
}

/// `API-1A: ValueError: bad`.
pub(crate) fn issue_label(short_id: &str, title: &str) -> String {
    format!("{short_id}: {title}")
}

/// A digest as text lines: one per listed issue, made by `line` from its
/// label and URL, then `{more_prefix}…and N more` for those only counted.
pub(crate) fn digest_lines(
    digest: &Digest,
    line: impl Fn(&str, &str) -> String,
    more_prefix: &str,
) -> Vec<String> {
    let mut lines: Vec<String> = digest
        .issues
        .iter()
        .take(DIGEST_SHOWN)
        .map(|i| line(&issue_label(&i.short_id, &i.title), &i.url))
        .collect();
    let shown = lines.len() as i64;
    if digest.count > shown {
        lines.push(format!("{more_prefix}…and {} more", digest.count - shown));
    }
    lines
}
