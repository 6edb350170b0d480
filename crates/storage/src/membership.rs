//! Project membership and the visibility rule built on it: an admin sees
//! every project, anyone else the projects they are a member of. Every
//! query here takes the viewer so the rule is applied in SQL, set-based.

use crate::projects::Project;
use crate::users::User;
use crate::{Database, Result, StorageError};

/// Who is looking: enough to apply the visibility rule.
#[derive(Debug, Clone, Copy)]
pub struct Viewer {
    pub user_id: i64,
    pub is_admin: bool,
}

/// A project named by id or by slug.
#[derive(Debug, Clone, Copy)]
pub enum ProjectRef<'a> {
    Id(i64),
    Slug(&'a str),
}

/// What a membership update changed (user ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembershipChange {
    pub added: Vec<i64>,
    pub removed: Vec<i64>,
}

const VISIBLE: &str =
    "($2 OR EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = p.id AND m.user_id = $1))";

impl Database {
    /// The projects a viewer may see, by slug.
    pub async fn visible_projects(&self, viewer: Viewer) -> Result<Vec<Project>> {
        Ok(sqlx::query_as(&format!(
            "SELECT p.id, p.slug, p.name, p.platform, p.created_at FROM projects p
             WHERE {VISIBLE} ORDER BY p.slug"
        ))
        .bind(viewer.user_id)
        .bind(viewer.is_admin)
        .fetch_all(self.pool())
        .await?)
    }

    /// One project if the viewer may see it; [`StorageError::NotFound`] both
    /// when it does not exist and when it is not visible.
    pub async fn visible_project(
        &self,
        viewer: Viewer,
        project: ProjectRef<'_>,
    ) -> Result<Project> {
        let (id, slug) = match project {
            ProjectRef::Id(id) => (Some(id), None),
            ProjectRef::Slug(slug) => (None, Some(slug)),
        };
        Ok(sqlx::query_as(&format!(
            "SELECT p.id, p.slug, p.name, p.platform, p.created_at FROM projects p
             WHERE (p.id = $3 OR p.slug = $4) AND {VISIBLE}"
        ))
        .bind(viewer.user_id)
        .bind(viewer.is_admin)
        .bind(id)
        .bind(slug)
        .fetch_one(self.pool())
        .await?)
    }

    /// All of these projects, or [`StorageError::NotFound`] if any one does
    /// not exist or is not visible (bulk actions touch all or nothing).
    pub async fn visible_projects_among(
        &self,
        viewer: Viewer,
        ids: &[i64],
    ) -> Result<Vec<Project>> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let found: Vec<Project> = sqlx::query_as(&format!(
            "SELECT p.id, p.slug, p.name, p.platform, p.created_at FROM projects p
             WHERE p.id = ANY($3) AND {VISIBLE} ORDER BY p.id"
        ))
        .bind(viewer.user_id)
        .bind(viewer.is_admin)
        .bind(&ids)
        .fetch_all(self.pool())
        .await?;
        if found.len() != ids.len() {
            return Err(StorageError::NotFound);
        }
        Ok(found)
    }

    /// The `(issue id, project id)` of each of these issues, or
    /// [`StorageError::NotFound`] if any one does not exist or is in a
    /// project the viewer may not see.
    pub async fn visible_issue_projects(
        &self,
        viewer: Viewer,
        issue_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>> {
        let mut ids = issue_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let found: Vec<(i64, i64)> = sqlx::query_as(&format!(
            "SELECT i.id, i.project_id FROM issues i JOIN projects p ON p.id = i.project_id
             WHERE i.id = ANY($3) AND {VISIBLE} ORDER BY i.id"
        ))
        .bind(viewer.user_id)
        .bind(viewer.is_admin)
        .bind(&ids)
        .fetch_all(self.pool())
        .await?;
        if found.len() != ids.len() {
            return Err(StorageError::NotFound);
        }
        Ok(found)
    }

    /// The members of a project, by email.
    pub async fn project_members(&self, project_id: i64) -> Result<Vec<User>> {
        Ok(sqlx::query_as(
            "SELECT u.id, u.email, u.password_hash, u.is_admin, u.is_active, u.created_at, u.last_login_at
             FROM project_members m JOIN users u ON u.id = m.user_id
             WHERE m.project_id = $1 ORDER BY lower(u.email)",
        )
        .bind(project_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// Makes exactly these users the members of a project, in one
    /// transaction. [`StorageError::NotFound`] (and no change) if any id is
    /// not a user or the project does not exist.
    pub async fn set_project_members(
        &self,
        project_id: i64,
        user_ids: &[i64],
    ) -> Result<MembershipChange> {
        let mut ids = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut tx = self.pool().begin().await?;
        // Locks the project row: concurrent updates of one project's members
        // apply one after the other, and a deleted project is noticed.
        let exists: Option<i64> =
            sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 FOR UPDATE")
                .bind(project_id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StorageError::NotFound);
        }
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_one(&mut *tx)
            .await?;
        if known != ids.len() as i64 {
            return Err(StorageError::NotFound);
        }
        let mut removed: Vec<i64> = sqlx::query_scalar(
            "DELETE FROM project_members WHERE project_id = $1 AND NOT (user_id = ANY($2)) RETURNING user_id",
        )
        .bind(project_id)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        let mut added: Vec<i64> = sqlx::query_scalar(
            "INSERT INTO project_members (project_id, user_id) SELECT $1, unnest($2::bigint[])
             ON CONFLICT DO NOTHING RETURNING user_id",
        )
        .bind(project_id)
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        removed.sort_unstable();
        added.sort_unstable();
        Ok(MembershipChange { added, removed })
    }
}
