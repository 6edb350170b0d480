//! Alert destinations: where a project's alerts go, and what the settings
//! page shows about each.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{DestinationKind, Threshold, Trigger};
use crate::{Database, Result, StorageError};

/// An alert destination as configured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Destination {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub kind: DestinationKind,
    /// The webhook URL. It is a credential (whoever has it can post to the
    /// channel): show it to admins only.
    pub url: String,
    /// HMAC key of the generic webhook's `X-Moth-Signature` (hex).
    pub secret: String,
    /// Outbox signals it wants, in a fixed order.
    pub triggers: Vec<Trigger>,
    pub threshold: Option<Threshold>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What a person sets on a destination (adding or editing it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationFields {
    pub name: String,
    pub kind: DestinationKind,
    pub url: String,
    pub triggers: Vec<Trigger>,
    pub threshold: Option<Threshold>,
}

/// The most recent failed send to a destination.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LastFailure {
    pub at: DateTime<Utc>,
    /// HTTP status, when the receiver answered.
    pub status: Option<i32>,
    pub error: String,
}

/// A destination with what the settings page shows beside it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DestinationStatus {
    pub destination: Destination,
    pub project_slug: String,
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failure, if it happened after the last success.
    pub last_failure: Option<LastFailure>,
    /// Messages waiting to be sent (or retried).
    pub pending: i64,
    /// Messages given up on after the last retry.
    pub failed: i64,
}

#[derive(FromRow)]
pub(super) struct DestinationRow {
    id: i64,
    project_id: i64,
    name: String,
    kind: String,
    url: String,
    secret: String,
    triggers: Vec<String>,
    threshold_events: Option<i32>,
    threshold_minutes: Option<i32>,
    enabled: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

pub(super) const DESTINATION_COLUMNS: &str = "id, project_id, name, kind, url, secret, triggers, \
     threshold_events, threshold_minutes, enabled, created_at, updated_at";

impl TryFrom<DestinationRow> for Destination {
    type Error = StorageError;

    fn try_from(r: DestinationRow) -> Result<Self> {
        let mut triggers = r
            .triggers
            .iter()
            .map(|t| t.parse())
            .collect::<Result<Vec<Trigger>>>()?;
        triggers.sort();
        triggers.dedup();
        Ok(Self {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            kind: r.kind.parse()?,
            url: r.url,
            secret: r.secret,
            triggers,
            threshold: match (r.threshold_events, r.threshold_minutes) {
                (Some(events), Some(minutes)) => Some(Threshold { events, minutes }),
                _ => None,
            },
            enabled: r.enabled,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(FromRow)]
struct StatusRow {
    #[sqlx(flatten)]
    destination: DestinationRow,
    project_slug: String,
    last_success_at: Option<DateTime<Utc>>,
    last_failure_at: Option<DateTime<Utc>>,
    last_failure_status: Option<i32>,
    last_failure_error: Option<String>,
    pending: i64,
    failed: i64,
}

fn trigger_names(triggers: &[Trigger]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = triggers.iter().map(|t| t.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Rejects what the schema would reject, with a readable message.
fn check(fields: &DestinationFields) -> Result<()> {
    if fields.name.trim().is_empty() {
        return Err(StorageError::Invalid(
            "an alert destination needs a name".into(),
        ));
    }
    if fields.triggers.is_empty() && fields.threshold.is_none() {
        return Err(StorageError::Invalid(
            "an alert destination needs at least one trigger".into(),
        ));
    }
    if let Some(t) = fields.threshold {
        if !(1..=Threshold::MAX_EVENTS).contains(&t.events)
            || !(1..=Threshold::MAX_MINUTES).contains(&t.minutes)
        {
            return Err(StorageError::Invalid(format!(
                "a threshold needs 1 to {} events in 1 to {} minutes",
                Threshold::MAX_EVENTS,
                Threshold::MAX_MINUTES
            )));
        }
    }
    Ok(())
}

fn not_found_as_project(e: sqlx::Error, project_id: i64) -> StorageError {
    match &e {
        sqlx::Error::Database(db) if db.code().as_deref() == Some("23503") => {
            StorageError::Invalid(format!("there is no project with id {project_id}"))
        }
        _ => e.into(),
    }
}

impl Database {
    /// Adds a destination to a project. `secret` is the generic webhook's
    /// signing key (generated by the caller).
    pub async fn create_alert_destination(
        &self,
        project_id: i64,
        fields: &DestinationFields,
        secret: &str,
    ) -> Result<Destination> {
        check(fields)?;
        let row: DestinationRow = sqlx::query_as(&format!(
            "INSERT INTO alert_destinations \
               (project_id, name, kind, url, secret, triggers, threshold_events, threshold_minutes) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {DESTINATION_COLUMNS}"
        ))
        .bind(project_id)
        .bind(fields.name.trim())
        .bind(fields.kind.as_str())
        .bind(&fields.url)
        .bind(secret)
        .bind(trigger_names(&fields.triggers))
        .bind(fields.threshold.map(|t| t.events))
        .bind(fields.threshold.map(|t| t.minutes))
        .fetch_one(self.pool())
        .await
        .map_err(|e| not_found_as_project(e, project_id))?;
        row.try_into()
    }

    /// Replaces a destination's settings (its secret and state stay).
    pub async fn update_alert_destination(
        &self,
        id: i64,
        fields: &DestinationFields,
    ) -> Result<Destination> {
        check(fields)?;
        let row: DestinationRow = sqlx::query_as(&format!(
            "UPDATE alert_destinations SET name = $2, kind = $3, url = $4, triggers = $5, \
               threshold_events = $6, threshold_minutes = $7, updated_at = now() \
             WHERE id = $1 RETURNING {DESTINATION_COLUMNS}"
        ))
        .bind(id)
        .bind(fields.name.trim())
        .bind(fields.kind.as_str())
        .bind(&fields.url)
        .bind(trigger_names(&fields.triggers))
        .bind(fields.threshold.map(|t| t.events))
        .bind(fields.threshold.map(|t| t.minutes))
        .fetch_one(self.pool())
        .await?;
        row.try_into()
    }

    /// Enables or disables a destination. Disabling also drops the messages
    /// still waiting for it: re-enabling it later must not post a backlog of
    /// stale alerts.
    pub async fn set_alert_destination_enabled(
        &self,
        id: i64,
        enabled: bool,
    ) -> Result<Destination> {
        let mut tx = self.pool().begin().await?;
        let row: DestinationRow = sqlx::query_as(&format!(
            "UPDATE alert_destinations SET enabled = $2, updated_at = now() \
             WHERE id = $1 RETURNING {DESTINATION_COLUMNS}"
        ))
        .bind(id)
        .bind(enabled)
        .fetch_one(&mut *tx)
        .await?;
        if !enabled {
            sqlx::query(
                "UPDATE alert_deliveries SET state = 'cancelled', \
                   last_error = coalesce(last_error, 'destination disabled') \
                 WHERE destination_id = $1 AND state = 'pending'",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        row.try_into()
    }

    /// Deletes a destination and its delivery history.
    pub async fn delete_alert_destination(&self, id: i64) -> Result<()> {
        let done = sqlx::query("DELETE FROM alert_destinations WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    pub async fn alert_destination(&self, id: i64) -> Result<Destination> {
        let row: DestinationRow = sqlx::query_as(&format!(
            "SELECT {DESTINATION_COLUMNS} FROM alert_destinations WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool())
        .await?;
        row.try_into()
    }

    /// Destinations of one project (or all), oldest first, each with its
    /// last success, last failure and counts of waiting and failed messages.
    pub async fn alert_destinations(
        &self,
        project_id: Option<i64>,
    ) -> Result<Vec<DestinationStatus>> {
        let rows: Vec<StatusRow> = sqlx::query_as(
            "SELECT d.id, d.project_id, d.name, d.kind, d.url, d.secret, d.triggers, \
                    d.threshold_events, d.threshold_minutes, d.enabled, d.created_at, d.updated_at, \
                    p.slug AS project_slug, d.last_success_at, d.last_failure_at, \
                    d.last_failure_status, d.last_failure_error, \
                    (SELECT count(*) FROM alert_deliveries x \
                      WHERE x.destination_id = d.id AND x.state IN ('pending', 'sending')) AS pending, \
                    (SELECT count(*) FROM alert_deliveries x \
                      WHERE x.destination_id = d.id AND x.state = 'failed') AS failed \
             FROM alert_destinations d JOIN projects p ON p.id = d.project_id \
             WHERE $1::int8 IS NULL OR d.project_id = $1 \
             ORDER BY d.id",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter()
            .map(|r| {
                let last_failure = match (r.last_failure_at, r.last_success_at) {
                    (Some(at), success) if success.is_none_or(|s| at > s) => Some(LastFailure {
                        at,
                        status: r.last_failure_status,
                        error: r.last_failure_error.unwrap_or_default(),
                    }),
                    _ => None,
                };
                Ok(DestinationStatus {
                    destination: r.destination.try_into()?,
                    project_slug: r.project_slug,
                    last_success_at: r.last_success_at,
                    last_failure,
                    pending: r.pending,
                    failed: r.failed,
                })
            })
            .collect()
    }

    /// Notes the outcome of one send (an alert or a test message) for the
    /// settings page.
    pub async fn record_alert_send(
        &self,
        destination_id: i64,
        at: DateTime<Utc>,
        failure: Option<(Option<i32>, &str)>,
    ) -> Result<()> {
        let query = match failure {
            None => sqlx::query(
                "UPDATE alert_destinations SET last_success_at = greatest(last_success_at, $2) \
                 WHERE id = $1",
            )
            .bind(destination_id)
            .bind(at),
            Some((status, error)) => sqlx::query(
                "UPDATE alert_destinations SET last_failure_at = $2, last_failure_status = $3, \
                   last_failure_error = $4 \
                 WHERE id = $1 AND (last_failure_at IS NULL OR last_failure_at <= $2)",
            )
            .bind(destination_id)
            .bind(at)
            .bind(status)
            .bind(crate::write::pg_text(error)),
        };
        query.execute(self.pool()).await?;
        Ok(())
    }
}
