//! File names, URLs and modules: the location part of a frame.
//!
//! Locations change between deploys for reasons unrelated to the bug: the
//! checkout directory (`/srv/app-v1` → `/opt/deploy-2`), the virtualenv, the
//! bundler's content hash (`main.3f2a9c1b.js`), a library version in the
//! file name (`jquery-3.6.0.min.js`), generated JVM classes. Grouping keeps
//! only what names the code.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::platform::Platform;

/// `name-1.2.3`, `name_v2.0`, `name@1.2.3` inside a file name.
static VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[-_@]v?\d+(?:\.\d+)+").expect("valid regex"));
/// Shared-library versions: `libssl.so.1.1` → `libssl.so`.
static SO_VERSION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\.so(?:\.\d+)+$").expect("valid regex"));
/// Bundler content hashes (`.3f2a9c1b.`, `-a1b2c3d4e5.`).
static HEX_HASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[.-]([0-9a-fA-F]{7,})\.").expect("valid regex"));
/// Vite/Rollup base64url hashes (`index-BwKZdxC1.js`).
static B64_HASH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-([A-Za-z0-9_-]{8})\.").expect("valid regex"));
/// JVM generated-class suffixes that change between runs.
static JAVA_GENERATED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<keep>GeneratedMethodAccessor|GeneratedConstructorAccessor|GeneratedSerializationConstructorAccessor",
        r"|\$\$_javassist|\$Proxy|\$fn__|\$\$Enhancer[A-Za-z]*\$\$|\$\$FastClass[A-Za-z]*\$\$",
        r"|\$\$SpringCGLIB\$\$|\$HibernateProxy\$|\$ByteBuddy\$|\$MockitoMock\$)[_$]?[0-9A-Za-z]+",
    ))
    .expect("valid regex")
});

/// Whether `path` is a URL with an origin (`http:`, `https:`, `blob:`,
/// `applewebdata:`, and `file:` when `include_file`). Such file names are
/// deployment locations (host, port, CDN), not code identity.
pub(crate) fn has_url_origin(path: &str, include_file: bool) -> bool {
    let lower_prefix = |p: &str| {
        path.len() >= p.len() && path.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    lower_prefix("http:")
        || lower_prefix("https:")
        || lower_prefix("blob:")
        || lower_prefix("applewebdata:")
        || (include_file && lower_prefix("file:"))
}

/// The host of a URL (`https://cdn.jsdelivr.net/npm/x` → `cdn.jsdelivr.net`).
pub(crate) fn url_host(path: &str) -> Option<&str> {
    let rest = path.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let host = &rest[..end];
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    let host = host.split(':').next().unwrap_or(host);
    (!host.is_empty()).then_some(host)
}

/// Drops `?query` and `#fragment` (cache busters, source-map hints).
pub(crate) fn strip_query(path: &str) -> &str {
    match path.find(['?', '#']) {
        Some(i) => &path[..i],
        None => path,
    }
}

/// Last path component, on either separator.
pub(crate) fn basename(path: &str) -> &str {
    match path.rfind(['/', '\\']) {
        Some(i) => &path[i + 1..],
        None => path,
    }
}

/// Grouping form of a file name: basename without query, content hashes and
/// version numbers, lower-cased, `.pyc` → `.py`.
pub(crate) fn normalize_filename(path: &str, platform: Platform) -> Cow<'_, str> {
    let base = basename(strip_query(path));
    let mut s = strip_build_ids(Cow::Borrowed(base), platform);
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        s = Cow::Owned(s.to_ascii_lowercase());
    }
    if s.ends_with(".pyc") || s.ends_with(".pyo") {
        let mut o = s.into_owned();
        o.pop();
        s = Cow::Owned(o);
    }
    s
}

/// Removes content hashes, version numbers and generated-class counters
/// from a file name, keeping its case.
fn strip_build_ids(s: Cow<'_, str>, platform: Platform) -> Cow<'_, str> {
    // Cheap gates first: most file names have no digits and no dashes,
    // and then no pattern below can match.
    let has_digit = s.bytes().any(|b| b.is_ascii_digit());
    let mut s = s;
    if platform.is_js() && s.contains('-') {
        s = replace_hash(s, &B64_HASH, is_b64_hash);
    }
    if !has_digit {
        return s;
    }
    s = replace_hash(s, &HEX_HASH, |h| h.bytes().any(|b| b.is_ascii_digit()));
    if s.bytes().any(|b| b.is_ascii_digit()) {
        s = own_if_changed(s, |x| VERSION.replace_all(x, ""));
        s = own_if_changed(s, |x| SO_VERSION.replace(x, ".so"));
    }
    if platform == Platform::Java && s.contains("$$_javassist") {
        s = own_if_changed(s, |x| JAVA_GENERATED.replace_all(x, "$keep<auto>"));
    }
    s
}

/// Module cleanup: JVM generated classes collapse to `<auto>`; `None` when
/// the module carries no identity (Java `$$Lambda$` classes).
pub(crate) fn normalize_module(module: &str, platform: Platform) -> Option<Cow<'_, str>> {
    if platform != Platform::Java {
        return Some(Cow::Borrowed(module));
    }
    if module.contains("$$Lambda$") || module.contains("$$Lambda/") {
        return None;
    }
    Some(JAVA_GENERATED.replace_all(module, "$keep<auto>"))
}

/// Derives a module for a JavaScript frame located by URL, the way a
/// bundled file is named in the source tree: `https://x.io/static/js/
/// main.3f2a9c1b.min.js?v=2` → `static/js/main`. Hash and version segments
/// are dropped so the module survives a redeploy.
pub(crate) fn derive_js_module(path: &str) -> Option<String> {
    let (scheme, rest) = path.split_once("://")?;
    let rest = strip_query(rest);
    // `file:` URLs are machine-specific absolute paths: keep the file only.
    let url_path = if scheme.eq_ignore_ascii_case("file") {
        basename(rest)
    } else {
        rest.find('/').map_or("", |i| &rest[i..])
    };
    let mut segments: Vec<&str> = Vec::new();
    for seg in url_path.split('/') {
        if seg.is_empty() || seg == "." {
            continue;
        }
        if is_version_or_hash_segment(seg) {
            // Everything before a version/hash directory is deployment layout.
            segments.clear();
            continue;
        }
        segments.push(seg);
    }
    let file = segments.pop()?;
    let file = strip_build_ids(Cow::Borrowed(file), Platform::JavaScript);
    let stem = strip_js_extensions(&file);
    if stem.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(url_path.len());
    for seg in &segments {
        if seg.bytes().any(|b| b.is_ascii_digit()) {
            out.push_str(&VERSION.replace_all(seg, ""));
        } else {
            out.push_str(seg);
        }
        out.push('/');
    }
    out.push_str(stem);
    Some(out)
}

fn strip_js_extensions(file: &str) -> &str {
    let mut stem = file;
    for ext in [
        ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".min", ".bundle", ".chunk",
    ] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
        }
    }
    // `.chunk.js` / `.min.js` / `.bundle.min.js` in any order.
    for ext in [".min", ".bundle", ".chunk"] {
        if let Some(s) = stem.strip_suffix(ext) {
            stem = s;
        }
    }
    stem
}

/// A directory like `3f2a9c1b`, `v1.2.3`, `1.2.3`: a build or version id.
fn is_version_or_hash_segment(seg: &str) -> bool {
    let s = seg.strip_prefix('v').unwrap_or(seg);
    let dotted_version = !s.is_empty()
        && s.split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let hex_hash = seg.len() >= 7
        && seg.bytes().all(|b| b.is_ascii_hexdigit())
        && seg.bytes().any(|b| b.is_ascii_digit());
    (dotted_version && s.contains('.')) || hex_hash
}

fn is_b64_hash(h: &str) -> bool {
    let upper = h.bytes().filter(u8::is_ascii_uppercase).count();
    let lower = h.bytes().filter(u8::is_ascii_lowercase).count();
    let digits = h.bytes().filter(u8::is_ascii_digit).count();
    upper > 0 && lower > 0 && (digits > 0 || upper >= 3)
}

/// Removes `[.-]<hash>` before a `.` when `accept(hash)`; repeated because
/// matches cannot overlap (`a.1234567.abcdef1.js`).
fn replace_hash<'a>(s: Cow<'a, str>, re: &Regex, accept: impl Fn(&str) -> bool) -> Cow<'a, str> {
    let mut s = s;
    for _ in 0..3 {
        let Some(caps) = re.captures_iter(&s).find(|c| accept(&c[1])) else {
            break;
        };
        let m = caps.get(0).expect("group 0");
        let mut o = String::with_capacity(s.len());
        o.push_str(&s[..m.start()]);
        o.push('.');
        o.push_str(&s[m.end()..]);
        s = Cow::Owned(o);
    }
    s
}

fn own_if_changed<'a>(
    s: Cow<'a, str>,
    f: impl for<'b> Fn(&'b str) -> Cow<'b, str>,
) -> Cow<'a, str> {
    match s {
        Cow::Borrowed(b) => f(b),
        Cow::Owned(o) => match f(&o) {
            Cow::Borrowed(_) => Cow::Owned(o),
            Cow::Owned(n) => Cow::Owned(n),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames() {
        use Platform::*;
        let cases: &[(&str, Platform, &str)] = &[
            ("/srv/app-v1/app/views.py", Python, "views.py"),
            ("C:\\Users\\dev\\app\\Views.py", Python, "views.py"),
            ("/usr/lib/python3.11/json/decoder.pyc", Python, "decoder.py"),
            (
                "https://x.io/static/js/main.3f2a9c1b.js?v=12#frag",
                JavaScript,
                "main.js",
            ),
            ("main.3f2a9c1b.chunk.js", JavaScript, "main.chunk.js"),
            ("app-1.2.3.min.js", JavaScript, "app.min.js"),
            ("jquery-3.6.0.min.js", JavaScript, "jquery.min.js"),
            ("index-BwKZdxC1.js", JavaScript, "index.js"),
            ("index-DZ0t6f3r.js", JavaScript, "index.js"),
            ("_app-3a4b5c6d7e8f.js", JavaScript, "_app.js"),
            ("vendors.a1b2c3d.e4f5a6b.js", JavaScript, "vendors.js"),
            ("node_scenarios.js", Node, "node_scenarios.js"),
            ("my-component.tsx", JavaScript, "my-component.tsx"),
            ("libssl.so.1.1", Native, "libssl.so"),
            ("libfoo-2.3.so", Native, "libfoo.so"),
            ("rt.rs", Native, "rt.rs"),
            ("0012_auto_20210412.py", Python, "0012_auto_20210412.py"),
            (
                "Foo$$_javassist_42.java",
                Java,
                "foo$$_javassist<auto>.java",
            ),
            ("facade.js", JavaScript, "facade.js"),
        ];
        for (input, platform, want) in cases {
            assert_eq!(normalize_filename(input, *platform), *want, "{input}");
        }
    }

    #[test]
    fn unchanged_filenames_are_borrowed() {
        assert!(matches!(
            normalize_filename("/srv/app/python_scenarios.py", Platform::Python),
            Cow::Borrowed("python_scenarios.py")
        ));
    }

    #[test]
    fn java_modules() {
        let cases: &[(&str, Option<&str>)] = &[
            ("com.example.Foo", Some("com.example.Foo")),
            ("com.example.Foo$$Lambda$123/0x0000000801234567", None),
            (
                "sun.reflect.GeneratedMethodAccessor42",
                Some("sun.reflect.GeneratedMethodAccessor<auto>"),
            ),
            (
                "jdk.internal.reflect.GeneratedConstructorAccessor7",
                Some("jdk.internal.reflect.GeneratedConstructorAccessor<auto>"),
            ),
            (
                "com.example.Svc$$EnhancerBySpringCGLIB$$a1b2c3",
                Some("com.example.Svc$$EnhancerBySpringCGLIB$$<auto>"),
            ),
            (
                "com.example.Svc$$FastClassByCGLIB$$9f8e7d",
                Some("com.example.Svc$$FastClassByCGLIB$$<auto>"),
            ),
            (
                "com.example.Svc$$SpringCGLIB$$0",
                Some("com.example.Svc$$SpringCGLIB$$<auto>"),
            ),
            (
                "com.example.User$HibernateProxy$Xy12Ab",
                Some("com.example.User$HibernateProxy$<auto>"),
            ),
            ("com.sun.proxy.$Proxy12", Some("com.sun.proxy.$Proxy<auto>")),
            ("my.ns$handler$fn__1234", Some("my.ns$handler$fn__<auto>")),
        ];
        for (input, want) in cases {
            let got = normalize_module(input, Platform::Java);
            assert_eq!(got.as_deref(), *want, "{input}");
        }
        assert_eq!(
            normalize_module("a/b", Platform::Python).as_deref(),
            Some("a/b")
        );
    }

    #[test]
    fn js_modules_from_urls() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "http://127.0.0.1:8766/js/scenarios.js",
                Some("js/scenarios"),
            ),
            (
                "https://x.io/static/js/main.3f2a9c1b.chunk.js",
                Some("static/js/main"),
            ),
            (
                "https://x.io/assets/index-BwKZdxC1.js?v=1",
                Some("assets/index"),
            ),
            ("https://cdn.x.io/3f2a9c1b7/app.min.js", Some("app")),
            (
                "https://cdn.jsdelivr.net/npm/lodash@4.17.21/lodash.min.js",
                Some("npm/lodash/lodash"),
            ),
            ("https://x.io/v1.2.3/lib/app.js", Some("lib/app")),
            (
                "webpack:///./src/components/Foo.tsx",
                Some("src/components/Foo"),
            ),
            ("file:///home/alice/app/dist/main.js", Some("main")),
            ("https://x.io/", None),
            ("not a url", None),
        ];
        for (input, want) in cases {
            assert_eq!(derive_js_module(input).as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn url_helpers() {
        assert!(has_url_origin("https://x.io/a.js", false));
        assert!(has_url_origin("HTTP://x.io/a.js", false));
        assert!(has_url_origin("blob:https://x.io/1", false));
        assert!(!has_url_origin("file:///a.js", false));
        assert!(has_url_origin("file:///a.js", true));
        assert!(!has_url_origin("/srv/app/a.js", true));
        assert!(!has_url_origin("webpack:///./a.js", true));
        assert_eq!(
            url_host("https://user@cdn.jsdelivr.net:443/npm/x"),
            Some("cdn.jsdelivr.net")
        );
        assert_eq!(url_host("/srv/a.js"), None);
    }
}
