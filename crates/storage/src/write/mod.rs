//! The ingest write path: a batch of events stored in one transaction.
//!
//! For each batch: resolve grouping hashes to issues (creating issues under
//! advisory locks so that concurrent writers, even in other processes, never
//! create two issues for one hash), insert the events (ids already stored
//! are SDK retries and are skipped by the insert itself), then update every
//! counter, the issue states, the activity log and the alert outbox — all
//! set-based, all in the same transaction, so a committed event always comes
//! with its counts and its alerts. Tag value counts (but `user`) and the
//! issues' own counters go to logs in that transaction and reach their
//! rows at the next fold ([`tag_counts`], [`issue_counts`]), which every
//! reader of them runs first.
//!
//! Each statement is a round trip, and on a busy two-core machine a round
//! trip costs far more than the work PostgreSQL does for it, so the batch
//! uses as few statements as it can (see [`EventWriter`]).

pub(crate) mod count_logs;
mod counters;
mod grouping;
pub mod issue_counts;
mod issue_update;
pub mod tag_counts;

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, Connection, PgConnection, Postgres};
use uuid::Uuid;

use crate::{Database, Result, StorageError};

/// One event ready to be stored: everything computed by ingest beforehand.
#[derive(Debug, Clone)]
pub struct EventToStore {
    pub project_id: i64,
    pub event_id: Uuid,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// Stored level number (see [`crate::issues::level`]).
    pub level: i16,
    pub platform: String,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub transaction: Option<String>,
    /// How this event's user is counted (`id:…`, `email:…`, `ip:…`).
    pub user_ident: Option<String>,
    pub title: String,
    pub culprit: String,
    /// `error` or `default`.
    pub issue_kind: String,
    pub metadata: serde_json::Value,
    pub tags: Vec<(String, String)>,
    /// Grouping hashes, primary first; never empty.
    pub hashes: Vec<String>,
    pub grouping_version: String,
    /// The event as kept in the `payload` column: see [`crate::payload`].
    pub payload: Vec<u8>,
    pub attachments: Vec<AttachmentToStore>,
}

/// An attachment that came in the same envelope as its event.
#[derive(Debug, Clone)]
pub struct AttachmentToStore {
    pub filename: String,
    pub content_type: Option<String>,
    pub attachment_type: String,
    pub data: Vec<u8>,
}

/// What happened to each event of a batch, in input order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOutcome {
    Stored {
        issue_id: i64,
        new_issue: bool,
    },
    /// This event id was already stored for the project (SDK retry).
    Duplicate,
}

impl Database {
    /// Stores a batch of events in one transaction; see the module docs.
    pub async fn store_events(&self, events: &[EventToStore]) -> Result<Vec<StoreOutcome>> {
        self.store_events_in_shard(events, 0).await
    }

    /// [`Database::store_events`] for concurrent writers: each passes its
    /// own `shard` so that their per-project counters never contend.
    pub async fn store_events_in_shard(
        &self,
        events: &[EventToStore],
        shard: i16,
    ) -> Result<Vec<StoreOutcome>> {
        self.event_writer(shard).store(events).await
    }

    /// A writer that keeps its connection between batches.
    pub fn event_writer(&self, shard: i16) -> EventWriter {
        EventWriter {
            db: self.clone(),
            shard,
            conn: None,
        }
    }
}

/// Stores batches for one writer task. It holds one pooled connection from
/// batch to batch, which saves the pool's health-check round trip on every
/// batch; after any error the connection is closed instead of reused, and
/// the next batch takes a fresh one.
pub struct EventWriter {
    db: Database,
    shard: i16,
    conn: Option<PoolConnection<Postgres>>,
}

impl EventWriter {
    /// Stores a batch of events in one transaction; see the module docs.
    pub async fn store(&mut self, events: &[EventToStore]) -> Result<Vec<StoreOutcome>> {
        let result = self.try_store(events).await;
        if result.is_err() {
            if let Some(mut conn) = self.conn.take() {
                conn.close_on_drop();
            }
        }
        result
    }

    /// Gives back the memory the connection's buffers grew to: a batch's
    /// statement carries every payload of the batch (up to megabytes),
    /// and the buffers keep their largest size. Call when the writer goes
    /// idle; the next batch grows them again as needed.
    pub fn shrink_buffers(&mut self) {
        if let Some(conn) = &mut self.conn {
            conn.shrink_buffers();
        }
    }

    async fn try_store(&mut self, events: &[EventToStore]) -> Result<Vec<StoreOutcome>> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self.conn.insert(self.db.pool().acquire().await?),
        };
        let mut tx = conn.begin().await?;
        let outcomes = write_batch(&mut tx, events, self.shard).await?;
        tx.commit().await?;
        Ok(outcomes)
    }
}

async fn write_batch(
    conn: &mut PgConnection,
    events: &[EventToStore],
    shard: i16,
) -> Result<Vec<StoreOutcome>> {
    let now = Utc::now();
    let mut outcomes = vec![StoreOutcome::Duplicate; events.len()];

    // 1. Event ids repeated within the batch (ids stored before are found
    //    by the insert in step 3).
    let mut seen = HashSet::new();
    let fresh: Vec<usize> = (0..events.len())
        .filter(|&i| seen.insert((events[i].project_id, events[i].event_id)))
        .collect();

    // 2. Hashes → issues, creating the issues that do not exist yet.
    let resolved = grouping::resolve_issues(conn, events, &fresh).await?;

    // Lock the issues now, in id order, before anything else touches rows
    // they share with other batches (tag values, hourly counts): concurrent
    // batches on the same issues then queue up instead of deadlocking.
    // NO KEY UPDATE: compatible with the KEY SHARE locks of foreign keys.
    let mut issue_ids: Vec<i64> = resolved.issue_of.values().copied().collect();
    issue_ids.sort_unstable();
    issue_ids.dedup();
    let locked = issue_update::lock_issues(conn, &issue_ids).await?;
    if locked.len() != issue_ids.len() {
        // An issue was deleted or merged away after its hashes were read
        // (nothing else guards events.issue_id): resolve again.
        return Err(StorageError::Retry(
            "an issue of the batch was deleted or merged while it was written",
        ));
    }

    // 3. The events themselves; an id stored before (an SDK retry, or a
    //    concurrent writer's) is a duplicate, and an issue created for
    //    duplicates only is removed again.
    let inserted = insert_events(conn, events, &fresh, &resolved.issue_of).await?;
    let stored: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|&i| inserted.contains(&(events[i].project_id, events[i].event_id)))
        .collect();
    let orphans: Vec<i64> = resolved
        .new_issues
        .iter()
        .copied()
        .filter(|id| !stored.iter().any(|&i| resolved.issue_of[&i] == *id))
        .collect();
    if !orphans.is_empty() {
        sqlx::query("DELETE FROM issues WHERE id = ANY($1)")
            .bind(&orphans)
            .execute(&mut *conn)
            .await?;
    }
    if stored.is_empty() {
        return Ok(outcomes);
    }
    insert_attachments(conn, events, &stored).await?;

    // 4. Counters, states, activity and alert signals.
    let new_users = counters::update_tag_values(conn, events, &stored, &resolved.issue_of).await?;
    counters::update_counts_and_releases(conn, events, &stored, &resolved.issue_of, shard).await?;
    issue_update::apply(conn, events, &stored, &resolved, locked, &new_users, now).await?;

    let new_issues: HashSet<i64> = resolved.new_issues.iter().copied().collect();
    for &i in &stored {
        let issue_id = resolved.issue_of[&i];
        outcomes[i] = StoreOutcome::Stored {
            issue_id,
            new_issue: new_issues.contains(&issue_id),
        };
    }
    Ok(outcomes)
}

async fn insert_events(
    conn: &mut PgConnection,
    events: &[EventToStore],
    rows: &[usize],
    issue_of: &HashMap<usize, i64>,
) -> Result<HashSet<(i64, Uuid)>> {
    let n = rows.len();
    let mut project = Vec::with_capacity(n);
    let mut event_id = Vec::with_capacity(n);
    let mut issue = Vec::with_capacity(n);
    let mut timestamp = Vec::with_capacity(n);
    let mut received = Vec::with_capacity(n);
    let mut level = Vec::with_capacity(n);
    let mut platform = Vec::with_capacity(n);
    let mut release = Vec::with_capacity(n);
    let mut environment = Vec::with_capacity(n);
    let mut transaction = Vec::with_capacity(n);
    let mut user = Vec::with_capacity(n);
    let mut title = Vec::with_capacity(n);
    let mut payload: Vec<&[u8]> = Vec::with_capacity(n);
    // The encoded arguments are mostly the payloads: sized up front, the
    // buffer is not copied over and over as it doubles (a batch's
    // arguments run to megabytes).
    let mut encoded = n * ROW_ARGUMENT_BYTES;
    for &i in rows {
        let e = &events[i];
        project.push(e.project_id);
        event_id.push(e.event_id);
        issue.push(issue_of[&i]);
        timestamp.push(e.timestamp);
        received.push(e.received_at);
        level.push(e.level);
        platform.push(pg_text(&e.platform));
        release.push(e.release.as_deref().map(pg_text));
        environment.push(e.environment.as_deref().map(pg_text));
        transaction.push(e.transaction.as_deref().map(pg_text));
        user.push(e.user_ident.as_deref().map(pg_text));
        title.push(pg_text(&e.title));
        payload.push(&e.payload);
        encoded += e.payload.len() + e.title.len() + e.platform.len();
    }
    let mut arguments = PgArguments::default();
    arguments.reserve(13, encoded);
    let inserted: Vec<(i64, Uuid)> = sqlx::query_as_with(
        "INSERT INTO events (project_id, event_id, issue_id, timestamp, received_at, level, platform, \
                             release, environment, transaction, user_ident, title, payload) \
         SELECT * FROM UNNEST($1::int8[], $2::uuid[], $3::int8[], $4::timestamptz[], $5::timestamptz[], \
                              $6::int2[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], \
                              $12::text[], $13::bytea[]) \
         ON CONFLICT (project_id, event_id) DO NOTHING \
         RETURNING project_id, event_id",
        arguments,
    )
    .bind(&project)
    .bind(&event_id)
    .bind(&issue)
    .bind(&timestamp)
    .bind(&received)
    .bind(&level)
    .bind(&platform)
    .bind(&release)
    .bind(&environment)
    .bind(&transaction)
    .bind(&user)
    .bind(&title)
    .bind(&payload)
    .fetch_all(&mut *conn)
    .await?;
    Ok(inserted.into_iter().collect())
}

/// Encoded bytes of one event row besides its payload, title and platform:
/// a length word per value, the fixed-size values, and room for the short
/// optional texts (release, environment, transaction, user).
const ROW_ARGUMENT_BYTES: usize = 13 * 4 + 8 + 16 + 8 + 8 + 8 + 2 + 4 * 32;

async fn insert_attachments(
    conn: &mut PgConnection,
    events: &[EventToStore],
    stored: &[usize],
) -> Result<()> {
    let mut project = Vec::new();
    let mut event_id = Vec::new();
    let mut filename = Vec::new();
    let mut content_type = Vec::new();
    let mut kind = Vec::new();
    let mut size = Vec::new();
    let mut data: Vec<&[u8]> = Vec::new();
    for &i in stored {
        for a in &events[i].attachments {
            project.push(events[i].project_id);
            event_id.push(events[i].event_id);
            filename.push(pg_text(&a.filename));
            content_type.push(a.content_type.as_deref().map(pg_text));
            kind.push(pg_text(&a.attachment_type));
            size.push(a.data.len() as i64);
            data.push(&a.data);
        }
    }
    if project.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO event_attachments (project_id, event_id, filename, content_type, attachment_type, size, data) \
         SELECT * FROM UNNEST($1::int8[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::bytea[])",
    )
    .bind(&project)
    .bind(&event_id)
    .bind(&filename)
    .bind(&content_type)
    .bind(&kind)
    .bind(&size)
    .bind(&data)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// PostgreSQL text cannot hold NUL characters; event data may.
/// Borrowed unless there is one to remove (almost never).
pub(crate) fn pg_text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        Cow::Borrowed(s)
    }
}
