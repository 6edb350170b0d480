//! Signing in and out.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use moth_storage::sessions::SessionOrigin;
use moth_storage::users::User;
use moth_storage::StorageError;
use serde::Deserialize;

use super::{local_path, passwords};
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::session_cookie::{self, PRE_SESSION_CSRF, SESSION};
use crate::throttle::Verdict;
use crate::{ClientAddr, CurrentUser, UiError, UiState};

#[derive(Debug, Deserialize)]
pub(crate) struct NextParam {
    next: Option<String>,
}

/// The pre-sign-in CSRF token of a request, or a new one with the cookie
/// that carries it.
pub(crate) fn pre_session_csrf(
    state: &UiState,
    headers: &HeaderMap,
) -> (String, Option<header::HeaderValue>) {
    match session_cookie::read(headers, PRE_SESSION_CSRF) {
        Some(token) => (token, None),
        None => {
            let token = moth_storage::tokens::random_hex(32);
            let cookie = session_cookie::set(
                PRE_SESSION_CSRF,
                &token,
                None,
                state.config().secure_cookies,
            );
            (token, Some(cookie))
        }
    }
}

/// `GET /login`
pub(crate) async fn form(
    State(state): State<UiState>,
    user: Option<CurrentUser>,
    Query(q): Query<NextParam>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    let next = local_path(q.next.as_deref().unwrap_or("/")).to_string();
    if user.is_some() {
        return Ok(Redirect::to(&next).into_response());
    }
    let (csrf_token, cookie) = pre_session_csrf(&state, &headers);
    let page = render(&state, &csrf_token, "", &next, None)?;
    Ok(match cookie {
        Some(c) => ([(header::SET_COOKIE, c)], page).into_response(),
        None => page.into_response(),
    })
}

fn render(
    state: &UiState,
    csrf_token: &str,
    email: &str,
    next: &str,
    error: Option<&str>,
) -> Result<axum::response::Html<String>, UiError> {
    state.page(
        None,
        "login.html",
        context! { csrf_token, email, next, error },
    )
}

/// `POST /login` (`email`, `password`, `next`)
pub(crate) async fn submit(
    State(state): State<UiState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: FormFields,
) -> Result<Response, UiError> {
    let email = form.text("email");
    let password = form.get("password").unwrap_or("");
    let next = local_path(form.text("next")).to_string();
    let csrf_token = form.text("csrf_token");
    let db = state.db();
    let policy = state.config().throttle;

    if let Verdict::Refused { retry_after_secs } = policy.check(db, email, &addr).await? {
        tracing::warn!(email, client_addr = %addr, retry_after_secs, "sign-in refused: too many failed attempts");
        Audit::new(AuditAction::SignInThrottled)
            .actor(None, email)
            .from_addr(&addr)
            .write(db)
            .await;
        let message = UiError::TooManyAttempts { retry_after_secs }.to_string();
        let page = render(&state, csrf_token, email, &next, Some(&message))?;
        return Ok((
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, retry_after_secs.to_string())],
            page,
        )
            .into_response());
    }

    let user = match db.user_by_email(email).await {
        Ok(u) if u.is_active => Some(u),
        Ok(_) | Err(StorageError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let ok = !email.is_empty()
        && passwords::verify(password, user.as_ref().map(|u| u.password_hash.clone())).await?;
    policy.record(db, email, &addr, ok).await?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        (_, user) => {
            tracing::warn!(email, client_addr = %addr, known_user = user.is_some(), "failed sign-in");
            let target = user.as_ref().map(|u| u.id);
            Audit::new(AuditAction::SignInFailed)
                .actor(None, email)
                .target(target, email)
                .from_addr(&addr)
                .write(db)
                .await;
            let page = render(
                &state,
                csrf_token,
                email,
                &next,
                Some("Wrong email or password."),
            )?;
            return Ok((StatusCode::UNAUTHORIZED, page).into_response());
        }
    };

    // A fresh session every time: a cookie planted before sign-in is useless.
    if let Some(old) = session_cookie::read(&headers, SESSION) {
        if let Some(old) = state.config().session_key.verify(&old) {
            db.delete_session(&moth_storage::tokens::hash_token(old))
                .await?;
        }
    }
    let cookie = start_session(&state, &user, &addr, &headers).await?;
    tracing::info!(email = %user.email, client_addr = %addr, "signed in");
    Audit::new(AuditAction::SignIn)
        .actor(Some(user.id), &user.email)
        .from_addr(&addr)
        .write(db)
        .await;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
}

/// Opens a session for `user` and returns the cookie that carries it.
pub(crate) async fn start_session(
    state: &UiState,
    user: &User,
    addr: &str,
    headers: &HeaderMap,
) -> Result<header::HeaderValue, UiError> {
    let policy = state.config().sessions;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let origin = SessionOrigin {
        user_agent,
        client_addr: Some(addr),
    };
    let (_, secret) = state
        .db()
        .create_session(user.id, policy.lifetime, policy.idle_timeout, origin)
        .await?;
    state.db().record_sign_in(user.id).await?;
    Ok(session_cookie::set(
        SESSION,
        &state.config().session_key.sign(&secret),
        Some(policy.lifetime.as_secs()),
        state.config().secure_cookies,
    ))
}

/// `POST /logout`: ends this session at once.
pub(crate) async fn logout(
    State(state): State<UiState>,
    ClientAddr(addr): ClientAddr,
    user: CurrentUser,
) -> Result<Response, UiError> {
    if let Some(hash) = user.session_hash() {
        state.db().delete_session(hash).await?;
    }
    Audit::new(AuditAction::SignOut)
        .actor(Some(user.id), &user.email)
        .from_addr(&addr)
        .write(state.db())
        .await;
    let cookie = session_cookie::clear(SESSION, state.config().secure_cookies);
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login")).into_response())
}
