//! Reading `application/x-www-form-urlencoded` forms, repeated fields
//! included (checkbox lists of ids for bulk actions).

use axum::extract::{FromRequest, Request};
use axum::http::header;

use crate::UiError;

/// Largest form body accepted from a page.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// The fields of a submitted form, in order. The front door has already
/// checked its CSRF token when a handler sees it.
#[derive(Debug, Clone, Default)]
pub struct FormFields(Vec<(String, String)>);

impl FormFields {
    /// Parses a urlencoded body.
    pub fn parse(body: &[u8]) -> Result<Self, UiError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(Self)
            .map_err(|e| UiError::BadRequest(format!("unreadable form: {e}")))
    }

    /// The first value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, trimmed; empty when missing.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).map(str::trim).unwrap_or("")
    }

    /// Whether a checkbox was ticked (the field is present and not "0"/"false").
    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| !matches!(v, "" | "0" | "false"))
    }

    /// Every value of a repeated field.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeated field as ids; any non-number is a 404
    /// (an id nobody can see).
    pub fn ids(&self, name: &str) -> Result<Vec<i64>, UiError> {
        self.all(name)
            .map(|v| v.trim().parse::<i64>().map_err(|_| UiError::NotFound))
            .collect()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = UiError;

    async fn from_request(mut req: Request, _: &S) -> Result<Self, UiError> {
        // Parsed already by the CSRF check.
        if let Some(fields) = req.extensions_mut().remove::<FormFields>() {
            return Ok(fields);
        }
        read(req).await
    }
}

/// Reads and parses the form body of a request.
pub(crate) async fn read(req: Request) -> Result<FormFields, UiError> {
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(UiError::BadRequest(
            "forms must be sent as application/x-www-form-urlencoded".into(),
        ));
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
        .await
        .map_err(|_| UiError::BadRequest(format!("form larger than {MAX_FORM_BYTES} bytes")))?;
    FormFields::parse(&body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_ids() {
        let f = FormFields::parse(b"id=1&id=2&name=+a%20b+&admin=1").unwrap();
        assert_eq!(f.ids("id").unwrap(), vec![1, 2]);
        assert_eq!(f.text("name"), "a b");
        assert!(f.flag("admin"));
        assert!(!f.flag("missing"));
        assert!(matches!(
            FormFields::parse(b"id=x").unwrap().ids("id"),
            Err(UiError::NotFound)
        ));
    }
}
