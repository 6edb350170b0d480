//! What new events do to an issue's state: regressions of resolved issues
//! and the end of mutes. Pure functions; the write pipeline applies them
//! inside its transaction.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::status::{IssueStatus, MuteConditions};

/// A state change caused by new events (each one is also an alert trigger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// A resolved issue received an event that counts: back to unresolved.
    Regressed,
    /// A mute's condition was met: back to unresolved.
    Unmuted,
}

impl Transition {
    /// The alert trigger / activity name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Regressed => "regression",
            Self::Unmuted => "unmuted",
        }
    }
}

/// Orders releases: as versions when both parse as dotted numbers (with the
/// same `package@` prefix), else by when Moth first saw them.
pub struct ReleaseOrder<'a> {
    pub first_seen: &'a HashMap<String, DateTime<Utc>>,
}

impl ReleaseOrder<'_> {
    /// Whether `candidate` is newer than `reference`.
    pub fn is_newer(&self, candidate: &str, reference: &str) -> bool {
        if candidate == reference {
            return false;
        }
        if let (Some(a), Some(b)) = (Version::parse(candidate), Version::parse(reference)) {
            if a.package == b.package {
                return a.cmp(&b) == Ordering::Greater;
            }
        }
        match (
            self.first_seen.get(candidate),
            self.first_seen.get(reference),
        ) {
            (Some(a), Some(b)) => a > b,
            // A reference Moth never saw: any other release counts as newer.
            (_, None) => true,
            (None, Some(_)) => false,
        }
    }

    /// Whether `candidate` first appeared after `t`.
    pub fn first_seen_after(&self, candidate: &str, t: DateTime<Utc>) -> bool {
        self.first_seen.get(candidate).is_some_and(|seen| *seen > t)
    }
}

/// Decides the transition, if any, for an issue that just received events.
/// `times_seen` / `users_seen` are the counters *after* those events;
/// `releases` the releases the new events carry.
pub fn on_new_events(
    status: &IssueStatus,
    times_seen: i64,
    users_seen: i64,
    releases: &[&str],
    now: DateTime<Utc>,
    order: &ReleaseOrder<'_>,
) -> Option<Transition> {
    match status {
        IssueStatus::Unresolved => None,
        IssueStatus::Resolved => Some(Transition::Regressed),
        IssueStatus::ResolvedInNextRelease {
            release,
            resolved_at,
        } => releases
            .iter()
            .any(|r| Some(*r) != release.as_deref() && order.first_seen_after(r, *resolved_at))
            .then_some(Transition::Regressed),
        IssueStatus::ResolvedInRelease { release } => releases
            .iter()
            .any(|r| order.is_newer(r, release))
            .then_some(Transition::Regressed),
        IssueStatus::Muted(mute) => {
            mute_expired(mute, times_seen, users_seen, now).then_some(Transition::Unmuted)
        }
    }
}

/// Whether a mute's condition is met.
pub fn mute_expired(
    mute: &MuteConditions,
    times_seen: i64,
    users_seen: i64,
    now: DateTime<Utc>,
) -> bool {
    mute.until.is_some_and(|until| now >= until)
        || mute
            .events
            .is_some_and(|n| times_seen - mute.events_baseline >= n)
        || mute
            .users
            .is_some_and(|n| users_seen - mute.users_baseline >= n)
}

/// `[package@]1.2.3[-pre][+build]` with numeric dotted components.
#[derive(Debug, PartialEq, Eq)]
struct Version<'a> {
    package: &'a str,
    numbers: Vec<u64>,
    pre: Option<&'a str>,
}

impl<'a> Version<'a> {
    fn parse(s: &'a str) -> Option<Self> {
        let (package, rest) = match s.rsplit_once('@') {
            Some((p, v)) => (p, v),
            None => ("", s),
        };
        let rest = rest.strip_prefix('v').unwrap_or(rest);
        let rest = rest.split('+').next()?;
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let numbers = core
            .split('.')
            .map(|n| n.parse::<u64>().ok())
            .collect::<Option<Vec<_>>>()?;
        if numbers.is_empty() {
            return None;
        }
        Some(Self {
            package,
            numbers,
            pre,
        })
    }
}

impl Ord for Version<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        let len = self.numbers.len().max(other.numbers.len());
        for i in 0..len {
            let a = self.numbers.get(i).copied().unwrap_or(0);
            let b = other.numbers.get(i).copied().unwrap_or(0);
            match a.cmp(&b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        // A pre-release sorts before its release.
        match (self.pre, other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Version<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn order(map: &HashMap<String, DateTime<Utc>>) -> ReleaseOrder<'_> {
        ReleaseOrder { first_seen: map }
    }

    #[test]
    fn unresolved_stays_and_resolved_regresses() {
        let m = HashMap::new();
        let now = Utc::now();
        assert_eq!(
            on_new_events(&IssueStatus::Unresolved, 5, 1, &[], now, &order(&m)),
            None
        );
        assert_eq!(
            on_new_events(&IssueStatus::Resolved, 5, 1, &[], now, &order(&m)),
            Some(Transition::Regressed)
        );
    }

    #[test]
    fn resolved_in_next_release_regresses_only_for_a_later_release() {
        let t0 = Utc::now() - Duration::hours(2);
        let resolved_at = t0 + Duration::hours(1);
        let mut m = HashMap::new();
        m.insert("1.0".to_string(), t0);
        m.insert("1.1".to_string(), resolved_at + Duration::minutes(5));
        let status = IssueStatus::ResolvedInNextRelease {
            release: Some("1.0".into()),
            resolved_at,
        };
        let now = Utc::now();
        assert_eq!(
            on_new_events(&status, 2, 0, &["1.0"], now, &order(&m)),
            None
        );
        assert_eq!(on_new_events(&status, 2, 0, &[], now, &order(&m)), None);
        assert_eq!(
            on_new_events(&status, 2, 0, &["1.0", "1.1"], now, &order(&m)),
            Some(Transition::Regressed)
        );
    }

    #[test]
    fn resolved_in_release_compares_versions_then_first_seen() {
        let now = Utc::now();
        let mut m = HashMap::new();
        m.insert("abc".to_string(), now - Duration::hours(3));
        m.insert("def".to_string(), now - Duration::hours(1));
        let o = order(&m);
        let status = IssueStatus::ResolvedInRelease {
            release: "app@1.10.0".into(),
        };
        assert_eq!(on_new_events(&status, 1, 0, &["app@1.9.9"], now, &o), None);
        assert_eq!(on_new_events(&status, 1, 0, &["app@1.10.0"], now, &o), None);
        assert_eq!(
            on_new_events(&status, 1, 0, &["app@1.10.1"], now, &o),
            Some(Transition::Regressed)
        );
        assert!(o.is_newer("2.0.0", "2.0.0-rc1"));
        assert!(!o.is_newer("2.0.0-rc1", "2.0.0"));
        assert!(o.is_newer("def", "abc"));
        assert!(!o.is_newer("abc", "def"));
    }

    #[test]
    fn mutes_end_on_time_events_or_users() {
        let now = Utc::now();
        let m = HashMap::new();
        let forever = IssueStatus::Muted(MuteConditions::default());
        assert_eq!(
            on_new_events(&forever, 1_000, 1_000, &[], now, &order(&m)),
            None
        );

        let until = IssueStatus::Muted(MuteConditions {
            until: Some(now + Duration::minutes(1)),
            ..Default::default()
        });
        assert_eq!(on_new_events(&until, 1, 1, &[], now, &order(&m)), None);
        assert_eq!(
            on_new_events(&until, 1, 1, &[], now + Duration::minutes(2), &order(&m)),
            Some(Transition::Unmuted)
        );

        let events = IssueStatus::Muted(MuteConditions {
            events: Some(10),
            events_baseline: 100,
            ..Default::default()
        });
        assert_eq!(on_new_events(&events, 109, 0, &[], now, &order(&m)), None);
        assert_eq!(
            on_new_events(&events, 110, 0, &[], now, &order(&m)),
            Some(Transition::Unmuted)
        );

        let users = IssueStatus::Muted(MuteConditions {
            users: Some(3),
            users_baseline: 2,
            ..Default::default()
        });
        assert_eq!(on_new_events(&users, 50, 4, &[], now, &order(&m)), None);
        assert_eq!(
            on_new_events(&users, 50, 5, &[], now, &order(&m)),
            Some(Transition::Unmuted)
        );
    }
}
