//! Every way an ingest request can fail, mapped in one place to the status
//! and `{"detail": ...}` body SDKs (and people reading SDK debug logs) see.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

/// Seconds SDKs are asked to wait when Moth is overloaded or its database is
/// down. Short: SDKs drop what they cannot send, so back-off should be brief.
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("missing authorization information: send X-Sentry-Auth, an Authorization: Sentry header, a sentry_key query parameter, or a dsn in the envelope header")]
    MissingAuth,
    #[error("bad authorization header: {0}")]
    BadAuth(String),
    #[error("conflicting authorization: {0}")]
    ConflictingAuth(&'static str),
    #[error("unsupported protocol version {0} (Moth speaks version 7)")]
    UnsupportedVersion(u32),
    #[error("unknown DSN key")]
    UnknownKey,
    #[error("this DSN key is disabled")]
    DisabledKey,
    #[error("this DSN key does not belong to project {0}")]
    WrongProject(u64),
    #[error("the project id in the URL must be a number, got {0:?}")]
    BadProjectId(String),
    #[error("request body is larger than the {limit} limit of {max} bytes")]
    TooLarge { limit: &'static str, max: usize },
    #[error("unsupported Content-Encoding {0:?} (supported: gzip, deflate, br, zstd)")]
    UnsupportedEncoding(String),
    #[error("cannot decompress the {encoding} body: {message}")]
    Decompression { encoding: String, message: String },
    #[error("empty request body")]
    EmptyBody,
    #[error("invalid envelope: {0}")]
    InvalidEnvelope(String),
    #[error("invalid event: {0}")]
    InvalidEvent(String),
    #[error("the request body was not received within {0} seconds")]
    BodyTimeout(u64),
    #[error("reading the request body failed: {0}")]
    BodyRead(String),
    #[error("Moth is receiving more than it can write; retry after {RETRY_AFTER_SECS} s")]
    QueueFull,
    #[error("Moth has too many request bodies in memory; retry after {RETRY_AFTER_SECS} s")]
    MemoryBusy,
    #[error("the database is unavailable; retry later")]
    DatabaseUnavailable,
    #[error("internal error")]
    Internal(String),
}

impl IngestError {
    pub fn status(&self) -> StatusCode {
        use IngestError::*;
        match self {
            MissingAuth | BadAuth(_) | ConflictingAuth(_) => StatusCode::UNAUTHORIZED,
            UnknownKey | DisabledKey | WrongProject(_) => StatusCode::FORBIDDEN,
            TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            UnsupportedEncoding(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            QueueFull | MemoryBusy => StatusCode::TOO_MANY_REQUESTS,
            DatabaseUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            UnsupportedVersion(_)
            | BadProjectId(_)
            | Decompression { .. }
            | EmptyBody
            | InvalidEnvelope(_)
            | InvalidEvent(_)
            | BodyRead(_) => StatusCode::BAD_REQUEST,
        }
    }
}

impl From<moth_storage::StorageError> for IngestError {
    fn from(e: moth_storage::StorageError) -> Self {
        if e.is_unavailable() {
            Self::DatabaseUnavailable
        } else {
            Self::Internal(format!("{e:#}"))
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let status = self.status();
        let detail = self.to_string();
        match &self {
            Self::Internal(cause) => tracing::error!(%cause, "ingest request failed"),
            Self::DatabaseUnavailable => {
                tracing::warn!("ingest answered 503: database unavailable")
            }
            Self::QueueFull | Self::MemoryBusy => tracing::debug!(%detail, "ingest answered 429"),
            _ => tracing::debug!(status = status.as_u16(), %detail, "ingest request rejected"),
        }
        let mut response = (status, Json(serde_json::json!({ "detail": detail }))).into_response();
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&detail) {
            headers.insert("x-sentry-error", v);
        }
        if matches!(
            self,
            Self::QueueFull | Self::MemoryBusy | Self::DatabaseUnavailable
        ) {
            headers.insert("retry-after", HeaderValue::from(RETRY_AFTER_SECS));
        }
        if matches!(self, Self::QueueFull | Self::MemoryBusy) {
            // Well-formed, with the scope field every SDK requires; empty
            // categories = all (a 429 without this header silences SDKs for 60 s).
            let limits = format!("{RETRY_AFTER_SECS}::organization:overloaded");
            headers.insert(
                "x-sentry-rate-limits",
                HeaderValue::from_str(&limits).expect("ASCII header"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_answers_carry_retry_headers() {
        let r = IngestError::QueueFull.into_response();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "1");
        assert_eq!(
            r.headers()["x-sentry-rate-limits"],
            "1::organization:overloaded"
        );
        let r = IngestError::DatabaseUnavailable.into_response();
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()["retry-after"], "1");
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let r = IngestError::Internal("secret table name".into()).into_response();
        assert_eq!(r.status(), 500);
        assert_eq!(r.headers()["x-sentry-error"], "internal error");
    }
}
