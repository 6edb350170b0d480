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
//! Everything that reads the counters folds first (see `count_logs`),
//! so readers see every committed event's tags. The `user` tag is not
//! logged: the write path upserts it directly, as it must know at once
//! whether a user is new.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::counters::{CounterColumns, SeenCount};
use crate::Result;

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
/// [`super::count_logs::lock_folding`]. The log rows are added up here rather than in SQL:
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
