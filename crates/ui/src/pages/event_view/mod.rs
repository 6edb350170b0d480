//! One event as the issue and event pages show it: the normalised event
//! JSON (see `moth_protocol::event`) turned into plain view structs of
//! bounded size, which the templates render (escaped) without further
//! logic. Everything in an event is attacker-controlled; see `text`.

mod sections;
mod stack;
mod text;

use serde::Serialize;
use serde_json::Value;

pub(crate) use sections::tag_search_href;
use sections::{
    ContextView, CrumbView, MessageView, ProcessingError, RequestView, SdkView, TagView,
};
use stack::{ExceptionView, StackView, ThreadView};
use text::Budget;
pub(crate) use text::Clip;

/// A whole event, ready for `event_detail.html`.
#[derive(Debug, Serialize)]
pub(crate) struct EventView {
    pub details: Vec<(String, Clip)>,
    pub message: Option<MessageView>,
    pub exceptions: Vec<ExceptionView>,
    pub stacktrace: Option<StackView>,
    pub threads: Vec<ThreadView>,
    pub breadcrumbs: Vec<CrumbView>,
    pub request: Option<RequestView>,
    pub user: Vec<(String, Clip)>,
    pub tags: Vec<TagView>,
    pub contexts: Vec<ContextView>,
    pub extra: Vec<(String, Clip)>,
    pub sdk: Option<SdkView>,
    pub modules: Vec<(String, Clip)>,
    pub errors: Vec<ProcessingError>,
    pub oldest_first: bool,
    /// The page budget ran out: some values are not shown (the raw JSON
    /// has everything).
    pub truncated: bool,
}

/// Builds the view of `data` (a stored event's normalised JSON).
pub(crate) fn build(data: &Value, project_slug: &str, oldest_first: bool) -> EventView {
    let b = Budget::default();
    // The parts people read first get the budget first.
    let message = sections::message(data, &b);
    let exceptions = stack::exceptions(data, &b, oldest_first);
    let exception_has_stack = exceptions.iter().any(|e| e.stack.is_some());
    let stacktrace = data
        .get("stacktrace")
        .map(|s| stack::stack(s, &b, oldest_first));
    let threads = stack::threads(
        data,
        &b,
        oldest_first,
        exception_has_stack || stacktrace.is_some(),
    );
    let details = details(data, &b);
    let tags = sections::tags(data, project_slug, &b);
    let request = sections::request(data, &b);
    let user = sections::user(data, &b);
    let breadcrumbs = sections::breadcrumbs(data, &b);
    let contexts = sections::contexts(data, &b);
    let extra = sections::extra(data, &b);
    let sdk = sections::sdk(data, &b);
    let errors = sections::errors(data, &b);
    let modules = sections::modules(data, &b);
    EventView {
        details,
        message,
        exceptions,
        stacktrace,
        threads,
        breadcrumbs,
        request,
        user,
        tags,
        contexts,
        extra,
        sdk,
        modules,
        errors,
        oldest_first,
        truncated: b.exhausted(),
    }
}

/// The event's own facts, in a fixed order, when present.
fn details(data: &Value, b: &Budget) -> Vec<(String, Clip)> {
    const FIELDS: [(&str, &str); 12] = [
        ("event_id", "Event ID"),
        ("timestamp", "Occurred"),
        ("received", "Received"),
        ("level", "Level"),
        ("platform", "Platform"),
        ("release", "Release"),
        ("dist", "Distribution"),
        ("environment", "Environment"),
        ("server_name", "Server"),
        ("transaction", "Transaction"),
        ("logger", "Logger"),
        ("fingerprint", "Fingerprint"),
    ];
    FIELDS
        .iter()
        .filter_map(|(k, label)| {
            let v = data.get(*k).filter(|v| !v.is_null())?;
            Some((label.to_string(), b.value(v, text::HEAD)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_huge_event_renders_within_the_budget() {
        // 100 frames × 50 variables of 4 KiB: 20 MB, ten times what a page shows.
        let big = "v".repeat(4096);
        let vars: serde_json::Map<String, Value> =
            (0..50).map(|i| (format!("var{i}"), json!(big))).collect();
        let frames: Vec<Value> = (0..100)
            .map(|i| json!({"function": format!("f{i}"), "context_line": big, "vars": vars}))
            .collect();
        let data = json!({"exception": {"values": [{"type": "E", "value": big, "stacktrace": {"frames": frames}}]}});
        let view = build(&data, "app", false);
        assert!(view.truncated);
        let rendered = serde_json::to_string(&view).unwrap();
        // Each character counted once for head and once for full at most,
        // plus structure: a few times the budget, never the whole event.
        assert!(
            rendered.len() < 8 * text::PAGE_BUDGET,
            "{} bytes",
            rendered.len()
        );
        assert_eq!(view.exceptions[0].ty, "E");
    }

    #[test]
    fn details_in_order() {
        let view = build(
            &json!({"event_id": "ab", "level": "error", "release": "1.0", "environment": "prod"}),
            "app",
            false,
        );
        let labels: Vec<&str> = view.details.iter().map(|d| d.0.as_str()).collect();
        assert_eq!(labels, vec!["Event ID", "Level", "Release", "Environment"]);
    }
}
