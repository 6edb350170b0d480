//! The stylesheet, embedded and served from the binary. Its URL carries a
//! hash of its content, so browsers may cache it for a year and still see
//! a new version at once.

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::{UiError, UiState};

const CSS: &str = include_str!("../static/moth.css");

/// The stylesheet's URL, e.g. `/static/moth.3f2a9c1b.css`.
pub fn css_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hash = hex::encode(&Sha256::digest(CSS.as_bytes())[..4]);
        format!("/static/moth.{hash}.css")
    })
}

pub(crate) fn routes() -> Router<UiState> {
    Router::new().route("/static/{file}", get(asset))
}

async fn asset(Path(file): Path<String>) -> Result<Response, UiError> {
    let cache = if format!("/static/{file}") == css_href() {
        "public, max-age=31536000, immutable"
    } else if file == "moth.css" {
        "public, max-age=3600"
    } else {
        return Err(UiError::NotFound);
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        CSS,
    )
        .into_response())
}
