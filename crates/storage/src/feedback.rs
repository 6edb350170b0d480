//! User reports (feedback) and attachments that arrive without their event.

use uuid::Uuid;

use crate::write::{pg_text, AttachmentToStore};
use crate::{Database, Result};

/// A user's report about an error (`user_report` item or `feedback` event).
#[derive(Debug, Clone, Default)]
pub struct UserReportToStore {
    pub project_id: i64,
    pub event_id: Option<Uuid>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub comments: String,
}

impl Database {
    pub async fn store_user_report(&self, r: &UserReportToStore) -> Result<()> {
        sqlx::query(
            "INSERT INTO user_reports (project_id, event_id, name, email, comments) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(r.project_id)
        .bind(r.event_id)
        .bind(r.name.as_deref().map(pg_text))
        .bind(r.email.as_deref().map(pg_text))
        .bind(pg_text(&r.comments))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Attachments sent in an envelope of their own, for an event sent before.
    pub async fn store_attachments(
        &self,
        project_id: i64,
        event_id: Uuid,
        items: &[AttachmentToStore],
    ) -> Result<()> {
        for a in items {
            sqlx::query(
                "INSERT INTO event_attachments (project_id, event_id, filename, content_type, attachment_type, size, data) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(project_id)
            .bind(event_id)
            .bind(pg_text(&a.filename))
            .bind(a.content_type.as_deref().map(pg_text))
            .bind(pg_text(&a.attachment_type))
            .bind(a.data.len() as i64)
            .bind(&a.data)
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }
}
