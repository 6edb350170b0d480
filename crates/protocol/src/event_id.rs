//! Event ids: UUIDs that SDKs send either as 32 hex digits or dashed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// The id of one event. Canonical form (Display, JSON) is 32 lowercase hex
/// digits, the form Sentry answers with and stores.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(Uuid);

impl EventId {
    /// Parses 32 hex digits or the dashed 36-character form, in any case.
    /// Other UUID spellings (braces, `urn:uuid:`) are not sent by SDKs and
    /// are rejected so that ids stay unambiguous.
    pub fn parse(s: &str) -> Option<EventId> {
        match s.len() {
            32 | 36 => Uuid::try_parse(s).ok().map(EventId),
            _ => None,
        }
    }

    /// A new random (v4) id, for events that arrive without one.
    pub fn new_random() -> EventId {
        EventId(Uuid::new_v4())
    }

    /// Wraps an existing UUID.
    pub fn from_uuid(uuid: Uuid) -> EventId {
        EventId(uuid)
    }

    /// The underlying UUID (e.g. to bind as a PostgreSQL `uuid`).
    pub fn as_uuid(&self) -> &Uuid {
        &self.0
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.simple(), f)
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({})", self.0.simple())
    }
}

/// Error of [`EventId::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an event id (expected 32 hex digits or a dashed UUID)")]
pub struct InvalidEventId;

impl FromStr for EventId {
    type Err = InvalidEventId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventId::parse(s).ok_or(InvalidEventId)
    }
}

impl Serialize for EventId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 32];
        serializer.serialize_str(self.0.simple().encode_lower(&mut buf))
    }
}

impl<'de> Deserialize<'de> for EventId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        EventId::parse(&s).ok_or_else(|| serde::de::Error::custom(InvalidEventId))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_dashed_in_any_case() {
        let plain = EventId::parse("9031cbfe37e942179f558d8796e1e9b4").unwrap();
        let dashed = EventId::parse("9031CBFE-37e9-4217-9f55-8D8796E1E9B4").unwrap();
        assert_eq!(plain, dashed);
        assert_eq!(dashed.to_string(), "9031cbfe37e942179f558d8796e1e9b4");
        assert_eq!(
            format!("{dashed:?}"),
            "EventId(9031cbfe37e942179f558d8796e1e9b4)"
        );
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "9031cbfe37e942179f558d8796e1e9b",
            "9031cbfe37e942179f558d8796e1e9b4a",
            "9031cbfe37e942179f558d8796e1e9bz",
            "{9031cbfe-37e9-4217-9f55-8d8796e1e9b4}",
            "urn:uuid:9031cbfe-37e9-4217-9f55-8d8796e1e9b4",
            "9031cbfe37e9-4217-9f55-8d8796e1e9b4-",
        ] {
            assert_eq!(EventId::parse(bad), None, "{bad:?}");
            assert_eq!(bad.parse::<EventId>(), Err(InvalidEventId));
        }
    }

    #[test]
    fn serde_uses_the_canonical_form() {
        let id = EventId::parse("9031cbfe-37e9-4217-9f55-8d8796e1e9b4").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"9031cbfe37e942179f558d8796e1e9b4\"");
        let back: EventId = serde_json::from_str(&json).unwrap();
        assert_eq!(back, id);
        assert!(serde_json::from_str::<EventId>("\"nope\"").is_err());
    }

    #[test]
    fn random_ids_differ_and_round_trip() {
        let a = EventId::new_random();
        let b = EventId::new_random();
        assert_ne!(a, b);
        assert_eq!(EventId::parse(&a.to_string()), Some(a));
        assert_eq!(EventId::from_uuid(*a.as_uuid()), a);
    }
}
