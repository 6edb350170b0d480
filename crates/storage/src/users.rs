//! User accounts.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::error::is_unique_violation;
use crate::{Database, Result, StorageError};

/// A person who can sign in.
#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

const USER_COLUMNS: &str =
    "id, email, password_hash, is_admin, is_active, created_at, last_login_at";

/// Minimal sanity check of an email address: something@something.
pub fn validate_email(email: &str) -> Result<()> {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !email.contains(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err(StorageError::Invalid(format!(
            "{email:?} is not an email address"
        ))),
    }
}

impl Database {
    /// Creates a user; `password_hash` comes from [`crate::password::hash_password`].
    pub async fn create_user(
        &self,
        email: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<User> {
        validate_email(email)?;
        sqlx::query_as(&format!(
            "INSERT INTO users (email, password_hash, is_admin) VALUES ($1, $2, $3) RETURNING {USER_COLUMNS}"
        ))
        .bind(email.trim())
        .bind(password_hash)
        .bind(is_admin)
        .fetch_one(self.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("a user with the email {:?} already exists", email.trim()))
            } else {
                e.into()
            }
        })
    }

    /// Finds a user by email, case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> Result<User> {
        Ok(sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE lower(email) = lower($1)"
        ))
        .bind(email.trim())
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn user_by_id(&self, id: i64) -> Result<User> {
        Ok(
            sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                .bind(id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    pub async fn count_users(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(self.pool())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(validate_email("a@b.c").is_ok());
        assert!(validate_email("no-at-sign").is_err());
        assert!(validate_email("@b").is_err());
        assert!(validate_email("a b@c").is_err());
    }
}
