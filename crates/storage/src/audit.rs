//! The audit log: who changed accounts and access, and when. Entries copy
//! the emails involved so that they stay readable after a user is removed.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::sessions::truncate;
use crate::{Database, Result};

/// A user named in an audit entry.
#[derive(Debug, Clone, Copy)]
pub struct AuditUser<'a> {
    pub id: Option<i64>,
    pub email: &'a str,
}

/// An entry to write.
#[derive(Debug, Clone)]
pub struct NewAuditEntry<'a> {
    /// What happened, e.g. `user.sign_in` (the caller's vocabulary).
    pub action: &'a str,
    pub actor: Option<AuditUser<'a>>,
    pub target: Option<AuditUser<'a>>,
    pub project_id: Option<i64>,
    pub details: serde_json::Value,
    pub client_addr: Option<&'a str>,
}

/// An entry as read back, with the project's slug when it still exists.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub action: String,
    pub actor_email: Option<String>,
    pub target_email: Option<String>,
    pub project_slug: Option<String>,
    pub details: serde_json::Value,
    pub client_addr: Option<String>,
}

impl Database {
    pub async fn record_audit(&self, e: &NewAuditEntry<'_>) -> Result<()> {
        sqlx::query(
            "INSERT INTO audit_log (action, actor_user_id, actor_email, target_user_id, target_email, project_id, details, client_addr)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.action)
        .bind(e.actor.and_then(|u| u.id))
        .bind(e.actor.map(|u| truncate(u.email, 320)))
        .bind(e.target.and_then(|u| u.id))
        .bind(e.target.map(|u| truncate(u.email, 320)))
        .bind(e.project_id)
        .bind(&e.details)
        .bind(e.client_addr)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Up to `limit` entries older than entry `before` (all when `None`),
    /// newest first.
    pub async fn audit_entries(&self, before: Option<i64>, limit: i64) -> Result<Vec<AuditEntry>> {
        Ok(sqlx::query_as(
            "SELECT a.id, a.created_at, a.action, a.actor_email, a.target_email, p.slug AS project_slug,
                    a.details, a.client_addr
             FROM audit_log a LEFT JOIN projects p ON p.id = a.project_id
             WHERE $1::bigint IS NULL OR a.id < $1
             ORDER BY a.id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
