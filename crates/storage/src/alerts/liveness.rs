//! Which alerts workers are alive, told by PostgreSQL itself: each worker
//! holds a session advisory lock on its own key for as long as it runs, on
//! a connection of its own. When its process dies, PostgreSQL ends the
//! session and drops the lock at once, so the deliveries that worker had
//! claimed can be taken over right away instead of after their lease.

use rand::Rng;
use sqlx::{Connection, PgConnection};

use crate::{Database, Result};

/// The advisory-lock namespace of alerts workers ("Moth" in ASCII).
pub(super) const LOCK_SPACE: i32 = 0x4D6F_7468;

/// SQL condition, for a row aliased `x` of `alert_deliveries`: the worker
/// that claimed it no longer holds its lock in this database. (A lock on
/// two `int4` keys shows in `pg_locks` as classid, objid, objsubid 2.)
pub(super) fn claimer_gone() -> String {
    format!(
        "NOT EXISTS ( \
           SELECT 1 FROM pg_locks l \
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2 \
             AND l.classid = {LOCK_SPACE} AND l.objid = x.claimed_by::oid \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))"
    )
}

/// A running worker's identity and proof of life; see the module docs.
#[derive(Debug)]
pub struct WorkerLock {
    conn: PgConnection,
    key: i32,
}

impl WorkerLock {
    /// The key deliveries claimed by this worker record in `claimed_by`.
    pub fn key(&self) -> i32 {
        self.key
    }

    /// A round trip on the lock's connection: an error means the session
    /// (and so the lock) may be gone, and the worker must take a new one
    /// before claiming again.
    pub async fn check(&mut self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&mut self.conn).await?;
        Ok(())
    }

    /// Releases the lock and closes its connection.
    pub async fn release(mut self) {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1, $2)")
            .bind(LOCK_SPACE)
            .bind(self.key)
            .execute(&mut self.conn)
            .await;
        let _ = self.conn.close().await;
    }
}

impl Database {
    /// Takes a new worker identity: a free key, locked on a connection
    /// detached from the pool (so that the pool keeps its full size).
    pub async fn acquire_worker_lock(&self) -> Result<WorkerLock> {
        let mut conn = self.pool().acquire().await?.detach();
        loop {
            let key = rand::thread_rng().gen_range(1..i32::MAX);
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(LOCK_SPACE)
                .bind(key)
                .fetch_one(&mut conn)
                .await?;
            if locked {
                return Ok(WorkerLock { conn, key });
            }
        }
    }
}
