//! What the alerts section of the settings page shows: the destinations
//! (URLs cut to their host for non-admins by the service, shortened for
//! admins here), the add form, and the outcome of a test message.

use chrono::{DateTime, Utc};
use minijinja::{context, Value};
use moth_alerts::{
    kind_label, Actor, Destination, DestinationKind, DestinationStatus, TestOutcome, Trigger,
};
use moth_storage::projects::Project;

use super::form::Entered;
use super::{acting_user, ui_error};
use crate::pages::fmt::When;
use crate::{CurrentUser, UiError, UiState};

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
fn status_view(s: &DestinationStatus, admin: bool, now: DateTime<Utc>) -> Value {
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

pub(super) fn test_view(name: &str, o: &TestOutcome) -> Value {
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

pub(super) fn kinds() -> Vec<Value> {
    DestinationKind::ALL
        .iter()
        .map(|k| context! { value => k.as_str(), label => kind_label(*k) })
        .collect()
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
}
