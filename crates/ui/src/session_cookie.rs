//! The cookies Moth sets: `moth_session` (the session secret, signed with
//! the server's secret key) and `moth_csrf` (the CSRF token of forms shown
//! before sign-in: login and setup). Both HttpOnly and SameSite=Lax; Secure
//! when the base URL is https.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

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

/// Signs session cookies with `MOTH_SECRET_KEY`. The session itself lives
/// in the database; the signature means a cookie that this deployment did
/// not issue is turned away before any lookup, and that changing the key
/// signs everybody out at once. Every Moth process behind one database
/// needs the same key.
#[derive(Clone)]
pub struct SessionKey(Arc<Hmac<Sha256>>);

impl SessionKey {
    /// A key from the configured secret (any length).
    pub fn new(secret: &[u8]) -> Self {
        Self(Arc::new(
            Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length"),
        ))
    }

    /// A random key: sessions last as long as the process (tests).
    pub fn random() -> Self {
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        Self::new(&key)
    }

    fn tag(&self, secret: &str) -> String {
        let mut mac = (*self.0).clone();
        mac.update(secret.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// The cookie value for a session secret: `secret.signature`.
    pub fn sign(&self, secret: &str) -> String {
        format!("{secret}.{}", self.tag(secret))
    }

    /// The session secret of a cookie value, if this key signed it.
    pub fn verify<'a>(&self, value: &'a str) -> Option<&'a str> {
        let (secret, tag) = value.rsplit_once('.')?;
        let tag = hex::decode(tag).ok()?;
        let mut mac = (*self.0).clone();
        mac.update(secret.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&tag).ok()?;
        Some(secret)
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_cookies_signed_with_the_key_are_accepted() {
        let key = SessionKey::new(b"the secret key");
        let value = key.sign("abc123");
        assert_eq!(key.verify(&value), Some("abc123"));
        // Another key, a changed secret, a changed or missing signature.
        assert_eq!(SessionKey::new(b"another key").verify(&value), None);
        let tag = value.rsplit_once('.').unwrap().1;
        assert_eq!(key.verify(&format!("abc124.{tag}")), None);
        assert_eq!(key.verify(&format!("abc123.{}", "0".repeat(64))), None);
        assert_eq!(key.verify("abc123"), None);
        assert_eq!(key.verify("abc123.zz"), None);
    }

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
