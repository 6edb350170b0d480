//! Cross-site request forgery defence for every state-changing page
//! request: the `Origin` header, when sent, must be Moth's own origin; and
//! the form's `csrf_token` field must equal the session's token (or, before
//! sign-in, the `moth_csrf` cookie's). `/api/` is exempt: it authenticates
//! only by bearer token, which a browser never attaches by itself.

use axum::extract::Request;
use axum::http::{header, HeaderMap};

use crate::auth::CurrentUser;
use crate::forms::{self, FormFields};
use crate::session_cookie;
use crate::UiError;

/// Name of the hidden form field holding the token.
pub const FIELD: &str = "csrf_token";

/// `scheme://host[:port]` of a URL, lowercase, default port left out —
/// the form browsers send in `Origin`.
pub(crate) fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if authority.is_empty() {
        return None;
    }
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => "",
    };
    let authority = authority
        .strip_suffix(default_port)
        .filter(|_| !default_port.is_empty())
        .unwrap_or(&authority);
    Some(format!("{scheme}://{authority}"))
}

/// A missing `Origin` is allowed (older browsers, same-origin GET-made
/// POSTs in some cases); one that is not ours is refused.
pub(crate) fn check_origin(headers: &HeaderMap, ours: &str) -> Result<(), UiError> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let theirs = origin.to_str().ok().and_then(origin_of);
    if theirs.as_deref() == Some(ours) {
        return Ok(());
    }
    let shown = origin.to_str().unwrap_or("(not text)");
    tracing::warn!(
        origin = shown,
        expected = ours,
        "refused a cross-origin form post"
    );
    Err(UiError::Forbidden(format!(
        "Refused a form sent from {shown}: this Moth is at {ours} (MOTH_BASE_URL). Open Moth at that address and try again."
    )))
}

/// Reads the form of a state-changing request and checks its token; the
/// parsed form is kept in the request for the handler's [`FormFields`].
pub(crate) async fn check_form(
    req: Request,
    user: Option<&CurrentUser>,
) -> Result<Request, UiError> {
    let expected = match user.and_then(CurrentUser::csrf_token) {
        Some(token) => Some(token.to_string()),
        None => session_cookie::read(req.headers(), session_cookie::PRE_SESSION_CSRF),
    };
    let (parts, body) = req.into_parts();
    let fields = forms::read(Request::from_parts(parts.clone(), body)).await?;
    let sent = fields.get(FIELD).unwrap_or("");
    let valid = expected
        .is_some_and(|e| !sent.is_empty() && constant_time_eq(sent.as_bytes(), e.as_bytes()));
    if !valid {
        tracing::warn!(path = %parts.uri.path(), "refused a form post with a missing or wrong CSRF token");
        return Err(UiError::Forbidden(
            "This form has expired or did not come from Moth. Reload the page and try again."
                .into(),
        ));
    }
    let mut req = Request::from_parts(parts, axum::body::Body::empty());
    req.extensions_mut().insert::<FormFields>(fields);
    Ok(req)
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://Moth.example.com:443/x").as_deref(),
            Some("https://moth.example.com")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8000").as_deref(),
            Some("http://127.0.0.1:8000")
        );
        assert_eq!(origin_of("http://h:80").as_deref(), Some("http://h"));
        assert_eq!(origin_of("null"), None);
    }

    #[test]
    fn origin_check() {
        let mut h = HeaderMap::new();
        assert!(check_origin(&h, "http://a:1").is_ok());
        h.insert(header::ORIGIN, "http://a:1".parse().unwrap());
        assert!(check_origin(&h, "http://a:1").is_ok());
        h.insert(header::ORIGIN, "http://evil.example".parse().unwrap());
        assert!(matches!(
            check_origin(&h, "http://a:1"),
            Err(UiError::Forbidden(_))
        ));
        h.insert(header::ORIGIN, "null".parse().unwrap());
        assert!(check_origin(&h, "http://a:1").is_err());
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
