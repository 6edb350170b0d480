//! Who is making a request. The front door authenticates every request
//! once — a session cookie on pages, `Authorization: Bearer` on `/api/` —
//! and leaves a [`CurrentUser`] in the request; handlers take it as an
//! extractor. The user row is read on every request, so removing a user or
//! taking their admin role acts at once.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use moth_storage::membership::Viewer;
use moth_storage::StorageError;

use crate::session_cookie;
use crate::{UiError, UiState};

/// How the current user proved who they are.
#[derive(Debug, Clone)]
pub enum Authentication {
    /// A browser session; forms must carry its CSRF token.
    Session {
        token_hash: Vec<u8>,
        csrf_token: String,
    },
    /// An API token (`/api/` only).
    ApiToken { token_id: i64 },
}

/// The signed-in user of a request. As an extractor it fails with
/// [`UiError::SignInRequired`] (a redirect to `/login` on pages, 401 on
/// the API) when nobody is signed in.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub email: String,
    pub is_admin: bool,
    pub auth: Authentication,
}

impl CurrentUser {
    /// The user as the visibility rule sees them.
    pub fn viewer(&self) -> Viewer {
        Viewer {
            user_id: self.id,
            is_admin: self.is_admin,
        }
    }

    /// The session's CSRF token (for the hidden field of forms).
    pub fn csrf_token(&self) -> Option<&str> {
        match &self.auth {
            Authentication::Session { csrf_token, .. } => Some(csrf_token),
            Authentication::ApiToken { .. } => None,
        }
    }

    /// The stored hash of the session, if signed in by one.
    pub fn session_hash(&self) -> Option<&[u8]> {
        match &self.auth {
            Authentication::Session { token_hash, .. } => Some(token_hash),
            Authentication::ApiToken { .. } => None,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, UiError> {
        match parts.extensions.get::<Authenticated>() {
            Some(Authenticated::User(user)) => Ok(user.clone()),
            Some(Authenticated::BadToken) => Err(UiError::InvalidToken),
            None => Err(UiError::SignInRequired),
        }
    }
}

impl<S: Send + Sync> axum::extract::OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, UiError> {
        match parts.extensions.get::<Authenticated>() {
            Some(Authenticated::User(user)) => Ok(Some(user.clone())),
            _ => Ok(None),
        }
    }
}

/// A signed-in admin. For anyone else the route does not exist (404).
#[derive(Debug, Clone)]
pub struct AdminUser(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, UiError> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        if user.is_admin {
            Ok(Self(user))
        } else {
            Err(UiError::NotFound)
        }
    }
}

/// What the front door found out, left in the request's extensions.
#[derive(Debug, Clone)]
pub(crate) enum Authenticated {
    User(CurrentUser),
    /// An `Authorization` header with a token that is not (or no longer) valid.
    BadToken,
}

/// Finds the user of a page request from its session cookie; slides the
/// session's idle expiry (at most once per touch interval).
pub(crate) async fn from_session(
    state: &UiState,
    headers: &HeaderMap,
) -> Result<Option<CurrentUser>, UiError> {
    let Some(cookie) = session_cookie::read(headers, session_cookie::SESSION) else {
        return Ok(None);
    };
    let Some(secret) = state.config().session_key.verify(&cookie) else {
        return Ok(None);
    };
    let policy = state.config().sessions;
    let found = match state
        .db()
        .session_by_secret(secret, policy.idle_timeout)
        .await
    {
        Ok(found) => found,
        Err(StorageError::NotFound) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let seen_ago = chrono::Utc::now() - found.session.last_seen_at;
    if seen_ago.to_std().unwrap_or_default() >= policy.touch_interval {
        state
            .db()
            .touch_session(&found.session.token_hash, policy.touch_interval)
            .await?;
    }
    Ok(Some(CurrentUser {
        id: found.user.id,
        email: found.user.email,
        is_admin: found.user.is_admin,
        auth: Authentication::Session {
            token_hash: found.session.token_hash,
            csrf_token: found.session.csrf_token,
        },
    }))
}

/// Finds the user of an API request from `Authorization: Bearer <token>`;
/// records the token's use (at most once per touch interval).
pub(crate) async fn from_bearer(
    state: &UiState,
    headers: &HeaderMap,
) -> Result<Option<Authenticated>, UiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let secret = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200);
    let Some(secret) = secret else {
        return Ok(Some(Authenticated::BadToken));
    };
    let found = match state.db().api_token_user(secret).await {
        Ok(found) => found,
        Err(StorageError::NotFound) => return Ok(Some(Authenticated::BadToken)),
        Err(e) => return Err(e.into()),
    };
    let interval = state.config().token_touch_interval;
    let stale = found
        .token
        .last_used_at
        .is_none_or(|at| (chrono::Utc::now() - at).to_std().unwrap_or_default() >= interval);
    if stale {
        state.db().touch_api_token(found.token.id, interval).await?;
    }
    Ok(Some(Authenticated::User(CurrentUser {
        id: found.user.id,
        email: found.user.email,
        is_admin: found.user.is_admin,
        auth: Authentication::ApiToken {
            token_id: found.token.id,
        },
    })))
}
