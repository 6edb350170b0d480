//! An issue as Sentry's API shows a group: `id` and `count` as strings,
//! `shortId`, `status` (`unresolved`, `resolved`, `ignored`) with
//! `statusDetails`, the project, `permalink`, and optional `stats` series.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use moth_storage::issues::{IssueStatus, IssueSummary};
use moth_storage::projects::Project;
use moth_storage::Database;
use serde_json::{json, Map, Value};

use super::{iso, project_ref_json};
use crate::UiError;

/// A `stats` series: how many buckets of which size (Sentry's
/// `statsPeriod` choices `24h` and `14d`, and `30d` on issue details).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StatsPeriod {
    Day,
    TwoWeeks,
    Month,
}

impl StatsPeriod {
    /// Sentry's rule: absent → `24h`, empty → no stats, `24h` / `14d`, and
    /// anything else is a 400 with Sentry's message.
    pub fn parse(raw: Option<&str>) -> Result<Option<Self>, UiError> {
        match raw {
            None => Ok(Some(Self::Day)),
            Some("") => Ok(None),
            Some("24h") => Ok(Some(Self::Day)),
            Some("14d") => Ok(Some(Self::TwoWeeks)),
            Some(_) => Err(UiError::BadRequest(
                "Invalid stats_period. Valid choices are '', '24h', and '14d'".into(),
            )),
        }
    }

    pub fn key(&self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::TwoWeeks => "14d",
            Self::Month => "30d",
        }
    }

    fn buckets(&self) -> (i64, Duration) {
        match self {
            Self::Day => (24, Duration::hours(1)),
            Self::TwoWeeks => (14, Duration::days(1)),
            Self::Month => (30, Duration::days(1)),
        }
    }

    /// Start of each bucket, oldest first; the last one holds `now`.
    fn starts(&self, now: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let (n, size) = self.buckets();
        let last = now.duration_trunc(size).unwrap_or(now);
        (0..n).rev().map(|k| last - size * k as i32).collect()
    }
}

/// `[[unix seconds, events], ...]` per issue for `period`, every bucket
/// present (zero when quiet), from the hourly counters.
pub(crate) async fn stats(
    db: &Database,
    issue_ids: &[i64],
    period: StatsPeriod,
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Value>, UiError> {
    let starts = period.starts(now);
    let since = starts[0];
    let hourly = db.issue_hourly_counts(issue_ids, since).await?;
    let size = period.buckets().1;
    Ok(issue_ids
        .iter()
        .map(|id| {
            let mut counts = vec![0i64; starts.len()];
            for (hour, count) in hourly.get(id).map(Vec::as_slice).unwrap_or_default() {
                let idx = ((*hour - since).num_seconds() / size.num_seconds()) as usize;
                if let Some(c) = counts.get_mut(idx) {
                    *c += count;
                }
            }
            let series = starts
                .iter()
                .zip(counts)
                .map(|(t, c)| json!([t.timestamp(), c]))
                .collect();
            (*id, Value::Array(series))
        })
        .collect())
}

/// Sentry's `status` label and `statusDetails` for a stored status.
pub(crate) fn status_json(issue: &IssueSummary) -> (&'static str, Value) {
    match issue.parsed_status() {
        IssueStatus::Unresolved => ("unresolved", json!({})),
        IssueStatus::Resolved => ("resolved", json!({})),
        IssueStatus::ResolvedInNextRelease { .. } => ("resolved", json!({ "inNextRelease": true })),
        IssueStatus::ResolvedInRelease { release } => ("resolved", json!({ "inRelease": release })),
        IssueStatus::Muted(m) if m.is_forever() => ("ignored", json!({})),
        IssueStatus::Muted(m) => {
            // Like Sentry, counts are what remains before the mute ends.
            let events_left = m
                .events
                .map(|n| (n - (issue.times_seen - m.events_baseline)).max(0));
            let users_left = m
                .users
                .map(|n| (n - (issue.users_seen - m.users_baseline)).max(0));
            (
                "ignored",
                json!({
                    "ignoreCount": events_left,
                    "ignoreUntil": m.until.map(iso),
                    "ignoreUserCount": users_left,
                    "ignoreUserWindow": null,
                    "ignoreWindow": null,
                    "actor": null,
                }),
            )
        }
    }
}

/// A release as issues name them: Sentry sends an object with `version`.
fn release_json(version: &Option<String>) -> Value {
    match version {
        Some(v) => json!({ "version": v, "shortVersion": v }),
        None => Value::Null,
    }
}

/// The group fields every issue answer has.
pub(crate) fn issue_json(issue: &IssueSummary, project: &Project, base_url: &str) -> Value {
    let (status, details) = status_json(issue);
    let mut m = Map::new();
    let fields = [
        ("id", json!(issue.id.to_string())),
        ("shareId", Value::Null),
        ("shortId", json!(issue.short_id_display())),
        ("title", json!(issue.title)),
        ("culprit", json!(issue.culprit)),
        (
            "permalink",
            json!(format!("{base_url}/issues/{}", issue.id)),
        ),
        ("logger", Value::Null),
        ("level", json!(issue.level_name())),
        ("status", json!(status)),
        ("statusDetails", details),
        ("isPublic", json!(false)),
        ("platform", json!(issue.platform)),
        ("project", project_ref_json(project)),
        ("type", json!(issue.kind)),
        ("metadata", metadata(issue)),
        ("numComments", json!(0)),
        ("assignedTo", Value::Null),
        ("isBookmarked", json!(false)),
        ("isSubscribed", json!(false)),
        ("subscriptionDetails", Value::Null),
        ("hasSeen", json!(false)),
        ("annotations", json!([])),
        ("count", json!(issue.times_seen.to_string())),
        ("userCount", json!(issue.users_seen)),
        ("firstSeen", json!(iso(issue.first_seen))),
        ("lastSeen", json!(iso(issue.last_seen))),
        ("firstRelease", release_json(&issue.first_release)),
        ("lastRelease", release_json(&issue.last_release)),
    ];
    for (k, v) in fields {
        m.insert(k.into(), v);
    }
    Value::Object(m)
}

/// Sentry always sends an object here, with `title` for message issues.
fn metadata(issue: &IssueSummary) -> Value {
    match &issue.metadata {
        Value::Object(o) if !o.is_empty() => Value::Object(o.clone()),
        _ => json!({ "title": issue.title }),
    }
}

/// Issues with their projects looked up from `projects` (which the caller
/// got through the access check) and optional stats.
pub(crate) async fn issues_json(
    db: &Database,
    issues: &[IssueSummary],
    projects: &[Project],
    base_url: &str,
    period: Option<StatsPeriod>,
) -> Result<Vec<Value>, UiError> {
    let by_id: HashMap<i64, &Project> = projects.iter().map(|p| (p.id, p)).collect();
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let mut series = match period {
        Some(p) if !ids.is_empty() => Some((p, stats(db, &ids, p, Utc::now()).await?)),
        _ => None,
    };
    let mut out = Vec::with_capacity(issues.len());
    for issue in issues {
        let project = by_id
            .get(&issue.project_id)
            .ok_or_else(|| UiError::Internal(format!("issue {} outside its projects", issue.id)))?;
        let mut v = issue_json(issue, project, base_url);
        if let Some((p, s)) = series.as_mut() {
            v["stats"] = json!({ p.key(): s.remove(&issue.id).unwrap_or_else(|| json!([])) });
        }
        out.push(v);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_periods_follow_sentry() {
        assert_eq!(StatsPeriod::parse(None).unwrap(), Some(StatsPeriod::Day));
        assert_eq!(StatsPeriod::parse(Some("")).unwrap(), None);
        assert_eq!(
            StatsPeriod::parse(Some("14d")).unwrap(),
            Some(StatsPeriod::TwoWeeks)
        );
        let err = StatsPeriod::parse(Some("7d")).unwrap_err().to_string();
        assert!(err.contains("Valid choices"), "{err}");
    }

    #[test]
    fn buckets_end_at_now() {
        let now = DateTime::parse_from_rfc3339("2026-11-20T10:35:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let day = StatsPeriod::Day.starts(now);
        assert_eq!(day.len(), 24);
        assert_eq!(iso(*day.last().unwrap()), "2026-11-20T10:00:00.000000Z");
        assert_eq!(iso(day[0]), "2026-11-19T11:00:00.000000Z");
        let two = StatsPeriod::TwoWeeks.starts(now);
        assert_eq!(two.len(), 14);
        assert_eq!(iso(two[13]), "2026-11-20T00:00:00.000000Z");
    }
}
