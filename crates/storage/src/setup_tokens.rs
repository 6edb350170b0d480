//! The first-run setup link: a random token that lets whoever holds it
//! create the first admin. Only its SHA-256 is stored. Tokens die the moment
//! any user exists, however that user was made.

use crate::tokens::{hash_token, random_hex};
use crate::users::{validate_email, User};
use crate::{Database, Result, StorageError};

impl Database {
    /// Stores a new setup token and returns its secret. Each process that
    /// starts on a database without users makes one; any of them works.
    pub async fn create_setup_token(&self) -> Result<String> {
        let secret = random_hex(24);
        sqlx::query("INSERT INTO setup_tokens (token_hash) VALUES ($1)")
            .bind(hash_token(&secret))
            .execute(self.pool())
            .await?;
        Ok(secret)
    }

    /// Whether a setup link still works: the token exists and no user does.
    pub async fn setup_token_is_valid(&self, secret: &str) -> Result<bool> {
        Ok(sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1)
                    AND NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(hash_token(secret))
        .fetch_one(self.pool())
        .await?)
    }

    /// Uses a setup token: creates the first admin and deletes every setup
    /// token, in one transaction. [`StorageError::NotFound`] when the token is
    /// unknown or a user exists already (concurrent uses are serialised, so
    /// exactly one wins).
    pub async fn create_first_admin(
        &self,
        secret: &str,
        email: &str,
        password_hash: &str,
    ) -> Result<User> {
        validate_email(email)?;
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('moth.setup'))")
            .execute(&mut *tx)
            .await?;
        let usable: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM setup_tokens WHERE token_hash = $1)
                    AND NOT EXISTS (SELECT 1 FROM users)",
        )
        .bind(hash_token(secret))
        .fetch_one(&mut *tx)
        .await?;
        if !usable {
            return Err(StorageError::NotFound);
        }
        let user: User = sqlx::query_as(
            "INSERT INTO users (email, password_hash, is_admin) VALUES ($1, $2, true)
             RETURNING id, email, password_hash, is_admin, is_active, created_at, last_login_at",
        )
        .bind(email.trim())
        .bind(password_hash)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM setup_tokens")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(user)
    }
}
