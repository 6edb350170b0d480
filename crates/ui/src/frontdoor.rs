//! What every UI and API request passes through, in this order:
//! authentication (leaves the user in the request), the CSRF and origin
//! checks on state-changing page requests, the handler, then error pages
//! for page routes and the security headers on everything.

use axum::extract::{Request, State};
use axum::http::{header, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;

use crate::auth::{self, Authenticated, CurrentUser};
use crate::error::ErrorReport;
use crate::{csrf, security_headers, UiError, UiState};

pub(crate) async fn frontdoor(State(state): State<UiState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let method = req.method().clone();
    let wanted = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    let mut user = None;
    let mut response = match pass(&state, req, is_api, &mut user, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    };
    if !is_api {
        if let Some(report) = response.extensions().get::<ErrorReport>().cloned() {
            response = error_page(&state, user.as_ref(), &report, &method, &wanted, response);
        }
    }
    security_headers::apply(response.headers_mut());
    response
}

async fn pass(
    state: &UiState,
    mut req: Request,
    is_api: bool,
    user: &mut Option<CurrentUser>,
    next: Next,
) -> Result<Response, UiError> {
    let authenticated = if is_api {
        auth::from_bearer(state, req.headers()).await?
    } else {
        auth::from_session(state, req.headers())
            .await?
            .map(Authenticated::User)
    };
    if let Some(Authenticated::User(u)) = &authenticated {
        *user = Some(u.clone());
    }
    if let Some(a) = authenticated {
        req.extensions_mut().insert(a);
    }
    if !is_api && !req.method().is_safe() {
        csrf::check_origin(req.headers(), &state.config().origin())?;
        req = csrf::check_form(req, user.as_ref()).await?;
    }
    Ok(next.run(req).await)
}

/// The HTML answer to a failed page request: a sign-in redirect, or an
/// error page with the same status.
fn error_page(
    state: &UiState,
    user: Option<&CurrentUser>,
    report: &ErrorReport,
    method: &Method,
    wanted: &str,
    json: Response,
) -> Response {
    if report.sign_in_required {
        let target = if method == Method::GET { wanted } else { "/" };
        let query = serde_urlencoded::to_string([("next", target)]).unwrap_or_default();
        return Redirect::to(&format!("/login?{query}")).into_response();
    }
    let ctx = context! {
        status => report.status.as_u16(),
        reason => report.status.canonical_reason().unwrap_or("Error"),
        message => &report.message,
    };
    let mut response = match state.page(user, "error.html", ctx) {
        Ok(html) => (report.status, html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot render the error page");
            (report.status, report.message.clone()).into_response()
        }
    };
    // Keep Retry-After from the JSON answer.
    if let Some(v) = json.headers().get(header::RETRY_AFTER) {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, v.clone());
    }
    response
}
