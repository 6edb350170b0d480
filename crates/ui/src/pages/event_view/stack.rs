//! Exceptions, stack traces and threads of an event.
//!
//! Frames are stored oldest first (crash frame last) and shown newest
//! first, like Sentry (`oldest_first` reverses that). A frame is the app's
//! when its SDK said `in_app: true`; when no frame of a trace says so (the
//! Python SDK leaves application frames unmarked and marks only library
//! frames `false`), every frame not marked `in_app: false` counts as the
//! app's. The app's frames are open with their source context and
//! variables; the others are collapsed `<details>` that open without
//! JavaScript. Moth's own grouping rules (in `moth-ingest`) are not used:
//! the UI does not depend on ingest.

use serde::Serialize;
use serde_json::{Map, Value};

use super::text::{key, safe_href, Budget, Clip, HEAD};

/// Variables shown per frame; the raw JSON has the rest.
const MAX_VARS: usize = 200;

#[derive(Debug, Serialize)]
pub(crate) struct ExceptionView {
    pub ty: String,
    pub value: Clip,
    pub module: Option<String>,
    pub mechanism: Option<MechanismView>,
    pub stack: Option<StackView>,
    /// The exception that was raised (the last of the chain), not a cause.
    pub raised: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct MechanismView {
    pub ty: String,
    /// `Some(false)`: unhandled, the most important fact about a crash.
    pub handled: Option<bool>,
    pub synthetic: bool,
    pub description: Option<Clip>,
    pub help_href: Option<String>,
    pub data: Vec<(String, Clip)>,
}

#[derive(Debug, Serialize)]
pub(crate) struct StackView {
    pub frames: Vec<FrameView>,
    /// Frames the SDK or Moth left out (`frames_omitted`).
    pub omitted: Option<u64>,
    pub app_frames: usize,
}

#[derive(Debug, Serialize)]
pub(crate) struct FrameView {
    pub function: String,
    pub location: String,
    pub lineno: Option<u64>,
    pub colno: Option<u64>,
    pub module: Option<String>,
    pub package: Option<String>,
    /// The full path when it is longer than the summary shows, or a link.
    pub abs_path: Option<Clip>,
    pub abs_path_href: Option<String>,
    pub in_app: bool,
    pub open: bool,
    pub context: Vec<ContextLine>,
    pub vars: Vec<(String, Clip)>,
    pub vars_hidden: usize,
    pub has_detail: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ContextLine {
    pub lineno: Option<u64>,
    pub code: Clip,
    pub current: bool,
}

#[derive(Debug, Serialize)]
pub(crate) struct ThreadView {
    pub id: Option<String>,
    pub name: Option<String>,
    pub crashed: bool,
    pub current: bool,
    pub stack: Option<StackView>,
    pub open: bool,
}

fn str_of<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// The exception chain, the raised exception first (or oldest first).
pub(crate) fn exceptions(data: &Value, b: &Budget, oldest_first: bool) -> Vec<ExceptionView> {
    let Some(values) = data.pointer("/exception/values").and_then(Value::as_array) else {
        return Vec::new();
    };
    let last = values.len().saturating_sub(1);
    let mut out: Vec<ExceptionView> = values
        .iter()
        .enumerate()
        .map(|(i, e)| ExceptionView {
            ty: b.line(str_of(e, "type").unwrap_or("Error"), 300),
            value: b.clip(str_of(e, "value").unwrap_or(""), 1000),
            module: str_of(e, "module").map(|m| b.line(m, 300)),
            mechanism: e.get("mechanism").and_then(|m| mechanism(m, b)),
            stack: e.get("stacktrace").map(|s| stack(s, b, oldest_first)),
            raised: i == last,
        })
        .collect();
    if !oldest_first {
        out.reverse();
    }
    out
}

fn mechanism(m: &Value, b: &Budget) -> Option<MechanismView> {
    let obj = m.as_object()?;
    let data = obj
        .get("data")
        .and_then(Value::as_object)
        .map(|d| pairs(d, b))
        .unwrap_or_default();
    Some(MechanismView {
        ty: b.line(str_of(m, "type").unwrap_or("generic"), 200),
        handled: obj.get("handled").and_then(Value::as_bool),
        synthetic: obj.get("synthetic").and_then(Value::as_bool) == Some(true),
        description: str_of(m, "description").map(|d| b.clip(d, HEAD)),
        help_href: str_of(m, "help_link").and_then(safe_href),
        data,
    })
}

/// Key/value rows of an object (bounded by the budget).
pub(crate) fn pairs(obj: &Map<String, Value>, b: &Budget) -> Vec<(String, Clip)> {
    obj.iter()
        .take(MAX_VARS)
        .take_while(|_| !b.exhausted())
        .map(|(k, v)| (key(b, k), b.value(v, HEAD)))
        .collect()
}

/// One stack trace, newest frame first unless `oldest_first`.
pub(crate) fn stack(st: &Value, b: &Budget, oldest_first: bool) -> StackView {
    let frames: &[Value] = st
        .get("frames")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let any_marked = frames
        .iter()
        .any(|f| f.get("in_app").and_then(Value::as_bool) == Some(true));
    let is_app = |f: &Value| match f.get("in_app").and_then(Value::as_bool) {
        Some(v) => v,
        None => !any_marked,
    };
    let mut views: Vec<FrameView> = frames.iter().map(|f| frame(f, is_app(f), b)).collect();
    let app_frames = views.iter().filter(|f| f.in_app).count();
    // Nothing of the app's: open the crash frame so that something is.
    if app_frames == 0 {
        if let Some(last) = views.last_mut() {
            last.open = last.has_detail;
        }
    }
    if !oldest_first {
        views.reverse();
    }
    let omitted = st
        .get("frames_omitted")
        .and_then(Value::as_array)
        .and_then(|r| Some(r.get(1)?.as_u64()?.saturating_sub(r.first()?.as_u64()?)))
        .filter(|n| *n > 0);
    StackView {
        frames: views,
        omitted,
        app_frames,
    }
}

fn frame(f: &Value, in_app: bool, b: &Budget) -> FrameView {
    let function = str_of(f, "function")
        .or_else(|| str_of(f, "raw_function"))
        .or_else(|| str_of(f, "instruction_addr"))
        .unwrap_or("?");
    let abs_path = str_of(f, "abs_path");
    let place = str_of(f, "filename")
        .or(abs_path)
        .or_else(|| str_of(f, "module"))
        .or_else(|| str_of(f, "package"))
        .unwrap_or("");
    let lineno = f.get("lineno").and_then(Value::as_u64);
    let context = source_context(f, lineno, b);
    let (vars, vars_hidden) = match f.get("vars").and_then(Value::as_object) {
        Some(v) => {
            let shown = pairs(v, b);
            let hidden = v.len() - shown.len();
            (shown, hidden)
        }
        None => (Vec::new(), 0),
    };
    // The full path is worth a row when the summary shows something else
    // or cuts it.
    let abs_path_shown = abs_path.filter(|p| *p != place || p.chars().count() > 160);
    let has_detail = !context.is_empty() || !vars.is_empty() || abs_path_shown.is_some();
    FrameView {
        function: b.line(function, 160),
        location: b.line(place, 160),
        lineno,
        colno: f.get("colno").and_then(Value::as_u64),
        module: str_of(f, "module")
            .filter(|m| Some(*m) != str_of(f, "filename"))
            .map(|m| b.line(m, 200)),
        package: str_of(f, "package").map(|p| b.line(p, 200)),
        abs_path: abs_path_shown.map(|p| b.clip(p, HEAD)),
        abs_path_href: abs_path.and_then(safe_href),
        in_app,
        open: in_app && has_detail,
        context,
        vars,
        vars_hidden,
        has_detail,
    }
}

fn source_context(f: &Value, lineno: Option<u64>, b: &Budget) -> Vec<ContextLine> {
    let Some(line) = str_of(f, "context_line").or_else(|| {
        // An empty current line is still the current line.
        f.get("context_line").and_then(Value::as_str)
    }) else {
        return Vec::new();
    };
    let lines = |k: &str| -> Vec<&str> {
        f.get(k)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).take(50).collect())
            .unwrap_or_default()
    };
    let pre = lines("pre_context");
    let post = lines("post_context");
    let start = lineno.map(|l| l.saturating_sub(pre.len() as u64));
    let mut out = Vec::with_capacity(pre.len() + post.len() + 1);
    for (i, code) in pre.iter().enumerate() {
        out.push(ContextLine {
            lineno: start.map(|s| s + i as u64),
            code: b.clip(code, HEAD),
            current: false,
        });
    }
    out.push(ContextLine {
        lineno,
        code: b.clip(line, HEAD),
        current: true,
    });
    for (i, code) in post.iter().enumerate() {
        out.push(ContextLine {
            lineno: lineno.map(|l| l + 1 + i as u64),
            code: b.clip(code, HEAD),
            current: false,
        });
    }
    out
}

/// Threads with their stacks. The crashed (else current) thread is open
/// when the exceptions carry no stack trace of their own.
pub(crate) fn threads(
    data: &Value,
    b: &Budget,
    oldest_first: bool,
    exception_has_stack: bool,
) -> Vec<ThreadView> {
    let Some(values) = data.pointer("/threads/values").and_then(Value::as_array) else {
        return Vec::new();
    };
    let flag = |t: &Value, k: &str| t.get(k).and_then(Value::as_bool) == Some(true);
    let focus = values
        .iter()
        .position(|t| flag(t, "crashed"))
        .or_else(|| values.iter().position(|t| flag(t, "current")));
    values
        .iter()
        .enumerate()
        .map(|(i, t)| ThreadView {
            id: t.get("id").map(|v| match v {
                Value::String(s) => b.line(s, 100),
                other => b.line(&other.to_string(), 100),
            }),
            name: str_of(t, "name").map(|n| b.line(n, 200)),
            crashed: flag(t, "crashed"),
            current: flag(t, "current"),
            stack: t.get("stacktrace").map(|s| stack(s, b, oldest_first)),
            open: !exception_has_stack && focus == Some(i),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn newest_frame_first_and_app_frames_open() {
        let data = json!({"exception": {"values": [
            {"type": "KeyError", "value": "cause"},
            {"type": "ValueError", "value": "bad <b>", "mechanism": {"type": "generic", "handled": false},
             "stacktrace": {"frames": [
                {"function": "lib", "filename": "site-packages/x.py", "in_app": false, "lineno": 3, "context_line": "x()"},
                {"function": "main", "filename": "app.py", "lineno": 10,
                 "pre_context": ["a", "b"], "context_line": "boom()", "post_context": ["c"],
                 "vars": {"n": 0}},
             ]}},
        ]}});
        let b = Budget::default();
        let ex = exceptions(&data, &b, false);
        assert_eq!(ex[0].ty, "ValueError");
        assert!(ex[0].raised && !ex[1].raised);
        assert_eq!(ex[0].mechanism.as_ref().unwrap().handled, Some(false));
        let frames = &ex[0].stack.as_ref().unwrap().frames;
        assert_eq!(frames[0].function, "main");
        assert!(
            frames[0].in_app && frames[0].open,
            "unmarked frames are the app's when none is marked"
        );
        assert!(!frames[1].in_app && !frames[1].open);
        let lines: Vec<(Option<u64>, &str, bool)> = frames[0]
            .context
            .iter()
            .map(|l| (l.lineno, l.code.head.as_str(), l.current))
            .collect();
        assert_eq!(
            lines,
            vec![
                (Some(8), "a", false),
                (Some(9), "b", false),
                (Some(10), "boom()", true),
                (Some(11), "c", false)
            ]
        );
        assert_eq!(frames[0].vars[0].0, "n");
        let oldest = exceptions(&data, &b, true);
        assert_eq!(oldest[0].ty, "KeyError");
        assert_eq!(oldest[1].stack.as_ref().unwrap().frames[0].function, "lib");
    }

    #[test]
    fn marked_frames_win_and_something_is_always_open() {
        let b = Budget::default();
        let st = json!({"frames": [
            {"function": "a", "in_app": true, "context_line": "x"},
            {"function": "b", "context_line": "y"},
        ]});
        let s = stack(&st, &b, true);
        assert!(s.frames[0].in_app && !s.frames[1].in_app);
        let lib_only = json!({"frames": [
            {"function": "a", "in_app": false, "context_line": "x"},
            {"function": "b", "in_app": false, "context_line": "y"},
        ]});
        let s = stack(&lib_only, &b, false);
        assert_eq!(s.app_frames, 0);
        assert!(
            s.frames[0].open && !s.frames[1].open,
            "the crash frame opens"
        );
    }

    #[test]
    fn hostile_paths_do_not_become_links() {
        let b = Budget::default();
        let st = json!({"frames": [
            {"function": "f", "abs_path": "javascript:alert(1)", "filename": "x.js"},
            {"function": "g", "abs_path": "https://cdn.example/app.js", "filename": "app.js"},
        ]});
        let s = stack(&st, &b, true);
        assert_eq!(s.frames[0].abs_path_href, None);
        assert_eq!(
            s.frames[1].abs_path_href.as_deref(),
            Some("https://cdn.example/app.js")
        );
    }
}
