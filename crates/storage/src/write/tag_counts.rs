//! Tag value counts between a batch and `issue_tag_values`.
//!
//! A batch appends its (issue, tag, value) counts to `issue_tag_count_log`
//! (one row of parallel arrays per batch), in its own transaction, so they
//! are as durable as its events. Folding moves the whole log into
//! `issue_tag_values` in one transaction: the log rows it deletes are
//! exactly the ones it adds up (rows of batches still running are
//! invisible to it and wait for the next fold), so no count is lost or
//! added twice, even across a crash.
//!
//! Why: with many issues, a batch touches almost every counter row once,
//! and an upsert per row per batch was the largest single cost of the
//! write path. Folded once a second, a busy counter is written once a
//! second instead of once per batch.
//!
//! Everything that reads the counters folds first (see [`Database::fold_tag_counts`]),
//! so readers see every committed event's tags. The `user` tag is not
//! logged: the write path upserts it directly, as it must know at once
//! whether a user is new.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::counters::{CounterColumns, SeenCount};
use crate::{Database, Result};

impl Database {
    /// Folds every committed log row into `issue_tag_values`; returns how
    /// many counter rows were written. Counts of issues deleted meanwhile
    /// are dropped with their log rows.
    pub async fn fold_tag_counts(&self) -> Result<u64> {
        let mut tx = self.pool().begin().await?;
        lock_folding(&mut tx).await?;
        let written = fold(&mut tx).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// Folds before a read of the counters. A failure is logged, not
    /// returned: the read then shows counts up to a second old.
    pub(crate) async fn fold_tag_counts_before_read(&self) {
        if log_is_empty(self, "issue_tag_count_log").await {
            return;
        }
        if let Err(e) = self.fold_tag_counts().await {
            tracing::warn!(error = %e, "folding tag counts before a read failed");
        }
    }
}

/// Whether a count log has no row, checked before a read folds it: most
/// reads find it empty (nothing stored in the last second), and seeing
/// that is one round trip, not a fold's four. An error counts as "not
/// empty": the fold then runs and reports it.
pub(crate) async fn log_is_empty(db: &Database, log: &'static str) -> bool {
    let query = format!("SELECT NOT EXISTS (SELECT 1 FROM {log})");
    let empty: std::result::Result<bool, sqlx::Error> =
        sqlx::query_scalar(&query).fetch_one(db.pool()).await;
    empty.unwrap_or(false)
}

/// Serialises folding with the issue actions that move or delete counters
/// (merge, delete). Those take it before they lock any issue, as folding
/// itself does, so the two never wait on each other in opposite orders.
pub(crate) async fn lock_folding(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('moth.issue_tag_count_log'))")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A log row: parallel arrays of (issue, key, value, count, first seen,
/// last seen).
type LogRow = (
    Vec<i64>,
    Vec<String>,
    Vec<String>,
    Vec<i64>,
    Vec<DateTime<Utc>>,
    Vec<DateTime<Utc>>,
);

/// The fold itself, inside the caller's transaction, which must hold
/// [`lock_folding`]. The log rows are added up here rather than in SQL:
/// unnesting and grouping ~10,000 counts a second cost PostgreSQL ~2 µs
/// each, several times what a map costs.
pub(crate) async fn fold(conn: &mut PgConnection) -> Result<u64> {
    let rows: Vec<LogRow> = sqlx::query_as(
        "DELETE FROM issue_tag_count_log \
         RETURNING issue_ids, keys, vals, counts, first_seen, last_seen",
    )
    .fetch_all(&mut *conn)
    .await?;
    // BTreeMap: rows go to PostgreSQL in key order, as the write path's do.
    let mut summed: BTreeMap<(i64, String, String), SeenCount> = BTreeMap::new();
    for (issues, keys, values, counts, firsts, lasts) in rows {
        let row = issues.into_iter().zip(keys).zip(values).zip(counts);
        for ((((issue, key), value), count), (first, last)) in
            row.zip(firsts.into_iter().zip(lasts))
        {
            let entry = summed
                .entry((issue, key, value))
                .or_insert((0, first, last));
            entry.0 += count;
            entry.1 = entry.1.min(first);
            entry.2 = entry.2.max(last);
        }
    }
    if summed.is_empty() {
        return Ok(0);
    }
    let mut columns = CounterColumns::default();
    for ((issue, key, value), seen) in summed {
        columns.push(issue, key, value, seen);
    }
    // Counts of issues deleted since are dropped (their log rows are gone).
    let written = sqlx::query(
        "INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen) \
         SELECT * FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[], $5::timestamptz[], $6::timestamptz[]) \
                AS s(issue_id, key, value, n, first_seen, last_seen) \
         WHERE EXISTS (SELECT 1 FROM issues i WHERE i.id = s.issue_id) \
         ON CONFLICT (issue_id, key, value) DO UPDATE SET \
           times_seen = issue_tag_values.times_seen + excluded.times_seen, \
           first_seen = least(issue_tag_values.first_seen, excluded.first_seen), \
           last_seen = greatest(issue_tag_values.last_seen, excluded.last_seen)",
    )
    .bind(&columns.issue)
    .bind(&columns.key)
    .bind(&columns.value)
    .bind(&columns.count)
    .bind(&columns.first)
    .bind(&columns.last)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(written)
}
