//! Counts over time and per project: events per hour (charts and
//! sparklines) and unresolved issues per project.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::{Database, Result};

impl Database {
    /// Unresolved issues per project.
    pub async fn unresolved_counts(&self, project_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT project_id, count(*) FROM issues WHERE project_id = ANY($1) AND status = 'unresolved' GROUP BY project_id",
        )
        .bind(project_ids)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().collect())
    }

    /// Events per hour for each issue since `since` (hours with no event absent).
    pub async fn issue_hourly_counts(
        &self,
        issue_ids: &[i64],
        since: DateTime<Utc>,
    ) -> Result<HashMap<i64, Vec<(DateTime<Utc>, i64)>>> {
        let rows = sqlx::query_as(
            "SELECT issue_id, hour, count FROM issue_hourly_counts WHERE issue_id = ANY($1) AND hour >= $2 ORDER BY issue_id, hour",
        )
        .bind(issue_ids)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(series_by_id(rows))
    }

    /// Events per hour for each project since `since`, summed over the
    /// writers' shards.
    pub async fn project_hourly_counts(
        &self,
        project_ids: &[i64],
        since: DateTime<Utc>,
    ) -> Result<HashMap<i64, Vec<(DateTime<Utc>, i64)>>> {
        let rows = sqlx::query_as(
            "SELECT project_id, hour, sum(count)::int8 FROM project_hourly_counts \
             WHERE project_id = ANY($1) AND hour >= $2 GROUP BY project_id, hour ORDER BY project_id, hour",
        )
        .bind(project_ids)
        .bind(since)
        .fetch_all(self.pool())
        .await?;
        Ok(series_by_id(rows))
    }
}

/// `(id, hour, count)` rows ordered by id and hour, as one series per id.
fn series_by_id(rows: Vec<(i64, DateTime<Utc>, i64)>) -> HashMap<i64, Vec<(DateTime<Utc>, i64)>> {
    let mut out: HashMap<i64, Vec<(DateTime<Utc>, i64)>> = HashMap::new();
    for (id, hour, count) in rows {
        out.entry(id).or_default().push((hour, count));
    }
    out
}
