//! What the two count logs have in common: batches append to them, and
//! folding moves them into their counters, in a transaction of its own
//! (the pipeline's folder, once a second) or before a read of the
//! counters. See [`super::tag_counts`] and [`super::issue_counts`].

use sqlx::{Connection, PgConnection};

use super::{issue_counts, tag_counts};
use crate::{Database, Result};

/// One of the logs batches append their counts to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CountLog {
    /// `issue_tag_count_log`, folded into `issue_tag_values`.
    Tags,
    /// `issue_count_log`, folded into `issues`.
    Issues,
}

impl CountLog {
    fn table(self) -> &'static str {
        match self {
            CountLog::Tags => "issue_tag_count_log",
            CountLog::Issues => "issue_count_log",
        }
    }

    /// What the log counts, for messages.
    fn counts(self) -> &'static str {
        match self {
            CountLog::Tags => "tag counts",
            CountLog::Issues => "issue counts",
        }
    }

    async fn fold(self, conn: &mut PgConnection) -> Result<u64> {
        match self {
            CountLog::Tags => tag_counts::fold(conn).await,
            CountLog::Issues => issue_counts::fold(conn).await,
        }
    }
}

impl Database {
    /// Folds every committed row of the tag count log into
    /// `issue_tag_values`; returns how many counter rows were written.
    /// Counts of issues deleted meanwhile are dropped with their log rows.
    pub async fn fold_tag_counts(&self) -> Result<u64> {
        self.fold_count_log(CountLog::Tags).await
    }

    /// Folds every committed row of the issue count log into `issues`;
    /// returns how many issues were written. Counts of issues deleted
    /// meanwhile are dropped with their log rows.
    pub async fn fold_issue_counts(&self) -> Result<u64> {
        self.fold_count_log(CountLog::Issues).await
    }

    /// Folds before a read of `log`'s counters. A failure is logged, not
    /// returned: the read then shows counts up to a second old.
    pub(crate) async fn fold_before_read(&self, log: CountLog) {
        if log_is_empty(self, log.table()).await {
            return;
        }
        if let Err(e) = self.fold_count_log(log).await {
            tracing::warn!(error = %e, "folding {} before a read failed", log.counts());
        }
    }

    async fn fold_count_log(&self, log: CountLog) -> Result<u64> {
        let mut conn = self.pool().acquire().await?;
        let mut tx = conn.begin().await?;
        lock_folding(&mut tx).await?;
        let written = log.fold(&mut tx).await?;
        tx.commit().await?;
        // The fold read the log whole (up to megabytes under load), and a
        // connection's buffers keep the size of the largest message they
        // carried: handed back here, once per fold, an idle server holds
        // none of them.
        conn.shrink_buffers();
        Ok(written)
    }
}

/// Whether a count log has no row, checked before a read folds it: most
/// reads find it empty (nothing stored in the last second), and seeing
/// that is one round trip, not a fold's four. An error counts as "not
/// empty": the fold then runs and reports it.
async fn log_is_empty(db: &Database, table: &'static str) -> bool {
    let query = format!("SELECT NOT EXISTS (SELECT 1 FROM {table})");
    let empty: std::result::Result<bool, sqlx::Error> =
        sqlx::query_scalar(&query).fetch_one(db.pool()).await;
    empty.unwrap_or(false)
}

/// Serialises folding with the issue actions that move or delete counters
/// (merge, delete). Those take it before they lock any issue, as folding
/// itself does, so the two never wait on each other in opposite orders.
pub(crate) async fn lock_folding(conn: &mut PgConnection) -> Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('moth.issue_tag_count_log'))")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
