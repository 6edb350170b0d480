//! Getting a migrated database: the external one from `DATABASE_URL`, or the
//! embedded cluster in the data dir.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use moth_storage::database::create_database_if_missing;
use moth_storage::embedded::{EmbeddedConfig, EmbeddedPostgres};
use moth_storage::Database;

use crate::config::Config;

/// Who is opening the database: the server owns the embedded cluster; a CLI
/// command borrows the server's, or starts one for its own duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opener {
    Server,
    Command,
}

/// A migrated database plus the embedded server behind it, if any.
pub struct OpenDatabase {
    pub db: Database,
    embedded: Option<EmbeddedPostgres>,
}

const EMBEDDED_DB_NAME: &str = "moth";

impl OpenDatabase {
    pub async fn open(config: &Config, opener: Opener) -> Result<Self> {
        let max_connections = match opener {
            Opener::Server => 20,
            Opener::Command => 2,
        };
        let (db, embedded) = match &config.database_url {
            Some(url) => (Database::connect_url_lazy(url, max_connections)?, None),
            None => {
                let embedded_config = EmbeddedConfig::new(&config.data_dir);
                let embedded = tokio::task::spawn_blocking(move || match opener {
                    Opener::Server => EmbeddedPostgres::start(&embedded_config),
                    Opener::Command => EmbeddedPostgres::start_or_attach(&embedded_config),
                })
                .await
                .context("embedded PostgreSQL start-up panicked")??;
                let options = embedded.connect_options(EMBEDDED_DB_NAME);
                create_database_if_missing(&options, EMBEDDED_DB_NAME)
                    .await
                    .context("create Moth's database in the embedded cluster")?;
                (
                    Database::connect_lazy(options, max_connections),
                    Some(embedded),
                )
            }
        };
        let opened = Self { db, embedded };
        opened.migrate_when_reachable().await?;
        Ok(opened)
    }

    /// Applies migrations, waiting up to a minute for an external database
    /// that is still starting.
    async fn migrate_when_reachable(&self) -> Result<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut logged = false;
        loop {
            match self.db.migrate().await {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline && e.is_unavailable() => {
                    if !logged {
                        tracing::warn!(error = %e, "database not reachable yet; retrying for up to 60 s");
                        logged = true;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(e) => {
                    return Err(anyhow::Error::new(e).context("cannot apply database migrations"))
                }
            }
        }
    }

    /// Closes the pool, then stops the embedded server if this process owns it.
    pub async fn shutdown(self) {
        self.db.close().await;
        if let Some(embedded) = self.embedded {
            let _ = tokio::task::spawn_blocking(move || embedded.stop()).await;
        }
    }
}
