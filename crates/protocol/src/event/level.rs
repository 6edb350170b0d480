//! Event severity.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The severity of an event, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Level {
    /// `debug`
    Debug,
    /// `info` (alias `log`)
    Info,
    /// `warning` (alias `warn`)
    Warning,
    /// `error`, the default for events that do not say.
    #[default]
    Error,
    /// `fatal` (alias `critical`)
    Fatal,
}

impl Level {
    /// The canonical lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Error => "error",
            Level::Fatal => "fatal",
        }
    }

    /// Python's numeric level (10 debug ... 50 fatal), handy for storage
    /// and for "at least warning" comparisons in SQL.
    pub fn as_i16(self) -> i16 {
        match self {
            Level::Debug => 10,
            Level::Info => 20,
            Level::Warning => 30,
            Level::Error => 40,
            Level::Fatal => 50,
        }
    }

    /// Parses a name (any case, surrounding whitespace ignored), an alias
    /// (`log`, `warn`, `critical`) or a numeric string (see
    /// [`Level::from_number`]).
    pub fn parse(s: &str) -> Option<Level> {
        let s = s.trim();
        let level = match s.to_ascii_lowercase().as_str() {
            "debug" | "trace" => Level::Debug,
            "info" | "log" => Level::Info,
            "warning" | "warn" => Level::Warning,
            "error" => Level::Error,
            "fatal" | "critical" => Level::Fatal,
            _ => return s.parse::<i64>().ok().and_then(Level::from_number),
        };
        Some(level)
    }

    /// Maps a Python logging level: 10 debug, 20 info, 30 warning, 40 error,
    /// 50 fatal. Custom levels in between round down to the named level
    /// below them (25 → info), as Python's own level names do; 0..9 is
    /// debug; negative numbers are not levels.
    pub fn from_number(n: i64) -> Option<Level> {
        match n {
            i64::MIN..=-1 => None,
            0..=19 => Some(Level::Debug),
            20..=29 => Some(Level::Info),
            30..=39 => Some(Level::Warning),
            40..=49 => Some(Level::Error),
            _ => Some(Level::Fatal),
        }
    }

    /// Reads a level from JSON: a string as in [`Level::parse`] or an
    /// integer as in [`Level::from_number`].
    pub fn from_json(value: &Value) -> Option<Level> {
        match value {
            Value::String(s) => Level::parse(s),
            Value::Number(n) => n.as_i64().and_then(Level::from_number),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error of [`Level::from_str`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a level (expected fatal, error, warning, info or debug)")]
pub struct InvalidLevel;

impl FromStr for Level {
    type Err = InvalidLevel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::parse(s).ok_or(InvalidLevel)
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Level::from_json(&value).ok_or_else(|| serde::de::Error::custom(InvalidLevel))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_and_aliases() {
        for (s, l) in [
            ("fatal", Level::Fatal),
            ("CRITICAL", Level::Fatal),
            ("error", Level::Error),
            (" Warning ", Level::Warning),
            ("warn", Level::Warning),
            ("info", Level::Info),
            ("log", Level::Info),
            ("debug", Level::Debug),
            ("40", Level::Error),
        ] {
            assert_eq!(Level::parse(s), Some(l), "{s}");
        }
        assert_eq!(Level::parse("loud"), None);
        assert_eq!("nope".parse::<Level>(), Err(InvalidLevel));
    }

    #[test]
    fn python_numbers() {
        assert_eq!(Level::from_number(10), Some(Level::Debug));
        assert_eq!(Level::from_number(20), Some(Level::Info));
        assert_eq!(Level::from_number(25), Some(Level::Info));
        assert_eq!(Level::from_number(30), Some(Level::Warning));
        assert_eq!(Level::from_number(40), Some(Level::Error));
        assert_eq!(Level::from_number(50), Some(Level::Fatal));
        assert_eq!(Level::from_number(-1), None);
        assert_eq!(Level::from_json(&json!(50)), Some(Level::Fatal));
        assert_eq!(Level::from_json(&json!(40.5)), None);
        assert_eq!(Level::from_json(&json!(true)), None);
    }

    #[test]
    fn numbers_and_names_agree() {
        for l in [
            Level::Debug,
            Level::Info,
            Level::Warning,
            Level::Error,
            Level::Fatal,
        ] {
            assert_eq!(Level::from_number(l.as_i16().into()), Some(l));
            assert_eq!(Level::parse(l.as_str()), Some(l));
            assert_eq!(serde_json::to_value(l).unwrap(), json!(l.as_str()));
            assert_eq!(
                serde_json::from_value::<Level>(json!(l.as_str())).unwrap(),
                l
            );
        }
        assert!(Level::Fatal > Level::Error && Level::Debug < Level::Info);
        assert_eq!(Level::default(), Level::Error);
    }
}
