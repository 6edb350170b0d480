//! The write pipeline: a bounded queue of prepared events drained by writer
//! tasks that store many events per transaction (one commit, one fsync, for
//! the whole batch). A request is answered only after the transaction that
//! holds its event committed; when the queue is full the request is refused
//! at once (429) instead of waiting or growing memory.

use std::sync::Arc;
use std::time::Duration;

use moth_storage::write::{EventToStore, StoreOutcome};
use moth_storage::{Database, StorageError};
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

use crate::error::IngestError;

/// Tuning of the pipeline.
#[derive(Debug, Clone, Copy)]
pub struct PipelineConfig {
    /// Events waiting to be written; beyond this, requests get 429.
    pub queue_capacity: usize,
    /// Most events per transaction.
    pub max_batch: usize,
    /// Concurrent writer tasks (each one transaction at a time).
    pub writers: usize,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 4096,
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
    tx: mpsc::Sender<Job>,
}

/// Owns the writer tasks; [`PipelineWorkers::drain`] waits until every
/// queued event is written (after all [`WritePipeline`] handles are dropped).
pub struct PipelineWorkers {
    tasks: Vec<JoinHandle<()>>,
}

impl WritePipeline {
    pub fn start(db: Database, config: PipelineConfig) -> (Self, PipelineWorkers) {
        let (tx, rx) = mpsc::channel(config.queue_capacity.max(1));
        let rx = Arc::new(Mutex::new(rx));
        let tasks = (0..config.writers.max(1))
            .map(|_| tokio::spawn(writer(db.clone(), rx.clone(), config.max_batch.max(1))))
            .collect();
        (Self { tx }, PipelineWorkers { tasks })
    }

    /// Queues an event and waits until it is committed (or found to be a
    /// duplicate). Full queue → [`IngestError::QueueFull`] immediately.
    pub async fn store(&self, event: EventToStore) -> Result<StoreOutcome, IngestError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .try_send(Job { event, reply })
            .map_err(|e| match e {
                mpsc::error::TrySendError::Full(_) => IngestError::QueueFull,
                mpsc::error::TrySendError::Closed(_) => IngestError::DatabaseUnavailable,
            })?;
        answer
            .await
            .map_err(|_| IngestError::Internal("the writer dropped an event".into()))?
    }

    /// Events waiting in the queue.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

impl PipelineWorkers {
    /// Waits for the writers to finish the queue. Call after the HTTP server
    /// stopped (so no handle can submit anymore).
    pub async fn drain(self) {
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

async fn writer(db: Database, rx: Arc<Mutex<mpsc::Receiver<Job>>>, max_batch: usize) {
    let mut batch: Vec<Job> = Vec::with_capacity(max_batch);
    loop {
        {
            let mut rx = rx.lock().await;
            match rx.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < max_batch {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        write(&db, &mut batch).await;
    }
}

/// Writes one batch and answers every job in it.
async fn write(db: &Database, batch: &mut Vec<Job>) {
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
    db: &Database,
    events: &[EventToStore],
) -> Result<Vec<StoreOutcome>, StorageError> {
    let mut attempt = 0;
    loop {
        match db.store_events(events).await {
            Err(e) if e.is_retryable() && attempt < 5 => {
                attempt += 1;
                tracing::debug!(error = %e, attempt, "retrying a batch after a transient conflict");
                tokio::time::sleep(Duration::from_millis(5 * attempt)).await;
            }
            other => return other,
        }
    }
}
