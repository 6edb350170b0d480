//! Server-side sign-in sessions. The browser holds a random secret in a
//! cookie; only its SHA-256 is stored, so a leaked table cannot be replayed.
//! Expiry rules (idle and absolute) are passed in by the caller, which owns
//! the policy; the queries enforce them so that every node agrees.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::tokens::{hash_token, random_hex};
use crate::users::User;
use crate::{Database, Result};

/// A live session. `token_hash` identifies it; the secret is never stored.
#[derive(Debug, Clone, FromRow)]
pub struct Session {
    pub token_hash: Vec<u8>,
    pub user_id: i64,
    /// Per-session CSRF token, put in a hidden field of every form.
    pub csrf_token: String,
    #[sqlx(rename = "session_created_at")]
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// A session with the user it belongs to.
#[derive(Debug, Clone, FromRow)]
pub struct SessionUser {
    #[sqlx(flatten)]
    pub session: Session,
    #[sqlx(flatten)]
    pub user: User,
}

/// Where a session was opened from, kept for the operator.
#[derive(Debug, Clone, Default)]
pub struct SessionOrigin<'a> {
    pub user_agent: Option<&'a str>,
    pub client_addr: Option<&'a str>,
}

const SESSION_COLUMNS: &str = "s.token_hash, s.user_id, s.csrf_token, s.created_at AS session_created_at, s.last_seen_at, s.expires_at";

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Database {
    /// Opens a session for a user that ends at the latest after `lifetime`;
    /// returns it and the secret for the cookie (not stored anywhere).
    /// Expired sessions of every user are swept on the way.
    pub async fn create_session(
        &self,
        user_id: i64,
        lifetime: Duration,
        idle_timeout: Duration,
        origin: SessionOrigin<'_>,
    ) -> Result<(Session, String)> {
        let secret = random_hex(32);
        let csrf = random_hex(32);
        sqlx::query(
            "DELETE FROM sessions WHERE expires_at <= now() OR last_seen_at <= now() - make_interval(secs => $1)",
        )
        .bind(secs(idle_timeout))
        .execute(self.pool())
        .await?;
        let session = sqlx::query_as(&format!(
            "INSERT INTO sessions AS s (token_hash, user_id, csrf_token, expires_at, user_agent, client_addr)
             VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)
             RETURNING {SESSION_COLUMNS}"
        ))
        .bind(hash_token(&secret))
        .bind(user_id)
        .bind(csrf)
        .bind(secs(lifetime))
        .bind(origin.user_agent.map(|s| truncate(s, 512)))
        .bind(origin.client_addr)
        .fetch_one(self.pool())
        .await?;
        Ok((session, secret))
    }

    /// The live session with this cookie secret and its (active) user:
    /// not past its absolute expiry, and seen within `idle_timeout`.
    pub async fn session_by_secret(
        &self,
        secret: &str,
        idle_timeout: Duration,
    ) -> Result<SessionUser> {
        Ok(sqlx::query_as(&format!(
            "SELECT {SESSION_COLUMNS}, u.id, u.email, u.password_hash, u.is_admin, u.is_active, u.created_at, u.last_login_at
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > now()
               AND s.last_seen_at > now() - make_interval(secs => $2) AND u.is_active"
        ))
        .bind(hash_token(secret))
        .bind(secs(idle_timeout))
        .fetch_one(self.pool())
        .await?)
    }

    /// Slides the idle expiry of a session, unless that was done less than
    /// `min_interval` ago (so page views do not each write a row).
    pub async fn touch_session(&self, token_hash: &[u8], min_interval: Duration) -> Result<()> {
        sqlx::query(
            "UPDATE sessions SET last_seen_at = now()
             WHERE token_hash = $1 AND last_seen_at < now() - make_interval(secs => $2)",
        )
        .bind(token_hash)
        .bind(secs(min_interval))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Ends one session (logout). Ending one that is already gone is fine.
    pub async fn delete_session(&self, token_hash: &[u8]) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Ends every session of a user except `keep` (the one changing its
    /// password); returns how many were ended.
    pub async fn delete_user_sessions(&self, user_id: i64, keep: Option<&[u8]>) -> Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
        )
        .bind(user_id)
        .bind(keep)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}

/// At most `max` bytes of `s`, cut at a character boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}
