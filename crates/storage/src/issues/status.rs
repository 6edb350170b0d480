//! The state an issue is in, as stored (`issues.status` + `status_details`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// An issue's triage state. `status_details` holds this whole value as JSON;
/// `status` holds [`IssueStatus::coarse`] for indexing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IssueStatus {
    #[default]
    Unresolved,
    /// Resolved: the next event reopens it as a regression.
    Resolved,
    /// Resolved by a fix that ships in the next release: events from
    /// `release` (the newest release at the time) or older do not reopen it,
    /// events from a release first seen after `resolved_at` do.
    ResolvedInNextRelease {
        release: Option<String>,
        resolved_at: DateTime<Utc>,
    },
    /// Resolved in a given release: only events from a newer release reopen it.
    ResolvedInRelease { release: String },
    /// Muted until any of its conditions is met (none: forever).
    Muted(MuteConditions),
}

/// When a mute ends by itself. Baselines are the counters at mute time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MuteConditions {
    /// Until this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// Until this many more events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<i64>,
    #[serde(default)]
    pub events_baseline: i64,
    /// Until this many more distinct users are affected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users: Option<i64>,
    #[serde(default)]
    pub users_baseline: i64,
}

impl MuteConditions {
    pub fn is_forever(&self) -> bool {
        self.until.is_none() && self.events.is_none() && self.users.is_none()
    }
}

impl IssueStatus {
    /// The indexed status column: `unresolved`, `resolved` or `muted`.
    pub fn coarse(&self) -> &'static str {
        match self {
            Self::Unresolved => "unresolved",
            Self::Resolved
            | Self::ResolvedInNextRelease { .. }
            | Self::ResolvedInRelease { .. } => "resolved",
            Self::Muted(_) => "muted",
        }
    }

    /// Reads the stored JSON; anything unreadable falls back to the coarse column.
    pub fn from_stored(coarse: &str, details: &serde_json::Value) -> Self {
        match serde_json::from_value::<IssueStatus>(details.clone()) {
            Ok(s) if s.coarse() == coarse => s,
            _ => match coarse {
                "resolved" => Self::Resolved,
                "muted" => Self::Muted(MuteConditions::default()),
                _ => Self::Unresolved,
            },
        }
    }

    pub fn to_stored(&self) -> serde_json::Value {
        serde_json::to_value(self).expect("status serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_storage() {
        let all = [
            IssueStatus::Unresolved,
            IssueStatus::Resolved,
            IssueStatus::ResolvedInNextRelease {
                release: Some("1.0".into()),
                resolved_at: Utc::now(),
            },
            IssueStatus::ResolvedInRelease {
                release: "2.0".into(),
            },
            IssueStatus::Muted(MuteConditions {
                events: Some(10),
                events_baseline: 5,
                ..Default::default()
            }),
        ];
        for s in all {
            assert_eq!(IssueStatus::from_stored(s.coarse(), &s.to_stored()), s);
        }
    }

    #[test]
    fn unreadable_details_fall_back_to_the_column() {
        let junk = serde_json::json!({"kind": "what"});
        assert_eq!(
            IssueStatus::from_stored("resolved", &junk),
            IssueStatus::Resolved
        );
        assert_eq!(
            IssueStatus::from_stored("unresolved", &serde_json::json!({})),
            IssueStatus::Unresolved
        );
    }
}
