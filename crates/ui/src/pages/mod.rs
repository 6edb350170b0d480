//! The HTML pages and their forms.

mod account;
mod admin_audit;
mod admin_users;
mod alert_settings;
mod charts;
mod event_page;
mod event_view;
mod fmt;
mod issue_actions;
mod issue_list;
mod issue_page;
mod login;
mod passwords;
mod projects;
mod setup;
mod snippets;

use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};

use crate::UiState;

pub(crate) fn routes() -> Router<UiState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/setup/{token}", get(setup::form).post(setup::submit))
        .route("/", get(projects::index))
        .route("/projects", post(projects::create))
        .route("/projects/{slug}/issues", get(issue_list::list))
        .route("/projects/{slug}/issues/bulk", post(issue_actions::bulk))
        .route("/issues/{id}", get(issue_page::show))
        .route("/issues/{id}/status", post(issue_actions::set_status))
        .route(
            "/issues/{id}/delete",
            get(issue_actions::confirm_delete).post(issue_actions::delete),
        )
        .route("/issues/{id}/merge", post(issue_actions::merge))
        .route("/issues/{id}/events", get(issue_page::events))
        .route("/issues/{id}/events/{event_id}", get(event_page::show))
        .route("/issues/{id}/events/{event_id}/json", get(event_page::json))
        .route("/projects/{slug}/settings", get(projects::settings))
        .route("/projects/{slug}/members", post(projects::set_members))
        .route("/projects/{slug}/alerts", post(alert_settings::add))
        .route(
            "/projects/{slug}/alerts/{id}",
            get(alert_settings::edit_page).post(alert_settings::save),
        )
        .route(
            "/projects/{slug}/alerts/{id}/enabled",
            post(alert_settings::set_enabled),
        )
        .route(
            "/projects/{slug}/alerts/{id}/delete",
            get(alert_settings::confirm_delete).post(alert_settings::delete),
        )
        .route(
            "/projects/{slug}/alerts/{id}/test",
            post(alert_settings::send_test),
        )
        .route("/account", get(account::page))
        .route("/account/password", post(account::change_password))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/revoke", post(account::revoke_tokens))
        .route(
            "/admin/users",
            get(admin_users::list).post(admin_users::add),
        )
        .route("/admin/users/{id}/remove", post(admin_users::remove))
        .route("/admin/users/{id}/role", post(admin_users::set_role))
        .route(
            "/admin/users/{id}/password",
            post(admin_users::reset_password),
        )
        .route("/admin/audit", get(admin_audit::list))
}

/// A time as pages show it.
pub(crate) fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Where to go after signing in: only a path on this site (no
/// `//evil.example`, no scheme), else `/`.
pub(crate) fn local_path(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control());
    if ok {
        next
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_redirects() {
        assert_eq!(
            local_path("/projects/a/issues?x=1"),
            "/projects/a/issues?x=1"
        );
        assert_eq!(local_path("//evil.example/"), "/");
        assert_eq!(local_path("https://evil.example/"), "/");
        assert_eq!(local_path("/\\evil.example"), "/");
        assert_eq!(local_path(""), "/");
    }
}
