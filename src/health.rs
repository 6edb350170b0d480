//! Health endpoints for load balancers and orchestrators.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use moth_storage::Database;
use serde_json::json;

pub fn router(db: Database) -> Router {
    Router::new()
        .route("/health/live", get(live))
        .route("/health/ready", get(ready))
        .with_state(db)
}

/// The process is up and serving HTTP.
async fn live() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers; 503 while it does not (Moth keeps running and
/// turns ready again by itself when it returns).
async fn ready(State(db): State<Database>) -> Response {
    match tokio::time::timeout(Duration::from_secs(3), db.ping()).await {
        Ok(Ok(())) => Json(json!({"status": "ok"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            unavailable()
        }
        Err(_) => {
            tracing::warn!("readiness check: database did not answer within 3 s");
            unavailable()
        }
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(axum::http::header::RETRY_AFTER, "5")],
        Json(json!({"detail": "the database is unreachable"})),
    )
        .into_response()
}
