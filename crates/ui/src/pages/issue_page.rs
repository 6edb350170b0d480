//! `GET /issues/{id}`: one issue — header, events over time, tag
//! distributions, actions, activity, the latest event in full and the
//! most recent events — and `GET /issues/{id}/events`, all its events a
//! page at a time.

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use minijinja::{context, Value};
use moth_storage::events::StoredEvent;
use moth_storage::issues::queries::{ActivityEntry, TagDistribution};
use moth_storage::issues::IssueSummary;
use moth_storage::projects::Project;
use moth_storage::StorageError;
use serde::Serialize;

use super::charts::bar_chart;
use super::event_page::{event_context, EventNav};
use super::event_view::tag_search_href;
use super::fmt::{status_view, thousands, When};
use super::issue_actions::visible_issue;
use crate::{CurrentUser, UiError, UiState};

/// Top values shown per tag.
const TOP_VALUES: i64 = 5;
/// Events listed on the issue page; the events page pages through all.
const RECENT_EVENTS: i64 = 10;
/// Events per page of `/issues/{id}/events`.
const EVENTS_PAGE: i64 = 50;

/// The issue header both issue and event pages show.
pub(crate) fn issue_header(issue: &IssueSummary, project: &Project) -> Value {
    let now = Utc::now();
    context! {
        id => issue.id,
        short_id => issue.short_id_display(),
        title => &issue.title,
        culprit => &issue.culprit,
        level => issue.level_name(),
        kind => &issue.kind,
        platform => &issue.platform,
        status => status_view(issue, now),
        events => thousands(issue.times_seen),
        users => thousands(issue.users_seen),
        first_seen => When::new(issue.first_seen, now),
        last_seen => When::new(issue.last_seen, now),
        first_release => &issue.first_release,
        last_release => &issue.last_release,
        project => super::projects::project_view(project),
    }
}

#[derive(Debug, Serialize)]
struct TagBar {
    value: String,
    count: String,
    percent: f64,
    percent_text: String,
    href: Option<String>,
}

fn tag_view(t: &TagDistribution, slug: &str) -> Value {
    let values: Vec<TagBar> = t
        .top
        .iter()
        .map(|v| {
            let percent = if t.total > 0 {
                v.count as f64 * 100.0 / t.total as f64
            } else {
                0.0
            };
            TagBar {
                value: v.value.chars().take(200).collect(),
                count: thousands(v.count),
                percent: (percent * 10.0).round() / 10.0,
                percent_text: if percent > 0.0 && percent < 1.0 {
                    "<1%".into()
                } else {
                    format!("{}%", percent.round())
                },
                href: tag_search_href(slug, &t.key, &v.value),
            }
        })
        .collect();
    let shown: i64 = t.top.iter().map(|v| v.count).sum();
    context! {
        key => t.key.chars().take(200).collect::<String>(),
        distinct => thousands(t.distinct),
        total => thousands(t.total),
        values,
        other => (t.distinct > t.top.len() as i64).then(|| thousands(t.total - shown)),
    }
}

/// An activity entry in words (who did what, and when).
fn activity_view(a: &ActivityEntry) -> Value {
    let data = &a.data;
    let text = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let what = match a.kind.as_str() {
        "set_resolved" => "resolved the issue".to_string(),
        "set_resolved_in_next_release" => match text("release") {
            Some(r) => format!("resolved the issue in the next release after {r}"),
            None => "resolved the issue in the next release".to_string(),
        },
        "set_resolved_in_release" => format!(
            "resolved the issue in release {}",
            text("release").unwrap_or_default()
        ),
        "set_unresolved" => "marked the issue unresolved".to_string(),
        "set_muted" => "muted the issue".to_string(),
        "set_regressed" => match text("release") {
            Some(r) => format!("regressed: a new event arrived (release {r})"),
            None => "regressed: a new event arrived".to_string(),
        },
        "set_unmuted" => "unmuted: the mute's condition was met".to_string(),
        "merge" => {
            let merged: Vec<String> = data
                .get("merged")
                .and_then(|m| m.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            format!("merged {} into this issue", merged.join(", "))
        }
        other => other.replace('_', " "),
    };
    let automatic = matches!(a.kind.as_str(), "set_regressed" | "set_unmuted");
    context! {
        who => a.user_email.clone().unwrap_or_else(|| if automatic { "Moth".into() } else { "someone (removed user)".into() }),
        what,
        when => When::new(a.created_at, Utc::now()),
    }
}

/// A row of an events table.
pub(crate) fn event_row(issue_id: i64, e: &StoredEvent) -> Value {
    let id = e.event_id_hex();
    context! {
        href => format!("/issues/{issue_id}/events/{id}"),
        short => id.chars().take(8).collect::<String>(),
        id,
        when => When::new(e.timestamp, Utc::now()),
        title => e.title.chars().take(200).collect::<String>(),
        release => &e.release,
        environment => &e.environment,
        user => &e.user_ident,
    }
}

/// `?order=oldest` shows frames and exception chains oldest first.
pub(crate) fn oldest_first(raw: Option<&str>) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(raw.unwrap_or(""))
        .unwrap_or_default()
        .iter()
        .any(|(k, v)| k == "order" && v == "oldest")
}

/// `GET /issues/{id}`
pub(crate) async fn show(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    let db = state.db();
    let now = Utc::now();
    let latest = async {
        match db.issue_edge_event(issue.id, true).await {
            Ok(e) => Ok(Some(e)),
            // Events may have been deleted under a surviving issue.
            Err(StorageError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    };
    let issue_ids = [issue.id];
    let (latest, tags, activity, hourly, recent, releases) = tokio::try_join!(
        latest,
        db.issue_tags(issue.id, TOP_VALUES),
        db.issue_activity(issue.id, 100),
        db.issue_hourly_counts(&issue_ids, now - Duration::days(30)),
        db.issue_events(issue.id, None, RECENT_EVENTS + 1),
        db.project_releases(project.id, 50),
    )?;
    let hourly = hourly.get(&issue.id).map(Vec::as_slice).unwrap_or(&[]);
    let charts = vec![
        bar_chart("Last 24 hours", hourly, now, 24, 1),
        bar_chart("Last 30 days", hourly, now, 30, 24),
    ];
    let event = match &latest {
        Some(e) => Some(
            event_context(
                &state,
                &issue,
                &project,
                e,
                oldest_first(raw.as_deref()),
                EventNav::Latest,
            )
            .await?,
        ),
        None => None,
    };
    let more_events = recent.len() as i64 > RECENT_EVENTS;
    let recent: Vec<Value> = recent
        .iter()
        .take(RECENT_EVENTS as usize)
        .map(|e| event_row(issue.id, e))
        .collect();
    let ctx = context! {
        issue => issue_header(&issue, &project),
        charts,
        tags => tags.iter().map(|t| tag_view(t, &project.slug)).collect::<Vec<_>>(),
        activity => activity.iter().map(activity_view).collect::<Vec<_>>(),
        first_seen => When::new(issue.first_seen, now),
        event,
        recent,
        more_events,
        releases => releases.into_iter().map(|r| r.version).collect::<Vec<_>>(),
        mute_durations => [("30m", "30 minutes"), ("1h", "1 hour"), ("6h", "6 hours"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")],
    };
    Ok(state.page(Some(&user), "issue.html", ctx)?.into_response())
}

/// `GET /issues/{id}/events[?before=ID]`: every event, newest first.
pub(crate) async fn events(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    let before = serde_urlencoded::from_str::<Vec<(String, String)>>(raw.as_deref().unwrap_or(""))
        .unwrap_or_default()
        .into_iter()
        .find(|(k, _)| k == "before")
        .and_then(|(_, v)| v.parse::<i64>().ok());
    let db = state.db();
    let (mut page, total) = tokio::try_join!(
        db.issue_events(issue.id, before, EVENTS_PAGE + 1),
        db.issue_event_count(issue.id),
    )?;
    let more = page.len() as i64 > EVENTS_PAGE;
    page.truncate(EVENTS_PAGE as usize);
    let older_href = more
        .then(|| {
            page.last()
                .map(|e| format!("/issues/{}/events?before={}", issue.id, e.id))
        })
        .flatten();
    let ctx = context! {
        issue => issue_header(&issue, &project),
        events => page.iter().map(|e| event_row(issue.id, e)).collect::<Vec<_>>(),
        total => thousands(total),
        older_href,
        newest_href => before.map(|_| format!("/issues/{}/events", issue.id)),
    };
    Ok(state
        .page(Some(&user), "issue_events.html", ctx)?
        .into_response())
}
