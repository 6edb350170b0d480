//! The connection pool and schema migrations.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::Result;

/// Migrations from the workspace's `migrations/` directory, embedded.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// A handle on Moth's database: cheap to clone, shared by every part.
#[derive(Clone, Debug)]
pub struct Database {
    pool: PgPool,
}

impl Database {
    /// Opens a pool. Connections are made lazily, so this succeeds while the
    /// database is down; [`Database::ping`] tells whether it is reachable.
    pub fn connect_lazy(options: PgConnectOptions, max_connections: u32) -> Self {
        let options = options
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(0)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(Duration::from_secs(600))
            .connect_lazy_with(options);
        Self { pool }
    }

    /// Like [`Database::connect_lazy`], from a `postgres://` URL.
    pub fn connect_url_lazy(url: &str, max_connections: u32) -> Result<Self> {
        let options: PgConnectOptions = url.parse().map_err(|e| {
            crate::StorageError::Invalid(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
        })?;
        Ok(Self::connect_lazy(options, max_connections))
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// A new pool to the same database with its own connection limit, for
    /// background work (the alerts worker) that must never take the
    /// connections ingest needs. Close it with [`Database::close`].
    pub fn separate_pool(&self, max_connections: u32) -> Self {
        Self::connect_lazy((*self.pool.connect_options()).clone(), max_connections)
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations.
    pub async fn migrate(&self) -> Result<()> {
        match MIGRATOR.run(&self.pool).await {
            Ok(()) => Ok(()),
            // Keep "database unreachable" distinguishable from a bad migration.
            Err(sqlx::migrate::MigrateError::Execute(e)) => Err(e.into()),
            Err(e) => Err(e.into()),
        }
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection (at shutdown, before stopping PostgreSQL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates `name` on the server `server` points at (any database of it)
/// unless it exists. Used for the embedded cluster, where Moth owns the server.
pub async fn create_database_if_missing(server: &PgConnectOptions, name: &str) -> Result<()> {
    let mut conn = server.clone().database("postgres").connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let sql = format!("CREATE DATABASE {}", quote_ident(name));
        match sqlx::query(&sql).execute(&mut conn).await {
            Ok(_) => {}
            // Created concurrently by another process: fine.
            Err(e) if crate::error::is_unique_violation(&e) => {}
            Err(e) if matches!(&e, sqlx::Error::Database(db) if db.code().as_deref() == Some("42P04")) =>
                {}
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

/// Quotes an SQL identifier.
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
