//! Alert destinations on a project's settings page: everyone with access
//! to the project sees the list (kind, name, host only, triggers, state,
//! last success and failure); admins add, edit, enable, disable, delete
//! and test destinations, and see the generic webhook's signing secret.
//!
//! Every management route takes [`AdminUser`] (anyone else: 404, as for
//! the other admin-only forms), then the project through the one access
//! check, then the destination, which must belong to that project (else
//! 404). The alerts service checks the admin role once more.

mod form;
mod view;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::{context, Value};
use moth_alerts::{kind_label, Actor, AlertError, Destination, DestinationKind};
use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;
use moth_storage::users::User;
use serde_json::json;

use self::form::Entered;
use self::view::{kinds, trigger_text};
pub(crate) use self::view::{notice, section, Extras};
use super::fmt::When;
use super::projects::{project_view, render_settings};
use crate::access;
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::{AdminUser, ClientAddr, CurrentUser, UiError, UiState};

/// Deliveries shown on a destination's page.
const HISTORY: i64 = 20;

/// The stored user behind the request, as the alerts service's actor.
async fn acting_user(state: &UiState, user: &CurrentUser) -> Result<User, UiError> {
    Ok(state.db().user_by_id(user.id).await?)
}

/// How a refusal of the alerts service shows; [`AlertError::Invalid`] is
/// handled by the forms before this.
fn ui_error(e: AlertError) -> UiError {
    match e {
        // Admin-only actions answer 404 to anyone else, like the routes do.
        AlertError::Forbidden | AlertError::NotFound(_) => UiError::NotFound,
        AlertError::Invalid(m) => UiError::BadRequest(m),
        AlertError::Storage(e) => e.into(),
    }
}

/// A destination being managed, with its project and the acting admin.
struct Target {
    project: Project,
    acting: User,
    destination: Destination,
}

impl Target {
    fn actor(&self) -> Actor<'_> {
        Actor::User(&self.acting)
    }
}

/// The destination `id` of the project `slug`, or 404 (the project is one
/// `user` may not see, or the destination belongs to another project).
async fn destination_of(
    state: &UiState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
) -> Result<Target, UiError> {
    let project = access::require_project(state.db(), user, ProjectRef::Slug(slug)).await?;
    let id = access::parse_id(id)?;
    let acting = acting_user(state, user).await?;
    let d = state
        .alerts()
        .destination(Actor::User(&acting), id)
        .await
        .map_err(ui_error)?;
    if d.project_id != project.id {
        return Err(UiError::NotFound);
    }
    Ok(Target {
        project,
        acting,
        destination: d,
    })
}

fn settings_url(project: &Project, done: &str) -> String {
    format!("/projects/{}/settings?done={done}#alerts", project.slug)
}

fn audit<'a>(
    action: AuditAction,
    user: &'a CurrentUser,
    d: &Destination,
    addr: &'a str,
) -> Audit<'a> {
    Audit::new(action)
        .actor(Some(user.id), &user.email)
        .project(d.project_id)
        // Never the URL: it is a credential.
        .details(json!({ "destination_id": d.id, "name": d.name, "kind": d.kind.as_str() }))
        .from_addr(addr)
}

/// `POST /projects/{slug}/alerts` (`kind`, `url`, `name`, `trigger`
/// repeated, `threshold_events`, `threshold_minutes`): adds a destination.
/// A refused form shows again as entered, with the reason (400).
pub(crate) async fn add(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(slug): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let project = access::require_project(state.db(), &user, ProjectRef::Slug(&slug)).await?;
    let entered = Entered::from_form(&form);
    let refused = |error: String, entered: Entered| {
        let (state, user, project) = (&state, &user, &project);
        async move {
            let extras = Extras {
                error: Some(error),
                form: Some(entered),
                ..Extras::default()
            };
            render_settings(state, user, project, extras, StatusCode::BAD_REQUEST).await
        }
    };
    let input = match entered.input() {
        Ok(input) => input,
        Err(error) => return refused(error, entered).await,
    };
    let acting = acting_user(&state, &user).await?;
    let added = match state
        .alerts()
        .add_destination(Actor::User(&acting), project.id, input)
        .await
    {
        Ok(d) => d,
        Err(AlertError::Invalid(error)) => return refused(error, entered).await,
        Err(e) => return Err(ui_error(e)),
    };
    audit(AuditAction::AlertAdded, &user, &added, &addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&settings_url(&project, "alert_added")).into_response())
}

/// `GET /projects/{slug}/alerts/{id}`: the edit form, the webhook's signing
/// secret, and the latest deliveries.
pub(crate) async fn edit_page(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let target = destination_of(&state, &user, &slug, &id).await?;
    let form = Entered::from_destination(&target.destination);
    render_edit(&state, &user, &target, form, None, StatusCode::OK).await
}

async fn render_edit(
    state: &UiState,
    user: &CurrentUser,
    target: &Target,
    form: Entered,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let (project, d) = (&target.project, &target.destination);
    let now = Utc::now();
    let deliveries: Vec<Value> = state
        .alerts()
        .recent_deliveries(target.actor(), d.id, HISTORY)
        .await
        .map_err(ui_error)?
        .into_iter()
        .map(|r| {
            context! {
                trigger => r.trigger.as_str(),
                issue_id => r.issue_id,
                state => r.state,
                attempts => r.attempts,
                last_status => r.last_status,
                last_error => r.last_error,
                created => When::new(r.created_at, now),
                delivered => r.delivered_at.map(|t| When::new(t, now)),
            }
        })
        .collect();
    let ctx = context! {
        project => project_view(project),
        destination => context! {
            id => d.id,
            name => &d.name,
            kind => kind_label(d.kind),
            is_webhook => d.kind == DestinationKind::Webhook,
            secret => &d.secret,
            enabled => d.enabled,
            triggers => trigger_text(d),
        },
        form => form.view(),
        kinds => kinds(),
        error,
        deliveries,
    };
    Ok((status, state.page(Some(user), "alert_edit.html", ctx)?).into_response())
}

/// `POST /projects/{slug}/alerts/{id}`: saves the edit form; a refused form
/// shows again as entered, with the reason (400).
pub(crate) async fn save(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path((slug, id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, UiError> {
    let target = destination_of(&state, &user, &slug, &id).await?;
    let entered = Entered::from_form(&form);
    let result = match entered.input() {
        Ok(input) => {
            state
                .alerts()
                .edit_destination(target.actor(), target.destination.id, input)
                .await
        }
        Err(error) => Err(AlertError::Invalid(error)),
    };
    let saved = match result {
        Ok(saved) => saved,
        Err(AlertError::Invalid(error)) => {
            let status = StatusCode::BAD_REQUEST;
            return render_edit(&state, &user, &target, entered, Some(error), status).await;
        }
        Err(e) => return Err(ui_error(e)),
    };
    audit(AuditAction::AlertEdited, &user, &saved, &addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&settings_url(&target.project, "alert_saved")).into_response())
}

/// `POST /projects/{slug}/alerts/{id}/enabled` (`enabled` = 1 or 0).
pub(crate) async fn set_enabled(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path((slug, id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, UiError> {
    let target = destination_of(&state, &user, &slug, &id).await?;
    let enabled = form.flag("enabled");
    let changed = state
        .alerts()
        .set_enabled(target.actor(), target.destination.id, enabled)
        .await
        .map_err(ui_error)?;
    if changed.enabled != target.destination.enabled {
        let action = if enabled {
            AuditAction::AlertEnabled
        } else {
            AuditAction::AlertDisabled
        };
        audit(action, &user, &changed, &addr)
            .write(state.db())
            .await;
    }
    let done = if enabled {
        "alert_enabled"
    } else {
        "alert_disabled"
    };
    Ok(Redirect::to(&settings_url(&target.project, done)).into_response())
}

/// `GET /projects/{slug}/alerts/{id}/delete`: are you sure?
pub(crate) async fn confirm_delete(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let Target {
        project,
        destination: d,
        ..
    } = destination_of(&state, &user, &slug, &id).await?;
    let ctx = context! {
        project => project_view(&project),
        destination => context! { id => d.id, name => &d.name, kind => kind_label(d.kind) },
    };
    Ok(state
        .page(Some(&user), "alert_delete.html", ctx)?
        .into_response())
}

/// `POST /projects/{slug}/alerts/{id}/delete`: deletes the destination and
/// its delivery history.
pub(crate) async fn delete(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let target = destination_of(&state, &user, &slug, &id).await?;
    let d = &target.destination;
    state
        .alerts()
        .delete_destination(target.actor(), d.id)
        .await
        .map_err(ui_error)?;
    audit(AuditAction::AlertDeleted, &user, d, &addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&settings_url(&target.project, "alert_deleted")).into_response())
}

/// `POST /projects/{slug}/alerts/{id}/test`: sends a test message now and
/// shows how it went on the settings page (the send is async I/O with its
/// own timeouts; the outcome is also recorded as the last success or
/// failure).
pub(crate) async fn send_test(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let target = destination_of(&state, &user, &slug, &id).await?;
    let outcome = state
        .alerts()
        .send_test_message(target.actor(), target.destination.id)
        .await
        .map_err(ui_error)?;
    let extras = Extras {
        test: Some((target.destination.name.clone(), outcome)),
        ..Extras::default()
    };
    render_settings(&state, &user, &target.project, extras, StatusCode::OK).await
}
