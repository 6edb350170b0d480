//! The event's outline: the payload parsed without the parts that only a
//! reader of the whole event looks at (frame locals and source context,
//! breadcrumbs, `extra`, `modules`, request bodies...).
//!
//! Ingest keeps a compressed event as the request body it came in (see
//! `moth_storage::payload`) and normalises the whole of it again when it is
//! read; what ingest itself derives (ids, timestamps, tags, grouping, title)
//! never looks at those parts. On a typical Python event they are two thirds
//! of the bytes and most of the JSON nodes, and building then dropping
//! their `Value`s was the largest single cost of ingest.
//!
//! The skipped parts are still parsed, only not kept: every string, number
//! and nesting level goes through the same serde_json parser as
//! [`serde_json::from_str`], so a payload the full parse rejects (a number
//! out of range, a lone surrogate, nesting deeper than 128) is rejected
//! here too, and the stored body always reads back.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Number, Value};

/// Top-level attributes nothing at ingest reads.
const SKIPPED_TOP: &[&str] = &[
    "breadcrumbs",
    "sentry.interfaces.Breadcrumbs",
    "extra",
    "modules",
    "debug_meta",
];

/// Top-level attributes that hold stack traces (their frames lose
/// [`SKIPPED_IN_FRAME`]); everything else is parsed whole.
const WITH_TRACES: &[&str] = &["exception", "sentry.interfaces.Exception", "threads"];

/// Keys of a stack trace, at the top level or inside the above.
const STACKTRACE: &[&str] = &["stacktrace", "sentry.interfaces.Stacktrace"];

/// Frame attributes nothing at ingest reads.
const SKIPPED_IN_FRAME: &[&str] = &["vars", "pre_context", "post_context"];

/// Parses `text` into the event's outline. `None` when the payload is not
/// a JSON object or not valid JSON: the caller parses it in full to report
/// why, so the error is the same one.
pub(crate) fn parse_outline(text: &str) -> Option<Map<String, Value>> {
    let mut de = serde_json::Deserializer::from_str(text);
    let Ok(Value::Object(map)) = Part::Top.deserialize(&mut de) else {
        return None;
    };
    de.end().ok()?;
    Some(map)
}

/// Where in the event a value sits, which decides what of it is kept.
#[derive(Clone, Copy)]
enum Part {
    /// The event object.
    Top,
    /// `request`: its `data` (the request body) is skipped.
    Request,
    /// Inside an attribute holding stack traces.
    Traces,
    /// A stack trace: `{frames: [...]}`, or the bare list of frames.
    Stacktrace,
    /// A `frames` list.
    Frames,
    /// One frame.
    Frame,
}

impl<'de> DeserializeSeed<'de> for Part {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Part {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json's own `Value` does: non-finite becomes null.
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let item = match self {
            Part::Top => return Err(A::Error::custom("not an object")),
            Part::Frames | Part::Stacktrace => Part::Frame,
            Part::Traces | Part::Frame => Part::Traces,
            Part::Request => return whole_seq(seq),
        };
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element_seed(item)? {
            items.push(value);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        // JSON gives no size up front; growing an object step by step
        // rehashes its keys each time. Frames have about eight keys.
        let mut out = Map::with_capacity(match self {
            Part::Top => 32,
            Part::Frame => 8,
            _ => 4,
        });
        while let Some(field) = map.next_key_seed(FieldOf(self))? {
            let (key, value) = match field {
                Field::Skipped => {
                    map.next_value::<Checked>()?;
                    continue;
                }
                Field::Whole(key) => (key, map.next_value::<Value>()?),
                Field::Part(key, part) => (key, map.next_value_seed(part)?),
            };
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// A key of an object in `Part`, with what becomes of its value. Only a
/// kept key is copied out of the payload.
enum Field {
    Skipped,
    Whole(String),
    Part(String, Part),
}

struct FieldOf(Part);

impl<'de> DeserializeSeed<'de> for FieldOf {
    type Value = Field;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Field, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for FieldOf {
    type Value = Field;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Field, E> {
        Ok(match self.0.child(key) {
            Child::Skip => Field::Skipped,
            Child::Whole => Field::Whole(key.to_owned()),
            Child::Part(part) => Field::Part(key.to_owned(), part),
        })
    }
}

/// What becomes of the value under a key.
enum Child {
    Skip,
    Whole,
    Part(Part),
}

impl Part {
    fn child(self, key: &str) -> Child {
        match self {
            Part::Top if SKIPPED_TOP.contains(&key) => Child::Skip,
            Part::Top if WITH_TRACES.contains(&key) => Child::Part(Part::Traces),
            Part::Top if STACKTRACE.contains(&key) => Child::Part(Part::Stacktrace),
            Part::Top if key == "request" || key == "sentry.interfaces.Http" => {
                Child::Part(Part::Request)
            }
            Part::Top => Child::Whole,
            Part::Request if key == "data" => Child::Skip,
            Part::Request => Child::Whole,
            Part::Frame if SKIPPED_IN_FRAME.contains(&key) => Child::Skip,
            Part::Traces | Part::Stacktrace | Part::Frame | Part::Frames => match key {
                "frames" => Child::Part(Part::Frames),
                "stacktrace" => Child::Part(Part::Stacktrace),
                _ => Child::Part(Part::Traces),
            },
        }
    }
}

fn whole_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Value, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
    while let Some(value) = seq.next_element::<Value>()? {
        items.push(value);
    }
    Ok(Value::Array(items))
}

/// A value parsed and dropped as it goes: nothing is allocated, but every
/// part of it is checked as a `Value` parse would (unlike
/// `serde::de::IgnoredAny`, which serde_json skips without checking number
/// ranges or depth).
struct Checked;

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(CheckedVisitor)
    }
}

struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_none<E>(self) -> Result<Checked, E> {
        Ok(Checked)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        while seq.next_element::<Checked>()?.is_some() {}
        Ok(Checked)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        while map.next_entry::<Checked, Checked>()?.is_some() {}
        Ok(Checked)
    }
}
