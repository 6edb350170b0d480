//! Releases seen per project (maintained by the write pipeline).

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::{Database, Result};

/// A release a project's events named.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Release {
    pub version: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Database {
    /// A project's releases, most recently seen first.
    pub async fn project_releases(&self, project_id: i64, limit: i64) -> Result<Vec<Release>> {
        Ok(sqlx::query_as(
            "SELECT version, first_seen, last_seen FROM releases WHERE project_id = $1 \
             ORDER BY last_seen DESC, version LIMIT $2",
        )
        .bind(project_id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?)
    }
}
