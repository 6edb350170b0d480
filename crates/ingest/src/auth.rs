//! Authentication of ingest requests by DSN public key, in every form SDKs
//! use: the `X-Sentry-Auth` header, `Authorization: Sentry …` (or `Basic`),
//! the `sentry_key` query parameter (browser and Node SDKs), and the `dsn` in
//! the envelope header (tunnels).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use base64::Engine;
use moth_storage::{Database, StorageError};

use crate::error::IngestError;

/// Where a request's key came from (for messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthSource {
    Header,
    Query,
    EnvelopeDsn,
}

/// The key a request presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub public_key: String,
    pub source: AuthSource,
}

/// Reads credentials from the headers and the query string. `None` when the
/// request carries none (an envelope may still carry a `dsn`).
pub fn from_request(
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Option<Credentials>, IngestError> {
    let mut found: Vec<Credentials> = Vec::new();
    for name in ["x-sentry-auth", "authorization"] {
        for value in headers.get_all(name) {
            let value = value
                .to_str()
                .map_err(|_| IngestError::BadAuth(format!("{name} is not ASCII")))?;
            if let Some(key) = parse_auth_header(name, value)? {
                found.push(Credentials {
                    public_key: key,
                    source: AuthSource::Header,
                });
            }
        }
    }
    if let Some(key) = query.and_then(parse_query) {
        check_version(
            query
                .and_then(|q| query_param(q, "sentry_version"))
                .as_deref(),
        )?;
        found.push(Credentials {
            public_key: key,
            source: AuthSource::Query,
        });
    }
    // Relay rejects two sources outright; we only reject two that disagree.
    match found.as_slice() {
        [] => Ok(None),
        [first, rest @ ..] => {
            if rest.iter().any(|c| c.public_key != first.public_key) {
                return Err(IngestError::ConflictingAuth(
                    "the request carries different DSN keys",
                ));
            }
            Ok(Some(first.clone()))
        }
    }
}

/// `Sentry sentry_key=…, sentry_version=7, …` (either header), or
/// `Basic base64(key:…)` in `Authorization`. Other `Authorization` schemes
/// (e.g. `Bearer`, from a proxy) are not ours and are ignored.
fn parse_auth_header(name: &str, value: &str) -> Result<Option<String>, IngestError> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("sentry") {
        let mut key = None;
        let mut version = None;
        for pair in rest.split(',') {
            let Some((k, v)) = pair.split_once('=') else {
                continue;
            };
            match k.trim() {
                "sentry_key" => key = Some(v.trim().to_string()),
                "sentry_version" => version = Some(v.trim().to_string()),
                _ => {}
            }
        }
        check_version(version.as_deref())?;
        return match key.filter(|k| !k.is_empty()) {
            Some(k) => Ok(Some(k)),
            None => Err(IngestError::BadAuth(format!("{name} has no sentry_key"))),
        };
    }
    if name == "authorization" && scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .map_err(|_| IngestError::BadAuth("Authorization: Basic is not base64".into()))?;
        let text = String::from_utf8_lossy(&decoded);
        let key = text.split(':').next().unwrap_or_default().to_string();
        return if key.is_empty() {
            Err(IngestError::BadAuth(
                "Authorization: Basic has no key".into(),
            ))
        } else {
            Ok(Some(key))
        };
    }
    if name == "x-sentry-auth" {
        return Err(IngestError::BadAuth(
            "X-Sentry-Auth must start with \"Sentry \"".into(),
        ));
    }
    Ok(None)
}

/// The protocol version is the integer before the first dot; absent = 7.
fn check_version(version: Option<&str>) -> Result<(), IngestError> {
    let Some(v) = version else { return Ok(()) };
    let major = v.split('.').next().unwrap_or_default();
    match major.parse::<u32>() {
        Ok(n) if n > 7 => Err(IngestError::UnsupportedVersion(n)),
        Ok(_) => Ok(()),
        Err(_) => Err(IngestError::BadAuth(format!(
            "sentry_version {v:?} is not a number"
        ))),
    }
}

fn parse_query(query: &str) -> Option<String> {
    query_param(query, "sentry_key").filter(|k| !k.is_empty())
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What Moth knows about a DSN key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    pub project_id: i64,
    pub is_active: bool,
}

/// A short-lived cache of DSN keys so that ingest does not query the
/// database for every request. Disabling a key takes effect within the TTL.
pub struct KeyCache {
    db: Database,
    entries: RwLock<HashMap<String, (Option<KeyInfo>, Instant)>>,
    ttl: Duration,
}

/// Bound on cached keys: a flood of random keys must not grow memory.
const MAX_CACHED_KEYS: usize = 10_000;

impl KeyCache {
    pub fn new(db: Database, ttl: Duration) -> Self {
        Self {
            db,
            entries: RwLock::new(HashMap::new()),
            ttl,
        }
    }

    /// Checks that `key` is an active key of `project_id`.
    pub async fn authorize(&self, key: &str, project_id: u64) -> Result<i64, IngestError> {
        let info = self.lookup(key).await?.ok_or(IngestError::UnknownKey)?;
        if !info.is_active {
            return Err(IngestError::DisabledKey);
        }
        if info.project_id as u64 != project_id {
            return Err(IngestError::WrongProject(project_id));
        }
        Ok(info.project_id)
    }

    /// The project of an active key (legacy `/api/store/` without project id).
    pub async fn project_of(&self, key: &str) -> Result<i64, IngestError> {
        let info = self.lookup(key).await?.ok_or(IngestError::UnknownKey)?;
        if !info.is_active {
            return Err(IngestError::DisabledKey);
        }
        Ok(info.project_id)
    }

    async fn lookup(&self, key: &str) -> Result<Option<KeyInfo>, IngestError> {
        if let Some((info, at)) = self.entries.read().expect("key cache lock").get(key) {
            if at.elapsed() < self.ttl {
                return Ok(*info);
            }
        }
        let info = match self.db.key_by_public_key(key).await {
            Ok(k) => Some(KeyInfo {
                project_id: k.project_id,
                is_active: k.is_active,
            }),
            Err(StorageError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let mut entries = self.entries.write().expect("key cache lock");
        if entries.len() >= MAX_CACHED_KEYS {
            entries.clear();
        }
        entries.insert(key.to_string(), (info, Instant::now()));
        Ok(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    const KEY: &str = "abcdef0123456789abcdef0123456789";

    #[test]
    fn reads_every_sdk_form() {
        let python = headers(&[(
            "x-sentry-auth",
            &format!(
                "Sentry sentry_key={KEY}, sentry_version=7, sentry_client=sentry.python/2.75.0"
            ),
        )]);
        assert_eq!(
            from_request(&python, None).unwrap().unwrap().public_key,
            KEY
        );
        let rust = headers(&[(
            "x-sentry-auth",
            &format!("sentry sentry_key={KEY}, sentry_version=7, sentry_timestamp=1795348425.3"),
        )]);
        assert_eq!(from_request(&rust, None).unwrap().unwrap().public_key, KEY);
        let authz = headers(&[("authorization", &format!("Sentry sentry_key={KEY}"))]);
        assert_eq!(from_request(&authz, None).unwrap().unwrap().public_key, KEY);
        let basic = headers(&[(
            "authorization",
            &format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:"))
            ),
        )]);
        assert_eq!(from_request(&basic, None).unwrap().unwrap().public_key, KEY);
        let q = format!(
            "sentry_version=7&sentry_key={KEY}&sentry_client=sentry.javascript.browser%2F11.12.0"
        );
        let c = from_request(&HeaderMap::new(), Some(&q)).unwrap().unwrap();
        assert_eq!((c.public_key.as_str(), c.source), (KEY, AuthSource::Query));
    }

    #[test]
    fn rejects_bad_or_conflicting_credentials() {
        assert!(from_request(&HeaderMap::new(), None).unwrap().is_none());
        assert!(from_request(&HeaderMap::new(), Some("foo=bar"))
            .unwrap()
            .is_none());
        let no_key = headers(&[("x-sentry-auth", "Sentry sentry_version=7")]);
        assert!(matches!(
            from_request(&no_key, None),
            Err(IngestError::BadAuth(_))
        ));
        let v8 = headers(&[(
            "x-sentry-auth",
            &format!("Sentry sentry_key={KEY}, sentry_version=8"),
        )]);
        assert!(matches!(
            from_request(&v8, None),
            Err(IngestError::UnsupportedVersion(8))
        ));
        let v7dot = headers(&[(
            "x-sentry-auth",
            &format!("Sentry sentry_key={KEY}, sentry_version=7.0"),
        )]);
        assert!(from_request(&v7dot, None).is_ok());
        let both = headers(&[("x-sentry-auth", &format!("Sentry sentry_key={KEY}"))]);
        assert!(from_request(&both, Some("sentry_key=other")).is_err());
        assert!(from_request(&both, Some(&format!("sentry_key={KEY}"))).is_ok());
        let bearer = headers(&[("authorization", "Bearer xyz")]);
        assert!(from_request(&bearer, None).unwrap().is_none());
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%2Fb+c"), "a/b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
