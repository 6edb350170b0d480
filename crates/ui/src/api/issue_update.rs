//! Changing issues: `PUT` and `DELETE` on one issue and in bulk
//! (`?id=1&id=2`), with Sentry's bodies:
//!
//! - `{"status": "resolved" | "resolvedInNextRelease" | "unresolved" | "ignored"}`
//! - `statusDetails`: `{"inNextRelease": true}`, `{"inRelease": "1.2"}`,
//!   `{"ignoreDuration": minutes}`, `{"ignoreUntil": "<ISO 8601>"}`,
//!   `{"ignoreCount": n, "ignoreWindow": minutes}`,
//!   `{"ignoreUserCount": n, "ignoreUserWindow": minutes}`
//! - `{"merge": true}` (bulk): the issues become the one with most events.
//!
//! Every id is checked before anything changes: one that the user may not
//! see (or, on a project's path, of another project) is a 404 and nothing
//! is changed. Sentry instead skips such ids; all-or-nothing is Moth's rule
//! for every bulk action.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use moth_storage::issues::StatusChange;
use serde_json::{json, Map, Value};

use super::issue_json::issue_json;
use super::issues::path_issue;
use super::params::Params;
use super::{check_org, iso, path_project};
use crate::{access, CurrentUser, UiError, UiState};

/// Longest `ignoreWindow` / `ignoreUserWindow` Sentry accepts: one week.
const MAX_WINDOW_MINUTES: i64 = 7 * 24 * 60;

/// A parsed `PUT` body.
#[derive(Debug, Clone, PartialEq)]
struct Update {
    status: Option<StatusChange>,
    merge: bool,
    /// The `statusDetails` to answer with (what was asked for).
    details: Value,
}

/// Fields of Sentry's body that Moth has no counterpart for: refused
/// rather than silently dropped, so a script learns it did nothing.
const UNSUPPORTED: &[&str] = &[
    "assignedTo",
    "hasSeen",
    "isBookmarked",
    "isSubscribed",
    "isPublic",
    "discard",
    "priority",
    "inbox",
];

fn parse_update(body: &[u8], now: DateTime<Utc>) -> Result<Update, UiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice(body)
            .map_err(|e| UiError::BadRequest(format!("The body is not valid JSON: {e}")))?
    };
    let Value::Object(obj) = value else {
        return Err(UiError::BadRequest(
            "The body must be a JSON object.".into(),
        ));
    };
    if let Some(field) = UNSUPPORTED.iter().find(|f| obj.contains_key(**f)) {
        return Err(UiError::BadRequest(format!(
            "{field}: not supported by Moth"
        )));
    }
    if obj.get("substatus").is_some_and(|v| !v.is_null()) {
        return Err(UiError::BadRequest(
            "substatus: not supported by Moth".into(),
        ));
    }
    let merge = match obj.get("merge") {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Bool(true)) => true,
        Some(Value::Number(n)) if n.as_i64() == Some(1) => true,
        Some(Value::Number(n)) if n.as_i64() == Some(0) => false,
        Some(_) => return Err(UiError::BadRequest("merge: must be a boolean".into())),
    };
    let details = match obj.get("statusDetails") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(d)) => d.clone(),
        Some(_) => {
            return Err(UiError::BadRequest(
                "statusDetails: must be an object".into(),
            ))
        }
    };
    let (status, details) = match obj.get("status") {
        None | Some(Value::Null) => (None, json!({})),
        Some(Value::String(s)) => {
            let (change, answer) = status_change(s, &details, now)?;
            (Some(change), answer)
        }
        Some(_) => return Err(UiError::BadRequest("status: must be a string".into())),
    };
    Ok(Update {
        status,
        merge,
        details,
    })
}

/// The change a `status` + `statusDetails` ask for, and the
/// `statusDetails` to answer with.
fn status_change(
    status: &str,
    details: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(StatusChange, Value), UiError> {
    let bad = |m: String| UiError::BadRequest(m);
    match status {
        "unresolved" => Ok((StatusChange::Unresolve, json!({}))),
        "resolvedInNextRelease" => Ok((
            StatusChange::ResolveInNextRelease,
            json!({"inNextRelease": true}),
        )),
        "resolved" => {
            for field in ["inCommit", "inUpcomingRelease"] {
                if details.get(field).is_some_and(|v| !v.is_null()) {
                    return Err(bad(format!("statusDetails.{field}: not supported by Moth")));
                }
            }
            if let Some(r) = details.get("inRelease").filter(|v| !v.is_null()) {
                let r = r
                    .as_str()
                    .map(str::trim)
                    .filter(|r| !r.is_empty() && r.len() <= 250 && !r.chars().any(char::is_control))
                    .ok_or_else(|| {
                        bad("statusDetails.inRelease: must be a release version".into())
                    })?;
                if r == "latest" {
                    return Err(bad(
                        "statusDetails.inRelease: name the release (\"latest\" is not supported)"
                            .into(),
                    ));
                }
                return Ok((
                    StatusChange::ResolveInRelease(r.to_string()),
                    json!({ "inRelease": r }),
                ));
            }
            match details.get("inNextRelease") {
                Some(Value::Bool(true)) => Ok((
                    StatusChange::ResolveInNextRelease,
                    json!({"inNextRelease": true}),
                )),
                None | Some(Value::Null) | Some(Value::Bool(false)) => {
                    Ok((StatusChange::Resolve, json!({})))
                }
                Some(_) => Err(bad("statusDetails.inNextRelease: must be a boolean".into())),
            }
        }
        "ignored" | "muted" => mute(details, now),
        other => Err(bad(format!(
            "status: {other:?} is not one of resolved, resolvedInNextRelease, unresolved, ignored"
        ))),
    }
}

fn positive(details: &Map<String, Value>, key: &str, max: i64) -> Result<Option<i64>, UiError> {
    match details.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .filter(|n| (1..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                UiError::BadRequest(format!(
                    "statusDetails.{key}: must be a whole number from 1 to {max}"
                ))
            }),
    }
}

/// An ignore ("mute") with its conditions. Moth counts events and users
/// since the mute, so a window (`ignoreWindow`) is accepted but the count
/// is over the whole mute: it ends at least as soon as Sentry's would.
fn mute(
    details: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<(StatusChange, Value), UiError> {
    let duration = positive(details, "ignoreDuration", 10 * 365 * 24 * 60)?;
    let until_at = match details.get("ignoreUntil") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_str()
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    UiError::BadRequest(
                        "statusDetails.ignoreUntil: must be an ISO 8601 time".into(),
                    )
                })?,
        ),
    };
    let until = match (duration, until_at) {
        (Some(m), _) => Some(now + Duration::minutes(m)),
        (None, t) => t,
    };
    let events = positive(details, "ignoreCount", i64::from(i32::MAX))?;
    let window = positive(details, "ignoreWindow", MAX_WINDOW_MINUTES)?;
    let users = positive(details, "ignoreUserCount", i64::from(i32::MAX))?;
    let user_window = positive(details, "ignoreUserWindow", MAX_WINDOW_MINUTES)?;
    let answer = if until.is_none() && events.is_none() && users.is_none() {
        json!({})
    } else {
        json!({
            "ignoreCount": events,
            "ignoreUntil": until.map(iso),
            "ignoreUserCount": users,
            "ignoreUserWindow": user_window,
            "ignoreWindow": window,
            "actor": null,
        })
    };
    Ok((
        StatusChange::Mute {
            until,
            events,
            users,
        },
        answer,
    ))
}

/// Applies an update to issues already checked visible; answers Sentry's
/// bulk delta (`status`, `statusDetails`, `merge`).
async fn apply(
    state: &UiState,
    user: &CurrentUser,
    ids: &[i64],
    update: &Update,
) -> Result<Value, UiError> {
    let db = state.db();
    let mut answer = Map::new();
    if let Some(change) = &update.status {
        db.set_issue_status(ids, change, Some(user.id)).await?;
        let label = match change {
            StatusChange::Unresolve => "unresolved",
            StatusChange::Mute { .. } => "ignored",
            _ => "resolved",
        };
        answer.insert("status".into(), json!(label));
        answer.insert("statusDetails".into(), update.details.clone());
    }
    if update.merge && ids.len() > 1 {
        let issues = db.issues_by_ids(ids).await?;
        if issues.iter().any(|i| i.project_id != issues[0].project_id) {
            return Err(UiError::BadRequest(
                "Merging across multiple projects is not supported".into(),
            ));
        }
        // Sentry keeps the issue with the most events (then the newest id).
        let target = issues
            .iter()
            .max_by_key(|i| (i.times_seen, i.id))
            .map(|i| i.id)
            .ok_or(UiError::NotFound)?;
        let children: Vec<i64> = ids.iter().copied().filter(|i| *i != target).collect();
        db.merge_issues(target, &children, Some(user.id)).await?;
        answer.insert(
            "merge".into(),
            json!({
                "parent": target.to_string(),
                "children": children.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
            }),
        );
    }
    Ok(Value::Object(answer))
}

/// `PUT /api/0/issues/{issue_id}/`: answers the whole updated issue, as
/// Sentry's group details do.
pub(crate) async fn update(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(issue_id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, UiError> {
    update_one(&state, &user, &issue_id, &body).await
}

/// `PUT /api/0/organizations/{org}/issues/{issue_id}/`
pub(crate) async fn org_update(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, issue_id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, UiError> {
    check_org(&state, &org)?;
    update_one(&state, &user, &issue_id, &body).await
}

async fn update_one(
    state: &UiState,
    user: &CurrentUser,
    issue_id: &str,
    body: &[u8],
) -> Result<Json<Value>, UiError> {
    let (issue, project) = path_issue(state, user, issue_id).await?;
    let update = parse_update(body, Utc::now())?;
    apply(state, user, &[issue.id], &update).await?;
    let issue = state.db().issue(issue.id).await?;
    Ok(Json(issue_json(&issue, &project, &state.config().base_url)))
}

/// `DELETE /api/0/issues/{issue_id}/`: 202 as Sentry (which deletes later;
/// Moth has deleted by the time it answers).
pub(crate) async fn delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(issue_id): Path<String>,
) -> Result<StatusCode, UiError> {
    let (issue, _) = path_issue(&state, &user, &issue_id).await?;
    state.db().delete_issues(&[issue.id]).await?;
    Ok(StatusCode::ACCEPTED)
}

/// `DELETE /api/0/organizations/{org}/issues/{issue_id}/`
pub(crate) async fn org_delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, issue_id)): Path<(String, String)>,
) -> Result<StatusCode, UiError> {
    check_org(&state, &org)?;
    delete(State(state), user, Path(issue_id)).await
}

/// The `id` parameters of a bulk request, each visible to the user and,
/// when `project` is given, in that project; a 404 (and no change) if any
/// one is not.
async fn bulk_ids(
    state: &UiState,
    user: &CurrentUser,
    params: &Params,
    project: Option<i64>,
) -> Result<Vec<i64>, UiError> {
    let mut ids = params.ids("id")?;
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err(UiError::BadRequest(
            "Name the issues to change with id=...&id=...".into(),
        ));
    }
    if ids.len() > 1000 {
        return Err(UiError::BadRequest("At most 1000 issues at once.".into()));
    }
    let found = access::require_issues(state.db(), user, &ids).await?;
    if project.is_some_and(|p| found.iter().any(|(_, ip)| *ip != p)) {
        return Err(UiError::NotFound);
    }
    Ok(ids)
}

/// `PUT /api/0/projects/{org}/{project}/issues/?id=..`
pub(crate) async fn project_bulk_update(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project)): Path<(String, String)>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    let update = parse_update(&body, Utc::now())?;
    let ids = bulk_ids(&state, &user, &params, Some(project.id)).await?;
    apply(&state, &user, &ids, &update).await.map(Json)
}

/// `PUT /api/0/organizations/{org}/issues/?id=..`
pub(crate) async fn org_bulk_update(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(org): Path<String>,
    params: Params,
    body: Bytes,
) -> Result<Json<Value>, UiError> {
    check_org(&state, &org)?;
    let update = parse_update(&body, Utc::now())?;
    let ids = bulk_ids(&state, &user, &params, None).await?;
    apply(&state, &user, &ids, &update).await.map(Json)
}

/// `DELETE /api/0/projects/{org}/{project}/issues/?id=..`: 204 as Sentry.
pub(crate) async fn project_bulk_delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project)): Path<(String, String)>,
    params: Params,
) -> Result<Response, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    let ids = bulk_ids(&state, &user, &params, Some(project.id)).await?;
    state.db().delete_issues(&ids).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/0/organizations/{org}/issues/?id=..`
pub(crate) async fn org_bulk_delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(org): Path<String>,
    params: Params,
) -> Result<Response, UiError> {
    check_org(&state, &org)?;
    let ids = bulk_ids(&state, &user, &params, None).await?;
    state.db().delete_issues(&ids).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Update, UiError> {
        parse_update(body.as_bytes(), Utc::now())
    }

    #[test]
    fn sentry_bodies() {
        let u = parse(r#"{"status":"resolved"}"#).unwrap();
        assert_eq!(u.status, Some(StatusChange::Resolve));
        let u = parse(r#"{"status":"resolved","statusDetails":{"inNextRelease":true}}"#).unwrap();
        assert_eq!(u.status, Some(StatusChange::ResolveInNextRelease));
        assert_eq!(u.details, json!({"inNextRelease": true}));
        let u = parse(r#"{"status":"resolved","statusDetails":{"inRelease":"1.2"}}"#).unwrap();
        assert_eq!(u.status, Some(StatusChange::ResolveInRelease("1.2".into())));
        let u = parse(r#"{"status":"resolvedInNextRelease"}"#).unwrap();
        assert_eq!(u.status, Some(StatusChange::ResolveInNextRelease));
        let u = parse(r#"{"status":"unresolved"}"#).unwrap();
        assert_eq!(u.status, Some(StatusChange::Unresolve));
        let u = parse(r#"{"status":"ignored"}"#).unwrap();
        assert_eq!(
            u.status,
            Some(StatusChange::Mute {
                until: None,
                events: None,
                users: None
            })
        );
        assert_eq!(u.details, json!({}));
        let u = parse(r#"{"status":"ignored","statusDetails":{"ignoreCount":10,"ignoreWindow":60,"ignoreUserCount":3}}"#)
            .unwrap();
        assert_eq!(
            u.status,
            Some(StatusChange::Mute {
                until: None,
                events: Some(10),
                users: Some(3)
            })
        );
        assert_eq!(u.details["ignoreWindow"], 60);
        let u = parse(r#"{"status":"ignored","statusDetails":{"ignoreDuration":30}}"#).unwrap();
        let Some(StatusChange::Mute { until: Some(t), .. }) = u.status else {
            panic!("{u:?}")
        };
        assert!((t - Utc::now() - Duration::minutes(30)).num_seconds().abs() < 5);
        let u =
            parse(r#"{"status":"ignored","statusDetails":{"ignoreUntil":"2030-01-02T03:04:05Z"}}"#)
                .unwrap();
        assert!(matches!(
            u.status,
            Some(StatusChange::Mute { until: Some(_), .. })
        ));
        let u = parse(r#"{"merge":1}"#).unwrap();
        assert!(u.merge && u.status.is_none());
        assert_eq!(parse("").unwrap().status, None);
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        let err = |b: &str| parse(b).unwrap_err().to_string();
        assert!(err("{").contains("not valid JSON"));
        assert!(err("[]").contains("JSON object"));
        assert!(err(r#"{"status":"sleeping"}"#).contains("\"sleeping\""));
        assert!(err(r#"{"status":5}"#).contains("status"));
        assert!(
            err(r#"{"status":"ignored","statusDetails":{"ignoreCount":0}}"#)
                .contains("ignoreCount")
        );
        assert!(
            err(r#"{"status":"ignored","statusDetails":{"ignoreWindow":20000}}"#)
                .contains("ignoreWindow")
        );
        assert!(
            err(r#"{"status":"ignored","statusDetails":{"ignoreUntil":"soon"}}"#)
                .contains("ignoreUntil")
        );
        assert!(
            err(r#"{"status":"resolved","statusDetails":{"inRelease":""}}"#).contains("inRelease")
        );
        assert!(
            err(r#"{"status":"resolved","statusDetails":{"inRelease":"a\u0000"}}"#)
                .contains("inRelease")
        );
        assert!(err(r#"{"assignedTo":"me"}"#).contains("assignedTo"));
        assert!(err(r#"{"merge":"yes"}"#).contains("merge"));
        assert!(err(r#"{"statusDetails":[]}"#).contains("statusDetails"));
    }
}
