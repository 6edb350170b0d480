//! `moth serve`: wiring the HTTP routes, the background workers and an
//! orderly shutdown.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use axum::Router;
use tokio::net::TcpListener;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::cli::ServeArgs;
use crate::config::Config;
use crate::database::{OpenDatabase, Opener};

pub async fn run(config: Config, args: ServeArgs) -> Result<()> {
    // Signs session cookies; made at first start and kept in the data dir.
    let secret_key = config.load_secret_key()?;
    let addr = config.bind_addr()?;
    // Bind first: a port in use fails fast, before touching the database.
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let config = config.with_bound_address(listener.local_addr()?);
    let opened = OpenDatabase::open(&config, Opener::Server).await?;
    let result = serve(listener, &config, &args, &opened, &secret_key).await;
    tracing::info!("stopping");
    opened.shutdown().await;
    result
}

async fn serve(
    listener: TcpListener,
    config: &Config,
    args: &ServeArgs,
    opened: &OpenDatabase,
    secret_key: &str,
) -> Result<()> {
    let db = opened.db.clone();
    let (ingest, ingest_workers) = moth_ingest::start(db.clone(), ingest_config(args));
    let mut ui_config = moth_ui::UiConfig::new(&config.base_url(), &config.org);
    ui_config.session_key = moth_ui::SessionKey::new(secret_key.as_bytes());
    ui_config.trust_forwarded_for = args.trust_forwarded_for;
    let alerts_config = moth_alerts::AlertsConfig::new(&config.base_url());
    // The settings page's test messages send like the worker does.
    let alerts = moth_alerts::Alerts::new(db.clone(), alerts_config.clone());
    let ui = moth_ui::UiState::with_alerts(db.clone(), ui_config, alerts)
        .context("cannot load the page templates")?;
    // Beside ingest, never in its way: the worker reads what ingest committed
    // (the alert outbox), sends from its own tasks, and has its own few
    // connections so that it can never use up the ones ingest needs.
    let alerts_db = db.separate_pool(4);
    let alerts_worker = moth_alerts::AlertsWorker::start(alerts_db.clone(), alerts_config);
    let maintenance =
        crate::maintenance::Maintenance::start(db.clone(), std::time::Duration::from_secs(60));
    let app = Router::new()
        .merge(crate::health::router(db.clone()))
        .merge(ingest)
        .merge(moth_ui::router(ui))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        );

    let local = listener.local_addr()?;
    tracing::info!(base_url = %config.base_url(), "Moth is listening on http://{local}");
    match moth_ui::setup::first_run_link(&db, &config.base_url()).await {
        Ok(Some(link)) => tracing::info!(
            "no user exists yet: open {link} to create the first admin (the link works once), \
             or run `moth user create --email you@example.com --admin`"
        ),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not check for a first user"),
    }

    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("HTTP server failed");
    // Every request has been answered; write what is still queued.
    tracing::info!("HTTP server stopped; draining the write queue");
    ingest_workers.shutdown().await;
    // After the queue is written: its alerts are in the outbox, and what the
    // worker does not send now is sent after the next start.
    tracing::info!("stopping the alerts worker");
    alerts_worker.shutdown().await;
    alerts_db.close().await;
    maintenance.stop().await;
    served
}

fn ingest_config(args: &ServeArgs) -> moth_ingest::IngestConfig {
    let mut c = moth_ingest::IngestConfig::default();
    c.limits.max_body = args.max_body_bytes;
    c.limits.max_envelope = args.max_envelope_bytes;
    c.limits.max_event = args.max_event_bytes;
    c.limits.max_attachment = args.max_attachment_bytes;
    c.memory_budget = args.memory_budget_bytes;
    c.pipeline.queue_capacity = args.queue_capacity;
    c.pipeline.writers = args.ingest_writers.max(1);
    c.body_timeout = std::time::Duration::from_secs(args.body_timeout_secs.max(1));
    c.on_idle = Some(crate::allocator::release_freed_memory);
    c
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => tracing::info!("received Ctrl-C; shutting down gracefully"),
        _ = terminate => tracing::info!("received SIGTERM; shutting down gracefully"),
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    /// `moth serve`'s defaults (written out for `--help`) are the ingest
    /// crate's own, so the two cannot drift apart.
    #[test]
    fn serve_defaults_are_the_ingest_defaults() {
        let cli = Cli::try_parse_from(["moth", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not the serve command");
        };
        let mut ours = ingest_config(&args);
        assert!(ours.on_idle.is_some(), "the allocator's idle hook is wired");
        ours.on_idle = None;
        assert_eq!(
            format!("{ours:?}"),
            format!("{:?}", moth_ingest::IngestConfig::default())
        );
    }
}
