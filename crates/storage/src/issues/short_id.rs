//! How an issue's short id is shown: `<PROJECT-SLUG-UPPERCASE>-<base36>`,
//! e.g. `API-1A` for issue 46 of project `api`.

/// The displayed short id of issue number `n` of the project `slug`.
pub fn short_id(slug: &str, n: i64) -> String {
    format!("{}-{}", slug.to_ascii_uppercase(), base36(n))
}

fn base36(n: i64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut n = n.unsigned_abs();
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII digits")
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
        assert_eq!(short_id("x", 0), "X-0");
    }
}
