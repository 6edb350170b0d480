//! Applying a batch to its issues: counters, state transitions, activity and
//! alert signals.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::counters::{load_release_first_seen, ReleaseFirstSeen};
use super::grouping::{sanitize_json, ResolvedIssues};
use super::{pg_text, EventToStore};
use crate::issues::lifecycle::{on_new_events, ReleaseOrder, Transition};
use crate::issues::IssueStatus;
use crate::Result;

/// What a batch adds to one issue.
struct IssueDelta<'a> {
    project_id: i64,
    count: i64,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    level: i16,
    /// Releases of the earliest / latest event.
    first_release: Option<&'a str>,
    last_release: Option<&'a str>,
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
                first_seen: e.timestamp,
                last_seen: e.timestamp,
                level: e.level,
                first_release: e.release.as_deref(),
                last_release: e.release.as_deref(),
                latest: e,
                releases: Vec::new(),
                first_event: e.event_id,
            });
        d.count += 1;
        d.level = d.level.max(e.level);
        if e.timestamp < d.first_seen {
            d.first_seen = e.timestamp;
            d.first_release = e.release.as_deref().or(d.first_release);
        }
        if e.timestamp >= d.last_seen {
            d.last_seen = e.timestamp;
            d.last_release = e.release.as_deref().or(d.last_release);
            d.latest = e;
        }
        if let Some(r) = e.release.as_deref() {
            if !d.releases.contains(&r) {
                d.releases.push(r);
            }
        }
    }

    // Issues whose events all turned out to be duplicates get no update.
    let current: Vec<(i64, String, serde_json::Value, i64, i64)> = locked
        .into_iter()
        .filter(|l| deltas.contains_key(&l.id))
        .map(|l| (l.id, l.status, l.status_details, l.times_seen, l.users_seen))
        .collect();

    // Release order matters only for issues resolved "in (next) release":
    // load when their releases were first seen, and those of the batch.
    let mut first_seen: ReleaseFirstSeen = HashMap::new();
    for (id, coarse, details, ..) in &current {
        let wanted = match IssueStatus::from_stored(coarse, details) {
            IssueStatus::ResolvedInRelease { release } => Some(release),
            IssueStatus::ResolvedInNextRelease { release, .. } => Some(release.unwrap_or_default()),
            _ => None,
        };
        if let Some(reference) = wanted {
            let d = &deltas[id];
            let mut versions: Vec<String> = d.releases.iter().map(|r| r.to_string()).collect();
            versions.push(reference);
            load_release_first_seen(conn, d.project_id, &versions, &mut first_seen).await?;
        }
    }

    let empty = HashMap::new();
    let mut transitions: Vec<(i64, Transition)> = Vec::new();
    let mut update = UpdateColumns::default();
    for (id, coarse, details, times_seen, users_seen) in current {
        let d = &deltas[&id];
        let users_after = users_seen + new_users.get(&id).copied().unwrap_or(0);
        let mut status = IssueStatus::from_stored(&coarse, &details);
        let order = ReleaseOrder {
            first_seen: first_seen.get(&d.project_id).unwrap_or(&empty),
        };
        if let Some(t) = on_new_events(
            &status,
            times_seen + d.count,
            users_after,
            &d.releases,
            now,
            &order,
        ) {
            transitions.push((id, t));
            status = IssueStatus::Unresolved;
        }
        update.push(id, d, new_users.get(&id).copied().unwrap_or(0), &status);
    }
    update.execute(conn).await?;

    let new: HashSet<i64> = resolved.new_issues.iter().copied().collect();
    record_signals(conn, &deltas, &new, &transitions).await
}

#[derive(Default)]
struct UpdateColumns {
    id: Vec<i64>,
    count: Vec<i64>,
    new_users: Vec<i64>,
    first_seen: Vec<DateTime<Utc>>,
    last_seen: Vec<DateTime<Utc>>,
    level: Vec<i16>,
    first_release: Vec<Option<String>>,
    last_release: Vec<Option<String>>,
    title: Vec<String>,
    culprit: Vec<String>,
    metadata: Vec<serde_json::Value>,
    status: Vec<&'static str>,
    status_details: Vec<serde_json::Value>,
}

impl UpdateColumns {
    fn push(&mut self, id: i64, d: &IssueDelta, new_users: i64, status: &IssueStatus) {
        self.id.push(id);
        self.count.push(d.count);
        self.new_users.push(new_users);
        self.first_seen.push(d.first_seen);
        self.last_seen.push(d.last_seen);
        self.level.push(d.level);
        self.first_release.push(d.first_release.map(pg_text));
        self.last_release.push(d.last_release.map(pg_text));
        self.title.push(pg_text(&d.latest.title));
        self.culprit.push(pg_text(&d.latest.culprit));
        self.metadata.push(sanitize_json(&d.latest.metadata));
        self.status.push(status.coarse());
        self.status_details.push(status.to_stored());
    }

    async fn execute(self, conn: &mut PgConnection) -> Result<()> {
        // The search text lives in its own table (see the migration
        // `issue_search_texts`): its trigram index is then written only when
        // a title or culprit changes, not on every counter update.
        sqlx::query(
            "WITH updated AS (UPDATE issues SET \
               times_seen = issues.times_seen + d.count, \
               users_seen = issues.users_seen + d.new_users, \
               first_seen = least(issues.first_seen, d.first_seen), \
               last_seen = greatest(issues.last_seen, d.last_seen), \
               level = greatest(issues.level, d.level), \
               first_release = coalesce(issues.first_release, d.first_release), \
               last_release = CASE WHEN d.last_seen >= issues.last_seen \
                                   THEN coalesce(d.last_release, issues.last_release) \
                                   ELSE issues.last_release END, \
               title = CASE WHEN d.last_seen >= issues.last_seen THEN d.title ELSE issues.title END, \
               culprit = CASE WHEN d.last_seen >= issues.last_seen THEN d.culprit ELSE issues.culprit END, \
               metadata = CASE WHEN d.last_seen >= issues.last_seen THEN d.metadata ELSE issues.metadata END, \
               status = d.status, \
               status_details = d.status_details \
             FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::timestamptz[], $5::timestamptz[], \
                         $6::int2[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[], \
                         $12::text[], $13::jsonb[]) \
                  AS d(id, count, new_users, first_seen, last_seen, level, first_release, last_release, \
                       title, culprit, metadata, status, status_details) \
             WHERE issues.id = d.id \
             RETURNING issues.id, issues.title || ' ' || issues.culprit AS text) \
             INSERT INTO issue_search_texts (issue_id, text) SELECT id, text FROM updated \
             ON CONFLICT (issue_id) DO UPDATE SET text = excluded.text \
             WHERE issue_search_texts.text IS DISTINCT FROM excluded.text",
        )
        .bind(&self.id)
        .bind(&self.count)
        .bind(&self.new_users)
        .bind(&self.first_seen)
        .bind(&self.last_seen)
        .bind(&self.level)
        .bind(&self.first_release)
        .bind(&self.last_release)
        .bind(&self.title)
        .bind(&self.culprit)
        .bind(&self.metadata)
        .bind(&self.status)
        .bind(&self.status_details)
        .execute(&mut *conn)
        .await?;
        Ok(())
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
