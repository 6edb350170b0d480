//! How pages write times, counts and statuses.

use chrono::{DateTime, Utc};
use moth_storage::issues::{IssueStatus, IssueSummary};
use serde::Serialize;

/// "just now", "3 min ago", "5 hours ago", "2 days ago", "4 months ago".
pub(crate) fn ago(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (now - t).num_seconds();
    if secs < 0 {
        return "in the future".into();
    }
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match secs {
        0..=44 => "just now".into(),
        45..=3_599 => format!("{} min ago", (secs + 30) / 60),
        3_600..=86_399 => plural(secs / 3_600, "hour"),
        86_400..=2_591_999 => plural(secs / 86_400, "day"),
        2_592_000..=31_535_999 => plural(secs / 2_592_000, "month"),
        _ => plural(secs / 31_536_000, "year"),
    }
}

/// A time as both a relative phrase and the exact UTC time (for `title=`
/// and `<time datetime=>`).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct When {
    pub ago: String,
    pub exact: String,
    pub iso: String,
}

impl When {
    pub fn new(t: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        Self {
            ago: ago(t, now),
            exact: super::when(t),
            iso: t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }
    }
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    // Digits before the first comma, then groups of three.
    let lead = match digits.len() % 3 {
        0 => 3.min(digits.len()),
        n => n,
    };
    out.push_str(&digits[..lead]);
    for group in digits.as_bytes()[lead..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).expect("ASCII digits"));
    }
    out
}

/// `950` → `950`, `12_345` → `12k`, `3_400_000` → `3.4M`: counts in dense lists.
pub(crate) fn compact(n: i64) -> String {
    match n {
        ..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{}k", n / 1_000),
        _ => {
            let m = n as f64 / 1_000_000.0;
            if m < 10.0 {
                format!("{m:.1}M")
            } else {
                format!("{}M", n / 1_000_000)
            }
        }
    }
}

/// An issue's state as pages show it: a short label (`unresolved`,
/// `resolved`, `muted`) and what it means in words.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct StatusView {
    pub coarse: &'static str,
    pub label: String,
    pub detail: Option<String>,
}

pub(crate) fn status_view(issue: &IssueSummary, now: DateTime<Utc>) -> StatusView {
    let status = issue.parsed_status();
    let coarse = status.coarse();
    let (label, detail) = match &status {
        IssueStatus::Unresolved => ("unresolved".to_string(), None),
        IssueStatus::Resolved => ("resolved".to_string(), None),
        IssueStatus::ResolvedInNextRelease { release, .. } => (
            "resolved".to_string(),
            Some(match release {
                Some(r) => format!("in the next release after {r}"),
                None => "in the next release".to_string(),
            }),
        ),
        IssueStatus::ResolvedInRelease { release } => (
            "resolved".to_string(),
            Some(format!("in release {release}")),
        ),
        IssueStatus::Muted(m) => {
            let mut until = Vec::new();
            if let Some(t) = m.until {
                let rel = if t > now {
                    format!("until {}", super::when(t))
                } else {
                    format!("until {} (passed)", super::when(t))
                };
                until.push(rel);
            }
            if let Some(n) = m.events {
                until.push(format!(
                    "until {} more event{} ({} so far)",
                    thousands(n),
                    if n == 1 { "" } else { "s" },
                    thousands((issue.times_seen - m.events_baseline).max(0))
                ));
            }
            if let Some(n) = m.users {
                until.push(format!(
                    "until {} more user{} ({} so far)",
                    thousands(n),
                    if n == 1 { "" } else { "s" },
                    thousands((issue.users_seen - m.users_baseline).max(0))
                ));
            }
            let detail = if until.is_empty() {
                "forever".to_string()
            } else {
                until.join(" or ")
            };
            ("muted".to_string(), Some(detail))
        }
    };
    StatusView {
        coarse,
        label,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn relative_times() {
        let now = Utc::now();
        let at = |secs: i64| ago(now - Duration::seconds(secs), now);
        assert_eq!(at(3), "just now");
        assert_eq!(at(180), "3 min ago");
        assert_eq!(at(3_600), "1 hour ago");
        assert_eq!(at(5 * 3_600), "5 hours ago");
        assert_eq!(at(2 * 86_400), "2 days ago");
        assert_eq!(at(95 * 86_400), "3 months ago");
        assert_eq!(at(800 * 86_400), "2 years ago");
        assert_eq!(at(-100), "in the future");
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(-1_234_567), "-1,234,567");
        assert_eq!(compact(9_999), "9999");
        assert_eq!(compact(12_345), "12k");
        assert_eq!(compact(3_400_000), "3.4M");
        assert_eq!(compact(34_000_000), "34M");
    }
}
