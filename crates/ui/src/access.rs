//! The one access check. Every page, form and API handler that touches a
//! project's data goes through these functions: an admin sees every
//! project, anyone else only the projects they are a member of, and a
//! project (or issue) a user may not see answers 404 exactly like one that
//! does not exist — never 403 — so ids leak nothing. Bulk actions check
//! every id they touch, all or nothing.

use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;
use moth_storage::Database;

use crate::auth::CurrentUser;
use crate::UiError;

/// The project (by id or slug) if `user` may see it, else [`UiError::NotFound`].
pub async fn require_project(
    db: &Database,
    user: &CurrentUser,
    project: ProjectRef<'_>,
) -> Result<Project, UiError> {
    Ok(db.visible_project(user.viewer(), project).await?)
}

/// Every one of these projects, or [`UiError::NotFound`] if `user` may not
/// see even one of them (or one does not exist).
pub async fn require_projects(
    db: &Database,
    user: &CurrentUser,
    ids: &[i64],
) -> Result<Vec<Project>, UiError> {
    Ok(db.visible_projects_among(user.viewer(), ids).await?)
}

/// For bulk issue actions: `(issue id, project id)` of every one of these
/// issues, or [`UiError::NotFound`] if any is missing or in a project `user`
/// may not see.
pub async fn require_issues(
    db: &Database,
    user: &CurrentUser,
    issue_ids: &[i64],
) -> Result<Vec<(i64, i64)>, UiError> {
    Ok(db.visible_issue_projects(user.viewer(), issue_ids).await?)
}

/// The projects `user` may see, by slug.
pub async fn visible_projects(db: &Database, user: &CurrentUser) -> Result<Vec<Project>, UiError> {
    Ok(db.visible_projects(user.viewer()).await?)
}

/// The ids of the projects `user` may see (to filter lists in SQL with
/// `project_id = ANY($1)`).
pub async fn visible_project_ids(db: &Database, user: &CurrentUser) -> Result<Vec<i64>, UiError> {
    Ok(visible_projects(db, user)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect())
}

/// A path segment that must be a numeric id; anything else is a 404.
pub fn parse_id(segment: &str) -> Result<i64, UiError> {
    segment.parse().map_err(|_| UiError::NotFound)
}
