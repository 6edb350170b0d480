//! Headers on every UI and API response: a Content-Security-Policy that
//! allows nothing inline and nothing foreign, no MIME sniffing, no framing,
//! no referrer to other sites, and no caching of private pages.

use axum::http::{header, HeaderMap, HeaderValue};

/// The policy: scripts and styles only from Moth's own files.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";

pub(crate) fn apply(headers: &mut HeaderMap) {
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(headers, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "referrer-policy", "same-origin");
    set(headers, "x-frame-options", "DENY");
    set(headers, "cross-origin-opener-policy", "same-origin");
    if !headers.contains_key(header::CACHE_CONTROL) {
        // Pages show private data; the stylesheet sets its own caching.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
