//! Every way a UI or API request can fail, with one `IntoResponse`. The
//! response carries an [`ErrorReport`] extension; the front door turns it
//! into an HTML error page (or a sign-in redirect) for page routes and
//! leaves the `{"detail": ...}` JSON body for `/api/` routes.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use moth_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum UiError {
    /// No session (pages redirect to `/login`) or no token (API 401).
    #[error("Authentication credentials were not provided.")]
    SignInRequired,
    /// An API token that is unknown, revoked, or whose user was removed.
    #[error("Invalid token.")]
    InvalidToken,
    /// Does not exist, or the user may not see it: the two are never told
    /// apart, so ids leak nothing.
    #[error("Not found.")]
    NotFound,
    /// A request refused for what it is, not for who sent it (CSRF, origin).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Conflict(String),
    #[error("Too many failed sign-in attempts; try again in {} minute{}.", minutes(*retry_after_secs), if minutes(*retry_after_secs) == 1 { "" } else { "s" })]
    TooManyAttempts { retry_after_secs: u64 },
    #[error("The database is unavailable; try again shortly.")]
    Unavailable,
    /// A bug or an unexpected failure; the cause is logged, never shown.
    #[error("Internal error.")]
    Internal(String),
}

/// Whole minutes to wait, rounded up, at least one.
pub(crate) fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60).max(1)
}

/// What the front door needs to render an error for a page route.
#[derive(Debug, Clone)]
pub struct ErrorReport {
    pub status: StatusCode,
    pub message: String,
    pub sign_in_required: bool,
}

impl UiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::SignInRequired | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Wraps any error as an internal one, keeping its whole cause chain
    /// for the log.
    pub fn internal(e: &(dyn std::error::Error + 'static)) -> Self {
        let mut cause = e.to_string();
        let mut source = e.source();
        while let Some(s) = source {
            cause.push_str(": ");
            cause.push_str(&s.to_string());
            source = s.source();
        }
        Self::Internal(cause)
    }
}

impl From<StorageError> for UiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => Self::NotFound,
            StorageError::Conflict(m) => Self::Conflict(m),
            StorageError::Invalid(m) => Self::BadRequest(m),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "UI request failed: database unavailable");
                Self::Unavailable
            }
            e => Self::internal(&e),
        }
    }
}

impl From<minijinja::Error> for UiError {
    fn from(e: minijinja::Error) -> Self {
        // minijinja's Display includes the template name and line.
        Self::Internal(format!("template: {e:#}"))
    }
}

impl From<tokio::task::JoinError> for UiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(&e)
    }
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = self.to_string();
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "UI request failed");
        }
        let mut response = (status, Json(serde_json::json!({ "detail": message }))).into_response();
        let retry_after = match &self {
            Self::TooManyAttempts { retry_after_secs } => Some(*retry_after_secs),
            Self::Unavailable => Some(5),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(ErrorReport {
            status,
            message,
            sign_in_required: matches!(self, Self::SignInRequired),
        });
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let r = UiError::Internal("relation \"users\" does not exist".into()).into_response();
        assert_eq!(r.status(), 500);
        let report = r.extensions().get::<ErrorReport>().unwrap();
        assert_eq!(report.message, "Internal error.");
    }

    #[test]
    fn throttling_says_how_long_to_wait() {
        let e = UiError::TooManyAttempts {
            retry_after_secs: 61,
        };
        assert_eq!(
            e.to_string(),
            "Too many failed sign-in attempts; try again in 2 minutes."
        );
        let r = e.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "61");
        let e = UiError::TooManyAttempts {
            retry_after_secs: 5,
        };
        assert!(e.to_string().ends_with("in 1 minute."));
    }
}
