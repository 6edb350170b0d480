//! How an issue's short id is shown: `<PROJECT-SLUG-UPPERCASE>-<base36>`,
//! e.g. `API-1A` for issue 46 of project `api` (as
//! [`super::IssueSummary::short_id_display`], for callers that hold only the
//! slug and the number).

use super::queries::base36;

/// The displayed short id of issue number `n` of the project `slug`.
pub fn short_id(slug: &str, n: i64) -> String {
    format!("{}-{}", slug.to_uppercase(), base36(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uppercase_slug_and_base36() {
        assert_eq!(short_id("api", 46), "API-1A");
        assert_eq!(short_id("my-app", 1), "MY-APP-1");
        assert_eq!(short_id("x", 35), "X-Z");
        assert_eq!(short_id("x", 36), "X-10");
    }
}
