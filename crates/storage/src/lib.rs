//! PostgreSQL storage for Moth: the schema (sqlx migrations in the top-level
//! `migrations/`), one module per aggregate with typed functions, and the
//! embedded PostgreSQL manager. Nothing here knows about HTTP, and no
//! `sqlx::Error` escapes: callers see [`StorageError`].

pub mod alerts;
pub mod audit;
pub mod database;
pub mod drops;
pub mod embedded;
pub mod error;
pub mod events;
pub mod feedback;
pub mod issues;
pub mod login_attempts;
pub mod membership;
pub mod password;
pub mod payload;
pub mod projects;
pub mod releases;
pub mod sessions;
pub mod setup_tokens;
pub mod tokens;
pub mod users;
pub mod write;

#[cfg(feature = "testing")]
pub mod testing;

pub use database::Database;
pub use error::StorageError;

/// Result alias for storage operations.
pub type Result<T, E = StorageError> = std::result::Result<T, E>;
