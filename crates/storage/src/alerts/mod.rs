//! Alert destinations and the deliveries owed to them.
//!
//! The write pipeline leaves one `alert_outbox` row per signal (new issue,
//! regression, unmuted). The alerts worker turns each into one delivery row
//! per interested destination ([`Database::dispatch_outbox`]), adds rows for
//! "more than N events in M minutes" ([`Database::check_thresholds`]), then
//! claims due rows ([`Database::claim_deliveries`]), sends them and records
//! the outcome ([`Database::finish_delivery`]). A unique key per destination
//! and signal makes each message exactly one row, and all coordination
//! between processes goes through row locks (`FOR UPDATE SKIP LOCKED`).

mod context;
mod deliveries;
mod destinations;
mod dispatch;
mod liveness;

pub use context::{AlertEvent, AlertIssue, DigestMembers};
pub use deliveries::{AttemptOutcome, ClaimLimits, ClaimedDelivery, DeliveryRow, DeliveryState};
pub use destinations::{Destination, DestinationFields, DestinationStatus, LastFailure};
pub use liveness::WorkerLock;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::StorageError;

/// Which chat (or generic webhook) a destination posts to; decides the
/// message format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DestinationKind {
    Slack,
    Discord,
    Mattermost,
    Teams,
    Webhook,
}

impl DestinationKind {
    pub const ALL: [Self; 5] = [
        Self::Slack,
        Self::Discord,
        Self::Mattermost,
        Self::Teams,
        Self::Webhook,
    ];

    /// The stored / command-line name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Mattermost => "mattermost",
            Self::Teams => "teams",
            Self::Webhook => "webhook",
        }
    }
}

impl fmt::Display for DestinationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DestinationKind {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                StorageError::Invalid(format!(
                    "unknown alert kind {s:?} (expected slack, discord, mattermost, teams or webhook)"
                ))
            })
    }
}

/// A signal of the outbox a destination can subscribe to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An issue was seen for the first time.
    New,
    /// A resolved issue received a new event.
    Regression,
    /// A muted issue's mute condition was met.
    Unmuted,
}

impl Trigger {
    pub const ALL: [Self; 3] = [Self::New, Self::Regression, Self::Unmuted];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Regression => "regression",
            Self::Unmuted => "unmuted",
        }
    }
}

impl fmt::Display for Trigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Trigger {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                StorageError::Invalid(format!(
                    "unknown alert trigger {s:?} (expected new, regression or unmuted)"
                ))
            })
    }
}

/// "More than `events` events in `minutes` minutes" for one issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub events: i32,
    pub minutes: i32,
}

impl Threshold {
    /// Largest accepted count: the check reads at most this many events per
    /// candidate issue.
    pub const MAX_EVENTS: i32 = 100_000;
    /// Longest accepted window: one day.
    pub const MAX_MINUTES: i32 = 1440;
}

/// Why a delivery row exists: an outbox signal, a threshold crossing, or a
/// digest standing for several new issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryTrigger {
    New,
    Regression,
    Unmuted,
    Threshold,
    Digest,
}

impl DeliveryTrigger {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Regression => "regression",
            Self::Unmuted => "unmuted",
            Self::Threshold => "threshold",
            Self::Digest => "digest",
        }
    }
}

impl FromStr for DeliveryTrigger {
    type Err = StorageError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "new" => Self::New,
            "regression" => Self::Regression,
            "unmuted" => Self::Unmuted,
            "threshold" => Self::Threshold,
            "digest" => Self::Digest,
            _ => {
                return Err(StorageError::Invalid(format!(
                    "unknown delivery trigger {s:?}"
                )))
            }
        })
    }
}
