//! `GET /api/0/projects/`: the projects the token's user may see.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::{access, CurrentUser, UiError, UiState};

pub(crate) async fn list(
    State(state): State<UiState>,
    user: CurrentUser,
) -> Result<Json<Value>, UiError> {
    let projects = access::visible_projects(state.db(), &user).await?;
    let org = &state.config().org;
    let body = projects
        .iter()
        .map(|p| {
            json!({
                "id": p.id.to_string(),
                "slug": p.slug,
                "name": p.name,
                "platform": p.platform,
                "dateCreated": p.created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "hasAccess": true,
                "status": "active",
                "organization": { "slug": org, "name": org },
            })
        })
        .collect();
    Ok(Json(Value::Array(body)))
}
