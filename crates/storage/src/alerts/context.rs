//! What a message says: the issue, the event that triggered it, and the
//! issues a digest stands for.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::write::count_logs::CountLog;
use crate::{Database, Result};

/// The issue fields an alert shows.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AlertIssue {
    pub id: i64,
    pub project_id: i64,
    /// The per-project counter; see [`crate::issues::short_id`].
    pub short_id: i64,
    pub title: String,
    pub culprit: String,
    /// Stored level number ([`crate::issues::level`]).
    pub level: i16,
    /// `unresolved`, `resolved` or `muted`.
    pub status: String,
    pub times_seen: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub first_release: Option<String>,
    pub last_release: Option<String>,
}

/// The event an alert is about.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct AlertEvent {
    pub event_id: Uuid,
    pub environment: Option<String>,
    pub release: Option<String>,
    pub timestamp: DateTime<Utc>,
}

/// The issues folded into a digest: how many, and the first few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestMembers {
    pub total: i64,
    pub first: Vec<AlertIssue>,
}

const ISSUE_COLUMNS: &str =
    "i.id, i.project_id, i.short_id, i.title, i.culprit, i.level, i.status, \
     i.times_seen, i.first_seen, i.last_seen, i.first_release, i.last_release";

impl Database {
    /// The issue an alert is about (`None` once deleted).
    pub async fn alert_issue(&self, issue_id: i64) -> Result<Option<AlertIssue>> {
        self.fold_before_read(CountLog::Issues).await;
        Ok(sqlx::query_as(&format!(
            "SELECT {ISSUE_COLUMNS} FROM issues i WHERE i.id = $1"
        ))
        .bind(issue_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The event that raised the signal, or else the issue's latest event.
    pub async fn alert_event(
        &self,
        project_id: i64,
        issue_id: i64,
        event_id: Option<Uuid>,
    ) -> Result<Option<AlertEvent>> {
        if let Some(event_id) = event_id {
            let found: Option<AlertEvent> = sqlx::query_as(
                "SELECT event_id, environment, release, timestamp FROM events \
                 WHERE project_id = $1 AND event_id = $2",
            )
            .bind(project_id)
            .bind(event_id)
            .fetch_optional(self.pool())
            .await?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(sqlx::query_as(
            "SELECT event_id, environment, release, timestamp FROM events \
             WHERE issue_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(issue_id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// The issues a digest delivery stands for: their number and the first
    /// `limit` of them.
    pub async fn digest_members(&self, digest_id: i64, limit: i64) -> Result<DigestMembers> {
        self.fold_before_read(CountLog::Issues).await;
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM alert_deliveries m JOIN issues i ON i.id = m.issue_id \
             WHERE m.digest_id = $1",
        )
        .bind(digest_id)
        .fetch_one(self.pool())
        .await?;
        let first = sqlx::query_as(&format!(
            "SELECT {ISSUE_COLUMNS} FROM alert_deliveries m JOIN issues i ON i.id = m.issue_id \
             WHERE m.digest_id = $1 ORDER BY m.id LIMIT $2"
        ))
        .bind(digest_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(DigestMembers { total, first })
    }
}
