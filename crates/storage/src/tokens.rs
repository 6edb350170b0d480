//! API tokens. A token is shown once at creation; only its SHA-256 is kept.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::FromRow;

use crate::{Database, Result};

/// What every Moth API token starts with, so leaked tokens are recognisable.
pub const TOKEN_PREFIX: &str = "moth_";

#[derive(Debug, Clone, FromRow)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const TOKEN_COLUMNS: &str = "id, user_id, name, token_prefix, created_at, last_used_at, revoked_at";

/// SHA-256 of a secret token, as stored.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh random secret with Moth's prefix (256 bits of entropy).
pub fn generate_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

impl Database {
    /// Creates a token for a user; returns the row and the secret (shown once).
    pub async fn create_api_token(&self, user_id: i64, name: &str) -> Result<(ApiToken, String)> {
        let secret = generate_token();
        let prefix: String = secret.chars().take(TOKEN_PREFIX.len() + 6).collect();
        let row = sqlx::query_as(&format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, token_prefix) VALUES ($1, $2, $3, $4) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(user_id)
        .bind(name.trim())
        .bind(hash_token(&secret))
        .bind(prefix)
        .fetch_one(self.pool())
        .await?;
        Ok((row, secret))
    }

    /// The live (not revoked) token with this secret, if any.
    pub async fn api_token_by_secret(&self, secret: &str) -> Result<ApiToken> {
        Ok(sqlx::query_as(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL"
        ))
        .bind(hash_token(secret))
        .fetch_one(self.pool())
        .await?)
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
