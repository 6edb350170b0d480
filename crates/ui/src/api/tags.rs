//! An issue's tags: every key with its most common values, and all values
//! of one key (most frequent first, cursor-paginated).

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use moth_storage::issues::queries::TagValueCount;
use serde_json::{json, Value};

use super::iso;
use super::issues::path_issue;
use super::pagination::{link, PageLink};
use super::params::Params;
use crate::{CurrentUser, UiError, UiState};

/// Top values listed per key unless `limit` says otherwise (Sentry's 9).
const DEFAULT_TOP: i64 = 9;

fn value_json(key: &str, v: &TagValueCount) -> Value {
    json!({
        "key": key,
        "name": v.value,
        "value": v.value,
        "count": v.count,
        "firstSeen": iso(v.first_seen),
        "lastSeen": iso(v.last_seen),
    })
}

/// `GET /api/0/issues/{issue_id}/tags/`: `[{key, name, totalValues,
/// uniqueValues, topValues}]`; repeat `key=` to ask for some keys only.
pub(crate) async fn list(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(issue_id): Path<String>,
    params: Params,
) -> Result<Json<Value>, UiError> {
    let (issue, _) = path_issue(&state, &user, &issue_id).await?;
    let top = params.limit_or(DEFAULT_TOP)?;
    let wanted = params.all("key");
    let tags = state.db().issue_tags(issue.id, top).await?;
    let body = tags
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.key.as_str()))
        .map(|t| {
            json!({
                "key": t.key,
                "name": t.key,
                "totalValues": t.total,
                "uniqueValues": t.distinct,
                "topValues": t.top.iter().map(|v| value_json(&t.key, v)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(Value::Array(body)))
}

/// Offset cursors for tag values, `0:<offset>:<0|1>` like Sentry's
/// offset paginator.
fn decode_offset(s: &str) -> Option<i64> {
    let mut parts = s.split(':');
    parts.next()?;
    let offset: i64 = parts.next()?.parse().ok()?;
    matches!(parts.next(), None | Some("0") | Some("1"))
        .then_some(offset)
        .filter(|o| *o >= 0 && parts.next().is_none())
}

/// `GET /api/0/issues/{issue_id}/tags/{key}/values/`
pub(crate) async fn values(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((issue_id, key)): Path<(String, String)>,
    params: Params,
) -> Result<Response, UiError> {
    let (issue, _) = path_issue(&state, &user, &issue_id).await?;
    let limit = params.limit_or(100)?;
    let offset = params.cursor(decode_offset)?.unwrap_or(0);
    let mut rows = state
        .db()
        .issue_tag_values(issue.id, &key, offset, limit + 1)
        .await?;
    // A key the issue never saw is a 404, as in Sentry.
    if rows.is_empty() && offset == 0 {
        return Err(UiError::NotFound);
    }
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let body: Vec<Value> = rows.iter().map(|v| value_json(&key, v)).collect();
    let previous = PageLink::new(
        (offset > 0).then(|| format!("0:{}:1", (offset - limit).max(0))),
        "0:0:1",
    );
    let after = format!("0:{}:0", offset.saturating_add(limit));
    let next = PageLink::new(more.then(|| after.clone()), &after);
    let mut response = Json(Value::Array(body)).into_response();
    let (name, value) = link(&state.config().base_url, &params, &previous, &next);
    response.headers_mut().insert(name, value);
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_cursors() {
        assert_eq!(decode_offset("0:100:0"), Some(100));
        assert_eq!(decode_offset("0:0:1"), Some(0));
        assert_eq!(decode_offset("0:-1:0"), None);
        assert_eq!(decode_offset("0:x:0"), None);
        assert_eq!(decode_offset("0"), None);
        assert_eq!(decode_offset("0:1:0:0"), None);
    }
}
