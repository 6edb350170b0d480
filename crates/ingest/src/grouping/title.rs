//! What an issue is called: title, culprit, kind and metadata.

use serde_json::{json, Map, Value};

use super::exception::is_synthetic;
use super::frame::RawFrame;
use super::input::trimmed;
use super::path::derive_js_module;
use super::platform::Platform;
use super::stacktrace::{crash_frame, frames_of};
use super::{str_field, EventView, IssueKind};

const MAX_TITLE: usize = 100;
const MAX_CULPRIT: usize = 200;
const MAX_METADATA_VALUE: usize = 1024;

pub(crate) struct Presentation {
    pub title: String,
    pub culprit: String,
    pub kind: IssueKind,
    pub metadata: Value,
}

/// Names the event. `main` is the exception titles describe; a
/// `message_event` is a captured message, even when the SDK attached a
/// stack to it as a synthetic exception.
pub(crate) fn present(
    view: &EventView<'_>,
    main: Option<&Value>,
    message_event: bool,
) -> Presentation {
    let (kind, title, metadata) = match main {
        Some(exc) if !message_event => {
            let (title, metadata) = error_title(view, exc);
            (IssueKind::Error, title, metadata)
        }
        _ => {
            let title = message_title(view);
            let metadata = json!({ "title": title });
            (IssueKind::Default, title, metadata)
        }
    };
    let synthetic_error = !message_event && main.is_some_and(is_synthetic);
    Presentation {
        title,
        culprit: culprit(view, synthetic_error),
        kind,
        metadata,
    }
}

/// `Type: first line of value`, Sentry's error title and metadata.
fn error_title(view: &EventView<'_>, exc: &Value) -> (String, Value) {
    let synthetic = is_synthetic(exc);
    let ty = str_field(exc, "type").unwrap_or("Error");
    let value = exc.get("value").and_then(Value::as_str).unwrap_or("");

    // Crash location: frames with a real function name only.
    let own = frames_of(exc.get("stacktrace"));
    let frames = if own.is_empty() {
        view.primary_frames()
    } else {
        own
    };
    let named = |f: &RawFrame<'_>| {
        f.function
            .is_some_and(|n| !matches!(n, "<redacted>" | "<unknown>"))
    };
    let crash = crash_frame(frames, view.platform, named);

    let mut meta = Map::new();
    if !synthetic {
        meta.insert("type".into(), Value::from(truncate(ty, 128)));
    }
    meta.insert(
        "value".into(),
        Value::from(truncate(value, MAX_METADATA_VALUE)),
    );
    if let Some(f) = &crash {
        if let Some(file) = f.filename.or(f.abs_path) {
            meta.insert("filename".into(), Value::from(file));
        }
        if let Some(func) = f.function {
            meta.insert("function".into(), Value::from(func));
        }
    }

    let title = if synthetic {
        // The type of a synthetic exception is made up; the crashing
        // function is the best name we have.
        crash
            .and_then(|f| f.function)
            .unwrap_or("<unknown>")
            .to_string()
    } else {
        match first_line(value) {
            "" => ty.to_string(),
            line => format!("{ty}: {}", truncate(line, MAX_TITLE)),
        }
    };
    (truncate(&title, 256), Value::Object(meta))
}

/// First line of the formatted message (else the template), trimmed.
fn message_title(view: &EventView<'_>) -> String {
    let (template, formatted) = view.logentry();
    match formatted.or(template).map(first_line) {
        Some(line) if !line.is_empty() => truncate(line, MAX_TITLE),
        _ => "<unlabeled event>".to_string(),
    }
}

/// `event.culprit`, else `transaction`, else where the error happened (the
/// crash frame), else the request URL.
fn culprit(view: &EventView<'_>, synthetic_error: bool) -> String {
    let input = &view.input;
    if let Some(c) = trimmed(input.culprit).or_else(|| trimmed(input.transaction)) {
        return truncate(c, MAX_CULPRIT);
    }
    let generated = if synthetic_error {
        // A synthetic exception's frames are the crash handler's: its
        // location would mislead.
        String::new()
    } else {
        crash_frame(view.primary_frames(), view.platform, |_| true)
            .map(|f| frame_culprit(&f))
            .unwrap_or_default()
    };
    if !generated.is_empty() {
        return truncate(&generated, MAX_CULPRIT);
    }
    let url = trimmed(input.request_url).unwrap_or("");
    truncate(url, MAX_CULPRIT)
}

/// JS `function(module)`, native `function`, others `module in function`.
fn frame_culprit(f: &RawFrame<'_>) -> String {
    let function = f.function.unwrap_or("?");
    if f.platform == Platform::Native {
        return function.to_string();
    }
    let derived;
    let location = match f.module {
        Some(m) => Some(m),
        None if f.platform.is_js() => {
            derived = f.path().and_then(derive_js_module);
            derived.as_deref().or(f.filename)
        }
        None => f.filename,
    };
    match location {
        None => String::new(),
        Some(loc) if f.platform.is_js() => format!("{function}({loc})"),
        Some(loc) => format!("{loc} in {function}"),
    }
}

/// First non-empty line, trimmed.
fn first_line(s: &str) -> &str {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// At most `max` characters; longer text ends in `...`.
pub(crate) fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some(_) => {
            let cut = s
                .char_indices()
                .nth(max.saturating_sub(3))
                .map_or(s.len(), |(i, _)| i);
            format!("{}...", &s[..cut])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "...");
        assert_eq!(
            truncate(&"é".repeat(101), 100),
            format!("{}...", "é".repeat(97))
        );
        assert_eq!(truncate(&"x".repeat(100), 100).len(), 100);
    }

    #[test]
    fn first_non_empty_line() {
        assert_eq!(first_line("\n  hello \nworld"), "hello");
        assert_eq!(first_line(""), "");
    }
}
