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

impl Database {
    /// Every user, by email.
    pub async fn list_users(&self) -> Result<Vec<User>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY lower(email)"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// Users with these ids; [`StorageError::NotFound`] unless every id is one.
    pub async fn users_by_ids(&self, ids: &[i64]) -> Result<Vec<User>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let users: Vec<User> = sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = ANY($1) ORDER BY lower(email)"
        ))
        .bind(&ids)
        .fetch_all(self.pool())
        .await?;
        if users.len() != ids.len() {
            return Err(StorageError::NotFound);
        }
        Ok(users)
    }

    /// Removes a user with their sessions, tokens and memberships (cascade).
    pub async fn delete_user(&self, id: i64) -> Result<User> {
        Ok(sqlx::query_as(&format!(
            "DELETE FROM users WHERE id = $1 RETURNING {USER_COLUMNS}"
        ))
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// Makes a user admin or not. Taking the role from the last admin is
    /// refused ([`StorageError::Conflict`]) so that Moth always has one.
    pub async fn set_user_admin(&self, id: i64, is_admin: bool) -> Result<User> {
        let mut tx = self.pool().begin().await?;
        // Serialises role changes, so two admins demoting each other at
        // once cannot leave none.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext('moth.users.admins'))")
            .execute(&mut *tx)
            .await?;
        let other_admins: i64 =
            sqlx::query_scalar("SELECT count(*) FROM users WHERE is_admin AND id <> $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
        if !is_admin && other_admins == 0 {
            return Err(StorageError::Conflict(
                "this is the only admin; make someone else admin first".into(),
            ));
        }
        let user = sqlx::query_as(&format!(
            "UPDATE users SET is_admin = $2 WHERE id = $1 RETURNING {USER_COLUMNS}"
        ))
        .bind(id)
        .bind(is_admin)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&self, id: i64, password_hash: &str) -> Result<()> {
        let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
            .bind(id)
            .bind(password_hash)
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Notes a successful sign-in.
    pub async fn record_sign_in(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE users SET last_login_at = now() WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
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
