//! Events: an issue's events (newest first, cursor-paginated; the short
//! form unless `full=true`), one event of an issue (`latest`, `oldest`,
//! `recommended` or an event id), and a project's event by id, each with
//! `previousEventID` / `nextEventID` within its issue.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use moth_storage::events::{EventCursor, StoredEvent};
use moth_storage::StorageError;
use serde_json::{json, Value};
use uuid::Uuid;

use super::event_json::{event_json, simple_event_json};
use super::issues::path_issue;
use super::pagination::{link, PageLink};
use super::params::Params;
use super::{check_org, iso, path_project};
use crate::{CurrentUser, UiError, UiState};

/// Sentry's page size for event lists.
const DEFAULT_EVENTS: i64 = 100;

/// `GET /api/0/issues/{issue_id}/events/`
pub(crate) async fn issue_list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(issue_id): Path<String>,
    params: Params,
) -> Result<Response, UiError> {
    list(&state, &user, &issue_id, &params).await
}

/// `GET /api/0/organizations/{org}/issues/{issue_id}/events/`
pub(crate) async fn org_issue_list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, issue_id)): Path<(String, String)>,
    params: Params,
) -> Result<Response, UiError> {
    check_org(&state, &org)?;
    list(&state, &user, &issue_id, &params).await
}

async fn list(
    state: &UiState,
    user: &CurrentUser,
    issue_id: &str,
    params: &Params,
) -> Result<Response, UiError> {
    let (issue, _) = path_issue(state, user, issue_id).await?;
    let limit = params.limit_or(DEFAULT_EVENTS)?;
    let cursor = params.cursor(EventCursor::decode)?;
    let full = params.flag("full");
    let page = state
        .db()
        .issue_events_page(issue.id, cursor, limit)
        .await?;
    let body = page
        .events
        .iter()
        .map(|e| {
            if full {
                event_json(e)
            } else {
                simple_event_json(e)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let previous = PageLink::new(page.previous.map(|c| c.encode()), "0:0:1");
    let next = PageLink::new(page.next.map(|c| c.encode()), "0:0:0");
    let mut response = Json(Value::Array(body)).into_response();
    let (name, value) = link(&state.config().base_url, params, &previous, &next);
    response.headers_mut().insert(name, value);
    Ok(response)
}

/// `GET /api/0/issues/{issue_id}/events/{event_id}/` where `event_id` is
/// `latest`, `oldest`, `recommended` (Moth recommends the latest) or an
/// event id of the issue.
pub(crate) async fn issue_event(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((issue_id, event_id)): Path<(String, String)>,
) -> Result<Json<Value>, UiError> {
    one_of_issue(&state, &user, &issue_id, &event_id).await
}

/// `GET /api/0/organizations/{org}/issues/{issue_id}/events/{event_id}/`
pub(crate) async fn org_issue_event(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, issue_id, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, UiError> {
    check_org(&state, &org)?;
    one_of_issue(&state, &user, &issue_id, &event_id).await
}

async fn one_of_issue(
    state: &UiState,
    user: &CurrentUser,
    issue_id: &str,
    event_id: &str,
) -> Result<Json<Value>, UiError> {
    let (issue, _) = path_issue(state, user, issue_id).await?;
    let db = state.db();
    let event = match event_id {
        "latest" | "recommended" => db.issue_edge_event(issue.id, true).await?,
        "oldest" => db.issue_edge_event(issue.id, false).await?,
        id => {
            let event = db
                .event_by_event_id(issue.project_id, parse_event_id(id)?)
                .await?;
            if event.issue_id != issue.id {
                return Err(UiError::NotFound);
            }
            event
        }
    };
    detailed(state, &event).await.map(Json)
}

/// `GET /api/0/projects/{org}/{project}/events/{event_id}/`
pub(crate) async fn project_event(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project, event_id)): Path<(String, String, String)>,
) -> Result<Json<Value>, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    let event = state
        .db()
        .event_by_event_id(project.id, parse_event_id(&event_id)?)
        .await?;
    detailed(&state, &event).await.map(Json)
}

/// 32 hex digits, dashed or not; anything else names no event (404).
fn parse_event_id(s: &str) -> Result<Uuid, UiError> {
    Uuid::try_parse(s).map_err(|_| UiError::NotFound)
}

/// The full event with its neighbours in the issue and its user report.
async fn detailed(state: &UiState, event: &StoredEvent) -> Result<Value, UiError> {
    let db = state.db();
    let mut v = event_json(event)?;
    let around = db.event_neighbours(event).await?;
    let hex = |id: Option<Uuid>| id.map(|u| u.simple().to_string());
    v["previousEventID"] = json!(hex(around.previous));
    v["nextEventID"] = json!(hex(around.next));
    let report = match db
        .event_user_reports(event.project_id, event.event_id)
        .await
    {
        Ok(reports) => reports.into_iter().next(),
        Err(StorageError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    v["userReport"] = match report {
        Some((name, email, comments, at)) => json!({
            "eventID": event.event_id_hex(),
            "name": name,
            "email": email,
            "comments": comments,
            "dateCreated": iso(at),
        }),
        None => Value::Null,
    };
    Ok(v)
}
