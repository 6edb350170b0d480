//! A user's own page: change password, manage API tokens.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::{passwords, when};
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::throttle::Verdict;
use crate::{ClientAddr, CurrentUser, UiError, UiState};

#[derive(Debug, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

/// What the page may say after a redirect (a fixed list: nothing from the
/// query string is shown as is).
fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "password" => Some("Password changed. Your other sessions were signed out."),
        "revoked" => Some("Token revoked."),
        _ => None,
    }
}

/// What the account page shows besides its defaults.
#[derive(Default)]
struct Extras<'a> {
    notice: Option<&'a str>,
    error: Option<String>,
    new_token: Option<String>,
}

/// `GET /account`
pub(crate) async fn page(
    State(state): State<UiState>,
    user: CurrentUser,
    Query(q): Query<Done>,
) -> Result<Response, UiError> {
    let extras = Extras {
        notice: notice(q.done.as_deref()),
        ..Default::default()
    };
    render(&state, &user, extras, StatusCode::OK).await
}

async fn render(
    state: &UiState,
    user: &CurrentUser,
    extras: Extras<'_>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let tokens: Vec<_> = state
        .db()
        .api_tokens_of_user(user.id)
        .await?
        .into_iter()
        .map(|t| {
            context! {
                id => t.id,
                name => t.name,
                prefix => t.token_prefix,
                created => when(t.created_at),
                last_used => t.last_used_at.map(when),
            }
        })
        .collect();
    let ctx = context! {
        tokens,
        notice => extras.notice,
        error => extras.error,
        new_token => extras.new_token,
        min_password => passwords::MIN_CHARS,
    };
    Ok((status, state.page(Some(user), "account.html", ctx)?).into_response())
}

/// `POST /account/password` (`current_password`, `new_password`,
/// `new_password_confirm`): signs out every other session of the user.
pub(crate) async fn change_password(
    State(state): State<UiState>,
    user: CurrentUser,
    ClientAddr(addr): ClientAddr,
    form: FormFields,
) -> Result<Response, UiError> {
    let db = state.db();
    let policy = state.config().throttle;
    let fail = |error: String, status| {
        let extras = Extras {
            error: Some(error),
            ..Default::default()
        };
        render(&state, &user, extras, status)
    };
    // A stolen session must not become a way to guess the password.
    if let Verdict::Refused { retry_after_secs } = policy.check(db, &user.email, &addr).await? {
        return fail(
            UiError::TooManyAttempts { retry_after_secs }.to_string(),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let stored = db.user_by_id(user.id).await?;
    let current_ok = passwords::verify(
        form.get("current_password").unwrap_or(""),
        Some(stored.password_hash),
    )
    .await?;
    if !current_ok {
        policy.record(db, &user.email, &addr, false).await?;
        tracing::warn!(email = %user.email, client_addr = %addr, "password change with a wrong current password");
        return fail(
            "The current password is wrong.".into(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let new = form.get("new_password").unwrap_or("");
    if let Err(problem) = passwords::check_new(new, form.get("new_password_confirm").unwrap_or(""))
    {
        return fail(problem, StatusCode::BAD_REQUEST).await;
    }
    let phc = passwords::hash(new).await?;
    db.set_password_hash(user.id, &phc).await?;
    let ended = db
        .delete_user_sessions(user.id, user.session_hash())
        .await?;
    Audit::new(AuditAction::PasswordChanged)
        .actor(Some(user.id), &user.email)
        .target(Some(user.id), &user.email)
        .details(json!({ "other_sessions_ended": ended }))
        .from_addr(&addr)
        .write(db)
        .await;
    Ok(Redirect::to("/account?done=password").into_response())
}

/// `POST /account/tokens` (`name`): creates a token and shows its secret
/// this once.
pub(crate) async fn create_token(
    State(state): State<UiState>,
    user: CurrentUser,
    ClientAddr(addr): ClientAddr,
    form: FormFields,
) -> Result<Response, UiError> {
    let name = form.text("name");
    let (token, secret) = state.db().create_api_token(user.id, name).await?;
    Audit::new(AuditAction::TokenCreated)
        .actor(Some(user.id), &user.email)
        .details(json!({ "token_id": token.id, "name": token.name, "prefix": token.token_prefix }))
        .from_addr(&addr)
        .write(state.db())
        .await;
    let extras = Extras {
        new_token: Some(secret),
        ..Default::default()
    };
    render(&state, &user, extras, StatusCode::OK).await
}

/// `POST /account/tokens/revoke` (`token_id`, repeated): revokes these of
/// the user's own tokens, all or none; any other id answers 404.
pub(crate) async fn revoke_tokens(
    State(state): State<UiState>,
    user: CurrentUser,
    ClientAddr(addr): ClientAddr,
    form: FormFields,
) -> Result<Response, UiError> {
    let ids = form.ids("token_id")?;
    if ids.is_empty() {
        return Err(UiError::BadRequest(
            "Choose at least one token to revoke.".into(),
        ));
    }
    let revoked = state.db().revoke_api_tokens(user.id, &ids).await?;
    for token in &revoked {
        Audit::new(AuditAction::TokenRevoked)
            .actor(Some(user.id), &user.email)
            .details(
                json!({ "token_id": token.id, "name": token.name, "prefix": token.token_prefix }),
            )
            .from_addr(&addr)
            .write(state.db())
            .await;
    }
    Ok(Redirect::to("/account?done=revoked").into_response())
}
