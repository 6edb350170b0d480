//! The cookies Moth sets: `moth_session` (the session secret) and
//! `moth_csrf` (the CSRF token of forms shown before sign-in: login and
//! setup). Both HttpOnly and SameSite=Lax; Secure when the base URL is https.

use axum::http::{header, HeaderMap, HeaderValue};

/// Cookie holding the session secret.
pub const SESSION: &str = "moth_session";
/// Cookie holding the CSRF token of the sign-in and setup forms.
pub const PRE_SESSION_CSRF: &str = "moth_csrf";

/// The value of cookie `name`, if the request has it.
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty() && v.len() <= 200)
}

/// A `Set-Cookie` value. `max_age` in seconds; `None` lasts until the
/// browser closes.
pub fn set(name: &str, value: &str, max_age: Option<u64>, secure: bool) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).expect("cookie values are hex")
}

/// A `Set-Cookie` value that deletes cookie `name`.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", Some(0), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; moth_session=abc ; b=2"),
        );
        assert_eq!(read(&h, SESSION).as_deref(), Some("abc"));
        assert_eq!(read(&h, PRE_SESSION_CSRF), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_on_https() {
        let c = set(SESSION, "abc", Some(60), true);
        assert_eq!(
            c,
            "moth_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        assert!(!set(SESSION, "abc", None, false)
            .to_str()
            .unwrap()
            .contains("Secure"));
    }
}
