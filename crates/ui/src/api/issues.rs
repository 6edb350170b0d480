//! Reading issues: the searchable, cursor-paginated lists of a project and
//! of the organization, and one issue with its activity, stats and tags.
//! The lists run the same query as the issue list page (`list_issues`).

use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Duration, Utc};
use moth_storage::issues::{IssueCursor, IssueListRequest, IssueQuery, IssueSort};
use moth_storage::projects::Project;
use serde_json::{json, Value};

use super::issue_json::{issue_json, issues_json, stats, StatsPeriod};
use super::pagination::{link, PageLink};
use super::params::Params;
use super::{check_org, iso, path_project};
use crate::{access, CurrentUser, UiError, UiState};

/// Issues counted for `X-Hits` at most (then `X-Max-Hits` tells the cap).
const MAX_HITS: i64 = 1000;

/// `GET /api/0/projects/{org}/{project}/issues/`
pub(crate) async fn project_list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project)): Path<(String, String)>,
    params: Params,
) -> Result<Response, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    let period = StatsPeriod::parse(params.get("statsPeriod"))?;
    list(&state, &params, vec![project], period, None).await
}

/// `GET /api/0/organizations/{org}/issues/?project=ID&project=ID`: no
/// `project` (or `-1`) means every project the user may see. As in Sentry,
/// `statsPeriod` here is the time window (issues seen within it; empty or
/// absent: all time) and `groupStatsPeriod` picks the `stats` series.
pub(crate) async fn org_list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(org): Path<String>,
    params: Params,
) -> Result<Response, UiError> {
    check_org(&state, &org)?;
    let wanted: Vec<&str> = params.all("project");
    let projects = if wanted.is_empty() || wanted.contains(&"-1") {
        access::visible_projects(state.db(), &user).await?
    } else {
        access::require_projects(state.db(), &user, &params.ids("project")?).await?
    };
    let window = match params.get("statsPeriod").map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(parse_window(p)?),
    };
    let period = StatsPeriod::parse(params.get("groupStatsPeriod"))?;
    list(&state, &params, projects, period, window).await
}

/// `24h`, `14d`, `90m`, `2w`: Sentry's relative `statsPeriod`.
fn parse_window(raw: &str) -> Result<Duration, UiError> {
    let bad = || {
        UiError::BadRequest(format!(
            "Invalid statsPeriod {raw:?}: use a number and a unit, like 24h or 14d"
        ))
    };
    let cut = raw.char_indices().last().map_or(0, |(i, _)| i);
    let (num, unit) = raw.split_at(cut);
    let n: i64 = num.parse().map_err(|_| bad())?;
    if !(1..=100_000).contains(&n) {
        return Err(bad());
    }
    match unit {
        "s" => Ok(Duration::seconds(n)),
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

/// The parsed `query` (Sentry's default `is:unresolved` when absent; an
/// empty one lists everything), a 400 saying what is wrong otherwise.
pub(crate) fn parse_query(params: &Params) -> Result<IssueQuery, UiError> {
    let raw = params.get("query").unwrap_or("is:unresolved");
    IssueQuery::parse(raw, Utc::now())
        .map_err(|e| UiError::BadRequest(format!("Invalid search query: {e}")))
}

async fn list(
    state: &UiState,
    params: &Params,
    projects: Vec<Project>,
    period: Option<StatsPeriod>,
    window: Option<Duration>,
) -> Result<Response, UiError> {
    let mut query = parse_query(params)?;
    if let Some(w) = window {
        let since = Utc::now() - w;
        query.last_seen_after = Some(query.last_seen_after.map_or(since, |t| t.max(since)));
    }
    let sort = match params.get("sort") {
        None | Some("") => IssueSort::default(),
        Some(s) => IssueSort::parse(s).ok_or_else(|| {
            UiError::BadRequest(format!("Invalid sort {s:?}: use date, new, freq or user"))
        })?,
    };
    let limit = params.limit()?;
    let cursor = params.cursor(IssueCursor::decode)?;
    let project_ids: Vec<i64> = projects.iter().map(|p| p.id).collect();
    let db = state.db();
    let page = db
        .list_issues(&IssueListRequest {
            project_ids: &project_ids,
            query: &query,
            sort,
            cursor,
            limit,
        })
        .await?;
    let hits = db.count_issues(&project_ids, &query, MAX_HITS).await?;
    let base_url = &state.config().base_url;
    let body = issues_json(db, &page.issues, &projects, base_url, period).await?;
    let previous = PageLink::new(page.previous.map(|c| c.encode()), "0:0:1");
    let next = PageLink::new(page.next.map(|c| c.encode()), "0:0:0");
    let mut response = Json(Value::Array(body)).into_response();
    let headers = response.headers_mut();
    let (name, value) = link(base_url, params, &previous, &next);
    headers.insert(name, value);
    headers.insert("x-hits", HeaderValue::from(hits));
    headers.insert("x-max-hits", HeaderValue::from(MAX_HITS));
    Ok(response)
}

/// `GET /api/0/issues/{issue_id}/`
pub(crate) async fn detail(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(issue_id): Path<String>,
) -> Result<Json<Value>, UiError> {
    issue_details(&state, &user, &issue_id).await.map(Json)
}

/// `GET /api/0/organizations/{org}/issues/{issue_id}/`
pub(crate) async fn org_detail(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<Json<Value>, UiError> {
    check_org(&state, &org)?;
    issue_details(&state, &user, &issue_id).await.map(Json)
}

/// The issue named in a path and its project, if the user may see it.
pub(crate) async fn path_issue(
    state: &UiState,
    user: &CurrentUser,
    issue_id: &str,
) -> Result<(moth_storage::issues::IssueSummary, Project), UiError> {
    let id = access::parse_id(issue_id)?;
    let found = access::require_issues(state.db(), user, &[id]).await?;
    let project_id = found.first().map(|f| f.1).ok_or(UiError::NotFound)?;
    let issue = state.db().issue(id).await?;
    let project = state.db().project_by_id(project_id).await?;
    Ok((issue, project))
}

/// Sentry's group details: the group plus activity, 24-hour and 30-day
/// stats, and the issue's tag keys.
async fn issue_details(
    state: &UiState,
    user: &CurrentUser,
    issue_id: &str,
) -> Result<Value, UiError> {
    let (issue, project) = path_issue(state, user, issue_id).await?;
    let db = state.db();
    let mut v = issue_json(&issue, &project, &state.config().base_url);
    let now = Utc::now();
    let mut day = stats(db, &[issue.id], StatsPeriod::Day, now).await?;
    let mut month = stats(db, &[issue.id], StatsPeriod::Month, now).await?;
    v["stats"] = json!({
        "24h": day.remove(&issue.id).unwrap_or_else(|| json!([])),
        "30d": month.remove(&issue.id).unwrap_or_else(|| json!([])),
    });
    v["activity"] = Value::Array(
        db.issue_activity(issue.id, 100)
            .await?
            .into_iter()
            .map(|a| activity_json(&a))
            .collect(),
    );
    v["tags"] = Value::Array(
        db.issue_tags(issue.id, 0)
            .await?
            .into_iter()
            .map(|t| json!({ "key": t.key, "name": t.key, "totalValues": t.total }))
            .collect(),
    );
    v["seenBy"] = json!([]);
    v["participants"] = json!([]);
    v["pluginActions"] = json!([]);
    v["pluginIssues"] = json!([]);
    v["pluginContexts"] = json!([]);
    Ok(v)
}

/// An activity entry with Sentry's type names.
fn activity_json(a: &moth_storage::issues::queries::ActivityEntry) -> Value {
    let kind = match a.kind.as_str() {
        "set_muted" => "set_ignored",
        "set_resolved_in_next_release" => "set_resolved_in_release",
        "regression" => "set_regression",
        "unmuted" => "set_unresolved",
        other => other,
    };
    let user = match (a.user_id, &a.user_email) {
        (Some(id), Some(email)) => json!({
            "id": id.to_string(), "email": email, "username": email, "name": email,
        }),
        _ => Value::Null,
    };
    json!({
        "id": a.id.to_string(),
        "type": kind,
        "data": a.data,
        "dateCreated": iso(a.created_at),
        "user": user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("14d").unwrap(), Duration::days(14));
        assert_eq!(parse_window("24h").unwrap(), Duration::hours(24));
        assert!(parse_window("d").is_err());
        assert!(parse_window("0d").is_err());
        assert!(parse_window("3y").is_err());
        assert!(parse_window("\u{84}").is_err());
        assert!(parse_window("1€").is_err());
    }
}
