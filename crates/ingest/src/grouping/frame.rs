//! One stack frame: reading it from the event, and reducing it to the values
//! that contribute to grouping (`module` or `filename`, `function`, and the
//! `context` line for interpreted platforms).
//!
//! Never line numbers, columns, addresses or variables: those change with
//! every unrelated edit or run.

use std::borrow::Cow;

use serde_json::Value;

use super::function::{js_function, normalize_function};
use super::hash::Token;
use super::path::{derive_js_module, has_url_origin, normalize_filename, normalize_module};
use super::platform::Platform;

/// Context lines longer than this are usually minified code or data.
const MAX_CONTEXT_LINE: usize = 120;

/// Borrowed view of the frame fields grouping reads, read once per frame.
#[derive(Debug, Clone)]
pub(crate) struct RawFrame<'a> {
    pub value: &'a Value,
    /// Frame's own `platform`, else the event's.
    pub platform: Platform,
    pub filename: Option<&'a str>,
    pub abs_path: Option<&'a str>,
    pub module: Option<&'a str>,
    /// `function`, else `raw_function` (C#: `raw_function` first, the
    /// function there is often a pretty-printed signature).
    pub function: Option<&'a str>,
    pub package: Option<&'a str>,
    pub context_line: Option<&'a str>,
    pub client_in_app: Option<bool>,
}

impl<'a> RawFrame<'a> {
    pub(crate) fn new(value: &'a Value, event_platform: Platform) -> Self {
        let mut frame = RawFrame {
            value,
            platform: event_platform,
            filename: None,
            abs_path: None,
            module: None,
            function: None,
            package: None,
            context_line: None,
            client_in_app: None,
        };
        let Some(map) = value.as_object() else {
            return frame;
        };
        // One pass over the frame's keys instead of a hashed lookup per
        // field: this runs for every frame of every event.
        let text = |v: &'a Value| v.as_str().map(str::trim).filter(|s| !s.is_empty());
        let mut raw_function = None;
        for (key, v) in map {
            match key.as_str() {
                "filename" => frame.filename = text(v),
                "abs_path" => frame.abs_path = text(v),
                "module" => frame.module = text(v),
                "function" => frame.function = text(v),
                "raw_function" => raw_function = text(v),
                "package" => frame.package = text(v),
                // Not trimmed: its length limit applies to the raw line.
                "context_line" => frame.context_line = v.as_str(),
                "in_app" => frame.client_in_app = v.as_bool(),
                "platform" => {
                    if let Some(p) = text(v) {
                        frame.platform = Platform::parse(p);
                    }
                }
                _ => {}
            }
        }
        // C#: `raw_function` first, `function` is often a pretty signature.
        if frame.platform == Platform::CSharp {
            frame.function = raw_function.or(frame.function);
        } else {
            frame.function = frame.function.or(raw_function);
        }
        frame.split_location_function();
        frame
    }

    /// Abs path if known, else the file name: what path rules look at.
    pub(crate) fn path(&self) -> Option<&'a str> {
        self.abs_path.or(self.filename)
    }

    /// Some Rust backtraces report unresolved inline frames as a function
    /// named `at /path/file.rs:359:14`. That is a location, not a function:
    /// treat it as the frame's path so the line numbers never contribute.
    fn split_location_function(&mut self) {
        if self.filename.is_some() || self.abs_path.is_some() {
            return;
        }
        let Some(loc) = self.function.and_then(|f| f.strip_prefix("at ")) else {
            return;
        };
        let mut path = loc;
        for _ in 0..2 {
            if let Some((head, tail)) = path.rsplit_once(':') {
                if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) {
                    path = head;
                }
            }
        }
        if path.len() < loc.len() && (path.contains('/') || path.contains('\\')) {
            self.abs_path = Some(path);
            self.function = None;
        }
    }

    /// Whether the frame was mapped through a JavaScript source map.
    fn is_source_mapped(&self) -> bool {
        self.value
            .get("data")
            .and_then(|d| d.get("sourcemap"))
            .is_some_and(|s| !s.is_null())
    }

    /// Same location as `prev` (recursion): path, package, module, file,
    /// function, line and column all equal. The string fields were read
    /// already; only the numbers need a lookup, and only when all match.
    pub(crate) fn same_location_as(&self, prev: &RawFrame<'_>) -> bool {
        self.function == prev.function
            && self.abs_path == prev.abs_path
            && self.filename == prev.filename
            && self.module == prev.module
            && self.package == prev.package
            && ["lineno", "colno"]
                .iter()
                .all(|k| self.value.get(k) == prev.value.get(k))
    }
}

/// The contributing values of one frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameKey<'a> {
    pub in_app: bool,
    pub module: Option<Cow<'a, str>>,
    pub filename: Option<Cow<'a, str>>,
    pub function: Option<Cow<'a, str>>,
    pub context: Option<Cow<'a, str>>,
}

impl<'a> FrameKey<'a> {
    /// Appends `frame` marker plus the contributing values.
    pub(crate) fn push_tokens(&self, out: &mut Vec<Token<'a>>) {
        out.push(Token::marker("frame"));
        let parts = [
            ("module", &self.module),
            ("filename", &self.filename),
            ("function", &self.function),
            ("context", &self.context),
        ];
        for (kind, value) in parts {
            if let Some(v) = value {
                out.push(Token::new(kind, v.clone()));
            }
        }
    }
}

/// Reduces a frame to its grouping key; `None` when nothing contributes or
/// the whole frame is ignored (JS `eval`, native code).
pub(crate) fn frame_key<'a>(f: &RawFrame<'a>, in_app: bool) -> Option<FrameKey<'a>> {
    let platform = f.platform;
    let js = platform.is_js();
    let path = f.path();
    if js {
        if path.is_some_and(|p| {
            matches!(
                p,
                "[native code]" | "native code" | "eval code" | "<anonymous>"
            )
        }) {
            return None;
        }
        if f.function.and_then(js_function) == Some("eval") {
            return None;
        }
    }

    let module = frame_module(f, path);
    let filename = if module.is_some() {
        // The module names the code more precisely than its file.
        None
    } else {
        frame_filename(f)
    };
    let mut function = f.function.and_then(|n| normalize_function(n, platform));
    let mut context = if platform.uses_context_line() {
        f.context_line.and_then(normalize_context_line)
    } else {
        None
    };
    if js {
        // A line of an anonymous function in a served script is usually
        // minified code: not a reliable identity.
        if function.is_none() && path.is_some_and(|p| has_url_origin(p, true)) {
            context = None;
        }
        // Source-map function names are guesses; the mapped line is not.
        if context.is_some() && f.is_source_mapped() {
            function = None;
        }
    }
    if module.is_none() && filename.is_none() && function.is_none() && context.is_none() {
        return None;
    }
    Some(FrameKey {
        in_app,
        module,
        filename,
        function,
        context,
    })
}

fn frame_module<'a>(f: &RawFrame<'a>, path: Option<&'a str>) -> Option<Cow<'a, str>> {
    match f.module {
        Some(m) => {
            // A JS "module" that is just the tail of the path is a path.
            if f.platform.is_js() && m.contains('/') && path.is_some_and(|p| p.ends_with(m)) {
                return None;
            }
            if f.platform.is_js() && matches!(m, "<anonymous>" | "[native code]") {
                return None;
            }
            normalize_module(m, f.platform)
        }
        None if f.platform.is_js() => path
            .filter(|p| is_http_url(p))
            .and_then(derive_js_module)
            .map(Cow::Owned),
        None => None,
    }
}

fn frame_filename<'a>(f: &RawFrame<'a>) -> Option<Cow<'a, str>> {
    let name = f.filename.or(f.abs_path)?;
    if f.platform.is_js() {
        // A URL names the deployment (host, port, CDN), not the code.
        if f.path().is_some_and(|p| has_url_origin(p, false)) || has_url_origin(name, false) {
            return None;
        }
        if matches!(name, "<anonymous>" | "[native code]") {
            return None;
        }
    }
    let n = normalize_filename(name, f.platform);
    (!n.is_empty()).then_some(n)
}

fn is_http_url(p: &str) -> bool {
    let lower = |prefix: &str| {
        p.len() >= prefix.len()
            && p.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
    };
    lower("http://") || lower("https://")
}

/// Whitespace runs collapsed to one space, trimmed; `None` when empty or
/// longer than 120 characters.
pub(crate) fn normalize_context_line(line: &str) -> Option<Cow<'_, str>> {
    if line.len() > MAX_CONTEXT_LINE && line.chars().count() > MAX_CONTEXT_LINE {
        return None;
    }
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return None;
    }
    let mut prev_space = false;
    let already_clean = trimmed.chars().all(|c| {
        let bad = c.is_whitespace() && (c != ' ' || prev_space);
        prev_space = c == ' ';
        !bad
    });
    if already_clean {
        return Some(Cow::Borrowed(trimmed));
    }
    let mut out = String::with_capacity(trimmed.len());
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Some(Cow::Owned(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(frame: Value, platform: Platform) -> Option<Vec<String>> {
        let raw = RawFrame::new(&frame, platform);
        frame_key(&raw, true).map(|k| {
            let mut out = Vec::new();
            k.push_tokens(&mut out);
            out.iter().skip(1).map(|t| t.describe()).collect()
        })
    }

    #[test]
    fn frame_keys_per_platform() {
        use Platform::*;
        let cases: Vec<(Value, Platform, Option<Vec<&str>>)> = vec![
            (
                json!({"module": "__main__", "filename": "app.py", "abs_path": "/srv/app-v1/app.py",
                       "function": "level6", "lineno": 55, "context_line": "    average = net  /  qty"}),
                Python,
                Some(vec![
                    "module=__main__",
                    "function=level6",
                    "context=average = net / qty",
                ]),
            ),
            (
                json!({"filename": "http://127.0.0.1:8766/js/scenarios.js", "function": "readSetting",
                       "lineno": 5, "colno": 26, "in_app": true}),
                JavaScript,
                Some(vec!["module=js/scenarios", "function=readSetting"]),
            ),
            (
                json!({"filename": "http://127.0.0.1:8766/js/scenarios.js", "function": "?"}),
                JavaScript,
                Some(vec!["module=js/scenarios"]),
            ),
            (
                json!({"filename": "<anonymous>", "module": "<anonymous>", "function": "Array.map"}),
                Node,
                None,
            ),
            (
                json!({"abs_path": "[native code]", "function": "forEach"}),
                JavaScript,
                None,
            ),
            (
                json!({"abs_path": "/srv/a.js", "function": "eval"}),
                Node,
                None,
            ),
            (
                json!({"abs_path": "webpack:///./src/a.js", "filename": "./src/a.js", "function": "x",
                       "context_line": "return a.b;", "data": {"sourcemap": "https://x/a.js.map"}}),
                JavaScript,
                Some(vec!["filename=a.js", "context=return a.b;"]),
            ),
            (
                json!({"function": "sentry_capture::load_settings::h0123456789abcdef",
                       "filename": "main.rs", "abs_path": "/srv/app/rust/src/main.rs", "lineno": 31}),
                Native,
                Some(vec![
                    "filename=main.rs",
                    "function=sentry_capture::load_settings",
                ]),
            ),
            (
                json!({"function": "at /rustc/5980/library/std/src/panic.rs:359:14", "instruction_addr": "0x1"}),
                Native,
                Some(vec!["filename=panic.rs"]),
            ),
            (
                json!({"function": "<unknown>", "instruction_addr": "0x0"}),
                Native,
                None,
            ),
            (
                json!({"module": "com.example.Foo$$Lambda$1/0x0000000800c0", "filename": "Foo.java",
                       "function": "lambda$run$0"}),
                Java,
                Some(vec!["filename=foo.java"]),
            ),
            (
                json!({"module": "m", "function": "f", "context_line": "x".repeat(121)}),
                Python,
                Some(vec!["module=m", "function=f"]),
            ),
        ];
        for (frame, platform, want) in cases {
            let got = key(frame.clone(), platform);
            let want = want.map(|w| w.into_iter().map(String::from).collect::<Vec<_>>());
            assert_eq!(got, want, "{frame}");
        }
    }

    #[test]
    fn context_lines() {
        assert_eq!(
            normalize_context_line("  a\tb  c "),
            Some(Cow::Owned("a b c".into()))
        );
        assert!(matches!(
            normalize_context_line("  a b"),
            Some(Cow::Borrowed("a b"))
        ));
        assert_eq!(normalize_context_line("   "), None);
    }
}
