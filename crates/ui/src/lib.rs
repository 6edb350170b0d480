//! Moth's web UI and JSON API: server-rendered pages (minijinja templates
//! embedded in the binary), sign-in with server-side sessions, CSRF and
//! security headers, the one access check every handler goes through, and
//! the audit log of account and access changes.
//!
//! How to add a page (see the README's "Web UI" section):
//! - a handler taking [`CurrentUser`] (or [`AdminUser`]) and `State<UiState>`;
//! - [`access::require_project`] (one id or slug), [`access::require_projects`]
//!   or [`access::require_issues`] (bulk) before touching project data, so
//!   that what a user may not see is a 404;
//! - render with [`UiState::page`] and a template in the top-level
//!   `templates/` (auto-escaped; `|safe` is refused by a test);
//! - forms read with [`forms::FormFields`]; every POST carries
//!   `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`;
//! - fail with [`UiError`]: HTML error pages on pages, `{"detail": ...}` on
//!   `/api/`.

pub mod access;
mod api;
mod assets;
pub mod audit;
pub mod auth;
mod client_addr;
mod csrf;
pub mod error;
pub mod forms;
mod frontdoor;
mod pages;
mod security_headers;
pub mod session_cookie;
pub mod setup;
pub mod templates;
pub mod throttle;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use moth_alerts::{Alerts, AlertsConfig};
use moth_storage::Database;

pub use crate::auth::{AdminUser, CurrentUser};
pub use crate::client_addr::ClientAddr;
pub use crate::error::UiError;
pub use crate::session_cookie::SessionKey;
use crate::templates::Templates;
use crate::throttle::ThrottlePolicy;

/// How sessions expire.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// A session unused for this long ends.
    pub idle_timeout: Duration,
    /// A session ends this long after sign-in, used or not.
    pub lifetime: Duration,
    /// The idle expiry is pushed back at most this often (one write).
    pub touch_interval: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(14 * 24 * 3600),
            lifetime: Duration::from_secs(30 * 24 * 3600),
            touch_interval: Duration::from_secs(60),
        }
    }
}

/// What the UI needs to know about its deployment.
#[derive(Debug, Clone)]
pub struct UiConfig {
    /// Public URL (`MOTH_BASE_URL`, no trailing slash): DSNs, the origin
    /// forms must come from, links.
    pub base_url: String,
    /// Organization slug in API paths (`MOTH_ORG`).
    pub org: String,
    /// Mark cookies `Secure` (on when `base_url` is https).
    pub secure_cookies: bool,
    /// Take the client address from the last `X-Forwarded-For` entry
    /// (behind a reverse proxy) instead of the TCP peer.
    pub trust_forwarded_for: bool,
    pub sessions: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// API tokens' "last used" is written at most this often.
    pub token_touch_interval: Duration,
    /// Signs session cookies (`MOTH_SECRET_KEY`); random by default.
    pub session_key: SessionKey,
}

impl UiConfig {
    /// Defaults for a deployment at `base_url`.
    pub fn new(base_url: &str, org: &str) -> Self {
        let base_url = base_url.trim_end_matches('/').to_string();
        Self {
            secure_cookies: base_url.starts_with("https://"),
            base_url,
            org: org.to_string(),
            trust_forwarded_for: false,
            sessions: SessionPolicy::default(),
            throttle: ThrottlePolicy::default(),
            token_touch_interval: Duration::from_secs(60),
            session_key: SessionKey::random(),
        }
    }

    /// `scheme://host[:port]` of the base URL, as browsers send it in
    /// `Origin` (lowercase, default port left out).
    pub fn origin(&self) -> String {
        csrf::origin_of(&self.base_url).unwrap_or_default()
    }
}

/// Shared state of every UI and API handler: cheap to clone.
#[derive(Clone)]
pub struct UiState(Arc<Inner>);

struct Inner {
    db: Database,
    config: UiConfig,
    templates: Templates,
    alerts: Alerts,
}

impl UiState {
    /// Loads the embedded templates; fails if one does not parse. Alert
    /// destinations are managed with the default delivery settings.
    pub fn new(db: Database, config: UiConfig) -> Result<Self, UiError> {
        let alerts = Alerts::new(db.clone(), AlertsConfig::new(&config.base_url));
        Self::with_alerts(db, config, alerts)
    }

    /// Like [`UiState::new`], with the alerts service the server's worker
    /// configuration also uses (test messages send like real alerts).
    pub fn with_alerts(db: Database, config: UiConfig, alerts: Alerts) -> Result<Self, UiError> {
        let templates = Templates::load()?;
        Ok(Self(Arc::new(Inner {
            db,
            config,
            templates,
            alerts,
        })))
    }

    pub fn db(&self) -> &Database {
        &self.0.db
    }

    /// Alert destinations: listing, managing, test messages.
    pub fn alerts(&self) -> &Alerts {
        &self.0.alerts
    }

    pub fn config(&self) -> &UiConfig {
        &self.0.config
    }

    pub fn templates(&self) -> &Templates {
        &self.0.templates
    }

    /// Renders a page template inside the layout: `ctx` plus what
    /// `base.html` needs (`current_user`, `csrf_token`, `css_href`, `org`).
    pub fn page(
        &self,
        user: Option<&CurrentUser>,
        template: &str,
        ctx: minijinja::Value,
    ) -> Result<axum::response::Html<String>, UiError> {
        self.templates()
            .render_page(template, user, &self.config().org, ctx)
            .map(axum::response::Html)
    }
}

/// Every page, form and `/api/0/` route, with sign-in, CSRF checks,
/// security headers and error pages around them. Merge it beside the
/// health and ingest routers; it answers every path they do not (404).
pub fn router(state: UiState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/0", api::routes())
        .merge(assets::routes())
        .fallback(|| async { UiError::NotFound })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            frontdoor::frontdoor,
        ))
        .with_state(state)
}
