//! Grouping: which issue an event belongs to, and what the issue is called.
//!
//! Pure functions over a normalised event (`serde_json::Value`). The
//! behaviour follows Sentry's `newstyle:2023-01-11` grouping (see
//! `docs/grouping.md`); the hashes are our own and are versioned by
//! [`GROUPING_VERSION`].
//!
//! Pipeline: the first strategy that produces contributing values wins —
//! chained exceptions, then the crashed/current/only thread's stack, then the
//! top-level stack trace, then the parameterised message. Stack strategies
//! yield an `app` variant (in-app frames only) and a `system` variant (all
//! frames); a message yields `default`. The client fingerprint or legacy
//! checksum then decides the final hashes, and nothing at all contributing
//! gives one fallback hash.

mod cache;
mod exception;
mod fingerprint;
mod frame;
mod function;
mod hash;
mod in_app;
mod input;
mod message;
mod path;
mod platform;
mod rules;
mod stacktrace;
mod title;

#[cfg(test)]
pub(crate) mod tests;

use serde_json::Value;

use hash::Token;
use input::{trimmed, GroupingInput};
use platform::Platform;
use stacktrace::{frames_of, selected_thread, Stack};

#[cfg(test)]
pub(crate) use cache::cached_groupings;
pub use cache::forget_cached_groupings;
pub use in_app::frame_in_app;
pub use message::normalize_message_for_grouping;

/// Version of the grouping algorithm, stored with every hash. Bump it when
/// a change alters the hashes of existing events, so that stored hashes of
/// different versions are never compared as equal.
pub const GROUPING_VERSION: &str = "moth-1";

/// The grouping of one event.
#[derive(Debug, Clone, PartialEq)]
pub struct Grouping {
    /// 32-hex md5 hashes, primary first; never empty. An event belongs to
    /// the issue owning any of them.
    pub hashes: Vec<String>,
    /// Parallel to `hashes`: `app`, `system`, `default`, `custom`,
    /// `hybrid:app`, `hybrid:system`, `hybrid:default`, `hybrid:fallback`,
    /// `checksum` or `fallback`.
    pub variant_names: Vec<&'static str>,
    /// Issue title, at most ~256 characters.
    pub title: String,
    /// Where the error happened (function / module), at most 200 characters.
    pub culprit: String,
    pub kind: IssueKind,
    /// Sentry's metadata shape: `{"type", "value", "filename", "function"}`
    /// for errors (`type` absent for synthetic exceptions, `filename` /
    /// `function` absent without a stack), `{"title"}` for messages.
    pub metadata: Value,
}

/// Whether an issue is an error (has an exception) or a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueKind {
    Error,
    Default,
}

impl IssueKind {
    /// `"error"` or `"default"`, Sentry's event types.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueKind::Error => "error",
            IssueKind::Default => "default",
        }
    }
}

/// Groups one normalised event: hashes, title, culprit, kind, metadata.
///
/// Tolerates missing or oddly shaped fields (legacy `message` strings,
/// bare exception lists, tags as an object): it never panics on input.
///
/// Remembers results per thread (see [`cache`]): an event whose grouping
/// input was seen recently gets the result computed then.
pub fn group_event(event: &Value) -> Grouping {
    let input = GroupingInput::of(event);
    cache::cached(&input, || group(input))
}

/// [`group_event`] without the cache: always computes.
pub fn group_uncached(event: &Value) -> Grouping {
    group(GroupingInput::of(event))
}

fn group(input: GroupingInput<'_>) -> Grouping {
    let view = EventView::new(input);
    let analysis = analyze(&view);
    let (hashes, variant_names) = fingerprint::hashes(&view, &analysis.variants);
    let p = title::present(&view, analysis.main_exception, analysis.message_event);
    Grouping {
        hashes,
        variant_names,
        title: p.title,
        culprit: p.culprit,
        kind: p.kind,
        metadata: p.metadata,
    }
}

/// The hash inputs of the default variants, for debugging and for showing
/// "why was this grouped here": `[("app", ["exception", "type=ValueError",
/// "frame", "module=app.views", ...]), ...]`. Empty when nothing contributes
/// (the event gets the fallback hash). Fingerprints are not applied.
pub fn hash_inputs(event: &Value) -> Vec<(&'static str, Vec<String>)> {
    let view = EventView::new(GroupingInput::of(event));
    analyze(&view)
        .variants
        .iter()
        .map(|v| (v.name, v.tokens.iter().map(Token::describe).collect()))
        .collect()
}

/// A non-empty, trimmed string field.
pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    trimmed(v.get(key))
}

/// The parts of an event every step needs, read once.
pub(crate) struct EventView<'a> {
    pub input: GroupingInput<'a>,
    pub platform: Platform,
    /// Exception objects, innermost first, the raised one last.
    pub exceptions: Vec<&'a Value>,
}

impl<'a> EventView<'a> {
    fn new(input: GroupingInput<'a>) -> Self {
        EventView {
            platform: trimmed(input.platform).map_or(Platform::Other, Platform::parse),
            exceptions: exception::exception_values(input.exception),
            input,
        }
    }

    /// `(template, formatted)` from `logentry`, else the legacy `message`.
    pub(crate) fn logentry(&self) -> (Option<&'a str>, Option<&'a str>) {
        let entry = self
            .input
            .logentry
            .or(self.input.message_interface)
            .filter(|v| v.is_object());
        if let Some(le) = entry {
            return (str_field(le, "message"), str_field(le, "formatted"));
        }
        match self.input.message {
            Some(Value::String(s)) => (None, Some(s.trim()).filter(|s| !s.is_empty())),
            Some(obj @ Value::Object(_)) => {
                (str_field(obj, "message"), str_field(obj, "formatted"))
            }
            _ => (None, None),
        }
    }

    /// The stack that locates the event: the last exception with frames,
    /// else the top-level stack trace, else the selected thread's.
    pub(crate) fn primary_frames(&self) -> &'a [Value] {
        for exc in self.exceptions.iter().rev() {
            let frames = frames_of(exc.get("stacktrace"));
            if !frames.is_empty() {
                return frames;
            }
        }
        let top = frames_of(self.input.stacktrace);
        if !top.is_empty() {
            return top;
        }
        selected_thread(self.input.threads).map_or(&[], |t| frames_of(t.get("stacktrace")))
    }
}

/// One default variant and its hash inputs.
pub(crate) struct Variant<'a> {
    pub name: &'static str,
    pub tokens: Vec<Token<'a>>,
}

struct Analysis<'a> {
    /// Contributing default variants, primary first; empty = fallback.
    variants: Vec<Variant<'a>>,
    main_exception: Option<&'a Value>,
    message_event: bool,
}

fn analyze<'a>(view: &EventView<'a>) -> Analysis<'a> {
    let (template, formatted) = view.logentry();
    // Group messages by their template: `Sending %d requests` is one issue
    // whatever the count.
    let message = template
        .or(formatted)
        .map(normalize_message_for_grouping)
        .filter(|m| !m.is_empty());
    // A captured message whose stack the SDK attached as a synthetic,
    // typeless exception (JS `attachStacktrace`) is still a message.
    let message_event = view.exceptions.is_empty()
        || (message.is_some()
            && view
                .exceptions
                .iter()
                .all(|e| exception::is_synthetic(e) && str_field(e, "type").is_none()));
    let mut analysis = Analysis {
        variants: Vec::new(),
        main_exception: None,
        message_event,
    };
    // With a stack, a message still contributes its template: turning on
    // `attachStacktrace` must not merge distinct messages sent from one
    // place (a logging helper, minified code without context lines).
    let stack_message = if message_event {
        message.as_deref()
    } else {
        None
    };

    if !view.exceptions.is_empty() {
        let chain = exception::chain(&view.exceptions, view.platform);
        analysis.main_exception = chain.main.map(|i| view.exceptions[i]);
        analysis.variants = stack_variants(
            chain.app,
            chain.app_stack,
            chain.system,
            chain.system_stack,
            stack_message,
        );
        if !analysis.variants.is_empty() {
            return analysis;
        }
    }
    let thread_stack = selected_thread(view.input.threads).and_then(|t| t.get("stacktrace"));
    for st in [thread_stack, view.input.stacktrace].into_iter().flatten() {
        let stack = Stack::build(Some(st), view.platform);
        let (mut app, mut system) = (Vec::new(), Vec::new());
        let app_stack = stack.push_tokens(true, &mut app);
        if stack.push_tokens(false, &mut system) {
            analysis.variants = stack_variants(app, app_stack, system, true, stack_message);
            return analysis;
        }
    }
    if let Some(m) = message {
        analysis.variants = vec![Variant {
            name: "default",
            tokens: vec![Token::new("message", m)],
        }];
    }
    analysis
}

/// Turns the app/system views of a stack strategy into variants: views
/// without a contributing stack are dropped when the other has one, and
/// identical views collapse into `app`.
fn stack_variants<'a>(
    mut app: Vec<Token<'a>>,
    app_stack: bool,
    mut system: Vec<Token<'a>>,
    system_stack: bool,
    message: Option<&str>,
) -> Vec<Variant<'a>> {
    if let Some(m) = message {
        app.push(Token::new("message", m.to_owned()));
        system.push(Token::new("message", m.to_owned()));
    }
    let mut out = Vec::with_capacity(2);
    if app_stack || system_stack {
        let same = app_stack && system_stack && app == system;
        if app_stack {
            out.push(Variant {
                name: "app",
                tokens: app,
            });
        }
        if system_stack && !same {
            out.push(Variant {
                name: "system",
                tokens: system,
            });
        }
    } else if !system.is_empty() {
        // No stack anywhere: both views hold the same type/value inputs.
        out.push(Variant {
            name: "app",
            tokens: system,
        });
    }
    out
}
