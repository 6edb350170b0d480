//! Built-in stack-trace rules: which frames are application code (`in_app`)
//! and which frames never contribute to grouping at all.
//!
//! Three tiers, checked in this order:
//! 1. **Machinery** (`-app -group`): SDK frames, runtime panic/unwind and
//!    backtrace-capture code, process/thread trampolines, Node's microtask
//!    loop, transpiler helpers. They are present or absent depending on how
//!    the error was captured, not on the bug, so they never contribute, even
//!    when the SDK marked them in-app.
//! 2. **The client's `in_app`**: `false` always wins. `true` wins too, except
//!    on platforms whose SDKs mark frames in-app by default without knowing
//!    (browser JavaScript, native/Rust), where tier 3 may demote it. Python,
//!    Node, Java... SDKs classify frames themselves from the user's
//!    `in_app_include` options, which we must not override.
//! 3. **Third-party locations** (`-app`): `site-packages`, `node_modules`,
//!    `vendor`, the cargo registry, Rust std, Go's module cache, CDN hosts,
//!    browser extensions... When the client said nothing, only `webpack:`
//!    and `app:` paths outside `node_modules` are app code; the rest is not.

use serde_json::Value;

use super::frame::RawFrame;
use super::platform::Platform;
use super::rules::{is_app_by_default, is_machinery, is_third_party};

/// Whether a frame is application code, for grouping's `app` variant and
/// for picking the crash frame (titles, culprits).
///
/// `platform` is the event's platform; a frame's own `platform` wins. The
/// client's `in_app` is used when present (see the module docs for when a
/// built-in rule overrides `true`); otherwise built-in path rules decide,
/// and frames no rule claims are not in-app.
pub fn frame_in_app(frame: &Value, platform: &str) -> bool {
    classify(&RawFrame::new(frame, Platform::parse(platform))).in_app
}

/// Outcome of the built-in rules for one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Classification {
    pub in_app: bool,
    /// `false` for machinery frames: they contribute to no variant.
    pub groupable: bool,
}

pub(crate) fn classify(f: &RawFrame<'_>) -> Classification {
    if is_machinery(f) {
        return Classification {
            in_app: false,
            groupable: false,
        };
    }
    let in_app = match f.client_in_app {
        Some(false) => false,
        Some(true) => !(f.platform.client_in_app_is_a_guess() && is_third_party(f)),
        None => !is_third_party(f) && is_app_by_default(f),
    };
    Classification {
        in_app,
        groupable: true,
    }
}

<<<<<<< HEAD
/// Rust crates of the Sentry SDK (an explicit list: an application crate may
/// well be called `sentry_something`).
const SENTRY_RUST_CRATES: &[&str] = &[
    "sentry",
    "sentry_core",
    "sentry_panic",
    "sentry_backtrace",
    "sentry_anyhow",
    "sentry_tracing",
    "sentry_log",
    "sentry_slog",
    "sentry_contexts",
    "sentry_debug_images",
    "sentry_types",
    "sentry_actix",
    "sentry_tower",
    "sentry_opentelemetry",
];

/// Rust panic, unwind and backtrace-capture machinery.
const RUST_MACHINERY_PREFIXES: &[&str] = &[
    "std::panicking::",
    "core::panicking::",
    "rust_begin_unwind",
    "rust_panic",
    "__rust_",
    "std::sys::backtrace::",
    "std::sys_common::backtrace::",
    "std::backtrace::",
    "std::backtrace_rs::",
    "backtrace::",
];

/// Process and thread entry trampolines: the same in every stack, and they
/// differ between libc versions (`__libc_start_main` vs `_impl`).
const NATIVE_TRAMPOLINES: &[&str] = &[
    "_start",
    "__libc_start_main",
    "__libc_start_main_impl",
    "__libc_start_call_main",
    "start_thread",
    "clone",
    "clone3",
    "__clone",
    "__clone3",
    "thread_start",
    "_pthread_start",
    "BaseThreadInitThunk",
    "RtlUserThreadStart",
];

/// Node's event-loop plumbing between the scheduler and user callbacks.
const NODE_LOOP_FUNCTIONS: &[&str] = &[
    "processTicksAndRejections",
    "runMicrotasks",
    "nextTick",
    "_tickCallback",
    "processImmediate",
    "listOnTimeout",
    "processTimers",
];

/// Transpiler and polyfill helpers inside `node_modules`.
const JS_HELPER_PACKAGES: &[&str] = &[
    "@babel",
    "core-js",
    "core-js-pure",
    "regenerator-runtime",
    "tslib",
    "@sentry",
    "@sentry-internal",
];

fn is_machinery(f: &RawFrame<'_>) -> bool {
    let path = f.path();
    match f.platform {
        Platform::JavaScript | Platform::Node => {
            let node_internal = path.is_none_or(is_node_internal);
            if node_internal
                && f.function
                    .and_then(js_function)
                    .is_some_and(|n| NODE_LOOP_FUNCTIONS.contains(&n))
            {
                return true;
            }
            path.is_some_and(|p| {
                JS_HELPER_PACKAGES.iter().any(|pkg| in_package_dir(p, pkg))
                    || url_host(p).is_some_and(|h| h.ends_with("sentry-cdn.com"))
                    || is_sentry_bundle(p)
            })
        }
        Platform::Python => {
            f.module
                .is_some_and(|m| m == "sentry_sdk" || m.starts_with("sentry_sdk."))
                || path.is_some_and(|p| has_dir(p, "sentry_sdk"))
        }
        Platform::Native => f.function.is_some_and(|func| {
            let func = func.trim_start_matches('<');
            RUST_MACHINERY_PREFIXES.iter().any(|p| func.starts_with(p))
                || rust_crate(func).is_some_and(|c| SENTRY_RUST_CRATES.contains(&c))
                || NATIVE_TRAMPOLINES.contains(&func)
                || func.starts_with("__libc_start_main")
                || func.starts_with("-[Sentry")
                || func.starts_with("+[Sentry")
                || func.starts_with("sentrycrash")
        }),
        Platform::Java => f.module.is_some_and(|m| m.starts_with("io.sentry.")),
        Platform::CSharp => [f.module, f.function]
            .iter()
            .flatten()
            .any(|s| *s == "Sentry" || s.starts_with("Sentry.")),
        Platform::Go => [f.module, f.package]
            .iter()
            .flatten()
            .any(|s| s.starts_with("github.com/getsentry/sentry-go")),
        Platform::Php => [f.module, f.function]
            .iter()
            .flatten()
            .any(|s| s.starts_with("Sentry\\")),
        Platform::Ruby => path.is_some_and(|p| p.contains("/gems/sentry-")),
        Platform::Other => false,
    }
}

/// Directories that hold code the application did not write.
const THIRD_PARTY_DIRS: &[&str] = &[
    "site-packages",
    "dist-packages",
    "node_modules",
    "bower_components",
    "jspm_packages",
    "vendor",
];

/// Native: Rust's std sources (`/rustc/<hash>/library/...`) and glibc's.
const NATIVE_THIRD_PARTY_DIRS: &[&str] = &["rustc", "sysdeps", "csu"];

/// Public CDNs serving libraries.
const CDN_HOSTS: &[&str] = &[
    "unpkg.com",
    "cdnjs.cloudflare.com",
    "cdn.jsdelivr.net",
    "esm.run",
    "esm.sh",
    "cdn.skypack.dev",
    "ajax.googleapis.com",
    "code.jquery.com",
];

/// Well-known Rust crates whose frames are never the application's (used
/// when debug info gives no path to recognise them by).
const RUST_LIBRARY_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "futures_util",
    "futures_core",
    "hyper",
    "axum",
    "tower",
    "tower_http",
    "actix_web",
    "actix_rt",
    "actix_server",
    "serde",
    "serde_json",
    "anyhow",
    "eyre",
    "color_eyre",
    "tracing",
    "reqwest",
    "rayon",
    "rayon_core",
    "crossbeam",
    "parking_lot",
    "sqlx",
    "diesel",
];

/// C runtime and unwinder entry points.
const NATIVE_SYSTEM_PREFIXES: &[&str] = &[
    "__libc_",
    "__GI_",
    "__pthread",
    "pthread_",
    "__cxa_",
    "__gxx_",
    "_Unwind_",
    "__assert_",
];

fn is_third_party(f: &RawFrame<'_>) -> bool {
    if let Some(p) = f.path() {
        if THIRD_PARTY_DIRS.iter().any(|d| has_dir(p, d))
            || p.contains("/.cargo/registry/")
            || p.contains("/.cargo/git/")
            || p.contains("/go/pkg/mod/")
            || p.contains("\\.cargo\\registry\\")
        {
            return true;
        }
        if f.platform.is_js() {
            if is_node_internal(p) || is_extension_url(p) {
                return true;
            }
            if url_host(p).is_some_and(|h| CDN_HOSTS.iter().any(|c| h.eq_ignore_ascii_case(c))) {
                return true;
            }
        }
    }
    if f.platform == Platform::Native {
        if f.path()
            .is_some_and(|p| NATIVE_THIRD_PARTY_DIRS.iter().any(|d| has_dir(p, d)))
        {
            return true;
        }
        if let Some(func) = f.function {
            let func = func.trim_start_matches('<');
            if rust_crate(func).is_some_and(|c| RUST_LIBRARY_CRATES.contains(&c))
                || NATIVE_SYSTEM_PREFIXES.iter().any(|p| func.starts_with(p))
                || matches!(func, "abort" | "raise" | "__assert_fail")
            {
                return true;
            }
        }
    }
    false
}

/// `webpack:` and `app:` paths are the application's own sources, unless
/// they point into dependencies (`~/` is webpack's alias for node_modules).
fn is_app_by_default(f: &RawFrame<'_>) -> bool {
    if !f.platform.is_js() {
        return false;
    }
    let Some(abs) = f.abs_path else {
        return false;
    };
    let app_scheme = abs.starts_with("webpack:") || abs.starts_with("app:");
    let dependency = abs.contains("node_modules")
        || f.filename
            .is_some_and(|n| n.starts_with("~/") || n.contains("node_modules"));
    app_scheme && !dependency
}

/// First `::` segment of a Rust path (`tokio::runtime::x` → `tokio`).
fn rust_crate(func: &str) -> Option<&str> {
    let (head, _) = func.split_once("::")?;
    let head = head.trim();
    (!head.is_empty() && head.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(head)
}

/// `dir` appears as a whole directory component of `path`.
fn has_dir(path: &str, dir: &str) -> bool {
    path.match_indices(dir).any(|(i, _)| {
        let before = path[..i].bytes().last();
        let after = path.as_bytes().get(i + dir.len()).copied();
        matches!(before, Some(b'/' | b'\\') | None) && matches!(after, Some(b'/' | b'\\'))
    })
}

/// `node_modules/<pkg>/` or webpack's `~/<pkg>/`.
fn in_package_dir(path: &str, pkg: &str) -> bool {
    path.match_indices(pkg).any(|(i, _)| {
        let head = &path[..i];
        let after = path.as_bytes().get(i + pkg.len()).copied();
        (head.ends_with("node_modules/")
            || head.ends_with("~/")
            || head.ends_with("node_modules\\"))
            && matches!(after, Some(b'/' | b'\\'))
    })
}

fn is_node_internal(p: &str) -> bool {
    p.starts_with("node:") || p.starts_with("internal/")
}

fn is_extension_url(p: &str) -> bool {
    [
        "chrome-extension:",
        "moz-extension:",
        "safari-extension:",
        "safari-web-extension:",
    ]
    .iter()
    .any(|s| p.starts_with(s))
}

/// A Sentry browser SDK bundle served by the application itself
/// (`/js/sentry.bundle.min.js`, `bundle.tracing.min.js` from the CDN).
fn is_sentry_bundle(p: &str) -> bool {
    let name = basename(strip_query(p));
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("sentry.") || lower.starts_with("sentry-") || lower.starts_with("sentry_"))
        && (lower.ends_with(".js") || lower.ends_with(".mjs"))
}

=======
>>>>>>> grouping
#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn in_app_rules() {
        let cases: Vec<(Value, &str, bool)> = vec![
            // Client value wins on platforms whose SDKs classify frames.
            (
                json!({"abs_path": "/srv/app/x.py", "in_app": true}),
                "python",
                true,
            ),
            (
                json!({"abs_path": "/srv/app/x.py", "in_app": false}),
                "python",
                false,
            ),
            (
                json!({"abs_path": "/venv/lib/site-packages/mypkg/x.py", "in_app": true}),
                "python",
                true,
            ),
            // Silent client: rules, then false.
            (json!({"abs_path": "/srv/app/x.py"}), "python", false),
            (
                json!({"abs_path": "/venv/lib/python3.11/site-packages/django/x.py"}),
                "python",
                false,
            ),
            (
                json!({"abs_path": "webpack:///./src/App.tsx", "filename": "./src/App.tsx"}),
                "javascript",
                true,
            ),
            (
                json!({"abs_path": "webpack:///./node_modules/react/index.js"}),
                "javascript",
                false,
            ),
            (
                json!({"abs_path": "webpack:///~/react/index.js", "filename": "~/react/index.js"}),
                "javascript",
                false,
            ),
            (json!({"abs_path": "app:///main.js"}), "javascript", true),
            // Browser SDK marks everything in-app: rules demote libraries.
            (
                json!({"filename": "http://x.io/js/app.js", "in_app": true}),
                "javascript",
                true,
            ),
            (
                json!({"filename": "https://cdn.jsdelivr.net/npm/lodash/lodash.js", "in_app": true}),
                "javascript",
                false,
            ),
            (
                json!({"filename": "http://localhost:5173/node_modules/.vite/deps/react.js", "in_app": true}),
                "javascript",
                false,
            ),
            (
                json!({"filename": "chrome-extension://abc/content.js", "in_app": true}),
                "javascript",
                false,
            ),
            (
                json!({"filename": "http://x.io/js/sentry.bundle.min.js", "in_app": true}),
                "javascript",
                false,
            ),
            // Node internals and the event loop.
            (
                json!({"filename": "node:internal/process/task_queues", "function": "processTicksAndRejections"}),
                "node",
                false,
            ),
            (
                json!({"filename": "/srv/app/node_modules/express/lib/router.js", "in_app": false}),
                "node",
                false,
            ),
            // Rust: std and registry crates demoted, SDK and panic machinery never app.
            (
                json!({"function": "sentry_capture::main", "abs_path": "/srv/app/rust/src/main.rs", "in_app": true}),
                "native",
                true,
            ),
            (
                json!({"function": "std::rt::lang_start", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "tokio::runtime::park::CachedParkThread::block_on", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "<E as anyhow::context::ext::StdError>::ext_context", "in_app": true,
                       "abs_path": "/home/dev/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/anyhow-1.0.104/src/backtrace.rs"}),
                "native",
                false,
            ),
            (
                json!({"function": "sentry_panic::panic_handler", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "sentry_core::hub::Hub::capture_event", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "std::panicking::begin_panic_handler", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "__libc_start_main_impl", "abs_path": "./csu/../csu/libc-start.c", "in_app": true}),
                "native",
                false,
            ),
            (
                json!({"function": "at /rustc/5980/library/std/src/panic.rs:359:14", "in_app": true}),
                "native",
                false,
            ),
            (json!({"function": "main", "in_app": true}), "native", true),
            // SDK frames on other platforms.
            (
                json!({"module": "sentry_sdk.integrations.logging", "in_app": true}),
                "python",
                false,
            ),
            (
                json!({"module": "io.sentry.SentryClient", "in_app": true}),
                "java",
                false,
            ),
            (
                json!({"module": "com.example.Api", "in_app": true}),
                "java",
                true,
            ),
            // A frame's own platform wins over the event's.
            (
                json!({"function": "std::rt::lang_start", "in_app": true, "platform": "native"}),
                "python",
                false,
            ),
        ];
        for (frame, platform, want) in cases {
            assert_eq!(
                frame_in_app(&frame, platform),
                want,
                "{frame} on {platform}"
            );
        }
    }

    #[test]
    fn machinery_never_groups() {
        let frame = json!({"function": "sentry_panic::panic_handler", "in_app": true});
        let c = classify(&RawFrame::new(&frame, Platform::Native));
        assert!(!c.groupable);
        let frame = json!({"function": "sentry_capture::main", "in_app": true});
        let c = classify(&RawFrame::new(&frame, Platform::Native));
        assert!(c.groupable && c.in_app);
    }
<<<<<<< HEAD

    #[test]
    fn directory_matching_is_by_component() {
        assert!(has_dir("/a/vendor/b.php", "vendor"));
        assert!(has_dir("C:\\a\\vendor\\b.php", "vendor"));
        assert!(!has_dir("/a/vendors/b.php", "vendor"));
        assert!(!has_dir("/a/myvendor/b.php", "vendor"));
        assert!(in_package_dir(
            "/x/node_modules/@babel/runtime/a.js",
            "@babel"
        ));
        assert!(!in_package_dir("/x/node_modules/tslib-extra/a.js", "tslib"));
    }
=======
>>>>>>> grouping
}
