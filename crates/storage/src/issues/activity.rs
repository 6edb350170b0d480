//! An issue's activity log: what people did to it and what new events did.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::{Database, Result};

/// One entry of an issue's activity log.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ActivityEntry {
    pub id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl Database {
    /// An issue's activity, newest first.
    pub async fn issue_activity(&self, issue_id: i64, limit: i64) -> Result<Vec<ActivityEntry>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.kind, a.user_id, u.email AS user_email, a.data, a.created_at \
             FROM issue_activity a LEFT JOIN users u ON u.id = a.user_id \
             WHERE a.issue_id = $1 ORDER BY a.id DESC LIMIT $2",
        )
        .bind(issue_id)
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?)
    }
}
