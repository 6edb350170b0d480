//! `GET /projects/{slug}/issues`: a project's issues, filtered, searched,
//! sorted and paginated by keyset (fast at any depth), with sparklines and
//! the checkboxes of the bulk actions (`issue_actions`).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use minijinja::context;
use moth_storage::issues::{
    level, IssueCursor, IssueListRequest, IssueQuery, IssueSort, IssueSummary, StatusFilter,
};
use moth_storage::membership::ProjectRef;
use serde::Serialize;

use super::charts::{self, Period, Sparkline};
use super::fmt::{compact, status_view, thousands, StatusView, When};
use crate::{access, CurrentUser, UiError, UiState};

/// Issues per page.
pub(crate) const PAGE_SIZE: i64 = 25;
/// Matching issues counted at most ("1,000+"), and for at most this long
/// (then the page says "many"): an exact count of a broad search could
/// cost more than the page itself.
const COUNT_CAP: i64 = 1_000;
const COUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(15);

/// The list's settings, read leniently from the query string: anything
/// unknown falls back to the default rather than failing the page.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct ListParams {
    /// The search box.
    pub query: String,
    /// `unresolved` (default), `resolved`, `muted` or `all`.
    pub status: String,
    pub environment: String,
    pub release: String,
    pub level: String,
    /// `date` (default), `new`, `freq`, `user`.
    pub sort: String,
    /// `24h` (default) or `14d`.
    pub period: String,
    #[serde(skip)]
    pub cursor: Option<IssueCursor>,
    #[serde(skip)]
    pub select_all: bool,
}

impl ListParams {
    pub fn parse(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(raw.unwrap_or("")).unwrap_or_default();
        let mut p = ListParams {
            status: "unresolved".into(),
            sort: IssueSort::LastSeen.as_sentry().into(),
            period: Period::Day.as_str().into(),
            ..Default::default()
        };
        for (k, v) in pairs {
            let v = v.trim().chars().take(1000).collect::<String>();
            match k.as_str() {
                "query" => p.query = v,
                "status" if ["unresolved", "resolved", "muted", "all"].contains(&v.as_str()) => {
                    p.status = v
                }
                "environment" => p.environment = v,
                "release" => p.release = v,
                "level" if level_number(&v).is_some() || v.is_empty() => p.level = v,
                "sort" => {
                    if let Some(s) = IssueSort::parse(&v) {
                        p.sort = s.as_sentry().into();
                    }
                }
                "period" if Period::parse(&v).is_some() => p.period = v,
                "cursor" => p.cursor = IssueCursor::decode(&v),
                "all" => p.select_all = v == "1",
                _ => {}
            }
        }
        p
    }

    pub fn sort(&self) -> IssueSort {
        IssueSort::parse(&self.sort).unwrap_or_default()
    }

    pub fn period(&self) -> Period {
        Period::parse(&self.period).unwrap_or(Period::Day)
    }

    /// Whether the search box says `is:…` itself (then it wins over the
    /// status tabs).
    pub fn search_sets_status(&self) -> bool {
        self.query.split_whitespace().any(|w| {
            w.to_ascii_lowercase()
                .trim_start_matches('!')
                .starts_with("is:")
        })
    }

    /// The search with the filters applied on top.
    pub fn issue_query(&self) -> Result<IssueQuery, String> {
        let mut q = IssueQuery::parse(&self.query, Utc::now()).map_err(|e| e.to_string())?;
        if !self.search_sets_status() {
            q.status = match self.status.as_str() {
                "resolved" => Some(StatusFilter::Resolved),
                "muted" => Some(StatusFilter::Muted),
                "all" => None,
                _ => Some(StatusFilter::Unresolved),
            };
        }
        if !self.environment.is_empty() {
            q.tags
                .push(("environment".into(), self.environment.clone()));
        }
        if !self.release.is_empty() {
            q.tags.push(("release".into(), self.release.clone()));
        }
        if let Some(l) = level_number(&self.level) {
            q.levels.push(l);
        }
        Ok(q)
    }

    /// This list's URL with some settings changed (defaults left out).
    pub fn href(&self, slug: &str, change: impl FnOnce(&mut Self)) -> String {
        let mut p = self.clone();
        p.select_all = false;
        p.cursor = None;
        change(&mut p);
        let mut pairs: Vec<(&str, String)> = Vec::new();
        let mut add = |k: &'static str, v: &str, default: &str| {
            if v != default {
                pairs.push((k, v.to_string()));
            }
        };
        add("query", &p.query, "");
        add("status", &p.status, "unresolved");
        add("environment", &p.environment, "");
        add("release", &p.release, "");
        add("level", &p.level, "");
        add("sort", &p.sort, "date");
        add("period", &p.period, "24h");
        if let Some(c) = p.cursor {
            pairs.push(("cursor", c.encode()));
        }
        if p.select_all {
            pairs.push(("all", "1".into()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            format!("/projects/{slug}/issues")
        } else {
            format!("/projects/{slug}/issues?{query}")
        }
    }
}

fn level_number(name: &str) -> Option<i16> {
    Some(match name {
        "fatal" => level::FATAL,
        "error" => level::ERROR,
        "warning" => level::WARNING,
        "info" => level::INFO,
        "debug" => level::DEBUG,
        _ => return None,
    })
}

/// One row of the list.
#[derive(Debug, Serialize)]
pub(crate) struct IssueRow {
    pub id: i64,
    pub short_id: String,
    pub title: String,
    pub culprit: String,
    pub level: &'static str,
    pub status: StatusView,
    pub events: String,
    pub events_exact: String,
    pub users: String,
    pub users_exact: String,
    pub first_seen: When,
    pub last_seen: When,
    pub spark: Sparkline,
}

/// Titles and culprits are one line in a list; the issue page has them whole.
fn one_line(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).collect();
    if s.chars().nth(max).is_some() {
        out.push('…');
    }
    out
}

pub(crate) fn issue_row(issue: &IssueSummary, spark: Sparkline) -> IssueRow {
    let now = Utc::now();
    IssueRow {
        id: issue.id,
        short_id: issue.short_id_display(),
        title: one_line(&issue.title, 200),
        culprit: one_line(&issue.culprit, 200),
        level: issue.level_name(),
        status: status_view(issue, now),
        events: compact(issue.times_seen),
        events_exact: thousands(issue.times_seen),
        users: compact(issue.users_seen),
        users_exact: thousands(issue.users_seen),
        first_seen: When::new(issue.first_seen, now),
        last_seen: When::new(issue.last_seen, now),
        spark,
    }
}

/// `GET /projects/{slug}/issues`
pub(crate) async fn list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let db = state.db();
    let project = access::require_project(db, &user, ProjectRef::Slug(&slug)).await?;
    let params = ListParams::parse(raw.as_deref());
    let now = Utc::now();
    let (query, search_error) = match params.issue_query() {
        Ok(q) => (Some(q), None),
        Err(e) => (None, Some(e)),
    };
    let project_ids = [project.id];
    let (page, count, releases) = match &query {
        Some(q) => {
            let req = IssueListRequest {
                project_ids: &project_ids,
                query: q,
                sort: params.sort(),
                cursor: params.cursor,
                limit: PAGE_SIZE,
            };
            let (page, count, releases) = tokio::try_join!(
                db.list_issues(&req),
                db.count_issues_within(&project_ids, q, COUNT_CAP, COUNT_BUDGET),
                db.project_releases(project.id, 50),
            )?;
            (Some(page), count, releases)
        }
        None => (None, Some(0), db.project_releases(project.id, 50).await?),
    };
    let period = params.period();
    let issues = page.as_ref().map(|p| p.issues.as_slice()).unwrap_or(&[]);
    let ids: Vec<i64> = issues.iter().map(|i| i.id).collect();
    let hourly = if ids.is_empty() {
        Default::default()
    } else {
        db.issue_hourly_counts(&ids, period.since(now)).await?
    };
    let (buckets, hours) = period.shape();
    let rows: Vec<IssueRow> = issues
        .iter()
        .map(|i| {
            let counts = hourly.get(&i.id).map(Vec::as_slice).unwrap_or(&[]);
            issue_row(
                i,
                charts::sparkline(&charts::bucket_counts(counts, now, buckets, hours)),
            )
        })
        .collect();
    let next_href = page
        .as_ref()
        .and_then(|p| p.next)
        .map(|c| params.href(&project.slug, |p| p.cursor = Some(c)));
    let previous_href = page.as_ref().and_then(|p| p.previous).map(|c| {
        params.href(&project.slug, |p| {
            // The first page has a plain URL (bookmarkable, no cursor).
            p.cursor = Some(c);
        })
    });
    let here = params.href(&project.slug, |p| p.cursor = params.cursor);
    let tabs: Vec<_> = ["unresolved", "resolved", "muted", "all"]
        .iter()
        .map(|s| {
            context! {
                name => s,
                href => params.href(&project.slug, |p| p.status = s.to_string()),
                active => !params.search_sets_status() && params.status == *s,
            }
        })
        .collect();
    let sorts: Vec<_> = [
        ("date", "Last seen"),
        ("new", "First seen"),
        ("freq", "Events"),
        ("user", "Users"),
    ]
    .iter()
    .map(|(v, label)| context! { value => v, label => label, selected => params.sort == *v })
    .collect();
    let periods: Vec<_> = ["24h", "14d"]
        .iter()
        .map(|v| {
            context! {
                name => v,
                href => params.href(&project.slug, |p| { p.period = v.to_string(); p.cursor = params.cursor; }),
                active => params.period == *v,
            }
        })
        .collect();
    let count_text = match count {
        Some(n) if n >= COUNT_CAP => format!("{}+", thousands(COUNT_CAP)),
        Some(n) => thousands(n),
        // Not counted in time; a single page is its own count.
        None if next_href.is_some() || params.cursor.is_some() => "many".to_string(),
        None => rows.len().to_string(),
    };
    let releases: Vec<String> = releases.into_iter().map(|r| r.version).collect();
    let ctx = context! {
        project => super::projects::project_view(&project),
        params => &params,
        rows,
        count => count_text,
        search_error => &search_error,
        status_from_search => params.search_sets_status(),
        tabs,
        sorts,
        periods,
        levels => ["fatal", "error", "warning", "info", "debug"],
        releases,
        next_href,
        previous_href,
        here => &here,
        select_all => params.select_all,
        select_all_href => params.href(&project.slug, |p| { p.select_all = true; p.cursor = params.cursor; }),
        select_none_href => &here,
        paged => params.cursor.is_some(),
        first_href => params.href(&project.slug, |_| {}),
    };
    let status = if search_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok((status, state.page(Some(&user), "issue_list.html", ctx)?).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_read_leniently_and_written_back_minimally() {
        let p = ListParams::parse(Some(
            "query=level%3Aerror+boom&status=bogus&sort=freq&period=14d&cursor=junk&level=warning&environment=prod",
        ));
        assert_eq!(p.status, "unresolved");
        assert_eq!(p.sort(), IssueSort::Events);
        assert_eq!(p.period(), Period::TwoWeeks);
        assert_eq!(p.cursor, None);
        let q = p.issue_query().unwrap();
        assert_eq!(q.status, Some(StatusFilter::Unresolved));
        assert_eq!(q.levels, vec![level::ERROR, level::WARNING]);
        assert_eq!(
            q.tags,
            vec![("environment".to_string(), "prod".to_string())]
        );
        assert_eq!(q.text, vec!["boom".to_string()]);
        assert_eq!(
            p.href("app", |p| p.status = "all".into()),
            "/projects/app/issues?query=level%3Aerror+boom&status=all&environment=prod&level=warning&sort=freq&period=14d"
        );
        assert_eq!(
            ListParams::parse(None).href("app", |_| {}),
            "/projects/app/issues"
        );
    }

    #[test]
    fn the_search_box_status_wins_over_the_tabs() {
        let p = ListParams::parse(Some("query=is%3Aresolved&status=muted"));
        assert!(p.search_sets_status());
        assert_eq!(
            p.issue_query().unwrap().status,
            Some(StatusFilter::Resolved)
        );
        let p = ListParams::parse(Some("query=is%3Aall"));
        assert_eq!(p.issue_query().unwrap().status, None);
        let p = ListParams::parse(Some("query=%22open"));
        assert!(p.issue_query().unwrap_err().contains("unterminated"));
    }
}
