//! Sign-in attempts, recorded so that throttling is shared by every Moth
//! process on the database. The policy (limits, windows) belongs to the
//! caller; this module only records and counts.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::sessions::truncate;
use crate::{Database, Result};

/// Recent failures around one sign-in attempt, newest first, each list cut
/// at the limit the caller asked for.
#[derive(Debug, Clone, FromRow)]
pub struct RecentFailures {
    /// Failures for this email since its last successful sign-in.
    pub account: Vec<DateTime<Utc>>,
    /// Failures from this address, for any email.
    pub address: Vec<DateTime<Utc>>,
    /// Failures for this email from this address since its last success.
    pub account_from_address: Vec<DateTime<Utc>>,
    /// Whether this address signed in to this email successfully within the
    /// trust period.
    pub address_trusted: bool,
    /// The database's clock, so that every node computes the same waits.
    pub now: DateTime<Utc>,
}

/// What to count in [`Database::recent_login_failures`].
#[derive(Debug, Clone, Copy)]
pub struct FailureQuery {
    /// Failures older than this are forgotten.
    pub window: Duration,
    /// How far back a success makes an address trusted for an account.
    pub trust_period: Duration,
    /// Longest list wanted per key (the limit being checked).
    pub max_per_key: i64,
}

/// The key an email is counted under: trimmed, lowercased, bounded.
pub fn attempt_key(email: &str) -> String {
    truncate(email.trim(), 320).to_lowercase()
}

impl Database {
    /// Failures relevant to a sign-in for `email` from `client_addr`.
    pub async fn recent_login_failures(
        &self,
        email: &str,
        client_addr: &str,
        q: FailureQuery,
    ) -> Result<RecentFailures> {
        Ok(sqlx::query_as(
            "WITH last_success AS (
                 SELECT coalesce(max(attempted_at), '-infinity') AS at
                 FROM login_attempts WHERE email = $1 AND succeeded
             ), since AS (
                 SELECT greatest(now() - make_interval(secs => $3), (SELECT at FROM last_success)) AS at
             )
             SELECT
               ARRAY(SELECT attempted_at FROM login_attempts
                     WHERE email = $1 AND NOT succeeded AND attempted_at > (SELECT at FROM since)
                     ORDER BY attempted_at DESC LIMIT $5) AS account,
               ARRAY(SELECT attempted_at FROM login_attempts
                     WHERE client_addr = $2 AND NOT succeeded
                       AND attempted_at > now() - make_interval(secs => $3)
                     ORDER BY attempted_at DESC LIMIT $5) AS address,
               ARRAY(SELECT attempted_at FROM login_attempts
                     WHERE email = $1 AND client_addr = $2 AND NOT succeeded
                       AND attempted_at > (SELECT at FROM since)
                     ORDER BY attempted_at DESC LIMIT $5) AS account_from_address,
               EXISTS(SELECT 1 FROM login_attempts
                      WHERE email = $1 AND client_addr = $2 AND succeeded
                        AND attempted_at > now() - make_interval(secs => $4)) AS address_trusted,
               now() AS now",
        )
        .bind(attempt_key(email))
        .bind(client_addr)
        .bind(q.window.as_secs_f64())
        .bind(q.trust_period.as_secs_f64())
        .bind(q.max_per_key)
        .fetch_one(self.pool())
        .await?)
    }

    /// Records an attempt and forgets failures older than `keep_failures`
    /// and successes older than `keep_successes`.
    pub async fn record_login_attempt(
        &self,
        email: &str,
        client_addr: &str,
        succeeded: bool,
        keep_failures: Duration,
        keep_successes: Duration,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO login_attempts (email, client_addr, succeeded) VALUES ($1, $2, $3)",
        )
        .bind(attempt_key(email))
        .bind(client_addr)
        .bind(succeeded)
        .execute(self.pool())
        .await?;
        sqlx::query(
            "DELETE FROM login_attempts
             WHERE attempted_at < now() - make_interval(secs => $1)
                OR (NOT succeeded AND attempted_at < now() - make_interval(secs => $2))",
        )
        .bind(keep_successes.as_secs_f64())
        .bind(keep_failures.as_secs_f64())
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
