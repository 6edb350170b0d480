//! Timestamps as SDKs send them: RFC 3339 strings (with or without zone;
//! naive means UTC) or Unix seconds as integers or floats.

use chrono::{DateTime, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

/// Largest accepted Unix time: 9999-12-31T23:59:59Z. Later years cannot be
/// written in RFC 3339.
const MAX_UNIX_SECONDS: f64 = 253_402_300_799.0;

/// How far ahead of the receive time an event may claim to be (Relay's
/// `max_secs_in_future`).
pub(crate) const MAX_FUTURE: TimeDelta = TimeDelta::seconds(60);

/// How far back an event may claim to be (Relay's default retention).
pub(crate) const MAX_PAST: TimeDelta = TimeDelta::days(90);

/// Reads a timestamp; `None` when the value is not one.
pub fn parse_timestamp(value: &Value) -> Option<DateTime<Utc>> {
    match value {
        Value::Number(n) => {
            if let Some(secs) = n.as_i64() {
                if (0..=MAX_UNIX_SECONDS as i64).contains(&secs) {
                    return DateTime::from_timestamp(secs, 0);
                }
                return None;
            }
            from_float(n.as_f64()?)
        }
        Value::String(s) => parse_str(s.trim()),
        _ => None,
    }
}

fn from_float(secs: f64) -> Option<DateTime<Utc>> {
    if !secs.is_finite() || !(0.0..=MAX_UNIX_SECONDS).contains(&secs) {
        return None;
    }
    // Rounding to microseconds undoes binary noise (1795348419.705 is
    // stored as ...704999), and microseconds are what Moth keeps.
    let micros = (secs * 1_000_000.0).round() as i64;
    DateTime::from_timestamp_micros(micros)
}

fn parse_str(s: &str) -> Option<DateTime<Utc>> {
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return in_range(t.with_timezone(&Utc));
    }
    // Naive timestamps (Python's `utcnow().isoformat()`) are UTC.
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return in_range(t.and_utc());
        }
    }
    // Some clients quote Unix seconds.
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return from_float(s.parse().ok()?);
    }
    None
}

fn in_range(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    (t.timestamp() >= 0 && t.timestamp() as f64 <= MAX_UNIX_SECONDS).then_some(t)
}

/// The one textual form Moth stores: RFC 3339, UTC, microseconds, `Z`
/// (`2026-11-22T11:53:23.842011Z`).
pub fn format_timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(v: Value) -> Option<String> {
        parse_timestamp(&v).map(format_timestamp)
    }

    #[test]
    fn strings() {
        for (input, expected) in [
            ("2026-11-22T11:53:23.842011Z", "2026-11-22T11:53:23.842011Z"),
            ("2026-11-22T11:53:23Z", "2026-11-22T11:53:23.000000Z"),
            ("2026-11-22T12:53:23.5+01:00", "2026-11-22T11:53:23.500000Z"),
            ("2026-11-22T11:53:23.842011", "2026-11-22T11:53:23.842011Z"),
            ("2026-11-22 11:53:23", "2026-11-22T11:53:23.000000Z"),
            (" 2026-11-22T11:53:23Z ", "2026-11-22T11:53:23.000000Z"),
            ("1795348419.705", "2026-11-22T11:53:39.705000Z"),
        ] {
            assert_eq!(parsed(json!(input)).as_deref(), Some(expected), "{input}");
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(
            parsed(json!(1795348419.705)).as_deref(),
            Some("2026-11-22T11:53:39.705000Z")
        );
        assert_eq!(
            parsed(json!(1795348479.1778107)).as_deref(),
            Some("2026-11-22T11:54:39.177811Z")
        );
        assert_eq!(
            parsed(json!(1795348419)).as_deref(),
            Some("2026-11-22T11:53:39.000000Z")
        );
    }

    #[test]
    fn rejects_non_timestamps() {
        for bad in [
            json!("yesterday"),
            json!(""),
            json!("10000-01-01T00:00:00Z"),
            json!(-5),
            json!(-5.5),
            json!(1e300),
            json!(1795348419705u64 * 1000),
            json!(true),
            json!(null),
            json!({"t": 1}),
        ] {
            assert_eq!(parsed(bad.clone()), None, "{bad}");
        }
    }
}
