//! What a message says, independent of the chat it goes to. Every format in
//! [`crate::format`] renders one of these.

use chrono::{DateTime, Utc};
use moth_storage::alerts::{AlertEvent, AlertIssue};
use moth_storage::issues::{level, short_id};
use moth_storage::projects::Project;
use serde::Serialize;

/// One message to one destination.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub project: ProjectInfo,
    pub subject: Subject,
    /// When it was rendered (also the `sent_at` of the generic webhook).
    pub sent_at: DateTime<Utc>,
    /// The delivery row; the same on every retry of one message (a test
    /// message has none).
    pub delivery_id: Option<i64>,
}

/// The project an alert belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProjectInfo {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl From<&Project> for ProjectInfo {
    fn from(p: &Project) -> Self {
        Self {
            id: p.id,
            slug: p.slug.clone(),
            name: p.name.clone(),
        }
    }
}

/// What the message is about.
// One value per send, never stored in bulk: its size does not matter, and
// boxing would only make constructing it clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Subject {
    /// One issue crossed a trigger.
    Issue(IssueAlert),
    /// Many new issues at once: one message instead of a flood.
    Digest(Digest),
    /// "Send test message" on the settings page or `moth alert test`.
    Test { destination_name: String },
}

/// Why an issue alert was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IssueTrigger {
    New,
    Regression,
    Unmuted,
    /// More than `events` events in `minutes` minutes (`count` seen, which
    /// is at least `events + 1`).
    Threshold {
        events: i32,
        minutes: i32,
        count: i64,
    },
}

impl IssueTrigger {
    /// The generic webhook's `type` field.
    pub fn event_type(&self) -> &'static str {
        match self {
            Self::New => "issue.new",
            Self::Regression => "issue.regression",
            Self::Unmuted => "issue.unmuted",
            Self::Threshold { .. } => "issue.threshold",
        }
    }
}

/// An alert about one issue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssueAlert {
    pub trigger: IssueTrigger,
    pub issue: IssueInfo,
    /// The event that raised it (absent when it is gone).
    pub event: Option<EventInfo>,
}

/// The issue fields messages show. Strings are raw event data: every
/// format escapes and truncates them itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IssueInfo {
    pub id: i64,
    /// Displayed short id, e.g. `API-1A`.
    pub short_id: String,
    pub title: String,
    pub culprit: String,
    /// Level name: debug, info, warning, error or fatal.
    pub level: &'static str,
    pub status: String,
    pub times_seen: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub first_release: Option<String>,
    pub last_release: Option<String>,
    /// The issue page: `<base_url>/issues/<id>`.
    pub url: String,
}

impl IssueInfo {
    pub fn new(issue: &AlertIssue, project_slug: &str, base_url: &str) -> Self {
        Self {
            id: issue.id,
            short_id: short_id(project_slug, issue.short_id),
            title: issue.title.clone(),
            culprit: issue.culprit.clone(),
            level: level::name(issue.level),
            status: issue.status.clone(),
            times_seen: issue.times_seen,
            first_seen: issue.first_seen,
            last_seen: issue.last_seen,
            first_release: issue.first_release.clone(),
            last_release: issue.last_release.clone(),
            url: issue_url(base_url, issue.id),
        }
    }
}

/// The triggering event's fields messages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventInfo {
    /// 32 lowercase hex characters.
    pub event_id: String,
    pub environment: Option<String>,
    pub release: Option<String>,
    pub timestamp: DateTime<Utc>,
}

impl From<&AlertEvent> for EventInfo {
    fn from(e: &AlertEvent) -> Self {
        Self {
            event_id: e.event_id.simple().to_string(),
            environment: e.environment.clone(),
            release: e.release.clone(),
            timestamp: e.timestamp,
        }
    }
}

/// Several new issues in one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Digest {
    /// How many new issues it stands for.
    pub count: i64,
    /// The first few of them.
    pub issues: Vec<IssueInfo>,
    /// The project's issue list: `<base_url>/projects/<slug>/issues`.
    pub url: String,
}

/// The headline every format starts with ("New issue in api").
pub fn headline(message: &Message) -> String {
    let project = &message.project.slug;
    match &message.subject {
        Subject::Issue(a) => match a.trigger {
            IssueTrigger::New => format!("New issue in {project}"),
            IssueTrigger::Regression => format!("Regression in {project}"),
            IssueTrigger::Unmuted => format!("Issue unmuted in {project}"),
            IssueTrigger::Threshold {
                events, minutes, ..
            } => format!(
                "More than {events} {} in {minutes} {} in {project}",
                plural(i64::from(events), "event", "events"),
                plural(i64::from(minutes), "minute", "minutes")
            ),
        },
        Subject::Digest(d) => format!(
            "{} new {} in {project}",
            d.count,
            plural(d.count, "issue", "issues")
        ),
        Subject::Test { .. } => format!("Test message from Moth for {project}"),
    }
}

/// The sentence of a test message.
pub fn test_text(destination_name: &str, project_slug: &str) -> String {
    format!(
        "This is a test of the alert destination \u{201c}{destination_name}\u{201d} of project \
         {project_slug}. If you can read it, Moth's alerts will arrive here."
    )
}

pub(crate) fn plural<'a>(n: i64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// `<base_url>/issues/<id>`.
pub fn issue_url(base_url: &str, issue_id: i64) -> String {
    format!("{}/issues/{issue_id}", base_url.trim_end_matches('/'))
}

/// `<base_url>/projects/<slug>/issues`.
pub fn project_issues_url(base_url: &str, slug: &str) -> String {
    format!("{}/projects/{slug}/issues", base_url.trim_end_matches('/'))
}

/// A time as every format shows it in plain text: `2026-11-23 10:15 UTC`.
pub(crate) fn utc_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}
