//! DSNs: `{scheme}://{public_key}[:{secret}]@{host}[:{port}][/{prefix}]/{project_id}`.

use std::fmt;

/// A parsed DSN. The deprecated secret key is accepted and ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dsn {
    pub scheme: String,
    pub public_key: String,
    /// Host with optional `:port`.
    pub authority: String,
    /// Path prefix without leading or trailing slash (often empty).
    pub path_prefix: String,
    pub project_id: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    #[error("the DSN has no scheme (expected http:// or https://)")]
    NoScheme,
    #[error("the DSN has no public key before '@'")]
    NoPublicKey,
    #[error("the DSN has no host")]
    NoHost,
    #[error("the DSN's last path segment is not a numeric project id")]
    BadProjectId,
}

impl Dsn {
    /// Builds the DSN of a project key for a Moth reachable at `base_url`
    /// (e.g. `https://moth.example.com` or `http://10.0.0.5:8000/errors`).
    pub fn for_project(
        base_url: &str,
        public_key: &str,
        project_id: u64,
    ) -> Result<Self, DsnError> {
        let (scheme, rest) = base_url.split_once("://").ok_or(DsnError::NoScheme)?;
        let rest = rest.trim_end_matches('/');
        let (authority, path_prefix) = match rest.split_once('/') {
            Some((a, p)) => (a, p.trim_matches('/')),
            None => (rest, ""),
        };
        if authority.is_empty() {
            return Err(DsnError::NoHost);
        }
        Ok(Self {
            scheme: scheme.to_ascii_lowercase(),
            public_key: public_key.to_string(),
            authority: authority.to_string(),
            path_prefix: path_prefix.to_string(),
            project_id,
        })
    }

    /// Parses a DSN string as SDKs (and envelope headers) carry it.
    pub fn parse(s: &str) -> Result<Self, DsnError> {
        let (scheme, rest) = s.trim().split_once("://").ok_or(DsnError::NoScheme)?;
        let (userinfo, rest) = rest.split_once('@').ok_or(DsnError::NoPublicKey)?;
        let public_key = userinfo.split(':').next().unwrap_or_default();
        if public_key.is_empty() {
            return Err(DsnError::NoPublicKey);
        }
        let rest = rest.trim_end_matches('/');
        let (before, last) = rest.rsplit_once('/').ok_or(DsnError::BadProjectId)?;
        let project_id: u64 = last.parse().map_err(|_| DsnError::BadProjectId)?;
        let (authority, path_prefix) = match before.split_once('/') {
            Some((a, p)) => (a, p.trim_matches('/')),
            None => (before, ""),
        };
        if authority.is_empty() {
            return Err(DsnError::NoHost);
        }
        Ok(Self {
            scheme: scheme.to_ascii_lowercase(),
            public_key: public_key.to_string(),
            authority: authority.to_string(),
            path_prefix: path_prefix.to_string(),
            project_id,
        })
    }
}

impl fmt::Display for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}@{}/",
            self.scheme, self.public_key, self.authority
        )?;
        if !self.path_prefix.is_empty() {
            write!(f, "{}/", self.path_prefix)?;
        }
        write!(f, "{}", self.project_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_from_base_url() {
        let key = "abcdef0123456789abcdef0123456789";
        let dsn = Dsn::for_project("http://127.0.0.1:8000", key, 42).unwrap();
        assert_eq!(dsn.to_string(), format!("http://{key}@127.0.0.1:8000/42"));
        let dsn = Dsn::for_project("https://errors.example.com/moth/", key, 7).unwrap();
        assert_eq!(
            dsn.to_string(),
            format!("https://{key}@errors.example.com/moth/7")
        );
        assert_eq!(
            Dsn::for_project("example.com", key, 1),
            Err(DsnError::NoScheme)
        );
    }

    #[test]
    fn parses_what_sdks_send() {
        let dsn = Dsn::parse("https://k1:secret@example.com/sentry/7").unwrap();
        assert_eq!(dsn.public_key, "k1");
        assert_eq!(dsn.authority, "example.com");
        assert_eq!(dsn.path_prefix, "sentry");
        assert_eq!(dsn.project_id, 7);
        let round = Dsn::parse(&dsn.to_string()).unwrap();
        assert_eq!(round, dsn);
        assert_eq!(
            Dsn::parse("http://example.com/1"),
            Err(DsnError::NoPublicKey)
        );
        assert_eq!(
            Dsn::parse("http://k@example.com/abc"),
            Err(DsnError::BadProjectId)
        );
        assert_eq!(Dsn::parse("http://k@/1"), Err(DsnError::NoHost));
    }
}
