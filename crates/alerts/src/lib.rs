//! Chat and webhook alerts: message formats for Slack, Mattermost, Discord,
//! Microsoft Teams and a generic signed JSON webhook; delivery over HTTP
//! with timeouts, retries and no redirects; the outbox worker; and the
//! service the settings page and the CLI use to manage destinations.
//!
//! Flow: the write pipeline writes `alert_outbox` rows in the event's
//! transaction → [`AlertsWorker`] turns them into one delivery per
//! destination, folds bursts of new issues into digests, applies each
//! destination's rate limit, sends, retries, and records the outcome →
//! [`Alerts::list_destinations`] shows the last failure.

mod config;
mod deliver;
mod error;
pub mod format;
mod load;
pub mod message;
mod retry;
mod send;
mod service;
pub mod signature;
mod worker;

#[cfg(feature = "testing")]
pub mod testing;

pub use config::{AlertsConfig, DeliveryConfig, RetryPolicy, WorkerConfig};
pub use deliver::{body, deliver, headers};
pub use error::AlertError;
pub use moth_storage::alerts::{
    DeliveryRow, DeliveryState, Destination, DestinationKind, DestinationStatus, LastFailure,
    Threshold, Trigger,
};
pub use send::{post, Answer, SendResult};
pub use service::{kind_label, redact_url, validate, Actor, Alerts, DestinationInput, TestOutcome};
pub use worker::AlertsWorker;
