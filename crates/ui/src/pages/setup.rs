//! The first-run setup link: `/setup/{token}` creates the first admin.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use super::login::{pre_session_csrf, start_session};
use super::passwords;
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::{ClientAddr, UiError, UiState};

/// `GET /setup/{token}`: the form, while the link works; 404 after.
pub(crate) async fn form(
    State(state): State<UiState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, UiError> {
    if !state.db().setup_token_is_valid(&token).await? {
        return Err(UiError::NotFound);
    }
    let (csrf_token, cookie) = pre_session_csrf(&state, &headers);
    let page = state.page(
        None,
        "setup.html",
        context! { csrf_token, email => "", error => () },
    )?;
    Ok(match cookie {
        Some(c) => ([(header::SET_COOKIE, c)], page).into_response(),
        None => page.into_response(),
    })
}

/// `POST /setup/{token}` (`email`, `password`, `password_confirm`):
/// creates the first admin, signs them in, and kills every setup link.
pub(crate) async fn submit(
    State(state): State<UiState>,
    Path(token): Path<String>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    form: FormFields,
) -> Result<Response, UiError> {
    let db = state.db();
    if !db.setup_token_is_valid(&token).await? {
        return Err(UiError::NotFound);
    }
    let email = form.text("email");
    let password = form.get("password").unwrap_or("");
    let problem = match moth_storage::users::validate_email(email) {
        Err(e) => Some(e.to_string()),
        Ok(()) => passwords::check_new(password, form.get("password_confirm").unwrap_or("")).err(),
    };
    if let Some(error) = problem {
        let ctx = context! { csrf_token => form.text("csrf_token"), email, error };
        return Ok((
            StatusCode::BAD_REQUEST,
            state.page(None, "setup.html", ctx)?,
        )
            .into_response());
    }
    let phc = passwords::hash(password).await?;
    // NotFound here means another request used a link first.
    let user = db.create_first_admin(&token, email, &phc).await?;
    tracing::info!(email = %user.email, client_addr = %addr, "first admin created through the setup link");
    Audit::new(AuditAction::FirstAdminCreated)
        .actor(Some(user.id), &user.email)
        .target(Some(user.id), &user.email)
        .from_addr(&addr)
        .write(db)
        .await;
    // Counts as a sign-in from this address (it becomes a trusted one).
    state
        .config()
        .throttle
        .record(db, &user.email, &addr, true)
        .await?;
    let cookie = start_session(&state, &user, &addr, &headers).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/")).into_response())
}
