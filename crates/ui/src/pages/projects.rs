//! The projects page (unresolved counts, 24 h sparklines, creating a
//! project) and a project's settings: its DSNs with SDK setup snippets,
//! for admins its members, its alert destinations (see `alert_settings`)
//! and what ingest dropped.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::context;
use moth_protocol::dsn::Dsn;
use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;
use serde::Deserialize;
use serde_json::json;

use super::alert_settings;
use super::charts::{self, Period};
use super::fmt::thousands;
use super::snippets;
use crate::access;
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::{AdminUser, ClientAddr, CurrentUser, UiError, UiState};

pub(crate) fn project_view(p: &Project) -> minijinja::Value {
    context! { id => p.id, slug => &p.slug, name => &p.name, platform => &p.platform }
}

/// `GET /`: the projects the user may see.
pub(crate) async fn index(
    State(state): State<UiState>,
    user: CurrentUser,
) -> Result<Response, UiError> {
    render_index(&state, &user, None, StatusCode::OK).await
}

async fn render_index(
    state: &UiState,
    user: &CurrentUser,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let db = state.db();
    let projects = access::visible_projects(db, user).await?;
    let ids: Vec<i64> = projects.iter().map(|p| p.id).collect();
    let now = Utc::now();
    let (unresolved, hourly) = tokio::try_join!(
        db.unresolved_counts(&ids),
        db.project_hourly_counts(&ids, Period::Day.since(now)),
    )?;
    let (buckets, hours) = Period::Day.shape();
    let projects: Vec<_> = projects
        .iter()
        .map(|p| {
            let counts = hourly.get(&p.id).map(Vec::as_slice).unwrap_or(&[]);
            let spark = charts::sparkline(&charts::bucket_counts(counts, now, buckets, hours));
            context! {
                events_24h => thousands(spark.total),
                spark,
                unresolved => thousands(unresolved.get(&p.id).copied().unwrap_or(0)),
                ..project_view(p)
            }
        })
        .collect();
    let platforms: Vec<&str> = snippets::PLATFORMS.iter().map(|p| p.0).collect();
    let page = state.page(
        Some(user),
        "projects.html",
        context! { projects, error, platforms },
    )?;
    Ok((status, page).into_response())
}

/// `POST /projects` (`name`, `platform`): admins create a project.
pub(crate) async fn create(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    form: FormFields,
) -> Result<Response, UiError> {
    let platform = Some(form.text("platform")).filter(|p| !p.is_empty());
    let (project, _) = match state.db().create_project(form.text("name"), platform).await {
        Ok(created) => created,
        Err(
            e @ (moth_storage::StorageError::Conflict(_) | moth_storage::StorageError::Invalid(_)),
        ) => {
            return render_index(&state, &user, Some(e.to_string()), StatusCode::BAD_REQUEST).await;
        }
        Err(e) => return Err(e.into()),
    };
    Audit::new(AuditAction::ProjectCreated)
        .actor(Some(user.id), &user.email)
        .project(project.id)
        .details(json!({ "slug": project.slug }))
        .from_addr(&addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&format!("/projects/{}/settings", project.slug)).into_response())
}

#[derive(Debug, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// `GET /projects/{slug}/settings`: DSNs with SDK setup snippets, the
/// members form for admins, the alert destinations and the ingest drop
/// counters.
pub(crate) async fn settings(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    Query(q): Query<Done>,
) -> Result<Response, UiError> {
    let project = access::require_project(state.db(), &user, ProjectRef::Slug(&slug)).await?;
    let extras = alert_settings::Extras {
        notice: alert_settings::notice(q.done.as_deref()),
        ..Default::default()
    };
    render_settings(&state, &user, &project, extras, StatusCode::OK).await
}

/// The settings page of a project the caller has already checked `user`
/// may see, with the alerts section's notice, refused form or test outcome.
pub(crate) async fn render_settings(
    state: &UiState,
    user: &CurrentUser,
    project: &Project,
    alerts: alert_settings::Extras,
    status: StatusCode,
) -> Result<Response, UiError> {
    let db = state.db();
    let base_url = &state.config().base_url;
    let keys: Vec<(String, String, bool)> = db
        .project_keys(project.id)
        .await?
        .into_iter()
        .map(|k| {
            let dsn = Dsn::for_project(base_url, &k.public_key, project.id as u64)
                .map(|d| d.to_string())
                .unwrap_or_default();
            (k.label, dsn, k.is_active)
        })
        .collect();
    // The snippets use the first active key.
    let dsn = keys
        .iter()
        .find(|k| k.2)
        .map(|k| k.1.clone())
        .unwrap_or_default();
    let keys: Vec<_> = keys
        .into_iter()
        .map(|(label, dsn, is_active)| context! { label, dsn, is_active })
        .collect();
    let snippets = snippets::for_project(&dsn, project.platform.as_deref());
    let members = db.project_members(project.id).await?;
    let member_ids: Vec<i64> = members.iter().map(|u| u.id).collect();
    let users = if user.is_admin {
        db.list_users()
            .await?
            .iter()
            .map(|u| context! { id => u.id, email => &u.email, is_admin => u.is_admin, member => member_ids.contains(&u.id) })
            .collect()
    } else {
        Vec::new()
    };
    let members: Vec<_> = members
        .iter()
        .map(|u| context! { email => &u.email })
        .collect();
    let alerts = alert_settings::section(state, user, project, alerts).await?;
    let drops: Vec<_> = db
        .ingest_drops(project.id)
        .await?
        .into_iter()
        .map(|d| {
            context! {
                reason => drop_reason(&d.reason),
                code => d.reason,
                item_type => d.item_type,
                count => thousands(d.count),
            }
        })
        .collect();
    let page = state.page(
        Some(user),
        "project_settings.html",
        context! { project => project_view(project), keys, snippets, members, users, alerts, drops },
    )?;
    Ok((status, page).into_response())
}

/// What a drop reason recorded by ingest means.
fn drop_reason(code: &str) -> &str {
    match code {
        "not_stored" => "an item type Moth does not store",
        "invalid_event" => "an event that is not a valid JSON object",
        "invalid_user_report" => "user feedback that could not be read",
        "duplicate_item" => "a second event in one envelope",
        "attachment_without_event" => "an attachment with no event to belong to",
        other => other,
    }
}

/// `POST /projects/{slug}/members` (`user_id`, repeated): admins set the
/// project's members to exactly these users; an unknown id changes nothing
/// and answers 404.
pub(crate) async fn set_members(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(slug): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let db = state.db();
    let project = access::require_project(db, &user, ProjectRef::Slug(&slug)).await?;
    let ids = form.ids("user_id")?;
    let change = db.set_project_members(project.id, &ids).await?;
    let touched: Vec<i64> = change
        .added
        .iter()
        .chain(&change.removed)
        .copied()
        .collect();
    let users = db.users_by_ids(&touched).await?;
    for u in &users {
        let action = if change.added.contains(&u.id) {
            AuditAction::MemberAdded
        } else {
            AuditAction::MemberRemoved
        };
        Audit::new(action)
            .actor(Some(user.id), &user.email)
            .target(Some(u.id), &u.email)
            .project(project.id)
            .from_addr(&addr)
            .write(db)
            .await;
    }
    Ok(Redirect::to(&format!("/projects/{}/settings", project.slug)).into_response())
}
