//! Exceptions: the component of one exception, the chain of all exceptions
//! in `exception.values`, exception-group filtering, and the main exception
//! (the one a title describes).

use serde_json::Value;

use super::hash::Token;
use super::message::normalize_message_for_grouping;
use super::platform::Platform;
use super::stacktrace::Stack;
use super::str_field;

/// The exception objects of an event's `exception`, innermost/oldest
/// first, tolerating `{"values": [...]}`, a bare list, or a single
/// exception object.
pub(crate) fn exception_values(exception: Option<&Value>) -> Vec<&Value> {
    match exception {
        Some(Value::Array(a)) => a.iter().filter(|e| e.is_object()).collect(),
        Some(e @ Value::Object(o)) => match o.get("values") {
            Some(Value::Array(a)) => a.iter().filter(|e| e.is_object()).collect(),
            Some(_) => Vec::new(),
            None if o.contains_key("type") || o.contains_key("value") => vec![e],
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

pub(crate) fn is_synthetic(exc: &Value) -> bool {
    exc.get("mechanism")
        .and_then(|m| m.get("synthetic"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// Hash inputs of one exception in both variants.
#[derive(Debug, Default, PartialEq)]
struct ExceptionTokens<'a> {
    app: Vec<Token<'a>>,
    system: Vec<Token<'a>>,
    app_stack: bool,
    system_stack: bool,
}

fn exception_tokens<'a>(exc: &'a Value, platform: Platform) -> ExceptionTokens<'a> {
    let stack = Stack::build(exc.get("stacktrace"), platform);
    let mut out = ExceptionTokens::default();
    for app_only in [true, false] {
        let mut tokens = vec![Token::marker("exception")];
        // A synthetic exception's type is made up by the SDK (a signal
        // name, or nothing for a captured message).
        if !is_synthetic(exc) {
            if let Some(ty) = str_field(exc, "type") {
                tokens.push(Token::new("type", ty));
            }
        }
        let ns_error = exc
            .get("mechanism")
            .and_then(|m| m.get("meta"))
            .and_then(|m| m.get("ns_error"));
        let mut has_ns_error = false;
        if let Some(ns) = ns_error {
            if let Some(domain) = str_field(ns, "domain") {
                tokens.push(Token::new("ns_error_domain", domain));
                has_ns_error = true;
            }
            if let Some(code) = ns.get("code").filter(|c| c.is_number()) {
                tokens.push(Token::new("ns_error_code", code.to_string()));
                has_ns_error = true;
            }
        }
        let has_stack = stack.push_tokens(app_only, &mut tokens);
        // The message only splits groups when nothing locates the error:
        // with a stack, `ValueError('bad id 1')` and `('bad id 2')` from the
        // same code are one bug.
        if !has_stack && !has_ns_error {
            if let Some(value) = exc.get("value").and_then(Value::as_str) {
                let v = normalize_message_for_grouping(value);
                if !v.is_empty() {
                    tokens.push(Token::new("value", v));
                }
            }
        }
        if tokens.len() == 1 {
            tokens.clear();
        }
        if app_only {
            out.app = tokens;
            out.app_stack = has_stack;
        } else {
            out.system = tokens;
            out.system_stack = has_stack;
        }
    }
    out
}

/// The chained-exception result: hash inputs per variant and the main
/// exception chosen by exception-group filtering, if any.
#[derive(Debug, Default)]
pub(crate) struct Chain<'a> {
    pub app: Vec<Token<'a>>,
    pub system: Vec<Token<'a>>,
    pub app_stack: bool,
    pub system_stack: bool,
    /// Index into the exception list of the exception titles describe.
    pub main: Option<usize>,
}

/// Builds the chained-exception component over `excs`.
pub(crate) fn chain<'a>(excs: &[&'a Value], platform: Platform) -> Chain<'a> {
    let per: Vec<ExceptionTokens<'a>> =
        excs.iter().map(|e| exception_tokens(e, platform)).collect();
    let (selected, group_main) =
        filter_groups(excs, &per).unwrap_or_else(|| ((0..excs.len()).collect(), None));
    let mut chain = Chain {
        main: main_exception(excs, group_main),
        ..Chain::default()
    };
    let mut per: Vec<Option<ExceptionTokens<'a>>> = per.into_iter().map(Some).collect();
    for i in selected {
        if let Some(t) = per[i].take() {
            chain.app.extend(t.app);
            chain.system.extend(t.system);
            chain.app_stack |= t.app_stack;
            chain.system_stack |= t.system_stack;
        }
    }
    chain
}

fn mechanism_id(exc: &Value, key: &str) -> Option<i64> {
    exc.get("mechanism")?.get(key)?.as_i64()
}

fn is_group(exc: &Value) -> bool {
    exc.get("mechanism")
        .and_then(|m| m.get("is_exception_group"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// Exception-group filtering: group by what was actually raised inside an
/// exception group, not by the group wrapper. Returns the selected indexes
/// (in list order) and the main exception, or `None` when the exceptions do
/// not form a well-formed tree (no filtering then).
fn filter_groups(
    excs: &[&Value],
    per: &[ExceptionTokens<'_>],
) -> Option<(Vec<usize>, Option<usize>)> {
    let n = excs.len();
    if n < 2 {
        return None;
    }
    let ids: Vec<i64> = excs
        .iter()
        .map(|e| mechanism_id(e, "exception_id"))
        .collect::<Option<_>>()?;
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return None;
    }
    let index_of = |id: i64| ids.iter().position(|&x| x == id);
    let root = index_of(0)?;
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in excs.iter().enumerate() {
        if let Some(parent) = mechanism_id(e, "parent_id").and_then(index_of) {
            if parent != i {
                children[parent].push(i);
            }
        }
    }
    for c in &mut children {
        c.sort_by_key(|&i| ids[i]);
    }

    // Top-level exceptions: descend through groups, stop at the first
    // non-group exception on each path.
    let mut top = Vec::new();
    let mut seen = vec![false; n];
    let mut todo = vec![root];
    while let Some(i) = todo.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        if is_group(excs[i]) {
            todo.extend(children[i].iter().rev());
        } else {
            top.push(i);
        }
    }
    if top.is_empty() {
        return None;
    }
    // One order whatever the list order (a `TaskGroup` lists its errors in
    // completion order): by type, descending as Sentry does, then by hash
    // inputs, so the same errors always hash alike. Then one of each.
    top.sort_by(|&a, &b| {
        str_field(excs[b], "type")
            .cmp(&str_field(excs[a], "type"))
            .then_with(|| token_order(&per[a].system, &per[b].system))
    });
    let mut distinct: Vec<usize> = Vec::new();
    for i in top {
        if !distinct.iter().any(|&d| per[d] == per[i]) {
            distinct.push(i);
        }
    }

    if let [head] = distinct[..] {
        // One distinct error inside the group(s): it and its causes.
        let mut chain = vec![head];
        let mut visited = vec![false; n];
        visited[head] = true;
        let mut cur = head;
        while let Some(&child) = children[cur].first() {
            if std::mem::replace(&mut visited[child], true) {
                break;
            }
            chain.push(child);
            cur = child;
        }
        chain.sort_unstable();
        Some((chain, Some(head)))
    } else {
        // Several different errors: each once in the order above (not list
        // order), plus the group itself last.
        let mut selected = distinct;
        if !selected.contains(&root) {
            selected.push(root);
        }
        Some((selected, None))
    }
}

fn token_order(a: &[Token<'_>], b: &[Token<'_>]) -> std::cmp::Ordering {
    fn key<'t>(t: &'t Token<'_>) -> (&'static str, &'t str) {
        (t.kind, &t.value)
    }
    a.iter().map(key).cmp(b.iter().map(key))
}

/// React's "was able to recover" wrapper: the cause is the real error.
const REACT_RECOVERED: &str = "React was able to recover";
/// RxJava wrappers that only say "nobody handled the inner error".
const RXJAVA_WRAPPERS: &[&str] = &[
    "OnErrorNotImplementedException",
    "CompositeException",
    "UndeliverableException",
];

/// The exception titles describe: the group-filtering choice, else the
/// inner error of a known wrapper, else the last (outermost) exception.
fn main_exception(excs: &[&Value], group_main: Option<usize>) -> Option<usize> {
    if group_main.is_some() {
        return group_main;
    }
    let last = excs.len().checked_sub(1)?;
    let outer = excs[last];
    if str_field(outer, "value").is_some_and(|v| v.contains(REACT_RECOVERED)) {
        let outer_id = mechanism_id(outer, "exception_id");
        let cause = excs.iter().rposition(|e| {
            let m = e.get("mechanism");
            m.and_then(|m| m.get("source")).and_then(Value::as_str) == Some("cause")
                && (outer_id.is_none() || mechanism_id(e, "parent_id") == outer_id)
        });
        if cause.is_some() {
            return cause;
        }
    }
    let ty = str_field(outer, "type").unwrap_or("");
    let from_rx = ty.contains("reactivex")
        || str_field(outer, "module").is_some_and(|m| m.contains("reactivex"));
    let short = ty.rsplit('.').next().unwrap_or(ty);
    if from_rx && RXJAVA_WRAPPERS.contains(&short) && last > 0 {
        return Some(last - 1);
    }
    Some(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn exc(id: i64, parent: Option<i64>, ty: &str, group: bool, func: &str) -> Value {
        let mut mech = json!({"type": "chained", "exception_id": id, "is_exception_group": group});
        if let Some(p) = parent {
            mech["parent_id"] = json!(p);
            mech["source"] = json!("exceptions[0]");
        }
        json!({"type": ty, "value": format!("{ty} {id}"), "mechanism": mech,
               "stacktrace": {"frames": [{"module": "app", "function": func, "in_app": true}]}})
    }

    fn described(tokens: &[Token<'_>]) -> Vec<String> {
        tokens.iter().map(Token::describe).collect()
    }

    #[test]
    fn value_only_without_stack() {
        let with_stack = json!({"type": "ValueError", "value": "bad id 42",
            "stacktrace": {"frames": [{"module": "app", "function": "f", "in_app": true}]}});
        let t = exception_tokens(&with_stack, Platform::Python);
        assert!(!described(&t.system).iter().any(|s| s.starts_with("value=")));
        let without = json!({"type": "ValueError", "value": "bad id 42"});
        let t = exception_tokens(&without, Platform::Python);
        assert_eq!(
            described(&t.system),
            ["exception", "type=ValueError", "value=bad id <int>"]
        );
    }

    #[test]
    fn synthetic_type_does_not_contribute() {
        let e = json!({"type": "SIGSEGV", "value": "Segfault", "mechanism": {"type": "signal", "synthetic": true}});
        let t = exception_tokens(&e, Platform::Native);
        assert_eq!(described(&t.system), ["exception", "value=Segfault"]);
    }

    #[test]
    fn group_with_one_distinct_error_groups_by_it() {
        // ExceptionGroup(id 0) containing two identical ValueErrors.
        let values = [
            exc(1, Some(0), "ValueError", false, "work"),
            exc(2, Some(0), "ValueError", false, "work"),
            exc(0, None, "ExceptionGroup", true, "main"),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        let c = chain(&refs, Platform::Python);
        assert_eq!(c.main, Some(0));
        let d = described(&c.system);
        assert_eq!(d.iter().filter(|s| *s == "exception").count(), 1);
        assert!(d.contains(&"type=ValueError".to_string()));
        assert!(!d.contains(&"type=ExceptionGroup".to_string()));
    }

    #[test]
    fn group_with_distinct_errors_keeps_each_and_the_group() {
        let values = [
            exc(1, Some(0), "ValueError", false, "a"),
            exc(2, Some(0), "KeyError", false, "b"),
            exc(3, Some(0), "ValueError", false, "a"),
            exc(0, None, "ExceptionGroup", true, "main"),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        let c = chain(&refs, Platform::Python);
        assert_eq!(c.main, Some(3));
        let types: Vec<String> = described(&c.system)
            .into_iter()
            .filter(|s| s.starts_with("type="))
            .collect();
        assert_eq!(
            types,
            ["type=ValueError", "type=KeyError", "type=ExceptionGroup"]
        );
    }

    #[test]
    fn distinct_errors_hash_alike_in_any_list_order() {
        let values = [
            exc(1, Some(0), "KeyError", false, "b"),
            exc(2, Some(0), "ValueError", false, "a"),
            exc(3, Some(0), "ValueError", false, "c"),
            exc(0, None, "ExceptionGroup", true, "main"),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        let reordered = [&values[2], &values[0], &values[1], &values[3]];
        let (x, y) = (
            chain(&refs, Platform::Python),
            chain(&reordered, Platform::Python),
        );
        assert_eq!(described(&x.system), described(&y.system));
        let functions: Vec<String> = described(&x.system)
            .into_iter()
            .filter(|s| s.starts_with("function="))
            .collect();
        assert_eq!(
            functions,
            ["function=a", "function=c", "function=b", "function=main"]
        );
    }

    #[test]
    fn broken_trees_are_not_filtered() {
        let values = [
            exc(1, Some(0), "A", false, "a"),
            exc(1, None, "B", true, "b"),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(chain(&refs, Platform::Python).main, Some(1));
        assert_eq!(
            described(&chain(&refs, Platform::Python).system)
                .iter()
                .filter(|s| *s == "exception")
                .count(),
            2
        );
    }

    #[test]
    fn wrappers_pick_the_inner_error_for_titles() {
        let values = [
            json!({"type": "TypeError", "value": "x is undefined", "mechanism": {"type": "chained", "source": "cause", "exception_id": 1, "parent_id": 0}}),
            json!({"type": "Error", "value": "There was an error during concurrent rendering but React was able to recover by instead synchronously rendering the entire root.", "mechanism": {"type": "onerror", "exception_id": 0}}),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(main_exception(&refs, None), Some(0));
        let values = [
            json!({"type": "IllegalStateException", "value": "boom"}),
            json!({"type": "OnErrorNotImplementedException", "module": "io.reactivex.exceptions", "value": "boom"}),
        ];
        let refs: Vec<&Value> = values.iter().collect();
        assert_eq!(main_exception(&refs, None), Some(0));
    }

    #[test]
    fn accepts_legacy_shapes() {
        assert_eq!(exception_values(Some(&json!([{"type": "A"}]))).len(), 1);
        assert_eq!(
            exception_values(Some(&json!({"type": "A", "value": "b"}))).len(),
            1
        );
        assert_eq!(
            exception_values(Some(&json!({"values": [null, {"type": "A"}]}))).len(),
            1
        );
        assert!(exception_values(Some(&json!("nope"))).is_empty());
    }
}
