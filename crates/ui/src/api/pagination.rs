//! Cursor pagination in a `Link` header, exactly as Sentry sends it:
//!
//! ```text
//! Link: <https://moth.example/api/0/...?query=x&cursor=A>; rel="previous"; results="false"; cursor="A",
//!       <https://moth.example/api/0/...?query=x&cursor=B>; rel="next"; results="true"; cursor="B"
//! ```
//!
//! Both links are always there; `results` says whether following that link
//! gives rows, so clients loop until `rel="next"` says `results="false"`.

use axum::http::{HeaderName, HeaderValue};

use super::params::Params;

/// One direction of a page: the cursor to send and whether rows are there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageLink {
    pub cursor: String,
    pub results: bool,
}

impl PageLink {
    /// A page that exists, or (`None`) a cursor that leads to no rows,
    /// which Sentry still sends with `results="false"`.
    pub fn new(cursor: Option<String>, empty_cursor: &str) -> Self {
        match cursor {
            Some(cursor) => Self {
                cursor,
                results: true,
            },
            None => Self {
                cursor: empty_cursor.to_string(),
                results: false,
            },
        }
    }
}

/// The `Link` header value for a page of the list at `params.path`: the
/// request's own query (less `cursor`) with each link's cursor appended.
pub(crate) fn link_header(
    base_url: &str,
    params: &Params,
    previous: &PageLink,
    next: &PageLink,
) -> String {
    let kept: Vec<&(String, String)> = params.pairs.iter().filter(|(k, _)| k != "cursor").collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    let base = format!("{base_url}{}?{query}", params.path);
    let link = |name: &str, l: &PageLink| {
        format!(
            "<{base}&cursor={c}>; rel=\"{name}\"; results=\"{r}\"; cursor=\"{c}\"",
            c = l.cursor,
            r = l.results
        )
    };
    format!("{}, {}", link("previous", previous), link("next", next))
}

/// `Link` as a header pair (cursors are ASCII, so the value is valid).
pub(crate) fn link(
    base_url: &str,
    params: &Params,
    previous: &PageLink,
    next: &PageLink,
) -> (HeaderName, HeaderValue) {
    let value = link_header(base_url, params, previous, next);
    (
        axum::http::header::LINK,
        HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentry_link_format() {
        let params = Params {
            path: "/api/0/projects/moth/app/issues/".into(),
            pairs: vec![
                ("query".into(), "is:unresolved level:error".into()),
                ("cursor".into(), "old".into()),
            ],
        };
        let h = link_header(
            "http://m.example",
            &params,
            &PageLink::new(None, "0:0:1"),
            &PageLink::new(Some("17:4:0".into()), "0:0:0"),
        );
        assert_eq!(
            h,
            "<http://m.example/api/0/projects/moth/app/issues/?query=is%3Aunresolved+level%3Aerror&cursor=0:0:1>; \
             rel=\"previous\"; results=\"false\"; cursor=\"0:0:1\", \
             <http://m.example/api/0/projects/moth/app/issues/?query=is%3Aunresolved+level%3Aerror&cursor=17:4:0>; \
             rel=\"next\"; results=\"true\"; cursor=\"17:4:0\""
        );
        let bare = Params {
            path: "/api/0/x/".into(),
            pairs: vec![],
        };
        assert!(link_header(
            "http://m",
            &bare,
            &PageLink::new(None, "a"),
            &PageLink::new(None, "b")
        )
        .starts_with("<http://m/api/0/x/?&cursor=a>"));
    }
}
