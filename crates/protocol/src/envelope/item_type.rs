//! The `type` of an envelope item.

use std::fmt;

/// What an envelope item carries. Unknown types are kept as [`ItemType::Other`]
/// so that callers can skip them: SDKs add new types faster than servers learn
/// them, and rejecting an envelope for one would lose the events beside it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemType {
    /// An error or message event (`event`).
    Event,
    /// A raw attachment (`attachment`).
    Attachment,
    /// Deprecated user feedback `{event_id, name, email, comments}` (`user_report`).
    UserReport,
    /// User feedback as an event (`feedback`).
    Feedback,
    /// A tracing transaction (`transaction`).
    Transaction,
    /// A span or span container (`span`).
    Span,
    /// One release-health session update (`session`).
    Session,
    /// Aggregated release-health sessions (`sessions`).
    Sessions,
    /// SDK outcome report (`client_report`).
    ClientReport,
    /// Cron monitor check-in (`check_in`).
    CheckIn,
    /// Profiling data (`profile`).
    Profile,
    /// Continuous profiling chunk (`profile_chunk`).
    ProfileChunk,
    /// Session replay metadata (`replay_event`).
    ReplayEvent,
    /// Session replay recording (`replay_recording`).
    ReplayRecording,
    /// Session replay video (`replay_video`).
    ReplayVideo,
    /// Log container (`log`).
    Log,
    /// Old metrics beta (`statsd`).
    Statsd,
    /// Old metrics beta (`metric_buckets`).
    MetricBuckets,
    /// Metrics container (`trace_metric`).
    TraceMetric,
    /// Browser security report (`raw_security`).
    RawSecurity,
    /// Any other type, spelled as sent.
    Other(String),
}

impl ItemType {
    /// Maps the wire name to a type. Matching is exact (case-sensitive), as
    /// in Relay.
    pub fn from_name(name: &str) -> ItemType {
        match name {
            "event" => ItemType::Event,
            "attachment" => ItemType::Attachment,
            "user_report" => ItemType::UserReport,
            "feedback" => ItemType::Feedback,
            "transaction" => ItemType::Transaction,
            "span" => ItemType::Span,
            "session" => ItemType::Session,
            "sessions" => ItemType::Sessions,
            "client_report" => ItemType::ClientReport,
            "check_in" => ItemType::CheckIn,
            "profile" => ItemType::Profile,
            "profile_chunk" => ItemType::ProfileChunk,
            "replay_event" => ItemType::ReplayEvent,
            "replay_recording" => ItemType::ReplayRecording,
            "replay_video" => ItemType::ReplayVideo,
            "log" => ItemType::Log,
            "statsd" => ItemType::Statsd,
            "metric_buckets" => ItemType::MetricBuckets,
            "trace_metric" => ItemType::TraceMetric,
            "raw_security" => ItemType::RawSecurity,
            other => ItemType::Other(other.to_owned()),
        }
    }

    /// The wire name of the type.
    pub fn as_str(&self) -> &str {
        match self {
            ItemType::Event => "event",
            ItemType::Attachment => "attachment",
            ItemType::UserReport => "user_report",
            ItemType::Feedback => "feedback",
            ItemType::Transaction => "transaction",
            ItemType::Span => "span",
            ItemType::Session => "session",
            ItemType::Sessions => "sessions",
            ItemType::ClientReport => "client_report",
            ItemType::CheckIn => "check_in",
            ItemType::Profile => "profile",
            ItemType::ProfileChunk => "profile_chunk",
            ItemType::ReplayEvent => "replay_event",
            ItemType::ReplayRecording => "replay_recording",
            ItemType::ReplayVideo => "replay_video",
            ItemType::Log => "log",
            ItemType::Statsd => "statsd",
            ItemType::MetricBuckets => "metric_buckets",
            ItemType::TraceMetric => "trace_metric",
            ItemType::RawSecurity => "raw_security",
            ItemType::Other(name) => name,
        }
    }
}

impl fmt::Display for ItemType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in [
            "event",
            "attachment",
            "user_report",
            "feedback",
            "transaction",
            "span",
            "session",
            "sessions",
            "client_report",
            "check_in",
            "profile",
            "profile_chunk",
            "replay_event",
            "replay_recording",
            "replay_video",
            "log",
            "statsd",
            "metric_buckets",
            "trace_metric",
            "raw_security",
            "otel_span",
        ] {
            let ty = ItemType::from_name(name);
            assert_eq!(ty.as_str(), name);
            assert_eq!(ty.to_string(), name);
        }
        assert_eq!(
            ItemType::from_name("otel_span"),
            ItemType::Other("otel_span".into())
        );
        assert_eq!(
            ItemType::from_name("Event"),
            ItemType::Other("Event".into())
        );
    }
}
