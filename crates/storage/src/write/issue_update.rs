//! Applying a batch to its issues: state transitions, counters (logged, see
//! [`super::issue_counts`]), activity and alert signals.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::counters::{load_release_first_seen, ReleaseFirstSeen};
use super::grouping::{sanitize_json, ResolvedIssues};
use super::issue_counts::{self, CountDelta, SeenSpan};
use super::{pg_text, EventToStore};
use crate::issues::lifecycle::{on_new_events, ReleaseOrder, Transition};
use crate::issues::IssueStatus;
use crate::Result;

/// What a batch adds to one issue.
struct IssueDelta<'a> {
    project_id: i64,
    count: i64,
    seen: SeenSpan<&'a str>,
    level: i16,
    /// The latest event, whose title/culprit/metadata the issue takes.
    latest: &'a EventToStore,
    releases: Vec<&'a str>,
    first_event: Uuid,
}

/// The state of an issue as locked for this batch.
pub struct LockedIssue {
    id: i64,
    status: String,
    status_details: serde_json::Value,
    times_seen: i64,
    users_seen: i64,
}

/// Locks the issues a batch touches (ids sorted) and reads their state.
pub async fn lock_issues(conn: &mut PgConnection, ids: &[i64]) -> Result<Vec<LockedIssue>> {
    let rows: Vec<(i64, String, serde_json::Value, i64, i64)> = sqlx::query_as(
        "SELECT id, status, status_details, times_seen, users_seen FROM issues \
         WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, status, status_details, times_seen, users_seen)| LockedIssue {
                id,
                status,
                status_details,
                times_seen,
                users_seen,
            },
        )
        .collect())
}

#[allow(clippy::too_many_arguments)]
pub async fn apply(
    conn: &mut PgConnection,
    events: &[EventToStore],
    stored: &[usize],
    resolved: &ResolvedIssues,
    locked: Vec<LockedIssue>,
    new_users: &HashMap<i64, i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut deltas: BTreeMap<i64, IssueDelta> = BTreeMap::new();
    for &i in stored {
        let e = &events[i];
        let d = deltas
            .entry(resolved.issue_of[&i])
            .or_insert_with(|| IssueDelta {
                project_id: e.project_id,
                count: 0,
                seen: SeenSpan::at(e.timestamp, e.release.as_deref()),
                level: e.level,
                latest: e,
                releases: Vec::new(),
                first_event: e.event_id,
            });
        d.count += 1;
        d.level = d.level.max(e.level);
        if d.seen
            .absorb(SeenSpan::at(e.timestamp, e.release.as_deref()))
        {
            d.latest = e;
        }
        if let Some(r) = e.release.as_deref() {
            if !d.releases.contains(&r) {
                d.releases.push(r);
            }
        }
    }

    // Only issues that are not unresolved can change state; those whose
    // events all turned out to be duplicates do not.
    let current: Vec<(LockedIssue, IssueStatus)> = locked
        .into_iter()
        .filter(|l| deltas.contains_key(&l.id) && l.status != IssueStatus::Unresolved.coarse())
        .map(|l| {
            let status = IssueStatus::from_stored(&l.status, &l.status_details);
            (l, status)
        })
        .collect();

    // A mute that ends after N more events or users compares exact
    // counters: the row's plus what the log holds for it, not folded yet.
    let counted: Vec<i64> = current
        .iter()
        .filter(
            |(_, s)| matches!(s, IssueStatus::Muted(m) if m.events.is_some() || m.users.is_some()),
        )
        .map(|(l, _)| l.id)
        .collect();
    let pending = if counted.is_empty() {
        HashMap::new()
    } else {
        issue_counts::pending(conn, &counted).await?
    };

    // Release order matters only for issues resolved "in (next) release":
    // load when their releases were first seen, and those of the batch.
    let mut first_seen: ReleaseFirstSeen = HashMap::new();
    for (l, status) in &current {
        let wanted = match status {
            IssueStatus::ResolvedInRelease { release } => Some(release.clone()),
            IssueStatus::ResolvedInNextRelease { release, .. } => {
                Some(release.clone().unwrap_or_default())
            }
            _ => None,
        };
        if let Some(reference) = wanted {
            let d = &deltas[&l.id];
            let mut versions: Vec<String> = d.releases.iter().map(|r| r.to_string()).collect();
            versions.push(reference);
            load_release_first_seen(conn, d.project_id, &versions, &mut first_seen).await?;
        }
    }

    let empty = HashMap::new();
    let mut transitions: Vec<(i64, Transition)> = Vec::new();
    for (l, status) in &current {
        let d = &deltas[&l.id];
        let (pending_events, pending_users) = pending.get(&l.id).copied().unwrap_or_default();
        let users_after = l.users_seen + pending_users + new_users.get(&l.id).copied().unwrap_or(0);
        let order = ReleaseOrder {
            first_seen: first_seen.get(&d.project_id).unwrap_or(&empty),
        };
        if let Some(t) = on_new_events(
            status,
            l.times_seen + pending_events + d.count,
            users_after,
            &d.releases,
            now,
            &order,
        ) {
            transitions.push((l.id, t));
        }
    }
    if !transitions.is_empty() {
        // Every transition leads back to unresolved.
        let ids: Vec<i64> = transitions.iter().map(|(id, _)| *id).collect();
        let unresolved = IssueStatus::Unresolved;
        sqlx::query("UPDATE issues SET status = $2, status_details = $3 WHERE id = ANY($1)")
            .bind(&ids)
            .bind(unresolved.coarse())
            .bind(unresolved.to_stored())
            .execute(&mut *conn)
            .await?;
    }

    let counts = deltas
        .iter()
        .map(|(id, d)| (*id, d.count_delta(new_users.get(id).copied().unwrap_or(0))))
        .collect();
    issue_counts::append(conn, counts).await?;

    let new: HashSet<i64> = resolved.new_issues.iter().copied().collect();
    record_signals(conn, &deltas, &new, &transitions).await
}

impl IssueDelta<'_> {
    /// What the counters log for this issue.
    fn count_delta(&self, new_users: i64) -> CountDelta {
        CountDelta {
            count: self.count,
            new_users,
            seen: SeenSpan {
                first_seen: self.seen.first_seen,
                last_seen: self.seen.last_seen,
                first_release: self.seen.first_release.map(|r| pg_text(r).into_owned()),
                last_release: self.seen.last_release.map(|r| pg_text(r).into_owned()),
            },
            level: self.level,
            title: pg_text(&self.latest.title).into_owned(),
            culprit: pg_text(&self.latest.culprit).into_owned(),
            metadata: sanitize_json(&self.latest.metadata),
        }
    }
}

/// Activity entries for automatic transitions, and one outbox row per
/// trigger: new issues, regressions, unmutes.
async fn record_signals(
    conn: &mut PgConnection,
    deltas: &BTreeMap<i64, IssueDelta<'_>>,
    new_issues: &HashSet<i64>,
    transitions: &[(i64, Transition)],
) -> Result<()> {
    let (mut a_issue, mut a_kind, mut a_data) = (Vec::new(), Vec::new(), Vec::new());
    for (id, t) in transitions {
        let d = &deltas[id];
        a_issue.push(*id);
        a_kind.push(match t {
            Transition::Regressed => "set_regressed",
            Transition::Unmuted => "set_unmuted",
        });
        a_data.push(serde_json::json!({
            "event_id": d.first_event.simple().to_string(),
            "release": d.latest.release,
        }));
    }
    if !a_issue.is_empty() {
        sqlx::query(
            "INSERT INTO issue_activity (issue_id, kind, data) \
             SELECT * FROM UNNEST($1::int8[], $2::text[], $3::jsonb[])",
        )
        .bind(&a_issue)
        .bind(&a_kind)
        .bind(&a_data)
        .execute(&mut *conn)
        .await?;
    }

    let (mut o_project, mut o_issue, mut o_trigger, mut o_event) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for id in new_issues {
        if let Some(d) = deltas.get(id) {
            o_project.push(d.project_id);
            o_issue.push(*id);
            o_trigger.push("new");
            o_event.push(d.first_event);
        }
    }
    for (id, t) in transitions {
        let d = &deltas[id];
        o_project.push(d.project_id);
        o_issue.push(*id);
        o_trigger.push(t.as_str());
        o_event.push(d.first_event);
    }
    if !o_issue.is_empty() {
        sqlx::query(
            "INSERT INTO alert_outbox (project_id, issue_id, trigger, event_id) \
             SELECT * FROM UNNEST($1::int8[], $2::int8[], $3::text[], $4::uuid[])",
        )
        .bind(&o_project)
        .bind(&o_issue)
        .bind(&o_trigger)
        .bind(&o_event)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
