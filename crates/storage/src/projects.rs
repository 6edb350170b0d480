//! Projects and their DSN keys.

use chrono::{DateTime, Utc};
use rand::RngCore;
use sqlx::FromRow;

use crate::error::is_unique_violation;
use crate::{Database, Result, StorageError};

/// A project: where one application's events go.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Project {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub platform: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A DSN public key of a project.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct ProjectKey {
    pub id: i64,
    pub project_id: i64,
    pub public_key: String,
    pub label: String,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
}

/// Turns a project name into a slug: lowercase ASCII letters, digits and
/// dashes (`"My API!"` → `"my-api"`).
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    slug.truncate(50);
    slug
}

/// A new random DSN public key: 32 lowercase hex characters.
pub fn generate_public_key() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

const PROJECT_COLUMNS: &str = "id, slug, name, platform, created_at";
const KEY_COLUMNS: &str = "id, project_id, public_key, label, is_active, created_at";

impl Database {
    /// Creates a project (slug derived from the name) with one active key.
    pub async fn create_project(
        &self,
        name: &str,
        platform: Option<&str>,
    ) -> Result<(Project, ProjectKey)> {
        let name = name.trim();
        let slug = slugify(name);
        if slug.is_empty() {
            return Err(StorageError::Invalid(format!(
                "project name {name:?} needs at least one letter or digit"
            )));
        }
        let mut tx = self.pool().begin().await?;
        let project: Project = sqlx::query_as(&format!(
            "INSERT INTO projects (slug, name, platform) VALUES ($1, $2, $3) RETURNING {PROJECT_COLUMNS}"
        ))
        .bind(&slug)
        .bind(name)
        .bind(platform)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StorageError::Conflict(format!("a project with the slug {slug:?} already exists"))
            } else {
                e.into()
            }
        })?;
        let key: ProjectKey = sqlx::query_as(&format!(
            "INSERT INTO project_keys (project_id, public_key) VALUES ($1, $2) RETURNING {KEY_COLUMNS}"
        ))
        .bind(project.id)
        .bind(generate_public_key())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok((project, key))
    }

    pub async fn list_projects(&self) -> Result<Vec<Project>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects ORDER BY slug"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn project_by_slug(&self, slug: &str) -> Result<Project> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE slug = $1"
        ))
        .bind(slug)
        .fetch_one(self.pool())
        .await?)
    }

    pub async fn project_by_id(&self, id: i64) -> Result<Project> {
        Ok(sqlx::query_as(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The keys of a project, oldest first.
    pub async fn project_keys(&self, project_id: i64) -> Result<Vec<ProjectKey>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM project_keys WHERE project_id = $1 ORDER BY id"
        ))
        .bind(project_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Looks up a DSN public key (active or not).
    pub async fn key_by_public_key(&self, public_key: &str) -> Result<ProjectKey> {
        Ok(sqlx::query_as(&format!(
            "SELECT {KEY_COLUMNS} FROM project_keys WHERE public_key = $1"
        ))
        .bind(public_key)
        .fetch_one(self.pool())
        .await?)
    }

    /// Every key, for the ingest key cache.
    pub async fn all_keys(&self) -> Result<Vec<ProjectKey>> {
        Ok(
            sqlx::query_as(&format!("SELECT {KEY_COLUMNS} FROM project_keys"))
                .fetch_all(self.pool())
                .await?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(slugify("My API!"), "my-api");
        assert_eq!(slugify("  backend  "), "backend");
        assert_eq!(slugify("a__b--c"), "a-b-c");
        assert_eq!(slugify("!!!"), "");
    }

    #[test]
    fn public_keys_are_32_hex() {
        let key = generate_public_key();
        assert_eq!(key.len(), 32);
        assert!(key
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    }
}
