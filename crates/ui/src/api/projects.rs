//! Projects: the ones the token's user may see (also under the
//! organization), one project, and its DSN keys.

use axum::extract::{Path, State};
use axum::Json;
use moth_protocol::dsn::Dsn;
use moth_storage::projects::Project;
use serde_json::{json, Value};

use super::{check_org, iso, path_project};
use crate::{access, CurrentUser, UiError, UiState};

fn project_json(p: &Project, org: &str) -> Value {
    json!({
        "id": p.id.to_string(),
        "slug": p.slug,
        "name": p.name,
        "platform": p.platform,
        "dateCreated": iso(p.created_at),
        "isBookmarked": false,
        "isMember": true,
        "hasAccess": true,
        "features": [],
        "status": "active",
        "organization": { "slug": org, "name": org },
    })
}

async fn visible(state: &UiState, user: &CurrentUser) -> Result<Json<Value>, UiError> {
    let projects = access::visible_projects(state.db(), user).await?;
    let org = &state.config().org;
    Ok(Json(
        projects.iter().map(|p| project_json(p, org)).collect(),
    ))
}

/// `GET /api/0/projects/`: the projects the token's user may see.
pub(crate) async fn list(
    State(state): State<UiState>,
    user: CurrentUser,
) -> Result<Json<Value>, UiError> {
    visible(&state, &user).await
}

/// `GET /api/0/organizations/{org}/projects/`
pub(crate) async fn org_list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(org): Path<String>,
) -> Result<Json<Value>, UiError> {
    check_org(&state, &org)?;
    visible(&state, &user).await
}

/// `GET /api/0/projects/{org}/{project}/`
pub(crate) async fn detail(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Value>, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    Ok(Json(project_json(&project, &state.config().org)))
}

/// `GET /api/0/projects/{org}/{project}/keys/`: the DSNs, as Sentry's
/// client keys. Moth keys have no secret part (SDKs have not needed one for
/// years), so `secret` is null and `dsn.secret` is the same DSN as `public`.
pub(crate) async fn keys(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((org, project)): Path<(String, String)>,
) -> Result<Json<Value>, UiError> {
    let project = path_project(&state, &user, &org, &project).await?;
    let keys = state.db().project_keys(project.id).await?;
    let base_url = &state.config().base_url;
    let body = keys
        .iter()
        .map(|k| {
            let dsn = Dsn::for_project(base_url, &k.public_key, k.project_id as u64)
                .map_err(|e| UiError::Internal(format!("MOTH_BASE_URL makes no DSN: {e}")))?
                .to_string();
            Ok(json!({
                "id": k.public_key,
                "name": k.label,
                "label": k.label,
                "public": k.public_key,
                "secret": null,
                "projectId": k.project_id,
                "isActive": k.is_active,
                "rateLimit": null,
                "dsn": { "public": dsn, "secret": dsn },
                "dateCreated": iso(k.created_at),
            }))
        })
        .collect::<Result<Vec<_>, UiError>>()?;
    Ok(Json(Value::Array(body)))
}
