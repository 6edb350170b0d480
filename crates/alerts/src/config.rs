//! Settings of delivery, retries and the worker. The defaults are what
//! `moth serve` uses; tests shorten the times.

use std::time::Duration;

/// Everything the alerts service and worker need besides the database.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// Moth's public URL (`MOTH_BASE_URL`): links in messages point at
    /// `<base_url>/issues/<id>`.
    pub base_url: String,
    pub delivery: DeliveryConfig,
    pub retry: RetryPolicy,
    pub worker: WorkerConfig,
}

impl AlertsConfig {
    /// The defaults, linking to `base_url`.
    pub fn new(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            delivery: DeliveryConfig::default(),
            retry: RetryPolicy::default(),
            worker: WorkerConfig::default(),
        }
    }
}

/// One HTTP send.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Resolving the host and opening the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// The whole send, from resolving to the last byte of the response read.
    pub timeout: Duration,
    /// Response bytes read at most; the rest is dropped unread.
    pub max_response_bytes: usize,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            max_response_bytes: 64 << 10,
        }
    }
}

/// Retries of a failed send (network errors, 5xx, 429).
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included; then the delivery fails for good.
    pub max_attempts: i32,
    /// Delay before the first retry; it doubles per attempt (with jitter).
    pub base_delay: Duration,
    /// Longest delay between attempts, also the cap on `Retry-After`.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 2 s, 4 s, 8 s ... capped at 15 min: eight attempts span about
        // four minutes of outage, and a receiver asking for longer with
        // Retry-After gets up to 15 min per wait.
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(15 * 60),
        }
    }
}

/// The background worker.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// How often the outbox and due deliveries are polled when idle.
    pub poll_interval: Duration,
    /// How often each threshold destination is checked.
    pub threshold_interval: Duration,
    /// Sends in flight at once in this process.
    pub concurrency: usize,
    /// How long a claimed delivery stays claimed; after it a crashed
    /// process's delivery is taken over. Longer than `delivery.timeout`.
    pub lease: Duration,
    /// Messages per destination per minute; more wait for the next minute.
    pub per_minute: i32,
    /// More new-issue alerts than this waiting for one destination at once
    /// are sent as one digest.
    pub digest_above: i64,
    /// Outbox rows turned into deliveries per statement.
    pub outbox_batch: i64,
    /// How often finished history is pruned, and how many days it is kept.
    pub prune_interval: Duration,
    pub keep_days: i32,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(1),
            threshold_interval: Duration::from_secs(30),
            concurrency: 8,
            lease: Duration::from_secs(120),
            per_minute: 20,
            digest_above: 5,
            outbox_batch: 500,
            prune_interval: Duration::from_secs(3600),
            keep_days: 30,
        }
    }
}
