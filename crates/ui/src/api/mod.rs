//! The JSON API under `/api/0/`, shaped like Sentry's web API so that
//! scripts and tools written for Sentry work by changing the base URL.
//! Requests authenticate with `Authorization: Bearer <token>` only (never
//! the session cookie, so cross-site requests cannot use it); errors are
//! `{"detail": ...}`.
//!
//! One module per resource; [`ROUTES`] is the one list of what is served:
//! the router is built from it, and a test holds the OpenAPI document
//! (`openapi`) to it.

mod entries;
mod event_json;
mod events;
mod issue_json;
mod issue_update;
mod issues;
mod openapi;
mod pagination;
mod params;
mod projects;
mod tags;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;

use crate::{access, CurrentUser, UiError, UiState};

/// Declares every route once: builds [`routes`] and the [`ROUTES`] table.
/// Paths are relative to `/api/0`, written with the trailing slash Sentry
/// uses; the same path without it is served too.
macro_rules! api_routes {
    ($($path:literal => { $($method:ident: $handler:path),+ $(,)? }),+ $(,)?) => {
        /// Every API path (under `/api/0`) with its methods, lower-case
        /// (read by the test that holds the OpenAPI document to the router).
        #[cfg_attr(not(test), allow(dead_code))]
        pub(crate) const ROUTES: &[(&str, &[&str])] =
            &[$(($path, &[$(stringify!($method)),+])),+];

        pub(crate) fn routes() -> Router<UiState> {
            let mut router = Router::new();
            $(
                let allow = [$(stringify!($method)),+].map(str::to_uppercase).join(", ");
                let methods: MethodRouter<UiState> = MethodRouter::new()
                    $(.$method($handler))+
                    .fallback(move |method: Method| method_not_allowed(method, allow.clone()));
                let bare = $path.trim_end_matches('/');
                if bare != $path {
                    router = router.route(bare, methods.clone());
                }
                router = router.route($path, methods);
            )+
            router.layer(axum::middleware::from_fn(refuse_unreadable_paths))
        }
    };
}

api_routes! {
    "/openapi.json" => { get: openapi::serve },
    "/projects/" => { get: projects::list },
    "/organizations/{organization_id_or_slug}/projects/" => { get: projects::org_list },
    "/projects/{organization_id_or_slug}/{project_id_or_slug}/" => { get: projects::detail },
    "/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/" => { get: projects::keys },
    "/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/" => {
        get: issues::project_list,
        put: issue_update::project_bulk_update,
        delete: issue_update::project_bulk_delete,
    },
    "/organizations/{organization_id_or_slug}/issues/" => {
        get: issues::org_list,
        put: issue_update::org_bulk_update,
        delete: issue_update::org_bulk_delete,
    },
    "/issues/{issue_id}/" => {
        get: issues::detail,
        put: issue_update::update,
        delete: issue_update::delete,
    },
    "/organizations/{organization_id_or_slug}/issues/{issue_id}/" => {
        get: issues::org_detail,
        put: issue_update::org_update,
        delete: issue_update::org_delete,
    },
    "/issues/{issue_id}/events/" => { get: events::issue_list },
    "/issues/{issue_id}/events/{event_id}/" => { get: events::issue_event },
    "/organizations/{organization_id_or_slug}/issues/{issue_id}/events/" => {
        get: events::org_issue_list,
    },
    "/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/" => {
        get: events::org_issue_event,
    },
    "/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}/" => {
        get: events::project_event,
    },
    "/issues/{issue_id}/tags/" => { get: tags::list },
    "/issues/{issue_id}/tags/{key}/values/" => { get: tags::values },
}

/// Django REST framework's answer to a method a path does not serve,
/// with the methods it does serve in `Allow`.
async fn method_not_allowed(method: Method, allow: String) -> Response {
    let mut response = (
        StatusCode::METHOD_NOT_ALLOWED,
        Json(serde_json::json!({ "detail": format!("Method \"{method}\" not allowed.") })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, v);
    }
    response
}

/// A path whose percent-decoding is not UTF-8 or holds NUL (which
/// PostgreSQL text cannot store, so it names nothing) is a 400 with a JSON
/// detail here, before axum's plain-text rejection or a query could see it.
async fn refuse_unreadable_paths(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let decoded = percent_decode(path);
    match String::from_utf8(decoded) {
        Ok(p) if !p.contains('\0') => next.run(req).await,
        _ => UiError::BadRequest("The path is not valid UTF-8 text.".into()).into_response(),
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The organization slug in a path must be this Moth's (`MOTH_ORG`).
fn check_org(state: &UiState, org: &str) -> Result<(), UiError> {
    if org == state.config().org {
        Ok(())
    } else {
        Err(UiError::NotFound)
    }
}

/// The project named in a path by slug or (as Sentry allows) numeric id,
/// if the user may see it.
async fn path_project(
    state: &UiState,
    user: &CurrentUser,
    org: &str,
    project: &str,
) -> Result<Project, UiError> {
    check_org(state, org)?;
    match access::require_project(state.db(), user, ProjectRef::Slug(project)).await {
        Err(UiError::NotFound) if project.bytes().all(|b| b.is_ascii_digit()) => {
            let id = access::parse_id(project)?;
            access::require_project(state.db(), user, ProjectRef::Id(id)).await
        }
        other => other,
    }
}

/// Sentry's time format: ISO 8601 in UTC with a `Z`.
fn iso(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A project as issues and lists embed it.
fn project_ref_json(p: &Project) -> serde_json::Value {
    serde_json::json!({
        "id": p.id.to_string(),
        "name": p.name,
        "slug": p.slug,
        "platform": p.platform,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_documented_and_every_documented_operation_is_served() {
        let doc = openapi::document("http://moth.example");
        let paths = doc["paths"].as_object().unwrap();
        let mut served = Vec::new();
        for (path, methods) in ROUTES {
            for m in *methods {
                served.push(format!("{m} /api/0{path}"));
            }
        }
        let mut documented = Vec::new();
        for (path, item) in paths {
            for m in item.as_object().unwrap().keys() {
                if ["get", "put", "delete", "post", "patch"].contains(&m.as_str()) {
                    documented.push(format!("{m} {path}"));
                }
            }
        }
        served.sort();
        documented.sort();
        assert_eq!(served, documented);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("/a%20b%2F%zz%4"), b"/a b/%zz%4");
        assert_eq!(percent_decode("%00"), b"\0");
        assert_eq!(percent_decode("%ff"), [0xff]);
    }

    #[test]
    fn the_router_builds() {
        // Overlapping or duplicate paths would panic here.
        let _ = routes();
    }
}
