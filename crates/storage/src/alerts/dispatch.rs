//! Creating delivery rows: one per outbox signal and interested destination,
//! and one per threshold crossing.

use chrono::{DateTime, Utc};

use crate::write::count_logs::CountLog;
use crate::{Database, Result};

impl Database {
    /// Turns up to `limit` undispatched outbox rows into delivery rows (one
    /// per enabled destination of the project that wants the trigger) and
    /// marks them dispatched, in one statement. Rows another process is
    /// dispatching are skipped, and the unique key of a delivery makes a
    /// repeated dispatch harmless. Returns how many outbox rows it took.
    pub async fn dispatch_outbox(&self, limit: i64) -> Result<u64> {
        let taken: Vec<i64> = sqlx::query_scalar(
            "WITH claimed AS ( \
               SELECT id, project_id, issue_id, trigger, event_id FROM alert_outbox \
               WHERE dispatched_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED \
             ), fanned AS ( \
               INSERT INTO alert_deliveries (destination_id, dedup_key, trigger, issue_id, event_id) \
               SELECT d.id, 'outbox:' || c.id, c.trigger, c.issue_id, c.event_id \
               FROM claimed c JOIN alert_destinations d \
                 ON d.project_id = c.project_id AND d.enabled AND c.trigger = ANY (d.triggers) \
               ORDER BY c.id, d.id \
               ON CONFLICT (destination_id, dedup_key) DO NOTHING \
               RETURNING 1 \
             ) \
             UPDATE alert_outbox SET dispatched_at = now() \
             WHERE id IN (SELECT id FROM claimed) RETURNING id",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(taken.len() as u64)
    }

    /// For destinations with a threshold whose last check is at least
    /// `every` old: adds a `threshold` delivery for each unresolved issue of
    /// the project with more than N events received in the last M minutes,
    /// unless one was made for that issue and destination within the last M
    /// minutes (so: at most once per issue per window). Returns the number
    /// of deliveries created.
    ///
    /// Cost stays bounded without an extra index on events: candidates are
    /// issues seen within the window with enough events in total, and for
    /// each only its newest N+1 events are read (through the
    /// `(issue_id, id DESC)` index) to count how many arrived in the window.
    pub async fn check_thresholds(
        &self,
        now: DateTime<Utc>,
        every: std::time::Duration,
    ) -> Result<u64> {
        // Candidates are picked by the issues' counters.
        self.fold_before_read(CountLog::Issues).await;
        let mut tx = self.pool().begin().await?;
        // Locked so that two processes never check one destination at once
        // (the "not within the window" test and the insert must not race).
        let due: Vec<(i64, i64, i32, i32)> = sqlx::query_as(
            "SELECT id, project_id, threshold_events, threshold_minutes FROM alert_destinations \
             WHERE enabled AND threshold_events IS NOT NULL \
               AND (threshold_checked_at IS NULL OR threshold_checked_at <= $1 - make_interval(secs => $2)) \
             ORDER BY id FOR NO KEY UPDATE SKIP LOCKED",
        )
        .bind(now)
        .bind(every.as_secs_f64())
        .fetch_all(&mut *tx)
        .await?;
        let mut created = 0;
        for (destination, project, events, minutes) in due {
            let done = sqlx::query(
                "INSERT INTO alert_deliveries (destination_id, dedup_key, trigger, issue_id, detail) \
                 SELECT $1, 'threshold:' || i.id || ':' || floor(extract(epoch FROM $5::timestamptz))::int8, \
                        'threshold', i.id, \
                        jsonb_build_object('events', $3::int4, 'minutes', $4::int4, 'count', c.n) \
                 FROM issues i \
                 CROSS JOIN LATERAL ( \
                   SELECT count(*) AS n FROM ( \
                     SELECT e.received_at FROM events e WHERE e.issue_id = i.id \
                     ORDER BY e.id DESC LIMIT $3::int8 + 1 \
                   ) latest WHERE latest.received_at > $5 - make_interval(mins => $4) \
                 ) c \
                 WHERE i.project_id = $2 AND i.status = 'unresolved' AND i.times_seen > $3 \
                   AND i.last_seen > $5 - make_interval(mins => $4) - interval '1 hour' \
                   AND c.n > $3 \
                   AND NOT EXISTS ( \
                     SELECT 1 FROM alert_deliveries x \
                     WHERE x.issue_id = i.id AND x.destination_id = $1 AND x.trigger = 'threshold' \
                       AND x.created_at > $5 - make_interval(mins => $4)) \
                 ORDER BY i.id LIMIT 100 \
                 ON CONFLICT (destination_id, dedup_key) DO NOTHING",
            )
            .bind(destination)
            .bind(project)
            .bind(events)
            .bind(minutes)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            created += done.rows_affected();
            sqlx::query("UPDATE alert_destinations SET threshold_checked_at = $2 WHERE id = $1")
                .bind(destination)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    /// Removes what no longer matters: outbox rows dispatched more than
    /// `keep_days` ago, and finished deliveries older than that (digest
    /// members go with their digest or on their own age).
    pub async fn prune_alert_history(&self, keep_days: i32) -> Result<u64> {
        let outbox = sqlx::query(
            "DELETE FROM alert_outbox WHERE dispatched_at < now() - make_interval(days => $1)",
        )
        .bind(keep_days)
        .execute(self.pool())
        .await?;
        let deliveries = sqlx::query(
            "DELETE FROM alert_deliveries \
             WHERE state IN ('delivered', 'failed', 'digested', 'cancelled') \
               AND created_at < now() - make_interval(days => $1)",
        )
        .bind(keep_days)
        .execute(self.pool())
        .await?;
        Ok(outbox.rows_affected() + deliveries.rows_affected())
    }
}
