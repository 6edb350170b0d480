//! Counts of items ingest accepted but did not store, by reason.

use chrono::Utc;

use crate::{Database, Result};

/// One counter increment: `count` items of `item_type` from `project_id`
/// dropped for `reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DropCount {
    pub project_id: i64,
    pub reason: String,
    pub item_type: String,
    pub count: i64,
}

impl Database {
    /// Adds to the drop counters (one statement for all rows).
    pub async fn add_ingest_drops(&self, rows: &[DropCount]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut rows = rows.to_vec();
        rows.sort_by(|a, b| {
            (a.project_id, &a.reason, &a.item_type).cmp(&(b.project_id, &b.reason, &b.item_type))
        });
        let projects: Vec<i64> = rows.iter().map(|r| r.project_id).collect();
        let reasons: Vec<&str> = rows.iter().map(|r| r.reason.as_str()).collect();
        let types: Vec<&str> = rows.iter().map(|r| r.item_type.as_str()).collect();
        let counts: Vec<i64> = rows.iter().map(|r| r.count).collect();
        sqlx::query(
            "INSERT INTO ingest_drops (project_id, reason, item_type, count, last_seen) \
             SELECT p, r, t, c, $5 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::int8[]) AS x(p, r, t, c) \
             WHERE EXISTS (SELECT 1 FROM projects WHERE id = p) \
             ON CONFLICT (project_id, reason, item_type) DO UPDATE SET \
               count = ingest_drops.count + excluded.count, last_seen = excluded.last_seen",
        )
        .bind(&projects)
        .bind(&reasons)
        .bind(&types)
        .bind(&counts)
        .bind(Utc::now())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The drop counters of a project, largest first.
    pub async fn ingest_drops(&self, project_id: i64) -> Result<Vec<DropCount>> {
        let rows: Vec<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT project_id, reason, item_type, count FROM ingest_drops \
             WHERE project_id = $1 ORDER BY count DESC, reason, item_type",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        Ok(rows
            .into_iter()
            .map(|(project_id, reason, item_type, count)| DropCount {
                project_id,
                reason,
                item_type,
                count,
            })
            .collect())
    }
}
