//! What people do to issues from the pages: change the status (resolve,
//! resolve in the next release or in a given one, mute with its
//! conditions, unresolve), delete (after a confirmation page), merge, and
//! the same status changes and deletion in bulk from the issue list.
//! Every id is checked by `access::require_issues` first: one issue the
//! user may not see makes the whole request a 404 and changes nothing.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Duration, Utc};
use minijinja::context;
use moth_storage::issues::queries::parse_short_id;
use moth_storage::issues::{IssueSummary, StatusChange};
use moth_storage::membership::ProjectRef;
use moth_storage::projects::Project;

use super::local_path;
use crate::forms::FormFields;
use crate::{access, CurrentUser, UiError, UiState};

/// Longest release name accepted in "resolve in release".
const MAX_RELEASE: usize = 200;

/// The status change a form asks for (`action` plus its options).
pub(crate) fn status_change(form: &FormFields) -> Result<StatusChange, UiError> {
    Ok(match form.text("action") {
        "resolve" => StatusChange::Resolve,
        "resolve_next_release" => StatusChange::ResolveInNextRelease,
        "resolve_in_release" => {
            let release = form.text("release");
            if release.is_empty() || release.chars().count() > MAX_RELEASE {
                return Err(UiError::BadRequest(format!(
                    "Name the release the fix ships in (1 to {MAX_RELEASE} characters)."
                )));
            }
            StatusChange::ResolveInRelease(release.to_string())
        }
        "unresolve" => StatusChange::Unresolve,
        "mute" => StatusChange::Mute {
            until: match form.text("mute_for") {
                "" | "forever" => None,
                d => Some(Utc::now() + duration(d)?),
            },
            events: count(form, "mute_events")?,
            users: count(form, "mute_users")?,
        },
        other => {
            return Err(UiError::BadRequest(format!(
                "Unknown action {:?}.",
                other.chars().take(50).collect::<String>()
            )))
        }
    })
}

/// `30m`, `1h`, `24h`, `7d`, `2w`.
fn duration(s: &str) -> Result<Duration, UiError> {
    let bad = || UiError::BadRequest(format!("Mute for {s:?}? Use e.g. 30m, 1h, 24h, 7d."));
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num.parse().map_err(|_| bad())?;
    if !(1..=100_000).contains(&n) {
        return Err(bad());
    }
    match unit {
        "m" => Ok(Duration::minutes(n)),
        "h" => Ok(Duration::hours(n)),
        "d" => Ok(Duration::days(n)),
        "w" => Ok(Duration::weeks(n)),
        _ => Err(bad()),
    }
}

/// An optional positive count ("until N more events").
fn count(form: &FormFields, name: &str) -> Result<Option<i64>, UiError> {
    match form.text(name) {
        "" => Ok(None),
        v => match v.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(UiError::BadRequest(format!(
                "{name}: {:?} is not a positive number.",
                v.chars().take(50).collect::<String>()
            ))),
        },
    }
}

/// The issue (and its project) if `user` may see it, else 404.
pub(crate) async fn visible_issue(
    state: &UiState,
    user: &CurrentUser,
    id: &str,
) -> Result<(IssueSummary, Project), UiError> {
    let id = access::parse_id(id)?;
    let found = access::require_issues(state.db(), user, &[id]).await?;
    let project_id = found.first().ok_or(UiError::NotFound)?.1;
    let project = access::require_project(state.db(), user, ProjectRef::Id(project_id)).await?;
    Ok((state.db().issue(id).await?, project))
}

/// `POST /issues/{id}/status` (`action` = resolve | resolve_next_release |
/// resolve_in_release (+ `release`) | unresolve | mute (+ `mute_for`,
/// `mute_events`, `mute_users`))
pub(crate) async fn set_status(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let (issue, _) = visible_issue(&state, &user, &id).await?;
    let change = status_change(&form)?;
    state
        .db()
        .set_issue_status(&[issue.id], &change, Some(user.id))
        .await?;
    Ok(Redirect::to(&format!("/issues/{}", issue.id)).into_response())
}

/// `GET /issues/{id}/delete`: are you sure?
pub(crate) async fn confirm_delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    let back = format!("/issues/{}", issue.id);
    let action = format!("/issues/{}/delete", issue.id);
    render_confirmation(&state, &user, &project, &[issue], &action, &back, false).await
}

/// The confirmation page; `bulk` forms re-post the selection.
async fn render_confirmation(
    state: &UiState,
    user: &CurrentUser,
    project: &Project,
    issues: &[IssueSummary],
    action: &str,
    back: &str,
    bulk: bool,
) -> Result<Response, UiError> {
    let events: i64 = issues.iter().map(|i| i.times_seen).sum();
    let issues: Vec<_> = issues
        .iter()
        .map(|i| context! { id => i.id, short_id => i.short_id_display(), title => &i.title, events => super::fmt::thousands(i.times_seen) })
        .collect();
    let ctx = context! {
        project => super::projects::project_view(project),
        issues,
        events => super::fmt::thousands(events),
        action,
        back,
        bulk,
    };
    Ok(state
        .page(Some(user), "issue_delete.html", ctx)?
        .into_response())
}

/// `POST /issues/{id}/delete`: deletes the issue and its events.
pub(crate) async fn delete(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    state.db().delete_issues(&[issue.id]).await?;
    Ok(Redirect::to(&format!("/projects/{}/issues", project.slug)).into_response())
}

/// `POST /issues/{id}/merge` (`issues`: ids or short ids like `APP-1A`,
/// separated by spaces or commas): moves their events into this issue.
pub(crate) async fn merge(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    let db = state.db();
    let mut ids = Vec::new();
    let mut shorts = Vec::new();
    for token in form
        .text("issues")
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .take(100)
    {
        if let Ok(n) = token.parse::<i64>() {
            ids.push(n);
        } else if let Some(s) = parse_short_id(&project.slug, token) {
            shorts.push((s, token));
        } else {
            return Err(UiError::BadRequest(format!(
                "{:?} is neither an issue id nor a short id of {}.",
                token.chars().take(50).collect::<String>(),
                project.slug
            )));
        }
    }
    if !shorts.is_empty() {
        let numbers: Vec<i64> = shorts.iter().map(|s| s.0).collect();
        let found = db.issue_ids_by_short_ids(project.id, &numbers).await?;
        for (short, shown) in &shorts {
            match found.iter().find(|f| f.0 == *short) {
                Some(f) => ids.push(f.1),
                None => {
                    return Err(UiError::BadRequest(format!(
                        "{project} has no issue {shown}.",
                        project = project.slug,
                        shown = shown.to_uppercase()
                    )))
                }
            }
        }
    }
    ids.retain(|i| *i != issue.id);
    if ids.is_empty() {
        return Err(UiError::BadRequest(
            "Name at least one other issue to merge into this one.".into(),
        ));
    }
    // Every source must be visible (404 otherwise); merge_issues refuses
    // other projects' issues with a 400.
    access::require_issues(db, &user, &ids).await?;
    db.merge_issues(issue.id, &ids, Some(user.id)).await?;
    Ok(Redirect::to(&format!("/issues/{}", issue.id)).into_response())
}

/// `POST /projects/{slug}/issues/bulk` (`issue` repeated, `action` as for
/// one issue or `delete`, `confirm` once confirmed, `back`): applies to
/// every selected issue of the project, or to none.
pub(crate) async fn bulk(
    State(state): State<UiState>,
    user: CurrentUser,
    Path(slug): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let db = state.db();
    let project = access::require_project(db, &user, ProjectRef::Slug(&slug)).await?;
    let ids = form.ids("issue")?;
    let found = access::require_issues(db, &user, &ids).await?;
    // The form belongs to one project's list: another project's issue is
    // not something it can name.
    if found.iter().any(|(_, p)| *p != project.id) {
        return Err(UiError::NotFound);
    }
    let list = format!("/projects/{}/issues", project.slug);
    let back = Some(local_path(form.text("back")))
        .filter(|b| b.starts_with(&list))
        .unwrap_or(&list)
        .to_string();
    if ids.is_empty() {
        return Err(UiError::BadRequest(
            "Select at least one issue first.".into(),
        ));
    }
    if form.text("action") == "delete" {
        if !form.flag("confirm") {
            let issues = db.issues_by_ids(&ids).await?;
            let action = format!("{list}/bulk");
            return render_confirmation(&state, &user, &project, &issues, &action, &back, true)
                .await;
        }
        db.delete_issues(&ids).await?;
    } else {
        let change = status_change(&form)?;
        db.set_issue_status(&ids, &change, Some(user.id)).await?;
    }
    Ok(Redirect::to(&back).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(s: &str) -> FormFields {
        FormFields::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn forms_become_status_changes() {
        assert_eq!(
            status_change(&form("action=resolve")).unwrap(),
            StatusChange::Resolve
        );
        assert_eq!(
            status_change(&form("action=resolve_in_release&release=+2.0+")).unwrap(),
            StatusChange::ResolveInRelease("2.0".into())
        );
        assert!(status_change(&form("action=resolve_in_release&release=")).is_err());
        assert_eq!(
            status_change(&form("action=mute&mute_for=&mute_events=&mute_users=")).unwrap(),
            StatusChange::Mute {
                until: None,
                events: None,
                users: None
            }
        );
        match status_change(&form(
            "action=mute&mute_for=24h&mute_events=100&mute_users=5",
        ))
        .unwrap()
        {
            StatusChange::Mute {
                until: Some(t),
                events: Some(100),
                users: Some(5),
            } => {
                let hours = (t - Utc::now()).num_minutes();
                assert!((1430..=1440).contains(&hours), "{hours}");
            }
            other => panic!("{other:?}"),
        }
        assert!(status_change(&form("action=mute&mute_for=1y")).is_err());
        assert!(status_change(&form("action=mute&mute_events=-3")).is_err());
        assert!(status_change(&form("action=explode")).is_err());
    }
}
