//! A small User-Agent parser for the browsers and systems that matter to an
//! error tracker. Browser SDKs send no `browser`/`os` contexts; Relay derives
//! them from the request's User-Agent, and so does Moth.
//!
//! Browser versions are cut to `major.minor` (`Chrome 120.0`): patch levels
//! would only multiply tag values.

/// A browser or operating system: name and, when known, version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// e.g. `Chrome`, `Windows`.
    pub name: String,
    /// e.g. `120.0`, `10`; `None` when the User-Agent does not tell.
    pub version: Option<String>,
}

impl Software {
    fn new(name: &str, version: Option<String>) -> Self {
        Software {
            name: name.to_owned(),
            version: version.filter(|v| !v.is_empty()),
        }
    }
}

/// Browser tokens, most specific first: Edge, Opera and Samsung Internet
/// UAs also say `Chrome/` and `Safari/`, Chrome's says `Safari/`.
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("Edge/", "Edge"),
    ("OPR/", "Opera"),
    ("OPiOS/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("HeadlessChrome/", "HeadlessChrome"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
];

/// The browser a User-Agent names, if it is one of the known ones.
pub fn parse_browser(ua: &str) -> Option<Software> {
    for (token, name) in BROWSERS {
        if let Some(version) = version_after(ua, token) {
            return Some(Software::new(name, major_minor(version)));
        }
    }
    // Old Opera: "Opera/9.80 (...) Presto/2.12 Version/12.16".
    if ua.starts_with("Opera/") {
        let version = version_after(ua, "Version/").or_else(|| version_after(ua, "Opera/"));
        return Some(Software::new("Opera", version.and_then(major_minor)));
    }
    // Safari last: every WebKit browser says "Safari/"; Safari itself adds
    // "Version/".
    if ua.contains("Safari/") && ua.contains("AppleWebKit/") && !ua.contains("Android") {
        let version = version_after(ua, "Version/").and_then(major_minor);
        return Some(Software::new("Safari", version));
    }
    None
}

/// The operating system a User-Agent names, if it is one of the known ones.
pub fn parse_os(ua: &str) -> Option<Software> {
    if let Some(nt) = version_after(ua, "Windows NT ") {
        let version = match nt {
            "10.0" => "10",
            "6.3" => "8.1",
            "6.2" => "8",
            "6.1" => "7",
            "6.0" => "Vista",
            "5.1" | "5.2" => "XP",
            other => other,
        };
        return Some(Software::new("Windows", Some(version.to_owned())));
    }
    if ua.contains("Windows") {
        return Some(Software::new("Windows", None));
    }
    // iOS says "like Mac OS X", so it comes before macOS.
    if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        let version = version_after(ua, "iPhone OS ")
            .or_else(|| version_after(ua, "CPU OS "))
            .map(|v| v.replace('_', "."));
        return Some(Software::new("iOS", version));
    }
    if let Some(rest) = ua.split_once("Android").map(|(_, r)| r) {
        let version = rest
            .trim_start()
            .split([';', ')'])
            .next()
            .map(str::trim)
            .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            .map(str::to_owned);
        return Some(Software::new("Android", version));
    }
    if let Some(rest) = ua.split_once("CrOS ").map(|(_, r)| r) {
        // "CrOS x86_64 14541.0.0": the platform, then the version.
        let version = rest.split([' ', ')']).nth(1).map(str::to_owned);
        return Some(Software::new("ChromeOS", version));
    }
    if let Some(version) = version_after(ua, "Mac OS X ") {
        return Some(Software::new("macOS", Some(version.replace('_', "."))));
    }
    if ua.contains("Macintosh") {
        return Some(Software::new("macOS", None));
    }
    if ua.contains("Linux") || ua.contains("X11") {
        return Some(Software::new("Linux", None));
    }
    None
}

/// The version-ish run (`[0-9A-Za-z._]`) right after `token`.
fn version_after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    let start = ua.find(token)? + token.len();
    let rest = &ua[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// `120.0.6099.109` → `120.0`; `17` → `17`; non-numeric → `None`.
fn major_minor(version: &str) -> Option<String> {
    let mut parts = version.split('.');
    let major = parts
        .next()
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))?;
    match parts
        .next()
        .filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        Some(minor) => Some(format!("{major}.{minor}")),
        None => Some(major.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(ua: &str) -> Option<(String, Option<String>)> {
        parse_browser(ua).map(|s| (s.name, s.version))
    }

    fn o(ua: &str) -> Option<(String, Option<String>)> {
        parse_os(ua).map(|s| (s.name, s.version))
    }

    fn some(name: &str, version: Option<&str>) -> Option<(String, Option<String>)> {
        Some((name.to_owned(), version.map(str::to_owned)))
    }

    const CHROME_WIN: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36";
    const HEADLESS: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
    const FIREFOX_MAC: &str =
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:121.0) Gecko/20100101 Firefox/121.0";
    const SAFARI_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
    const SAFARI_IOS: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
    const IPAD_CHROME: &str = "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/119.0.6045.169 Mobile/15E148 Safari/604.1";
    const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.77";
    const OPERA: &str = "Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0";
    const SAMSUNG: &str = "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36";
    const CHROME_ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36";
    const CHROMIUM: &str = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/118.0.5993.88 Chrome/118.0.5993.88 Safari/537.36";
    const CHROMEOS: &str = "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const FIREFOX_LINUX: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0";
    const OLD_OPERA: &str = "Opera/9.80 (Windows NT 5.1) Presto/2.12.388 Version/12.16";

    #[test]
    fn browsers() {
        assert_eq!(b(CHROME_WIN), some("Chrome", Some("120.0")));
        assert_eq!(b(HEADLESS), some("HeadlessChrome", Some("156.0")));
        assert_eq!(b(FIREFOX_MAC), some("Firefox", Some("121.0")));
        assert_eq!(b(SAFARI_MAC), some("Safari", Some("17.1")));
        assert_eq!(b(SAFARI_IOS), some("Safari", Some("17.1")));
        assert_eq!(b(IPAD_CHROME), some("Chrome", Some("119.0")));
        assert_eq!(b(EDGE), some("Edge", Some("120.0")));
        assert_eq!(b(OPERA), some("Opera", Some("105.0")));
        assert_eq!(b(SAMSUNG), some("Samsung Internet", Some("23.0")));
        assert_eq!(b(CHROME_ANDROID), some("Chrome", Some("120.0")));
        assert_eq!(b(CHROMIUM), some("Chromium", Some("118.0")));
        assert_eq!(b(FIREFOX_LINUX), some("Firefox", Some("115.0")));
        assert_eq!(b(OLD_OPERA), some("Opera", Some("12.16")));
        assert_eq!(b("sentry.python/2.75.0"), None);
        assert_eq!(b("curl/8.5.0"), None);
        assert_eq!(b(""), None);
    }

    #[test]
    fn systems() {
        assert_eq!(o(CHROME_WIN), some("Windows", Some("10")));
        assert_eq!(o(OPERA), some("Windows", Some("7")));
        assert_eq!(o(OLD_OPERA), some("Windows", Some("XP")));
        assert_eq!(o(HEADLESS), some("Linux", None));
        assert_eq!(o(FIREFOX_MAC), some("macOS", Some("10.15")));
        assert_eq!(o(SAFARI_MAC), some("macOS", Some("10.15.7")));
        assert_eq!(o(SAFARI_IOS), some("iOS", Some("17.1.2")));
        assert_eq!(o(IPAD_CHROME), some("iOS", Some("16.6")));
        assert_eq!(o(SAMSUNG), some("Android", Some("13")));
        assert_eq!(o(CHROME_ANDROID), some("Android", Some("14")));
        assert_eq!(o(CHROMIUM), some("Linux", None));
        assert_eq!(o(CHROMEOS), some("ChromeOS", Some("14541.0.0")));
        assert_eq!(o("Mozilla/5.0 (Linux; Android) Foo"), some("Android", None));
        assert_eq!(o("sentry.python/2.75.0"), None);
    }

    #[test]
    fn versions() {
        assert_eq!(major_minor("120.0.6099.109").as_deref(), Some("120.0"));
        assert_eq!(major_minor("17").as_deref(), Some("17"));
        assert_eq!(major_minor("x1"), None);
        assert_eq!(version_after("a Chrome/1.2; b", "Chrome/"), Some("1.2"));
    }
}
