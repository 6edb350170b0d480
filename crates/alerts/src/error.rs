//! Errors of the alerts service (settings and test messages).

use moth_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// The acting user is not an administrator.
    #[error("only administrators may manage alert destinations")]
    Forbidden,
    /// Input rejected; the message says why.
    #[error("{0}")]
    Invalid(String),
    #[error("there is no alert destination with id {0}")]
    NotFound(i64),
    #[error(transparent)]
    Storage(StorageError),
}

impl From<StorageError> for AlertError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Invalid(m) => Self::Invalid(m),
            other => Self::Storage(other),
        }
    }
}
