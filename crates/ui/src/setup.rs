//! First run: while no user exists, `moth serve` prints a one-time link
//! that creates the first admin in the browser (`/setup/<token>`).

use moth_storage::{Database, StorageError};

/// When no user exists, makes a new setup token and returns the link to
/// print; `None` once any user exists.
pub async fn first_run_link(db: &Database, base_url: &str) -> Result<Option<String>, StorageError> {
    if db.count_users().await? > 0 {
        return Ok(None);
    }
    let token = db.create_setup_token().await?;
    Ok(Some(format!(
        "{}/setup/{token}",
        base_url.trim_end_matches('/')
    )))
}
