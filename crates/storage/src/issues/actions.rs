//! What people do to issues: change their status, delete them, merge them.
//! Every change is recorded in the activity log with who did it.

use chrono::Utc;
use sqlx::PgConnection;

use super::status::{IssueStatus, MuteConditions};
use crate::write::count_logs::{self, CountLog};
use crate::write::{issue_counts, tag_counts};
use crate::{Database, Result, StorageError};

/// A status change as requested (baselines and "current release" are
/// filled in per issue when applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusChange {
    Unresolve,
    Resolve,
    ResolveInNextRelease,
    ResolveInRelease(String),
    /// Mute until any of these conditions (none: forever).
    Mute {
        until: Option<chrono::DateTime<Utc>>,
        events: Option<i64>,
        users: Option<i64>,
    },
}

impl StatusChange {
    fn activity_kind(&self) -> &'static str {
        match self {
            Self::Unresolve => "set_unresolved",
            Self::Resolve => "set_resolved",
            Self::ResolveInNextRelease => "set_resolved_in_next_release",
            Self::ResolveInRelease(_) => "set_resolved_in_release",
            Self::Mute { .. } => "set_muted",
        }
    }
}

impl Database {
    /// Applies a status change to issues (all of them checked visible by
    /// the caller); returns how many changed.
    pub async fn set_issue_status(
        &self,
        ids: &[i64],
        change: &StatusChange,
        actor: Option<i64>,
    ) -> Result<u64> {
        // "Resolved in next release" reads the latest release.
        self.fold_before_read(CountLog::Issues).await;
        let mut tx = self.pool().begin().await?;
        let rows: Vec<(i64, Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT id, last_release, times_seen, users_seen FROM issues WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE",
        )
        .bind(ids)
        .fetch_all(&mut *tx)
        .await?;
        // A mute's baselines are the exact counters: the row's plus what
        // the log holds for it, not folded yet.
        let pending = match change {
            StatusChange::Mute { .. } => issue_counts::pending(&mut tx, ids).await?,
            _ => Default::default(),
        };
        let now = Utc::now();
        let mut changed = 0;
        for (id, last_release, times_seen, users_seen) in rows {
            let (pending_events, pending_users) = pending.get(&id).copied().unwrap_or_default();
            let status = match change {
                StatusChange::Unresolve => IssueStatus::Unresolved,
                StatusChange::Resolve => IssueStatus::Resolved,
                StatusChange::ResolveInNextRelease => IssueStatus::ResolvedInNextRelease {
                    release: last_release,
                    resolved_at: now,
                },
                StatusChange::ResolveInRelease(r) => {
                    IssueStatus::ResolvedInRelease { release: r.clone() }
                }
                StatusChange::Mute {
                    until,
                    events,
                    users,
                } => IssueStatus::Muted(MuteConditions {
                    until: *until,
                    events: *events,
                    events_baseline: times_seen + pending_events,
                    users: *users,
                    users_baseline: users_seen + pending_users,
                }),
            };
            sqlx::query("UPDATE issues SET status = $2, status_details = $3 WHERE id = $1")
                .bind(id)
                .bind(status.coarse())
                .bind(status.to_stored())
                .execute(&mut *tx)
                .await?;
            record(
                &mut tx,
                id,
                change.activity_kind(),
                actor,
                status.to_stored(),
            )
            .await?;
            changed += 1;
        }
        tx.commit().await?;
        Ok(changed)
    }

    /// Ends the mutes whose time is up (the other conditions — more events,
    /// more users — end in the write pipeline when events arrive); returns
    /// the issues that became unresolved. Each gets an activity entry.
    pub async fn expire_mutes(&self, now: chrono::DateTime<Utc>) -> Result<Vec<i64>> {
        let unresolved = IssueStatus::Unresolved;
        Ok(sqlx::query_scalar(
            "WITH expired AS ( \
               UPDATE issues SET status = $2, status_details = $3 \
               WHERE status = 'muted' AND status_details ? 'until' \
                 AND (status_details->>'until')::timestamptz <= $1 \
               RETURNING id) \
             INSERT INTO issue_activity (issue_id, kind, data) \
             SELECT id, 'set_unmuted', '{\"reason\": \"expired\"}'::jsonb FROM expired \
             RETURNING issue_id",
        )
        .bind(now)
        .bind(unresolved.coarse())
        .bind(unresolved.to_stored())
        .fetch_all(self.pool())
        .await?)
    }

    /// Deletes issues and everything that belongs to them (events, hashes,
    /// counters). Future events with their fingerprints start new issues.
    pub async fn delete_issues(&self, ids: &[i64]) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        // Not while tag counts are folded into these issues (the fold's
        // foreign-key check would fail); their pending counts are dropped
        // by the next fold.
        count_logs::lock_folding(&mut tx).await?;
        // Deleting the issue rows first waits for any batch writing to
        // them (it holds their row locks); the events DELETE, a statement
        // of its own, then sees that batch's events too. (events.issue_id
        // has no foreign key: see the migration `events_write_path`.)
        let deleted: Vec<i64> =
            sqlx::query_scalar("DELETE FROM issues WHERE id = ANY($1) RETURNING id")
                .bind(ids)
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM events WHERE issue_id = ANY($1)")
            .bind(&deleted)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted.len() as u64)
    }

    /// Merges `sources` into `target`: their events, grouping hashes and
    /// counters move to the target (so future events with their
    /// fingerprints land there too) and the sources disappear.
    pub async fn merge_issues(
        &self,
        target: i64,
        sources: &[i64],
        actor: Option<i64>,
    ) -> Result<()> {
        let sources: Vec<i64> = sources.iter().copied().filter(|s| *s != target).collect();
        if sources.is_empty() {
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            let mut tx = self.pool().begin().await?;
            match merge_in(&mut tx, target, &sources, actor).await {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(());
                }
                Err(e) if e.is_retryable() && attempt < 5 => {
                    attempt += 1;
                    drop(tx);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

async fn merge_in(
    conn: &mut PgConnection,
    target: i64,
    sources: &[i64],
    actor: Option<i64>,
) -> Result<()> {
    // Before the issue locks, in the fold's own order (see `count_logs`).
    count_logs::lock_folding(conn).await?;
    let mut all: Vec<i64> = sources.to_vec();
    all.push(target);
    all.sort_unstable();
    // Same lock order as the write pipeline (ids ascending).
    let locked: Vec<(i64, i64, String)> = sqlx::query_as::<_, (i64, i64, String, i64)>(
        "SELECT i.id, i.project_id, p.slug, i.short_id FROM issues i JOIN projects p ON p.id = i.project_id \
         WHERE i.id = ANY($1) ORDER BY i.id FOR UPDATE OF i",
    )
    .bind(&all)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|(id, project, slug, short)| (id, project, format!("{}-{}", slug.to_uppercase(), super::queries::base36(short))))
    .collect();
    let target_project = locked
        .iter()
        .find(|r| r.0 == target)
        .map(|r| r.1)
        .ok_or(StorageError::NotFound)?;
    if locked.len() != all.len() {
        return Err(StorageError::NotFound);
    }
    if locked.iter().any(|r| r.1 != target_project) {
        return Err(StorageError::Invalid(
            "only issues of the same project can be merged".into(),
        ));
    }
    // The sources' pending tag counts join their counters, which move
    // below; their pending issue counts will be folded into the target.
    tag_counts::fold(conn).await?;
    issue_counts::redirect(conn, target, sources).await?;
    for sql in [
        "UPDATE events SET issue_id = $1 WHERE issue_id = ANY($2)",
        "UPDATE grouping_hashes SET issue_id = $1 WHERE issue_id = ANY($2)",
        "UPDATE alert_outbox SET issue_id = $1 WHERE issue_id = ANY($2)",
        "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen) \
         SELECT $1, key, value, sum(times_seen), min(first_seen), max(last_seen) FROM issue_tag_values \
         WHERE issue_id = ANY($2) GROUP BY key, value \
         ON CONFLICT (issue_id, key, value) DO UPDATE SET \
           times_seen = issue_tag_values.times_seen + excluded.times_seen, \
           first_seen = least(issue_tag_values.first_seen, excluded.first_seen), \
           last_seen = greatest(issue_tag_values.last_seen, excluded.last_seen)",
        "INSERT INTO issue_hourly_counts (issue_id, hour, count) \
         SELECT $1, hour, sum(count) FROM issue_hourly_counts WHERE issue_id = ANY($2) GROUP BY hour \
         ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly_counts.count + excluded.count",
        "UPDATE issues t SET \
           times_seen = t.times_seen + s.times_seen, \
           first_seen = least(t.first_seen, s.first_seen), \
           last_seen = greatest(t.last_seen, s.last_seen), \
           level = greatest(t.level, s.level), \
           users_seen = (SELECT count(*) FROM issue_tag_values WHERE issue_id = $1 AND key = 'user') \
         FROM (SELECT sum(times_seen)::int8 AS times_seen, min(first_seen) AS first_seen, \
                      max(last_seen) AS last_seen, max(level) AS level \
               FROM issues WHERE id = ANY($2)) s \
         WHERE t.id = $1",
    ] {
        sqlx::query(sql).bind(target).bind(sources).execute(&mut *conn).await?;
    }
    let merged: Vec<&str> = locked
        .iter()
        .filter(|r| r.0 != target)
        .map(|r| r.2.as_str())
        .collect();
    record(
        conn,
        target,
        "merge",
        actor,
        serde_json::json!({ "merged": merged, "issue_ids": sources }),
    )
    .await?;
    sqlx::query("DELETE FROM issues WHERE id = ANY($1)")
        .bind(sources)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn record(
    conn: &mut PgConnection,
    issue: i64,
    kind: &str,
    actor: Option<i64>,
    data: serde_json::Value,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO issue_activity (issue_id, kind, user_id, data) VALUES ($1, $2, $3, $4)",
    )
    .bind(issue)
    .bind(kind)
    .bind(actor)
    .bind(data)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
