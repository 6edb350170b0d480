//! The top-level attributes of an event that grouping reads, picked out in
//! one pass. Grouping sees the event only through [`GroupingInput`], so
//! the list below is all it can depend on: what the grouping cache (see
//! [`super::cache`]) keys on is exactly what the result is a function of.

use serde_json::Value;

/// The event's attributes grouping reads. Anything else in the event
/// (ids, timestamps, user, contexts, breadcrumbs...) cannot change its
/// outcome.
#[derive(Default, Clone, Copy)]
pub(crate) struct GroupingInput<'a> {
    pub platform: Option<&'a Value>,
    pub exception: Option<&'a Value>,
    pub logentry: Option<&'a Value>,
    /// The legacy name of `logentry`.
    pub message_interface: Option<&'a Value>,
    pub message: Option<&'a Value>,
    pub stacktrace: Option<&'a Value>,
    pub threads: Option<&'a Value>,
    pub fingerprint: Option<&'a Value>,
    pub checksum: Option<&'a Value>,
    pub culprit: Option<&'a Value>,
    pub transaction: Option<&'a Value>,
    /// `request.url`, the culprit of last resort.
    pub request_url: Option<&'a Value>,
    /// Read by fingerprint variables (`{{ tags.x }}`, `{{ level }}`,
    /// `{{ logger }}`) only.
    pub tags: Option<&'a Value>,
    pub level: Option<&'a Value>,
    pub logger: Option<&'a Value>,
}

impl<'a> GroupingInput<'a> {
    /// Picks the attributes out of a normalised event (nothing from
    /// anything but an object).
    pub fn of(event: &'a Value) -> Self {
        let mut input = GroupingInput::default();
        let Some(map) = event.as_object() else {
            return input;
        };
        for (key, value) in map {
            let slot = match key.as_str() {
                "platform" => &mut input.platform,
                "exception" => &mut input.exception,
                "logentry" => &mut input.logentry,
                "sentry.interfaces.Message" => &mut input.message_interface,
                "message" => &mut input.message,
                "stacktrace" => &mut input.stacktrace,
                "threads" => &mut input.threads,
                "fingerprint" => &mut input.fingerprint,
                "checksum" => &mut input.checksum,
                "culprit" => &mut input.culprit,
                "transaction" => &mut input.transaction,
                "request" => {
                    input.request_url = value.get("url");
                    continue;
                }
                "tags" => &mut input.tags,
                "level" => &mut input.level,
                "logger" => &mut input.logger,
                _ => continue,
            };
            *slot = Some(value);
        }
        input
    }

    /// Appends a byte string that identifies this input: two inputs with
    /// the same key give the same grouping. Attributes grouping reads
    /// only in some cases go in only in those cases, so that events
    /// differing in them otherwise still share a key: the tags, level and
    /// logger only with a fingerprint (its variables read them), the
    /// request URL only without a culprit or transaction (the culprit
    /// falls back to it only then).
    pub fn write_key(&self, out: &mut Vec<u8>) {
        let with_fingerprint = self.fingerprint.is_some();
        let without_culprit =
            trimmed(self.culprit).is_none() && trimmed(self.transaction).is_none();
        let fields = [
            (true, self.platform),
            (true, self.exception),
            (true, self.logentry),
            (true, self.message_interface),
            (true, self.message),
            (true, self.stacktrace),
            (true, self.threads),
            (true, self.fingerprint),
            (true, self.checksum),
            (true, self.culprit),
            (true, self.transaction),
            (without_culprit, self.request_url),
            (with_fingerprint, self.tags),
            (with_fingerprint, self.level),
            (with_fingerprint, self.logger),
        ];
        for (read, value) in fields {
            match value.filter(|_| read) {
                Some(v) => write_value(v, out),
                None => out.push(b'-'),
            }
        }
    }
}

/// A non-empty, trimmed string.
pub(crate) fn trimmed(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A value in a form that tells any two values apart: a tag byte per
/// node, lengths before contents.
fn write_value(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(b'n'),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        // 1 and 1.0 stay apart (grouping may print them differently).
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            }
            (None, Some(u), _) => {
                out.push(b'u');
                out.extend_from_slice(&u.to_le_bytes());
            }
            (None, None, f) => {
                out.push(b'd');
                out.extend_from_slice(&f.unwrap_or(f64::NAN).to_bits().to_le_bytes());
            }
        },
        Value::String(s) => {
            out.push(b's');
            write_str(s, out);
        }
        Value::Array(items) => {
            out.push(b'[');
            write_len(items.len(), out);
            for item in items {
                write_value(item, out);
            }
        }
        Value::Object(map) => {
            out.push(b'{');
            write_len(map.len(), out);
            for (k, item) in map {
                write_str(k, out);
                write_value(item, out);
            }
        }
    }
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    write_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn write_len(n: usize, out: &mut Vec<u8>) {
    // Lengths past 4 GiB cannot occur: events are limited to megabytes.
    out.extend_from_slice(&(n as u32).to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(event: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        GroupingInput::of(event).write_key(&mut out);
        out
    }

    #[test]
    fn the_key_ignores_what_grouping_does_not_read() {
        let a = json!({"exception": {"values": [{"type": "E", "value": "v"}]},
                       "event_id": "a", "user": {"id": 1}, "transaction": "/x",
                       "request": {"url": "http://h/1", "headers": [["A", "1"]]},
                       "tags": [["k", "1"]], "level": "error"});
        let b = json!({"exception": {"values": [{"type": "E", "value": "v"}]},
                       "event_id": "b", "user": {"id": 2}, "transaction": "/x",
                       "request": {"url": "http://h/2", "headers": [["A", "2"]]},
                       "tags": [["k", "2"]], "level": "warning"});
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn the_key_follows_every_input_grouping_reads() {
        let base = json!({"exception": {"values": [{"type": "E", "value": "v",
                            "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]}});
        let variants = [
            json!({"exception": {"values": [{"type": "E", "value": "w",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]}}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "g", "lineno": 1}]}}]}}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1.0}]}}]}}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]},
                   "platform": "python"}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]},
                   "fingerprint": ["x"]}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]},
                   "request": {"url": "http://h/1"}}),
            json!({"exception": {"values": [{"type": "E", "value": "v",
                    "stacktrace": {"frames": [{"function": "f", "lineno": 1}]}}]},
                   "transaction": "/t"}),
        ];
        let k = key(&base);
        for v in &variants {
            assert_ne!(key(v), k, "{v}");
        }
        // The conditional ones: tags with a fingerprint, the request URL
        // without a culprit or transaction.
        let with_tags = |t: &str| json!({"fingerprint": ["{{ tags.k }}"], "tags": [["k", t]]});
        assert_ne!(key(&with_tags("1")), key(&with_tags("2")));
        let with_url = |u: &str| json!({"message": "m", "request": {"url": u}});
        assert_ne!(key(&with_url("http://h/1")), key(&with_url("http://h/2")));
    }

    #[test]
    fn values_of_different_shapes_never_share_a_key() {
        let shapes = [
            json!({"message": null}),
            json!({"message": ""}),
            json!({"message": "1"}),
            json!({"message": 1}),
            json!({"message": true}),
            json!({"message": []}),
            json!({"message": [""]}),
            json!({"message": {}}),
            json!({"message": {"": ""}}),
            json!({"message": 1.0}),
            json!({"message": -1}),
            json!({"message": u64::MAX}),
            json!({"message": ["a", "b"]}),
            json!({"message": ["ab"]}),
            json!({}),
        ];
        let keys: std::collections::HashSet<Vec<u8>> = shapes.iter().map(key).collect();
        assert_eq!(keys.len(), shapes.len());
    }
}
