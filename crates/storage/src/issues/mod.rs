//! Issues: groups of events that are one problem, and their triage state.

pub mod actions;
pub mod activity;
pub mod counts;
pub mod lifecycle;
pub mod queries;
pub mod search;
pub mod short_id;
pub mod status;
pub mod tags;

pub use actions::StatusChange;
pub use lifecycle::Transition;
pub use queries::{IssueCursor, IssueListRequest, IssuePage, IssueSort, IssueSummary};
pub use search::{IssueQuery, SearchError, StatusFilter};
pub use short_id::short_id;
pub use status::{IssueStatus, MuteConditions};

/// Severity levels as stored (`SMALLINT`), so that "worst seen" is a max.
pub mod level {
    pub const DEBUG: i16 = 10;
    pub const INFO: i16 = 20;
    pub const WARNING: i16 = 30;
    pub const ERROR: i16 = 40;
    pub const FATAL: i16 = 50;

    /// The level name Sentry uses for a stored level number.
    pub fn name(level: i16) -> &'static str {
        match level {
            l if l >= FATAL => "fatal",
            l if l >= ERROR => "error",
            l if l >= WARNING => "warning",
            l if l >= INFO => "info",
            _ => "debug",
        }
    }
}
