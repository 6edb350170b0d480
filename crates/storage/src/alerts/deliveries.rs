//! Claiming due deliveries (under each destination's rate limit, folding a
//! burst of new issues into one digest) and recording how a send went.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::destinations::{DestinationRow, DESTINATION_COLUMNS};
use super::liveness::{claimer_gone, WorkerLock};
use super::{DeliveryTrigger, Destination};
use crate::{Database, Result, StorageError};

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Waiting for its first send or its next retry.
    Pending,
    /// Claimed by a worker that is sending it.
    Sending,
    Delivered,
    /// Given up on after the last attempt, or refused for good.
    Failed,
    /// Folded into a digest delivery (`digest_id`).
    Digested,
    /// Dropped because its destination was disabled.
    Cancelled,
}

impl DeliveryState {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => Self::Pending,
            "sending" => Self::Sending,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            "digested" => Self::Digested,
            "cancelled" => Self::Cancelled,
            _ => {
                return Err(StorageError::Invalid(format!(
                    "unknown delivery state {s:?}"
                )))
            }
        })
    }
}

/// The rules a claim follows (from the worker's configuration).
#[derive(Debug, Clone, Copy)]
pub struct ClaimLimits {
    /// Most deliveries claimed by this call (the worker's free send slots).
    pub max: i64,
    /// How long a claim holds before another worker may take the delivery
    /// over (longer than any send can take).
    pub lease: Duration,
    /// Messages per destination per minute; the rest waits for the next minute.
    pub per_minute: i32,
    /// More than this many new-issue deliveries waiting for one destination
    /// become a single digest.
    pub digest_above: i64,
    /// A delivery whose claim lapsed after this many attempts is given up.
    pub max_attempts: i32,
}

/// A delivery claimed for sending, with its destination.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub id: i64,
    /// Attempts including this one.
    pub attempts: i32,
    pub trigger: DeliveryTrigger,
    pub issue_id: Option<i64>,
    pub event_id: Option<Uuid>,
    /// For thresholds: `{"events": N, "minutes": M, "count": C}`.
    pub detail: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub destination: Destination,
}

/// How one attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered {
        status: i32,
    },
    /// Failed for now; try again at `at`.
    Retry {
        at: DateTime<Utc>,
        status: Option<i32>,
        error: String,
    },
    /// Failed for good (refused, or out of attempts).
    Failed {
        status: Option<i32>,
        error: String,
    },
}

/// A delivery as the settings page or a test reads it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeliveryRow {
    pub id: i64,
    pub destination_id: i64,
    pub trigger: DeliveryTrigger,
    pub issue_id: Option<i64>,
    pub state: DeliveryState,
    pub digest_id: Option<i64>,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct RawDelivery {
    id: i64,
    destination_id: i64,
    trigger: String,
    issue_id: Option<i64>,
    state: String,
    digest_id: Option<i64>,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_attempt_at: Option<DateTime<Utc>>,
    last_status: Option<i32>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

const DELIVERY_COLUMNS: &str =
    "id, destination_id, trigger, issue_id, state, digest_id, attempts, \
     next_attempt_at, last_attempt_at, last_status, last_error, created_at, delivered_at";

impl TryFrom<RawDelivery> for DeliveryRow {
    type Error = StorageError;

    fn try_from(r: RawDelivery) -> Result<Self> {
        Ok(Self {
            id: r.id,
            destination_id: r.destination_id,
            trigger: r.trigger.parse()?,
            issue_id: r.issue_id,
            state: DeliveryState::parse(&r.state)?,
            digest_id: r.digest_id,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_attempt_at: r.last_attempt_at,
            last_status: r.last_status,
            last_error: r.last_error,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        })
    }
}

impl Database {
    /// Claims due deliveries, destination by destination: each destination
    /// is locked while its rate limit is counted and a digest formed, so
    /// that concurrent workers (other processes too) never claim beyond the
    /// limit or digest the same issues twice. Claimed rows become `sending`
    /// with their attempt counted and `worker` as their claimer; the caller
    /// must finish each with [`Database::finish_delivery`]. Rows claimed by
    /// a worker that is gone (or whose claim lapsed) are taken over.
    pub async fn claim_deliveries(
        &self,
        worker: &WorkerLock,
        limits: ClaimLimits,
    ) -> Result<Vec<ClaimedDelivery>> {
        let mut tx = self.pool().begin().await?;
        // An abandoned claim on the last attempt: the worker died while
        // sending it. Another try would exceed the bound.
        sqlx::query(&format!(
            "UPDATE alert_deliveries x SET state = 'failed', \
               last_error = 'gave up: the process sending it stopped during the last attempt' \
             WHERE {} AND attempts >= $1",
            abandoned()
        ))
        .bind(limits.max_attempts)
        .execute(&mut *tx)
        .await?;

        let destinations: Vec<DestinationRow> = sqlx::query_as(&format!(
            "SELECT {DESTINATION_COLUMNS} FROM alert_destinations d \
             WHERE d.enabled AND EXISTS ( \
               SELECT 1 FROM alert_deliveries x WHERE x.destination_id = d.id AND {}) \
             ORDER BY d.id FOR NO KEY UPDATE SKIP LOCKED",
            due()
        ))
        .fetch_all(&mut *tx)
        .await?;

        let mut claimed = Vec::new();
        for row in destinations {
            let destination: Destination = row.try_into()?;
            let room = limits.max - claimed.len() as i64;
            if room <= 0 {
                break;
            }
            let budget = rate_budget(&mut tx, destination.id, limits.per_minute).await?;
            if budget <= 0 {
                continue;
            }
            form_digest(&mut tx, destination.id, limits.digest_above).await?;
            let rows = claim_for(
                &mut tx,
                destination.id,
                room.min(budget),
                limits.lease,
                worker.key(),
            )
            .await?;
            sqlx::query(
                "UPDATE alert_destinations SET rate_window_sent = rate_window_sent + $2 WHERE id = $1",
            )
            .bind(destination.id)
            .bind(rows.len() as i32)
            .execute(&mut *tx)
            .await?;
            for r in rows {
                claimed.push(ClaimedDelivery {
                    id: r.0,
                    attempts: r.1,
                    trigger: r.2.parse()?,
                    issue_id: r.3,
                    event_id: r.4,
                    detail: r.5,
                    created_at: r.6,
                    destination: destination.clone(),
                });
            }
        }
        tx.commit().await?;
        Ok(claimed)
    }

    /// Records the outcome of the attempt claimed as number `attempts`. A
    /// claim that lapsed and was taken over by another worker is left alone
    /// (returns false).
    pub async fn finish_delivery(
        &self,
        id: i64,
        attempts: i32,
        outcome: &AttemptOutcome,
    ) -> Result<bool> {
        let (state, next, status, error) = match outcome {
            AttemptOutcome::Delivered { status } => ("delivered", None, Some(*status), None),
            AttemptOutcome::Retry { at, status, error } => {
                ("pending", Some(*at), *status, Some(error.as_str()))
            }
            AttemptOutcome::Failed { status, error } => {
                ("failed", None, *status, Some(error.as_str()))
            }
        };
        let done = sqlx::query(
            "UPDATE alert_deliveries SET state = $3, \
               next_attempt_at = coalesce($4, next_attempt_at), \
               last_status = $5, last_error = $6, \
               delivered_at = CASE WHEN $3 = 'delivered' THEN now() END \
             WHERE id = $1 AND attempts = $2 AND state = 'sending'",
        )
        .bind(id)
        .bind(attempts)
        .bind(state)
        .bind(next)
        .bind(status)
        .bind(error.map(crate::write::pg_text))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The deliveries of a destination, newest first.
    pub async fn alert_deliveries(
        &self,
        destination_id: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>> {
        let rows: Vec<RawDelivery> = sqlx::query_as(&format!(
            "SELECT {DELIVERY_COLUMNS} FROM alert_deliveries WHERE destination_id = $1 \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(destination_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(DeliveryRow::try_from).collect()
    }
}

/// SQL condition on a delivery `x`: claimed, but its claim lapsed or its
/// claimer is gone.
fn abandoned() -> String {
    format!(
        "(x.state = 'sending' AND (x.next_attempt_at <= now() OR {}))",
        claimer_gone()
    )
}

/// SQL condition on a delivery `x`: to be sent now (first send, retry due,
/// or taken over).
fn due() -> String {
    format!(
        "((x.state = 'pending' AND x.next_attempt_at <= now()) OR {})",
        abandoned()
    )
}

/// Messages the destination may still send in its current minute (a fixed
/// window, restarted when a minute has passed).
async fn rate_budget(conn: &mut PgConnection, destination: i64, per_minute: i32) -> Result<i64> {
    let sent: i32 = sqlx::query_scalar(
        "UPDATE alert_destinations SET \
           rate_window_sent = CASE WHEN rate_window_start <= now() - interval '1 minute' \
                                   THEN 0 ELSE rate_window_sent END, \
           rate_window_start = CASE WHEN rate_window_start <= now() - interval '1 minute' \
                                    THEN now() ELSE rate_window_start END \
         WHERE id = $1 RETURNING rate_window_sent",
    )
    .bind(destination)
    .fetch_one(&mut *conn)
    .await?;
    Ok(i64::from(per_minute - sent))
}

/// When more than `above` first attempts of new-issue alerts are waiting
/// for the destination, replaces them with one digest delivery.
async fn form_digest(conn: &mut PgConnection, destination: i64, above: i64) -> Result<()> {
    let members: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM alert_deliveries \
         WHERE destination_id = $1 AND trigger = 'new' AND state = 'pending' AND attempts = 0 \
           AND next_attempt_at <= now() \
         ORDER BY id FOR UPDATE SKIP LOCKED",
    )
    .bind(destination)
    .fetch_all(&mut *conn)
    .await?;
    if (members.len() as i64) <= above {
        return Ok(());
    }
    let digest: i64 = sqlx::query_scalar(
        "INSERT INTO alert_deliveries (destination_id, dedup_key, trigger, detail) \
         VALUES ($1, 'digest:' || $2, 'digest', jsonb_build_object('count', $3::int8)) \
         RETURNING id",
    )
    .bind(destination)
    .bind(members[0])
    .bind(members.len() as i64)
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE alert_deliveries SET state = 'digested', digest_id = $2 WHERE id = ANY($1)",
    )
    .bind(&members)
    .bind(digest)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

type ClaimedRow = (
    i64,
    i32,
    String,
    Option<i64>,
    Option<Uuid>,
    serde_json::Value,
    DateTime<Utc>,
);

async fn claim_for(
    conn: &mut PgConnection,
    destination: i64,
    n: i64,
    lease: Duration,
    worker: i32,
) -> Result<Vec<ClaimedRow>> {
    Ok(sqlx::query_as(&format!(
        "UPDATE alert_deliveries SET state = 'sending', attempts = attempts + 1, claimed_by = $4, \
           last_attempt_at = now(), next_attempt_at = now() + make_interval(secs => $3) \
         WHERE id IN ( \
           SELECT id FROM alert_deliveries x WHERE destination_id = $1 AND {} \
           ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) \
         RETURNING id, attempts, trigger, issue_id, event_id, detail, created_at",
        due()
    ))
    .bind(destination)
    .bind(n)
    .bind(lease.as_secs_f64())
    .bind(worker)
    .fetch_all(&mut *conn)
    .await?)
}
