//! The normalisation context: the limits in force, the JSON path being
//! worked on, and the processing notes destined for `data.errors`.

use std::fmt::Write;

use serde_json::{json, Map, Value};

use super::EventLimits;
use crate::repr::short_json;

/// Names of the notes Moth appends to `data.errors`. Each note is an object
/// `{"type": <one of these>, "name": <json path>, "value": ...}`.
pub mod note {
    /// A value had the wrong type or an invalid content and was converted or
    /// removed. `value` is a short JSON rendering of what was sent.
    pub const INVALID_DATA: &str = "invalid_data";
    /// A string was cut (ending in `…`) or, for identifiers such as
    /// `release`, removed. `value` is the start of what was sent, `length`
    /// its length in characters, `max` the limit.
    pub const VALUE_TOO_LONG: &str = "value_too_long";
    /// A list or object had more entries than allowed and was cut. `value`
    /// is the number of entries sent, `max` the number kept.
    pub const TOO_MANY_ITEMS: &str = "too_many_items";
    /// A value nested deeper than allowed was replaced by `"[too deep]"`.
    /// `value` is a short rendering of what was replaced, `max` the depth.
    pub const TOO_DEEP: &str = "too_deep";
    /// The timestamp was more than 60 s ahead of the receive time and was
    /// replaced by it. `value` is the timestamp sent (RFC 3339).
    pub const FUTURE_TIMESTAMP: &str = "future_timestamp";
    /// The timestamp was older than the retention window and was replaced
    /// by the receive time. `value` is the timestamp sent (RFC 3339).
    pub const PAST_TIMESTAMP: &str = "past_timestamp";
}

/// What a value deeper than the depth limit becomes.
pub(crate) const TOO_DEEP_MARKER: &str = "[too deep]";

/// State shared by all normalisers of one event.
pub(crate) struct Ctx<'a> {
    pub limits: &'a EventLimits,
    /// Dotted JSON path of the value being normalised, e.g.
    /// `exception.values.0.stacktrace.frames.3.lineno`.
    path: String,
    notes: Vec<Value>,
    /// Notes not recorded because `max_errors` was reached.
    notes_dropped: usize,
}

impl<'a> Ctx<'a> {
    pub fn new(limits: &'a EventLimits) -> Self {
        Ctx {
            limits,
            path: String::new(),
            notes: Vec::new(),
            notes_dropped: 0,
        }
    }

    /// Runs `f` with `key` appended to the current path.
    pub fn at<R>(&mut self, key: &str, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// Runs `f` with the list index `i` appended to the current path.
    pub fn at_index<R>(&mut self, i: usize, f: impl FnOnce(&mut Self) -> R) -> R {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        // Writing to a String cannot fail.
        let _ = write!(self.path, "{i}");
        let r = f(self);
        self.path.truncate(len);
        r
    }

    /// The current path.
    #[cfg(test)]
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Records a note at the current path (or at `path + suffix`).
    pub fn note(&mut self, kind: &str, suffix: &str, value: Value, extra: &[(&str, Value)]) {
        if self.notes.len() >= self.limits.max_errors {
            self.notes_dropped += 1;
            return;
        }
        let mut name = self.path.clone();
        if !suffix.is_empty() {
            if !name.is_empty() && !suffix.starts_with('.') {
                name.push('.');
            }
            name.push_str(suffix);
        }
        let mut entry = Map::with_capacity(3 + extra.len());
        entry.insert("type".into(), Value::String(kind.to_owned()));
        entry.insert("name".into(), Value::String(name));
        entry.insert("value".into(), value);
        for (k, v) in extra {
            entry.insert((*k).to_owned(), v.clone());
        }
        self.notes.push(Value::Object(entry));
    }

    /// Notes that the value at the current path was invalid (and has been
    /// converted or removed).
    pub fn invalid(&mut self, original: &Value) {
        self.note(
            note::INVALID_DATA,
            "",
            Value::String(short_json(original)),
            &[],
        );
    }

    /// Like [`Ctx::invalid`] for a child of the current path.
    pub fn invalid_at(&mut self, key: &str, original: &Value) {
        self.note(
            note::INVALID_DATA,
            key,
            Value::String(short_json(original)),
            &[],
        );
    }

    /// Notes that a list or object at the current path was cut.
    pub fn too_many(&mut self, sent: usize, kept: usize) {
        self.note(
            note::TOO_MANY_ITEMS,
            "",
            json!(sent),
            &[("max", json!(kept))],
        );
    }

    /// The notes gathered so far, ending with a `too_many_items` note on
    /// `errors` itself when some had to be left out.
    pub fn into_notes(self) -> Vec<Value> {
        let mut notes = self.notes;
        if self.notes_dropped > 0 {
            let sent = notes.len() + self.notes_dropped;
            notes.push(json!({
                "type": note::TOO_MANY_ITEMS,
                "name": "errors",
                "value": sent,
                "max": self.limits.max_errors,
            }));
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_nest_and_unwind() {
        let limits = EventLimits::default();
        let mut ctx = Ctx::new(&limits);
        ctx.at("exception", |ctx| {
            ctx.at("values", |ctx| {
                ctx.at_index(12, |ctx| ctx.invalid_at("type", &json!(5)));
            });
            assert_eq!(ctx.path(), "exception");
        });
        assert_eq!(ctx.path(), "");
        ctx.at_index(0, |ctx| ctx.invalid(&json!(null)));
        let notes = ctx.into_notes();
        assert_eq!(
            notes,
            vec![
                json!({"type": "invalid_data", "name": "exception.values.12.type", "value": "5"}),
                json!({"type": "invalid_data", "name": "0", "value": "null"}),
            ]
        );
    }

    #[test]
    fn notes_are_capped() {
        let limits = EventLimits {
            max_errors: 2,
            ..EventLimits::default()
        };
        let mut ctx = Ctx::new(&limits);
        for _ in 0..5 {
            ctx.at("x", |ctx| ctx.invalid(&json!(1)));
        }
        let notes = ctx.into_notes();
        assert_eq!(notes.len(), 3);
        assert_eq!(
            notes[2],
            json!({"type": "too_many_items", "name": "errors", "value": 5, "max": 2})
        );
    }
}
