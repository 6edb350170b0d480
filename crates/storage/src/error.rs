//! The storage error type. Query-specific failures (a unique violation
//! meaning "already exists") are mapped where the query is.

use crate::embedded::EmbeddedError;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database cannot be reached (connection refused, pool timeout).
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken; the message says which.
    #[error("{0}")]
    Conflict(String),
    /// Input the schema rejects; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("database error")]
    Database(#[source] sqlx::Error),
    /// A concurrent change invalidated what the transaction read; running
    /// it again gives the right result.
    #[error("{0}")]
    Retry(&'static str),
    #[error("applying migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Embedded(#[from] EmbeddedError),
}

impl StorageError {
    /// True for transient conflicts between concurrent transactions
    /// (deadlock, serialization failure, [`Self::Retry`]): the same work may
    /// simply be retried.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Retry(_) => true,
            Self::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40P01") | Some("40001"))
            }
            _ => false,
        }
    }

    /// True for errors that go away when the database comes back.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e),
            sqlx::Error::Database(ref db) if is_connection_failure(db.code().as_deref()) => {
                Self::Unavailable(e)
            }
            other => Self::Database(other),
        }
    }
}

/// SQLSTATE classes 08 (connection exception) and 57P (operator
/// intervention: shutdown, crash recovery) mean "try again later".
fn is_connection_failure(code: Option<&str>) -> bool {
    code.is_some_and(|c| c.starts_with("08") || c.starts_with("57P"))
}

/// The SQLSTATE of a unique violation.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}
