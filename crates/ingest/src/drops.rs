//! Counting what ingest accepts but does not store. Counted in memory on the
//! request path (no database round trip), flushed to `ingest_drops`
//! periodically and at shutdown, and logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use moth_storage::drops::DropCount;
use moth_storage::Database;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Why an item was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// An item type Moth does not store (sessions, transactions, spans...).
    NotStored,
    /// An event item that is not valid JSON / not an object.
    InvalidEvent,
    /// A user report or feedback item that could not be read.
    InvalidUserReport,
    /// A second event item in one envelope (at most one is allowed).
    DuplicateItem,
    /// Attachments with no event to belong to.
    AttachmentWithoutEvent,
}

impl DropReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::NotStored => "not_stored",
            Self::InvalidEvent => "invalid_event",
            Self::InvalidUserReport => "invalid_user_report",
            Self::DuplicateItem => "duplicate_item",
            Self::AttachmentWithoutEvent => "attachment_without_event",
        }
    }
}

type Key = (i64, DropReason, String);

/// In-memory drop counters, shared by request handlers.
#[derive(Default)]
pub struct DropCounter {
    counts: Mutex<HashMap<Key, i64>>,
}

/// Distinct counters kept before a forced flush (bounds memory).
const MAX_KEYS: usize = 10_000;

impl DropCounter {
    pub fn record(&self, project_id: i64, reason: DropReason, item_type: &str) {
        let mut counts = self.counts.lock().expect("drop counter lock");
        if counts.len() >= MAX_KEYS
            && !counts.contains_key(&(project_id, reason, item_type.to_string()))
        {
            // Extremely many distinct unknown item types: keep counting under one name.
            *counts
                .entry((project_id, reason, "other".into()))
                .or_default() += 1;
            return;
        }
        *counts
            .entry((project_id, reason, item_type.to_string()))
            .or_default() += 1;
    }

    fn take(&self) -> Vec<DropCount> {
        let counts = std::mem::take(&mut *self.counts.lock().expect("drop counter lock"));
        counts
            .into_iter()
            .map(|((project_id, reason, item_type), count)| DropCount {
                project_id,
                reason: reason.as_str().into(),
                item_type,
                count,
            })
            .collect()
    }

    /// Writes the counters to the database.
    pub async fn flush(&self, db: &Database) {
        let rows = self.take();
        if rows.is_empty() {
            return;
        }
        let errors: i64 = rows
            .iter()
            .filter(|r| r.reason != "not_stored")
            .map(|r| r.count)
            .sum();
        if errors > 0 {
            tracing::info!(
                items = errors,
                "dropped invalid ingest items (see ingest_drops)"
            );
        }
        if let Err(e) = db.add_ingest_drops(&rows).await {
            tracing::warn!(error = %e, "could not save drop counters; they are lost");
        }
    }
}

/// The periodic flusher; stop it with [`DropFlusher::stop`].
pub struct DropFlusher {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl DropFlusher {
    pub fn start(counter: Arc<DropCounter>, db: Database, every: Duration) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => counter.flush(&db).await,
                    _ = stopped.changed() => {
                        counter.flush(&db).await;
                        return;
                    }
                }
            }
        });
        Self { stop, task }
    }

    /// Flushes one last time and stops.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
