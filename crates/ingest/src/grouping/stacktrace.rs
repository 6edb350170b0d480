//! Stack traces: the frame keys of one stack, the `app` / `system` views of
//! it, thread selection, and the crash frame.

use serde_json::Value;

use super::frame::{frame_key, FrameKey, RawFrame};
use super::function::normalize_function;
use super::hash::Token;
use super::in_app::classify;
use super::path::has_url_origin;
use super::platform::Platform;
use super::rules::is_rust_panic_entry;

/// The contributing frames of one stack trace, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Stack<'a> {
    keys: Vec<FrameKey<'a>>,
}

impl<'a> Stack<'a> {
    /// Builds the frame keys of `stacktrace` (`{"frames": [...]}`).
    pub(crate) fn build(stacktrace: Option<&'a Value>, platform: Platform) -> Stack<'a> {
        let frames = frames_of(stacktrace);
        let mut keys = Vec::with_capacity(frames.len());
        let mut prev: Option<RawFrame<'a>> = None;
        let mut only: Option<RawFrame<'a>> = None;
        // Set at the frame where a Rust panic enters the panic runtime:
        // from there on up it is panic handling, which never groups.
        let mut panicking = false;
        for value in frames.iter().filter(|v| v.is_object()) {
            let raw = RawFrame::new(value, platform);
            // Recursion: a frame repeating the previous location adds
            // nothing but depth, which varies with input size.
            let repeated = prev.as_ref().is_some_and(|p| raw.same_location_as(p));
            panicking = panicking || is_rust_panic_entry(&raw);
            let class = classify(&raw);
            if !repeated && class.groupable && !panicking {
                if let Some(key) = frame_key(&raw, class.in_app) {
                    keys.push(key);
                }
            }
            if frames.len() == 1 {
                only = Some(raw.clone());
            }
            prev = Some(raw);
        }
        if only.is_some_and(|f| is_ignorable_single_js_frame(&f)) {
            keys.clear();
        }
        Stack { keys }
    }

    /// Appends the tokens of the `app` (in-app frames only) or `system`
    /// (all frames) view; returns whether any frame contributed.
    pub(crate) fn push_tokens(&self, app_only: bool, out: &mut Vec<Token<'a>>) -> bool {
        let mut any = false;
        for key in self.keys.iter().filter(|k| k.in_app || !app_only) {
            key.push_tokens(out);
            any = true;
        }
        any
    }
}

/// A JavaScript stack of a single frame with no function name and a file
/// path (not a URL) says nothing about where the error came from: typical
/// of errors thrown by `new Function` / inline handlers.
fn is_ignorable_single_js_frame(f: &RawFrame<'_>) -> bool {
    f.platform.is_js()
        && f.function
            .and_then(|n| normalize_function(n, f.platform))
            .is_none()
        && f.path().is_some_and(|p| !has_url_origin(p, true))
}

/// `stacktrace.frames`, tolerating a bare frame list or nothing.
pub(crate) fn frames_of(stacktrace: Option<&Value>) -> &[Value] {
    let frames = match stacktrace {
        Some(Value::Array(a)) => return a,
        Some(st) => st.get("frames"),
        None => None,
    };
    frames.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// The thread whose stack explains the event: the single crashed thread,
/// else the single current one, else the only thread.
pub(crate) fn selected_thread(threads: Option<&Value>) -> Option<&Value> {
    let threads = match threads? {
        Value::Array(a) => a.as_slice(),
        t => t
            .get("values")
            .and_then(Value::as_array)
            .map(Vec::as_slice)?,
    };
    let single = |flag: &str| {
        let mut it = threads
            .iter()
            .filter(|t| t.get(flag).and_then(Value::as_bool) == Some(true));
        match (it.next(), it.next()) {
            (Some(t), None) => Some(t),
            _ => None,
        }
    };
    single("crashed")
        .or_else(|| single("current"))
        .or_else(|| (threads.len() == 1).then(|| &threads[0]))
}

/// Index of the frame where a Rust panic enters the panic runtime (see
/// [`is_rust_panic_entry`]); `frames.len()` when there is none.
fn panic_entry(frames: &[Value], platform: Platform) -> usize {
    frames
        .iter()
        .position(|v| v.is_object() && is_rust_panic_entry(&RawFrame::new(v, platform)))
        .unwrap_or(frames.len())
}

/// The crash frame among `frames` that pass `accept`: the last in-app
/// frame, else the last frame that is not SDK/runtime machinery (nor Rust
/// panic handling), else the last frame.
pub(crate) fn crash_frame<'a>(
    frames: &'a [Value],
    platform: Platform,
    accept: impl Fn(&RawFrame<'a>) -> bool,
) -> Option<RawFrame<'a>> {
    let panic_entry = panic_entry(frames, platform);
    let mut fallback: Option<RawFrame<'a>> = None;
    let mut last: Option<RawFrame<'a>> = None;
    for (i, value) in frames.iter().enumerate().rev() {
        if !value.is_object() {
            continue;
        }
        let raw = RawFrame::new(value, platform);
        if !accept(&raw) {
            continue;
        }
        let mut class = classify(&raw);
        if i >= panic_entry {
            class.in_app = false;
            class.groupable = false;
        }
        if class.in_app {
            return Some(raw);
        }
        if class.groupable && fallback.is_none() {
            fallback = Some(raw.clone());
        }
        if last.is_none() {
            last = Some(raw);
        }
    }
    fallback.or(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tokens(st: &Value, platform: Platform, app_only: bool) -> Vec<String> {
        let stack = Stack::build(Some(st), platform);
        let mut out = Vec::new();
        stack.push_tokens(app_only, &mut out);
        out.iter().map(Token::describe).collect()
    }

    #[test]
    fn recursion_collapses() {
        let f = json!({"module": "m", "function": "recurse", "lineno": 3, "in_app": true});
        let once = json!({"frames": [f.clone()]});
        let many = json!({"frames": [f.clone(), f.clone(), f.clone()]});
        assert_eq!(
            tokens(&once, Platform::Python, false),
            tokens(&many, Platform::Python, false)
        );
    }

    #[test]
    fn app_view_keeps_in_app_frames_only() {
        let st = json!({"frames": [
            {"module": "lib", "function": "call", "in_app": false},
            {"module": "app", "function": "handler", "in_app": true},
        ]});
        assert_eq!(
            tokens(&st, Platform::Python, true),
            ["frame", "module=app", "function=handler"]
        );
        assert_eq!(tokens(&st, Platform::Python, false).len(), 6);
    }

    #[test]
    fn single_anonymous_js_frame_is_ignored() {
        let st = json!({"frames": [{"abs_path": "/srv/x.js", "function": "?", "context_line": "boom()"}]});
        assert!(tokens(&st, Platform::Node, false).is_empty());
        let st = json!({"frames": [{"abs_path": "/srv/x.js", "function": "run", "context_line": "boom()"}]});
        assert!(!tokens(&st, Platform::Node, false).is_empty());
    }

    #[test]
    fn thread_selection() {
        let ev = json!({"threads": {"values": [
            {"id": 1, "crashed": false, "current": true, "stacktrace": {"frames": []}},
            {"id": 2, "crashed": true},
        ]}});
        assert_eq!(selected_thread(ev.get("threads")).unwrap()["id"], 2);
        let ev = json!({"threads": [{"id": 7}]});
        assert_eq!(selected_thread(ev.get("threads")).unwrap()["id"], 7);
        let ev = json!({"threads": {"values": [{"id": 1}, {"id": 2}]}});
        assert!(selected_thread(ev.get("threads")).is_none());
    }

    #[test]
    fn rust_panic_handling_never_groups() {
        // Thread entry through `catch_unwind` (not a panic), the app, then
        // the panic runtime, hook dispatch and an in-app panic hook.
        let st = json!({"frames": [
            {"function": "std::panic::catch_unwind::<F, i32>", "in_app": false},
            {"function": "std::panicking::catch_unwind::<i32, F>", "in_app": false},
            {"function": "app::main", "in_app": true},
            {"function": "app::work", "in_app": true},
            {"function": "core::panicking::panic_fmt", "in_app": false},
            {"function": "<alloc::boxed::Box<dyn Fn(&PanicHookInfo)> as Fn>::call", "in_app": false},
            {"function": "app::install_hook::{{closure}}", "in_app": true},
        ]});
        let functions = |app_only| {
            tokens(&st, Platform::Native, app_only)
                .into_iter()
                .filter(|t| t.starts_with("function="))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            functions(true),
            ["function=app::main", "function=app::work"]
        );
        assert_eq!(
            functions(false),
            [
                "function=std::panic::catch_unwind",
                "function=app::main",
                "function=app::work"
            ]
        );
        let frames = st["frames"].as_array().unwrap();
        let f = crash_frame(frames, Platform::Native, |_| true).unwrap();
        assert_eq!(f.function, Some("app::work"));
    }

    #[test]
    fn crash_frame_prefers_last_in_app() {
        let frames = json!([
            {"function": "main", "in_app": true},
            {"function": "helper", "in_app": true},
            {"function": "lib", "in_app": false},
        ]);
        let frames = frames.as_array().unwrap();
        let f = crash_frame(frames, Platform::Python, |_| true).unwrap();
        assert_eq!(f.function, Some("helper"));
        let f = crash_frame(&frames[2..], Platform::Python, |_| true).unwrap();
        assert_eq!(f.function, Some("lib"));
    }
}
