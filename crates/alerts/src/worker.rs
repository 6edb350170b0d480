//! The background worker: turns outbox signals into deliveries, checks
//! thresholds, claims due deliveries and sends them, several at once.
//!
//! It never blocks ingest: it only reads what the write pipeline wrote,
//! locks rows of its own tables (and outbox rows with `SKIP LOCKED`), keeps
//! transactions short and holds no transaction open while sending. Every
//! decision shared with other Moth processes is made under a row lock in
//! PostgreSQL, so any number of processes can run a worker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use moth_storage::alerts::{AttemptOutcome, ClaimLimits, ClaimedDelivery, WorkerLock};
use moth_storage::Database;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::AlertsConfig;
use crate::{deliver, load, retry};

/// The running worker; stop it with [`AlertsWorker::shutdown`].
pub struct AlertsWorker {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl AlertsWorker {
    /// Starts the worker on the current runtime.
    pub fn start(db: Database, config: AlertsConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(run(db, Arc::new(config), stopped));
        Self { stop, task }
    }

    /// Stops claiming and waits for the sends in flight (each bounded by the
    /// delivery timeout). What is still unsent stays in the database for the
    /// next start or another process.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

async fn run(db: Database, config: Arc<AlertsConfig>, mut stopped: watch::Receiver<bool>) {
    let w = &config.worker;
    let mut inflight: JoinSet<()> = JoinSet::new();
    let mut state = RoundState::default();
    let mut failing = false;
    loop {
        while inflight.try_join_next().is_some() {}
        if *stopped.borrow() {
            break;
        }
        let busy = match round(&db, &config, &mut inflight, &mut state).await {
            Ok(busy) => {
                if failing {
                    tracing::info!("alerts worker: the database is reachable again");
                    failing = false;
                }
                busy
            }
            Err(e) => {
                // Logged once per outage, not once per poll.
                if !failing {
                    tracing::warn!(error = %e, "alerts worker: database error; retrying");
                    failing = true;
                }
                false
            }
        };
        if busy && inflight.len() < w.concurrency {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(w.poll_interval) => {}
            changed = stopped.changed() => {
                // The handle was dropped without a shutdown: stop as well.
                if changed.is_err() {
                    break;
                }
            }
            Some(_) = inflight.join_next(), if !inflight.is_empty() => {}
        }
    }
    // Let the sends in flight finish and record their outcome; past the
    // deadline their claims lapse and they are retried elsewhere or later.
    let deadline = config.delivery.timeout + Duration::from_secs(5);
    let drain = async { while inflight.join_next().await.is_some() {} };
    if tokio::time::timeout(deadline, drain).await.is_err() {
        inflight.abort_all();
    }
    if let Some(lock) = state.lock.take() {
        lock.release().await;
    }
}

/// What the worker keeps between rounds.
#[derive(Default)]
struct RoundState {
    /// This worker's identity; claims are made only while it is held.
    lock: Option<WorkerLock>,
    lock_checked: Option<Instant>,
    last_threshold: Option<Instant>,
    last_prune: Option<Instant>,
}

/// How often the worker's lock connection is checked.
const LOCK_CHECK: Duration = Duration::from_secs(5);

/// One pass; returns whether there may be more work right away.
async fn round(
    db: &Database,
    config: &Arc<AlertsConfig>,
    inflight: &mut JoinSet<()>,
    state: &mut RoundState,
) -> moth_storage::Result<bool> {
    let w = &config.worker;
    if let Some(lock) = &mut state.lock {
        if state.lock_checked.is_none_or(|t| t.elapsed() >= LOCK_CHECK) {
            if let Err(e) = lock.check().await {
                // Its session may be gone, and with it the lock: others may
                // take over what it claimed. Take a new identity.
                state.lock = None;
                return Err(e);
            }
            state.lock_checked = Some(Instant::now());
        }
    }
    if state.lock.is_none() {
        state.lock = Some(db.acquire_worker_lock().await?);
        state.lock_checked = Some(Instant::now());
    }

    let taken = db.dispatch_outbox(w.outbox_batch).await?;
    let mut busy = taken as i64 >= w.outbox_batch;

    if state
        .last_threshold
        .is_none_or(|t| t.elapsed() >= w.threshold_interval)
    {
        db.check_thresholds(Utc::now(), w.threshold_interval)
            .await?;
        state.last_threshold = Some(Instant::now());
    }
    if state
        .last_prune
        .is_none_or(|t| t.elapsed() >= w.prune_interval)
    {
        db.prune_alert_history(w.keep_days).await?;
        state.last_prune = Some(Instant::now());
    }

    let free = w.concurrency.saturating_sub(inflight.len()) as i64;
    if let (true, Some(lock)) = (free > 0, &state.lock) {
        let limits = ClaimLimits {
            max: free,
            lease: w.lease,
            per_minute: w.per_minute,
            digest_above: w.digest_above,
            max_attempts: config.retry.max_attempts,
        };
        let claimed = db.claim_deliveries(lock, limits).await?;
        busy |= claimed.len() as i64 >= free;
        for delivery in claimed {
            let db = db.clone();
            let config = config.clone();
            inflight.spawn(async move { send_one(&db, &config, delivery).await });
        }
    }
    Ok(busy)
}

/// Sends one claimed delivery and records how it went.
async fn send_one(db: &Database, config: &AlertsConfig, delivery: ClaimedDelivery) {
    let now = Utc::now();
    let destination = &delivery.destination;
    let outcome = match load::message(db, &config.base_url, &delivery, now).await {
        Ok(Some(message)) => {
            let result = deliver::deliver(&config.delivery, destination, &message).await;
            retry::decide(&config.retry, delivery.attempts, &result, Utc::now())
        }
        Ok(None) => AttemptOutcome::Failed {
            status: None,
            error: "what the alert was about has been deleted".into(),
        },
        // Could not read the issue: the database is struggling; try later
        // without spending the destination's rate or calling it a failure
        // of the receiver.
        Err(e) => AttemptOutcome::Retry {
            at: now
                + chrono::Duration::from_std(retry::backoff(&config.retry, delivery.attempts))
                    .unwrap_or_default(),
            status: None,
            error: format!("cannot read the alert's data: {e}"),
        },
    };
    match &outcome {
        AttemptOutcome::Delivered { status } => tracing::info!(
            delivery = delivery.id,
            destination = destination.id,
            kind = %destination.kind,
            trigger = delivery.trigger.as_str(),
            status,
            "alert delivered"
        ),
        AttemptOutcome::Retry { at, error, .. } => tracing::warn!(
            delivery = delivery.id,
            destination = destination.id,
            attempt = delivery.attempts,
            retry_at = %at,
            error = %error,
            "alert not delivered; will retry"
        ),
        AttemptOutcome::Failed { error, .. } => tracing::warn!(
            delivery = delivery.id,
            destination = destination.id,
            attempt = delivery.attempts,
            error = %error,
            "alert not delivered; giving up"
        ),
    }
    record(db, &delivery, &outcome).await;
}

/// Stores the outcome, retrying briefly: if it cannot be stored the claim
/// lapses and the message would be sent again. The destination's last
/// success or failure is written first, so that whoever sees the delivery
/// finished also sees it on the destination.
async fn record(db: &Database, delivery: &ClaimedDelivery, outcome: &AttemptOutcome) {
    let now = Utc::now();
    let failure = match outcome {
        AttemptOutcome::Delivered { .. } => None,
        AttemptOutcome::Retry { status, error, .. } | AttemptOutcome::Failed { status, error } => {
            Some((*status, error.as_str()))
        }
    };
    if let Err(e) = db
        .record_alert_send(delivery.destination.id, now, failure)
        .await
    {
        tracing::warn!(destination = delivery.destination.id, error = %e, "cannot record an alert send");
    }
    for attempt in 0..5 {
        match db
            .finish_delivery(delivery.id, delivery.attempts, outcome)
            .await
        {
            Ok(_) => break,
            Err(e) if attempt == 4 => {
                tracing::error!(delivery = delivery.id, error = %e, "cannot record an alert delivery");
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200 << attempt)).await,
        }
    }
}
