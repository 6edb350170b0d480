//! The built-in rule tables behind [`super::in_app`]: SDK and runtime
//! machinery that never groups, locations of third-party code, and the few
//! paths that are application code by default.

use std::sync::LazyLock;

use regex::Regex;

use super::frame::RawFrame;
use super::function::js_function;
use super::path::{basename, strip_query, url_host};
use super::platform::Platform;

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
    // Runtime symbols rustc (1.89+) defines in its own namespace:
    // `__rustc::rust_begin_unwind`, `__rustc::__rust_alloc`...
    "__rustc::",
    "std::sys::backtrace::",
    "std::sys_common::backtrace::",
    "std::backtrace::",
    "std::backtrace_rs::",
    "backtrace::",
];

/// Where a Rust panic starts: the first frame of the panic runtime on the
/// way from the panicking code to the panic hook (`core::panicking::
/// panic_fmt`, `panic_bounds_check`, `std::panicking::begin_panic`,
/// `rust_begin_unwind`). Not `std::panicking::catch_unwind` (formerly
/// `try`), which sits at the bottom of every thread's stack.
const RUST_PANIC_ENTRY_PREFIXES: &[&str] = &[
    "core::panicking::",
    "std::panicking::begin_panic",
    "std::panicking::panic_handler",
    "std::panicking::panic_with_hook",
    "std::panicking::rust_panic_with_hook",
    "rust_begin_unwind",
    "__rustc::rust_begin_unwind",
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

pub(super) fn is_machinery(f: &RawFrame<'_>) -> bool {
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
                JS_HELPER_PATH.is_match(p)
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

/// Whether `f` is where a Rust panic enters the panic runtime. Every frame
/// after it (towards the top of the stack) is panic handling: the hook
/// dispatch (`<Box<dyn Fn(&PanicHookInfo)> as Fn>::call`), the SDK's and
/// the application's panic hooks, backtrace capture. They depend on which
/// hooks are installed, not on the bug, so they never group (Sentry's
/// `^-group` on the panic entry points).
pub(super) fn is_rust_panic_entry(f: &RawFrame<'_>) -> bool {
    f.platform == Platform::Native
        && f.function.is_some_and(|func| {
            RUST_PANIC_ENTRY_PREFIXES
                .iter()
                .any(|p| func.starts_with(p))
        })
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

/// Any of `dirs` as a whole path component, on either separator.
fn dir_component_regex(dirs: &[&str], extra: &str) -> Regex {
    let alternatives = dirs
        .iter()
        .map(|d| regex::escape(d))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(r"(?:^|[/\\])(?:{alternatives})[/\\]{extra}")).expect("valid regex")
}

/// One precompiled search per frame instead of a substring search per
/// directory (this runs for every frame).
static THIRD_PARTY_PATH: LazyLock<Regex> = LazyLock::new(|| {
    dir_component_regex(
        THIRD_PARTY_DIRS,
        r"|[/\\]\.cargo[/\\](?:registry|git)[/\\]|/go/pkg/mod/",
    )
});
static NATIVE_THIRD_PARTY_PATH: LazyLock<Regex> =
    LazyLock::new(|| dir_component_regex(NATIVE_THIRD_PARTY_DIRS, ""));
/// `node_modules/<helper>/` or webpack's `~/<helper>/`.
static JS_HELPER_PATH: LazyLock<Regex> = LazyLock::new(|| {
    let pkgs = JS_HELPER_PACKAGES
        .iter()
        .map(|d| regex::escape(d))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!(r"(?:node_modules[/\\]|~/)(?:{pkgs})[/\\]")).expect("valid regex")
});

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

pub(super) fn is_third_party(f: &RawFrame<'_>) -> bool {
    if let Some(p) = f.path() {
        if THIRD_PARTY_PATH.is_match(p) {
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
            .is_some_and(|p| NATIVE_THIRD_PARTY_PATH.is_match(p))
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
pub(super) fn is_app_by_default(f: &RawFrame<'_>) -> bool {
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

/// `dir` appears as a whole directory component of `path` (any component
/// but the file name). Compared component by component: this runs for
/// every Python frame, and a substring search would first build a searcher
/// for `dir` each time.
fn has_dir(path: &str, dir: &str) -> bool {
    let mut components = path.split(['/', '\\']);
    // The last component is the file name, not a directory.
    components.next_back();
    components.any(|c| c == dir)
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
    let name = basename(strip_query(p)).as_bytes();
    let prefix = name.len() > 7
        && name[..6].eq_ignore_ascii_case(b"sentry")
        && matches!(name[6], b'.' | b'-' | b'_');
    let ends = |ext: &[u8]| {
        name.len() >= ext.len() && name[name.len() - ext.len()..].eq_ignore_ascii_case(ext)
    };
    prefix && (ends(b".js") || ends(b".mjs"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_matching_is_by_component() {
        let tp = |p: &str| THIRD_PARTY_PATH.is_match(p);
        assert!(tp("/a/vendor/b.php"));
        assert!(tp("C:\\a\\vendor\\b.php"));
        assert!(tp("node_modules/x/index.js"));
        assert!(tp("/home/dev/.cargo/registry/src/x/lib.rs"));
        assert!(tp("/root/go/pkg/mod/github.com/x/y.go"));
        assert!(!tp("/a/vendors/b.php"));
        assert!(!tp("/a/myvendor/b.php"));
        assert!(NATIVE_THIRD_PARTY_PATH.is_match("./csu/../csu/libc-start.c"));
        assert!(NATIVE_THIRD_PARTY_PATH.is_match("/rustc/5980/library/std/src/rt.rs"));
        assert!(JS_HELPER_PATH.is_match("/x/node_modules/@babel/runtime/a.js"));
        assert!(JS_HELPER_PATH.is_match("webpack:///~/core-js/modules/a.js"));
        assert!(!JS_HELPER_PATH.is_match("/x/node_modules/tslib-extra/a.js"));
        assert!(has_dir("/venv/sentry_sdk/hub.py", "sentry_sdk"));
        assert!(!has_dir("/venv/sentry_sdk_extra/hub.py", "sentry_sdk"));
        assert!(has_dir("sentry_sdk/hub.py", "sentry_sdk"));
        assert!(has_dir(r"C:\venv\sentry_sdk\hub.py", "sentry_sdk"));
        assert!(has_dir("/venv/sentry_sdk//hub.py", "sentry_sdk"));
        // A file of that name is not a directory.
        assert!(!has_dir("/venv/sentry_sdk", "sentry_sdk"));
        assert!(!has_dir("sentry_sdk", "sentry_sdk"));
        assert!(!has_dir("", "sentry_sdk"));
    }
}
