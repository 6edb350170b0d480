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
        // The cheap rule first: off JavaScript it is always `false`, and the
        // third-party patterns need not run.
        None => is_app_by_default(f) && !is_third_party(f),
    };
    Classification {
        in_app,
        groupable: true,
    }
}

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
                json!({"function": "__rustc::rust_begin_unwind", "in_app": true,
                       "abs_path": "/rustc/5980/library/std/src/panicking.rs"}),
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
        let frame = json!({"function": "__rustc::rust_begin_unwind", "in_app": true});
        let c = classify(&RawFrame::new(&frame, Platform::Native));
        assert!(!c.groupable);
        let frame = json!({"function": "sentry_capture::main", "in_app": true});
        let c = classify(&RawFrame::new(&frame, Platform::Native));
        assert!(c.groupable && c.in_app);
    }
}
