//! Admin: the audit log, newest first, a page at a time.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use super::when;
use crate::{AdminUser, UiError, UiState};

/// Entries per page.
const PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
pub(crate) struct Cursor {
    before: Option<i64>,
}

/// `GET /admin/audit[?before=ID]`
pub(crate) async fn list(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Query(q): Query<Cursor>,
) -> Result<Response, UiError> {
    let mut entries = state.db().audit_entries(q.before, PAGE + 1).await?;
    let more = entries.len() as i64 > PAGE;
    entries.truncate(PAGE as usize);
    let older = if more {
        entries.last().map(|e| e.id)
    } else {
        None
    };
    let entries: Vec<_> = entries
        .into_iter()
        .map(|e| {
            let details = match &e.details {
                serde_json::Value::Object(m) if m.is_empty() => String::new(),
                other => other.to_string(),
            };
            context! {
                id => e.id,
                at => when(e.created_at),
                action => e.action,
                actor => e.actor_email,
                target => e.target_email,
                project => e.project_slug,
                details,
                client_addr => e.client_addr,
            }
        })
        .collect();
    let ctx = context! { entries, older, first_page => q.before.is_none() };
    Ok(state
        .page(Some(&user), "admin_audit.html", ctx)?
        .into_response())
}
