//! The write pipeline: bounded queues of prepared events drained by writer
//! tasks that store many events per transaction (one commit, one fsync, for
//! the whole batch). A request is answered only after the transaction that
//! holds its event committed. The queues never hold more than the
//! admission bound lets in (see [`crate::admission`]), which is where
//! overload is refused with 429; a full queue answers 429 as well.
//!
//! Each writer has its own queue, and events are routed by their primary
//! grouping hash: all events of an issue go through one writer, so
//! concurrent transactions lock disjoint issue rows and never wait on each
//! other.
//!
//! Beside the writers, a folder task moves the counts the batches logged
//! into the issues and their tag counters once a second (see
//! [`moth_storage::write::issue_counts`] and
//! [`moth_storage::write::tag_counts`]).

use std::time::Duration;

use moth_storage::write::{EventToStore, EventWriter, StoreOutcome};
use moth_storage::{Database, StorageError};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::IngestError;

/// Tuning of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Ingest requests worked on at once, from reading the body until the
    /// commit (see [`crate::admission`]); beyond this, requests get 429.
    /// Each writer's queue can hold all of them.
    pub queue_capacity: usize,
    /// Most events per transaction.
    pub max_batch: usize,
    /// Concurrent writer tasks (each one transaction at a time).
    pub writers: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 512,
            max_batch: 256,
            writers: 2,
        }
    }
}

struct Job {
    event: EventToStore,
    reply: oneshot::Sender<Result<StoreOutcome, IngestError>>,
}

/// The handle request handlers submit events through. Cheap to clone.
#[derive(Clone)]
pub struct WritePipeline {
    queues: std::sync::Arc<[mpsc::Sender<Job>]>,
}

/// A writer that has had no event for this long hands back the memory
/// its database connection's buffers grew to under load.
const WRITER_IDLE_AFTER: Duration = Duration::from_secs(1);

/// How often logged counts are folded into the counters.
const FOLD_EVERY: Duration = Duration::from_secs(1);

/// Owns the writer tasks; [`PipelineWorkers::drain`] waits until every
/// queued event is written (after all [`WritePipeline`] handles are dropped).
pub struct PipelineWorkers {
    tasks: Vec<JoinHandle<()>>,
    folder: JoinHandle<()>,
    stop_folding: oneshot::Sender<()>,
}

impl WritePipeline {
    pub fn start(db: Database, config: PipelineConfig) -> (Self, PipelineWorkers) {
        let writers = config.writers.max(1);
        let per_queue = config.queue_capacity.max(1);
        let mut queues = Vec::with_capacity(writers);
        let mut tasks = Vec::with_capacity(writers);
        for shard in 0..writers {
            let (tx, rx) = mpsc::channel(per_queue);
            queues.push(tx);
            tasks.push(tokio::spawn(writer(
                db.clone(),
                rx,
                config.max_batch.max(1),
                shard as i16,
            )));
        }
        let (stop_folding, stop) = oneshot::channel();
        let folder = tokio::spawn(folder(db, stop));
        (
            Self {
                queues: queues.into(),
            },
            PipelineWorkers {
                tasks,
                folder,
                stop_folding,
            },
        )
    }

    /// Queues an event and waits until it is committed (or found to be a
    /// duplicate). Full queue → [`IngestError::QueueFull`] immediately.
    pub async fn store(&self, event: EventToStore) -> Result<StoreOutcome, IngestError> {
        let queue = &self.queues[route(&event, self.queues.len())];
        let (reply, answer) = oneshot::channel();
        queue.try_send(Job { event, reply }).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => IngestError::QueueFull,
            mpsc::error::TrySendError::Closed(_) => IngestError::DatabaseUnavailable,
        })?;
        answer
            .await
            .map_err(|_| IngestError::Internal("the writer dropped an event".into()))?
    }
}

/// The writer for an event: by its primary grouping hash (FNV-1a), so that
/// one issue's events always meet in one writer.
fn route(event: &EventToStore, writers: usize) -> usize {
    let key = event
        .hashes
        .first()
        .map(String::as_bytes)
        .unwrap_or_default();
    let h = key.iter().fold(0xcbf29ce484222325u64, |acc, b| {
        (acc ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    });
    (h % writers as u64) as usize
}

impl PipelineWorkers {
    /// Waits for the writers to finish the queue. Call after the HTTP server
    /// stopped (so no handle can submit anymore).
    pub async fn drain(self) {
        for task in self.tasks {
            let _ = task.await;
        }
        // A last fold, so that a stopped server leaves no count in the logs
        // (the next start would fold them anyway).
        let _ = self.stop_folding.send(());
        let _ = self.folder.await;
    }
}

/// Folds the count logs every [`FOLD_EVERY`] until told to stop, then
/// once more.
async fn folder(db: Database, mut stop: oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(FOLD_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let stopping = tokio::select! {
            _ = tick.tick() => false,
            _ = &mut stop => true,
        };
        log_fold("issue counts", db.fold_issue_counts().await);
        log_fold("tag counts", db.fold_tag_counts().await);
        if stopping {
            return;
        }
    }
}

/// One fold's outcome in the log: `rows` is what the fold moved (issues
/// or tag counters); a failed fold is retried on the next tick.
fn log_fold(counts: &str, result: Result<u64, StorageError>) {
    match result {
        Ok(0) => {}
        Ok(rows) => tracing::debug!(rows, "folded {counts}"),
        Err(e) => tracing::warn!(error = %e, "folding {counts} failed; retrying next time"),
    }
}

async fn writer(db: Database, mut rx: mpsc::Receiver<Job>, max_batch: usize, shard: i16) {
    let mut db = db.event_writer(shard);
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    loop {
        let job = match tokio::time::timeout(WRITER_IDLE_AFTER, rx.recv()).await {
            Ok(Some(job)) => job,
            Ok(None) => return,
            Err(_) => {
                db.shrink_buffers();
                match rx.recv().await {
                    Some(job) => job,
                    None => return,
                }
            }
        };
        batch.push(job);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        write(&mut db, &mut batch).await;
    }
}

/// Writes one batch and answers every job in it.
async fn write(db: &mut EventWriter, batch: &mut Vec<Job>) {
    let (events, replies): (Vec<EventToStore>, Vec<_>) =
        batch.drain(..).map(|j| (j.event, j.reply)).unzip();
    let started = std::time::Instant::now();
    let result = store_with_retry(db, &events).await;
    tracing::debug!(
        events = events.len(),
        ms = started.elapsed().as_millis() as u64,
        "wrote a batch"
    );
    match result {
        Ok(outcomes) => {
            for (reply, outcome) in replies.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
        }
        Err(e) if e.is_unavailable() => {
            tracing::warn!(events = events.len(), "database unavailable: answering 503");
            for reply in replies {
                let _ = reply.send(Err(IngestError::DatabaseUnavailable));
            }
        }
        Err(e) => {
            // One bad event must not fail its neighbours: write them alone.
            if events.len() > 1 {
                tracing::warn!(error = %e, events = events.len(), "batch failed; retrying event by event");
            }
            for (event, reply) in events.iter().zip(replies) {
                let result = if events.len() > 1 {
                    store_with_retry(db, std::slice::from_ref(event))
                        .await
                        .map(|mut o| o.remove(0))
                } else {
                    Err(StorageError::Invalid(e.to_string()))
                };
                let _ = reply.send(result.map_err(|e| {
                    tracing::error!(error = ?e, event_id = %event.event_id, "storing an event failed");
                    IngestError::from(e)
                }));
            }
        }
    }
}

/// Retries transient conflicts (deadlock, serialization failure) a few times.
async fn store_with_retry(
    db: &mut EventWriter,
    events: &[EventToStore],
) -> Result<Vec<StoreOutcome>, StorageError> {
    let mut attempt = 0;
    loop {
        match db.store(events).await {
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                tracing::debug!(error = %e, attempt, "retrying a batch after a transient conflict");
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            other => return other,
        }
    }
}
