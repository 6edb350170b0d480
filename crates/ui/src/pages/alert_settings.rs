//! Alert destinations on a project's settings page: everyone with access
//! to the project sees the list (kind, name, host only, triggers, state,
//! last success and failure); admins add, edit, enable, disable, delete
//! and test destinations, and see the generic webhook's signing secret.
//!
//! Every management route takes [`AdminUser`] (anyone else: 404, as for
//! the other admin-only forms), then the project through the one access
//! check, then the destination, which must belong to that project (else
//! 404). The alerts service checks the admin role once more.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use minijinja::{context, Value};
use moth_alerts::{
    kind_label, Actor, AlertError, Destination, DestinationInput, DestinationKind,
    DestinationStatus, TestOutcome, Threshold, Trigger,
};
use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;
use moth_storage::users::User;
use serde_json::json;

use super::fmt::When;
use super::projects::{project_view, render_settings};
use crate::access;
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::{AdminUser, ClientAddr, CurrentUser, UiError, UiState};

/// Deliveries shown on a destination's page.
const HISTORY: i64 = 20;

/// What the alerts section shows besides the list.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub notice: Option<&'static str>,
    /// Why the add form was refused.
    pub error: Option<String>,
    /// The add form as entered (after a refusal), else the defaults.
    pub form: Option<Entered>,
    /// A test message just sent: the destination's name and how it went.
    pub test: Option<(String, TestOutcome)>,
}

/// The notice for `?done=` after a redirect.
pub(crate) fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "alert_added" => "Alert destination added.",
        "alert_saved" => "Alert destination saved.",
        "alert_enabled" => "Alert destination enabled.",
        "alert_disabled" => {
            "Alert destination disabled; messages still waiting for it were dropped."
        }
        "alert_deleted" => "Alert destination deleted.",
        _ => return None,
    })
}

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

/// The alerts part of the settings page's context.
pub(crate) async fn section(
    state: &UiState,
    user: &CurrentUser,
    project: &Project,
    extras: Extras,
) -> Result<Value, UiError> {
    let acting = acting_user(state, user).await?;
    let actor = Actor::User(&acting);
    let now = Utc::now();
    let destinations: Vec<Value> = state
        .alerts()
        .list_destinations(actor, Some(project.id))
        .await
        .map_err(ui_error)?
        .iter()
        .map(|s| status_view(s, actor.is_admin(), now))
        .collect();
    let test = extras
        .test
        .map(|(name, outcome)| test_view(&name, &outcome));
    let form = extras.form.unwrap_or_else(Entered::defaults);
    Ok(context! {
        destinations,
        can_manage => actor.is_admin(),
        notice => extras.notice,
        error => extras.error,
        form => form.view(),
        kinds => kinds(),
        test,
    })
}

/// One row of the list. URLs arrive cut to their host for non-admins
/// (the service does that); admins see them with the last path segment
/// (usually the token) shortened.
fn status_view(s: &DestinationStatus, admin: bool, now: chrono::DateTime<Utc>) -> Value {
    let d = &s.destination;
    let url = if admin {
        recognisable_url(&d.url)
    } else {
        d.url.clone()
    };
    let secret = (admin && d.kind == DestinationKind::Webhook && !d.secret.is_empty())
        .then(|| d.secret.clone());
    context! {
        id => d.id,
        name => &d.name,
        kind => kind_label(d.kind),
        url,
        secret,
        triggers => trigger_text(d),
        enabled => d.enabled,
        last_success => s.last_success_at.map(|t| When::new(t, now)),
        last_failure => s.last_failure.as_ref().map(|f| context! {
            at => When::new(f.at, now),
            status => unsaid_status(f.status.map(|s| s as u16), &f.error),
            error => &f.error,
        }),
        pending => s.pending,
        failed => s.failed,
    }
}

/// `https://hooks.slack.com/services/T0/B0/abcdefsecret` →
/// `https://hooks.slack.com/services/T0/B0/abcd…`: enough for an admin to
/// tell destinations apart on a screen others may see, not enough to post.
pub(crate) fn recognisable_url(url: &str) -> String {
    let Some((scheme, after)) = url.split_once("://") else {
        return moth_alerts::redact_url(url);
    };
    let query = if after.contains('?') { "?…" } else { "" };
    let rest = after.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    // No credentials in the authority either.
    let host = authority.rsplit('@').next().unwrap_or_default();
    let mut segments: Vec<String> = path.split('/').map(str::to_string).collect();
    if let Some(last) = segments.iter_mut().rev().find(|s| !s.is_empty()) {
        if last.chars().count() > 4 {
            *last = format!("{}…", last.chars().take(4).collect::<String>());
        }
    }
    format!("{scheme}://{host}/{}{query}", segments.join("/"))
}

/// "new issue, regression, more than 100 events in 10 minutes".
pub(crate) fn trigger_text(d: &Destination) -> String {
    let mut parts: Vec<String> = d
        .triggers
        .iter()
        .map(|t| {
            match t {
                Trigger::New => "new issue",
                Trigger::Regression => "regression",
                Trigger::Unmuted => "unmuted",
            }
            .to_string()
        })
        .collect();
    if let Some(t) = d.threshold {
        parts.push(format!(
            "more than {} event{} in {} minute{}",
            t.events,
            if t.events == 1 { "" } else { "s" },
            t.minutes,
            if t.minutes == 1 { "" } else { "s" }
        ));
    }
    parts.join(", ")
}

/// The HTTP status, unless the error text already says it ("HTTP 500: ...").
fn unsaid_status(status: Option<u16>, error: &str) -> Option<u16> {
    status.filter(|s| !error.contains(&format!("HTTP {s}")))
}

fn test_view(name: &str, o: &TestOutcome) -> Value {
    let status = match &o.error {
        Some(error) => unsaid_status(o.status, error),
        None => o.status,
    };
    context! {
        name,
        delivered => o.delivered,
        status,
        error => &o.error,
        elapsed_ms => o.elapsed.as_millis() as u64,
    }
}

fn kinds() -> Vec<Value> {
    DestinationKind::ALL
        .iter()
        .map(|k| context! { value => k.as_str(), label => kind_label(*k) })
        .collect()
}

/// A destination form as entered, kept as text so that a refused form
/// shows again exactly as it was.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entered {
    kind: String,
    url: String,
    name: String,
    triggers: Vec<String>,
    threshold_events: String,
    threshold_minutes: String,
}

impl Entered {
    /// A new destination: Slack, the three outbox triggers.
    fn defaults() -> Self {
        Self {
            kind: DestinationKind::Slack.as_str().into(),
            triggers: Trigger::ALL.iter().map(|t| t.as_str().into()).collect(),
            ..Self::default()
        }
    }

    fn from_form(form: &FormFields) -> Self {
        Self {
            kind: form.text("kind").into(),
            url: form.text("url").into(),
            name: form.text("name").into(),
            triggers: form.all("trigger").map(|t| t.trim().to_string()).collect(),
            threshold_events: form.text("threshold_events").into(),
            threshold_minutes: form.text("threshold_minutes").into(),
        }
    }

    fn from_destination(d: &Destination) -> Self {
        Self {
            kind: d.kind.as_str().into(),
            url: d.url.clone(),
            name: d.name.clone(),
            triggers: d.triggers.iter().map(|t| t.as_str().into()).collect(),
            threshold_events: d
                .threshold
                .map(|t| t.events.to_string())
                .unwrap_or_default(),
            threshold_minutes: d
                .threshold
                .map(|t| t.minutes.to_string())
                .unwrap_or_default(),
        }
    }

    /// What the service gets, or why the form is refused.
    fn input(&self) -> Result<DestinationInput, String> {
        let kind: DestinationKind = self.kind.parse().map_err(|_| {
            "Choose a kind: Slack, Mattermost, Discord, Microsoft Teams or Webhook.".to_string()
        })?;
        let triggers = self
            .triggers
            .iter()
            .map(|t| t.parse::<Trigger>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let number = |what: &str, v: &str| {
            v.parse::<i32>()
                .map_err(|_| format!("The threshold's {what} must be a whole number, not {v:?}."))
        };
        let threshold = match (
            self.threshold_events.as_str(),
            self.threshold_minutes.as_str(),
        ) {
            ("", "") => None,
            ("", _) | (_, "") => {
                return Err(
                    "A threshold needs both numbers: more than N events in M minutes.".into(),
                )
            }
            (events, minutes) => Some(Threshold {
                events: number("event count", events)?,
                minutes: number("minutes", minutes)?,
            }),
        };
        Ok(DestinationInput {
            name: self.name.clone(),
            kind,
            url: self.url.clone(),
            triggers,
            threshold,
        })
    }

    fn view(&self) -> Value {
        let has = |t: Trigger| self.triggers.iter().any(|x| x == t.as_str());
        context! {
            kind => &self.kind,
            url => &self.url,
            name => &self.name,
            new => has(Trigger::New),
            regression => has(Trigger::Regression),
            unmuted => has(Trigger::Unmuted),
            threshold_events => &self.threshold_events,
            threshold_minutes => &self.threshold_minutes,
        }
    }
}

/// The project, the acting user and the destination `id` of that project,
/// or 404.
async fn destination_of(
    state: &UiState,
    user: &CurrentUser,
    slug: &str,
    id: &str,
) -> Result<(Project, User, Destination), UiError> {
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
    Ok((project, acting, d))
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
    let (project, acting, d) = destination_of(&state, &user, &slug, &id).await?;
    let form = Entered::from_destination(&d);
    render_edit(
        &state,
        &user,
        &project,
        &acting,
        &d,
        form,
        None,
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn render_edit(
    state: &UiState,
    user: &CurrentUser,
    project: &Project,
    acting: &User,
    d: &Destination,
    form: Entered,
    error: Option<String>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let now = Utc::now();
    let deliveries: Vec<Value> = state
        .alerts()
        .recent_deliveries(Actor::User(acting), d.id, HISTORY)
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
    let (project, acting, d) = destination_of(&state, &user, &slug, &id).await?;
    let entered = Entered::from_form(&form);
    let result = match entered.input() {
        Ok(input) => {
            state
                .alerts()
                .edit_destination(Actor::User(&acting), d.id, input)
                .await
        }
        Err(error) => Err(AlertError::Invalid(error)),
    };
    let saved = match result {
        Ok(saved) => saved,
        Err(AlertError::Invalid(error)) => {
            let status = StatusCode::BAD_REQUEST;
            return render_edit(
                &state,
                &user,
                &project,
                &acting,
                &d,
                entered,
                Some(error),
                status,
            )
            .await;
        }
        Err(e) => return Err(ui_error(e)),
    };
    audit(AuditAction::AlertEdited, &user, &saved, &addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&settings_url(&project, "alert_saved")).into_response())
}

/// `POST /projects/{slug}/alerts/{id}/enabled` (`enabled` = 1 or 0).
pub(crate) async fn set_enabled(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path((slug, id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, UiError> {
    let (project, acting, d) = destination_of(&state, &user, &slug, &id).await?;
    let enabled = form.flag("enabled");
    let changed = state
        .alerts()
        .set_enabled(Actor::User(&acting), d.id, enabled)
        .await
        .map_err(ui_error)?;
    if changed.enabled != d.enabled {
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
    Ok(Redirect::to(&settings_url(&project, done)).into_response())
}

/// `GET /projects/{slug}/alerts/{id}/delete`: are you sure?
pub(crate) async fn confirm_delete(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (project, _, d) = destination_of(&state, &user, &slug, &id).await?;
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
    let (project, acting, d) = destination_of(&state, &user, &slug, &id).await?;
    state
        .alerts()
        .delete_destination(Actor::User(&acting), d.id)
        .await
        .map_err(ui_error)?;
    audit(AuditAction::AlertDeleted, &user, &d, &addr)
        .write(state.db())
        .await;
    Ok(Redirect::to(&settings_url(&project, "alert_deleted")).into_response())
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
    let (project, acting, d) = destination_of(&state, &user, &slug, &id).await?;
    let outcome = state
        .alerts()
        .send_test_message(Actor::User(&acting), d.id)
        .await
        .map_err(ui_error)?;
    let extras = Extras {
        test: Some((d.name.clone(), outcome)),
        ..Extras::default()
    };
    render_settings(&state, &user, &project, extras, StatusCode::OK).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_stay_recognisable_without_their_token() {
        assert_eq!(
            recognisable_url("https://hooks.slack.com/services/T0/B0/abcdefsecret"),
            "https://hooks.slack.com/services/T0/B0/abcd…"
        );
        assert_eq!(
            recognisable_url("https://discord.com/api/webhooks/123/tok3n-long/"),
            "https://discord.com/api/webhooks/123/tok3…/"
        );
        assert_eq!(
            recognisable_url("https://x.example:8443/a?sig=secret#f"),
            "https://x.example:8443/a?…"
        );
        assert_eq!(
            recognisable_url("https://user:pw@x.example/"),
            "https://x.example/"
        );
        assert_eq!(recognisable_url("nonsense"), "…");
    }

    #[test]
    fn forms_are_checked_and_kept_as_entered() {
        let form = FormFields::parse(
            b"kind=webhook&url=http%3A%2F%2Fx%2Fy&name=&trigger=new&threshold_events=10&threshold_minutes=5",
        )
        .unwrap();
        let entered = Entered::from_form(&form);
        let input = entered.input().unwrap();
        assert_eq!(input.kind, DestinationKind::Webhook);
        assert_eq!(input.triggers, vec![Trigger::New]);
        assert_eq!(
            input.threshold,
            Some(Threshold {
                events: 10,
                minutes: 5
            })
        );
        for (bad, says) in [
            (&b"kind=irc&url=x"[..], "Choose a kind"),
            (b"kind=slack&trigger=often", "unknown alert trigger"),
            (b"kind=slack&threshold_events=10", "both numbers"),
            (
                b"kind=slack&threshold_events=ten&threshold_minutes=5",
                "whole number",
            ),
        ] {
            let e = Entered::from_form(&FormFields::parse(bad).unwrap())
                .input()
                .unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
