//! Query-string parameters as Sentry's API reads them: repeatable keys
//! (`?id=1&id=2`, `?project=1&project=2`), `limit`/`per_page`, `cursor`,
//! booleans like `full=true`.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;

use crate::UiError;

/// Default and largest page sizes of lists.
pub(crate) const DEFAULT_LIMIT: i64 = 25;
pub(crate) const MAX_LIMIT: i64 = 100;

/// The request's query parameters in order, and its path (for `Link`).
#[derive(Debug, Clone)]
pub(crate) struct Params {
    pub path: String,
    pub pairs: Vec<(String, String)>,
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, UiError> {
        // Nested routers see a shortened URI; links need the full path.
        let OriginalUri(uri) = OriginalUri::from_request_parts(parts, state)
            .await
            .map_err(|e| UiError::Internal(e.to_string()))?;
        let pairs: Vec<(String, String)> = match uri.query() {
            Some(q) => serde_urlencoded::from_str(q)
                .map_err(|_| UiError::BadRequest("The query string is not valid.".into()))?,
            None => Vec::new(),
        };
        // PostgreSQL text cannot hold NUL: such a value matches nothing.
        if pairs
            .iter()
            .any(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(UiError::BadRequest(
                "NUL characters are not allowed in the query string.".into(),
            ));
        }
        Ok(Self {
            path: uri.path().to_string(),
            pairs,
        })
    }
}

impl Params {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every value of a repeatable numeric `key` (`id`, `project`); a value
    /// that is not a number is a 400 naming it.
    pub fn ids(&self, key: &str) -> Result<Vec<i64>, UiError> {
        self.all(key)
            .into_iter()
            .map(|v| {
                v.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| UiError::BadRequest(format!("{key}: {v:?} is not a valid id")))
            })
            .collect()
    }

    /// The page size: `limit` (or Sentry's generic `per_page`), default
    /// [`DEFAULT_LIMIT`], at most [`MAX_LIMIT`].
    pub fn limit(&self) -> Result<i64, UiError> {
        self.limit_or(DEFAULT_LIMIT)
    }

    /// Like [`Self::limit`] with another default.
    pub fn limit_or(&self, default: i64) -> Result<i64, UiError> {
        let Some(raw) = self.get("limit").or_else(|| self.get("per_page")) else {
            return Ok(default);
        };
        match raw.trim().parse::<i64>() {
            Ok(n) if n >= 1 => Ok(n.min(MAX_LIMIT)),
            _ => Err(UiError::BadRequest(format!(
                "invalid limit {raw:?}: use a number from 1 to {MAX_LIMIT}"
            ))),
        }
    }

    /// The `cursor` parameter decoded by `decode`; absent or empty is the
    /// first page, anything unreadable a 400 (as Sentry answers).
    pub fn cursor<C>(&self, decode: impl Fn(&str) -> Option<C>) -> Result<Option<C>, UiError> {
        match self.get("cursor").map(str::trim) {
            None | Some("") => Ok(None),
            Some(c) => decode(c)
                .map(Some)
                .ok_or_else(|| UiError::BadRequest("Invalid cursor parameter.".into())),
        }
    }

    /// A boolean flag such as `full=true` (`1`, `true`, `yes`).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params {
            path: "/api/0/x/".into(),
            pairs: serde_urlencoded::from_str(q).unwrap(),
        }
    }

    #[test]
    fn repeatable_ids_and_limits() {
        let p = params("id=1&id=22&limit=500&full=true");
        assert_eq!(p.ids("id").unwrap(), vec![1, 22]);
        assert_eq!(p.limit().unwrap(), MAX_LIMIT);
        assert!(p.flag("full"));
        assert!(!p.flag("other"));
        assert_eq!(params("").limit().unwrap(), DEFAULT_LIMIT);
        assert_eq!(params("per_page=7").limit().unwrap(), 7);
        assert!(params("limit=0").limit().is_err());
        assert!(params("limit=x").limit().is_err());
        assert!(params("id=abc").ids("id").is_err());
        assert!(params("id=-3").ids("id").is_err());
    }

    #[test]
    fn cursors() {
        let p = params("cursor=5");
        assert_eq!(p.cursor(|c| c.parse::<i64>().ok()).unwrap(), Some(5));
        assert!(params("cursor=x")
            .cursor(|c| c.parse::<i64>().ok())
            .is_err());
        assert_eq!(
            params("cursor=").cursor(|c| c.parse::<i64>().ok()).unwrap(),
            None
        );
    }
}
