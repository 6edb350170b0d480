//! API tokens. A token is shown once at creation; only its SHA-256 is kept.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use std::time::Duration;

use crate::users::User;
use crate::{Database, Result, StorageError};

/// What every Moth API token starts with, so leaked tokens are recognisable.
pub const TOKEN_PREFIX: &str = "moth_";

/// An API token (without its secret). Column names are aliased so that it
/// can be read beside a [`User`] in one row.
#[derive(Debug, Clone, FromRow)]
pub struct ApiToken {
    #[sqlx(rename = "token_id")]
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_prefix: String,
    #[sqlx(rename = "token_created_at")]
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS_ALIASED: &str = "id AS token_id, user_id, name, token_prefix, created_at AS token_created_at, last_used_at, revoked_at";

/// SHA-256 of a secret token, as stored.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh random secret with Moth's prefix (256 bits of entropy).
pub fn generate_token() -> String {
    format!("{TOKEN_PREFIX}{}", random_hex(32))
}

/// `bytes` random bytes from the OS-seeded CSPRNG, hex-encoded.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Database {
    /// Creates a token for a user; returns the row and the secret (shown once).
    pub async fn create_api_token(&self, user_id: i64, name: &str) -> Result<(ApiToken, String)> {
        let secret = generate_token();
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let row = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, token_prefix) VALUES ($1, $2, $3, $4) RETURNING {TOKEN_COLUMNS_ALIASED}"
        ))
        .bind(user_id)
        .bind(crate::sessions::truncate(name.trim(), 100))
        .bind(hash_token(&secret))
        .bind(prefix)
        .fetch_one(self.pool())
        .await?;
        Ok((row, secret))
    }

    /// The live (not revoked) token with this secret, if any.
    pub async fn api_token_by_secret(&self, secret: &str) -> Result<ApiToken> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS_ALIASED} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(hash_token(secret))
        .fetch_one(self.pool())
        .await?)
    }
}

/// A live API token with the (active) user it acts as.
#[derive(Debug, Clone, FromRow)]
pub struct TokenUser {
    #[sqlx(flatten)]
    pub token: ApiToken,
    #[sqlx(flatten)]
    pub user: User,
}

impl Database {
    /// The live token with this secret and its active user.
    pub async fn api_token_user(&self, secret: &str) -> Result<TokenUser> {
        Ok(sqlx::query_as(
            "SELECT t.id AS token_id, t.user_id, t.name, t.token_prefix, t.created_at AS token_created_at,
                    t.last_used_at, t.revoked_at,
                    u.id, u.email, u.password_hash, u.is_admin, u.is_active, u.created_at, u.last_login_at
             FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.is_active",
        )
        .bind(hash_token(secret))
        .fetch_one(self.pool())
        .await?)
    }

    /// Records that a token was used, unless that was recorded less than
    /// `min_interval` ago (so API calls do not each write a row).
    pub async fn touch_api_token(&self, token_id: i64, min_interval: Duration) -> Result<()> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = now()
             WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - make_interval(secs => $2))",
        )
        .bind(token_id)
        .bind(min_interval.as_secs_f64())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// A user's live tokens, newest first.
    pub async fn api_tokens_of_user(&self, user_id: i64) -> Result<Vec<ApiToken>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS_ALIASED} FROM api_tokens
             WHERE user_id = $1 AND revoked_at IS NULL ORDER BY id DESC"
        ))
        .bind(user_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Revokes several of a user's live tokens at once, all or none: if any
    /// id is not a live token of that user, nothing changes and the answer
    /// is [`StorageError::NotFound`]. Returns the revoked tokens.
    pub async fn revoke_api_tokens(&self, user_id: i64, ids: &[i64]) -> Result<Vec<ApiToken>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut tx = self.pool().begin().await?;
        let revoked: Vec<ApiToken> = sqlx::query_as(&format!(
            "UPDATE api_tokens SET revoked_at = now()
             WHERE id = ANY($1) AND user_id = $2 AND revoked_at IS NULL
             RETURNING {TOKEN_COLUMNS_ALIASED}"
        ))
        .bind(&ids)
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        if revoked.len() != ids.len() {
            // Dropping the transaction rolls it back.
            return Err(StorageError::NotFound);
        }
        tx.commit().await?;
        Ok(revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_and_hashed() {
        let t = generate_token();
        assert!(t.starts_with(TOKEN_PREFIX));
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&t).len(), 32);
        assert_ne!(generate_token(), t);
    }
}
