//! Sentry-compatible ingest: the envelope and store endpoints, DSN-key
//! authentication, decompression within limits, grouping, and the batched
//! write pipeline that answers 200 only once an event is committed.

pub mod admission;
pub mod auth;
pub mod body;
pub mod cpu;
pub mod drops;
pub mod error;
pub mod grouping;
mod handlers;
pub mod pipeline;
pub mod prepare;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use axum::routing::post;
use axum::Router;
use moth_storage::Database;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::admission::Admission;
use crate::auth::KeyCache;
use crate::body::MemoryBudget;
use crate::cpu::CpuPool;
use crate::drops::{DropCounter, DropFlusher};
pub use crate::error::IngestError;
use crate::pipeline::{PipelineConfig, PipelineWorkers, WritePipeline};

/// Size limits, in bytes (see the README's configuration table).
#[derive(Debug, Clone, Copy)]
pub struct IngestLimits {
    /// A request body as sent (compressed).
    pub max_body: usize,
    /// An envelope after decompression.
    pub max_envelope: usize,
    /// One event (envelope item or store body), decompressed.
    pub max_event: usize,
    /// One attachment.
    pub max_attachment: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_body: 20 << 20,
            max_envelope: 40 << 20,
            max_event: 1 << 20,
            max_attachment: 20 << 20,
        }
    }
}

/// Everything ingest can be tuned with.
#[derive(Debug, Clone, Copy)]
pub struct IngestConfig {
    pub limits: IngestLimits,
    pub pipeline: PipelineConfig,
    /// Request bodies held in memory at once, in bytes.
    pub memory_budget: usize,
    /// Time allowed to receive a request body.
    pub body_timeout: Duration,
    /// How long a DSN key lookup is cached.
    pub key_cache_ttl: Duration,
    /// Called on an ingest thread that has had no work for a second (once
    /// per idle stretch); the binary hands the thread's freed memory back
    /// to the system there.
    pub on_idle: Option<fn()>,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            limits: IngestLimits::default(),
            pipeline: PipelineConfig::default(),
            memory_budget: 128 << 20,
            body_timeout: Duration::from_secs(30),
            key_cache_ttl: Duration::from_secs(10),
            on_idle: None,
        }
    }
}

/// Shared state of the ingest handlers.
#[derive(Clone)]
pub struct IngestState(Arc<Inner>);

struct Inner {
    db: Database,
    keys: KeyCache,
    pipeline: WritePipeline,
    admission: Admission,
    cpu: CpuPool,
    budget: MemoryBudget,
    drops: Arc<DropCounter>,
    config: IngestConfig,
}

/// The background parts of ingest; shut them down after the HTTP server
/// stopped, so that every accepted event is written first.
pub struct IngestWorkers {
    pipeline: PipelineWorkers,
    drops: DropFlusher,
}

impl IngestWorkers {
    /// Drains the write queue, then flushes the drop counters.
    pub async fn shutdown(self) {
        self.pipeline.drain().await;
        self.drops.stop().await;
    }
}

/// Starts the pipeline and returns the ingest routes.
pub fn start(db: Database, config: IngestConfig) -> (Router, IngestWorkers) {
    let (pipeline, pipeline_workers) = WritePipeline::start(db.clone(), config.pipeline);
    let drops = Arc::new(DropCounter::default());
    let flusher = DropFlusher::start(drops.clone(), db.clone(), Duration::from_secs(10));
    let state = IngestState(Arc::new(Inner {
        keys: KeyCache::new(db.clone(), config.key_cache_ttl),
        db,
        pipeline,
        admission: Admission::new(config.pipeline.queue_capacity),
        cpu: CpuPool::per_core(config.on_idle),
        budget: MemoryBudget::new(config.memory_budget),
        drops,
        config,
    }));
    (
        router(state),
        IngestWorkers {
            pipeline: pipeline_workers,
            drops: flusher,
        },
    )
}

fn router(state: IngestState) -> Router {
    Router::new()
        .route("/api/{project_id}/envelope/", post(handlers::envelope))
        .route("/api/{project_id}/envelope", post(handlers::envelope))
        .route("/api/{project_id}/store/", post(handlers::store))
        .route("/api/{project_id}/store", post(handlers::store))
        .route("/api/store/", post(handlers::store_without_project))
        .layer(cors())
        .with_state(state)
}

/// CORS as Sentry's ingest answers it: any origin (DSN keys are public),
/// and the rate-limit headers exposed so browser SDKs can read them.
fn cors() -> CorsLayer {
    let allow: Vec<HeaderName> = [
        "x-sentry-auth",
        "x-requested-with",
        "x-forwarded-for",
        "origin",
        "referer",
        "accept",
        "content-type",
        "authentication",
        "authorization",
        "content-encoding",
        "transfer-encoding",
        "baggage",
        "sentry-trace",
    ]
    .into_iter()
    .map(HeaderName::from_static)
    .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(allow)
        .expose_headers([
            HeaderName::from_static("x-sentry-error"),
            HeaderName::from_static("x-sentry-rate-limits"),
            header::RETRY_AFTER,
        ])
        .max_age(Duration::from_secs(3600))
}
