//! The JSON API under `/api/0/`, shaped like Sentry's web API. Requests
//! authenticate with `Authorization: Bearer <token>` only (never the
//! session cookie, so cross-site requests cannot use it); errors are
//! `{"detail": ...}`.

mod projects;

use axum::routing::get;
use axum::Router;

use crate::UiState;

pub(crate) fn routes() -> Router<UiState> {
    Router::new().route("/projects/", get(projects::list))
}
