//! Admin: the users, their roles and passwords.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Deserialize;
use serde_json::json;

use super::{passwords, when};
use crate::access::parse_id;
use crate::audit::{Audit, AuditAction};
use crate::forms::FormFields;
use crate::{AdminUser, ClientAddr, CurrentUser, UiError, UiState};

#[derive(Debug, Deserialize)]
pub(crate) struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "removed" => Some("User removed."),
        "role" => Some("Role changed."),
        _ => None,
    }
}

#[derive(Default)]
struct Extras<'a> {
    notice: Option<&'a str>,
    error: Option<String>,
    /// A generated password, shown once, and whose it is.
    password: Option<(String, String)>,
}

/// `GET /admin/users`
pub(crate) async fn list(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    Query(q): Query<Done>,
) -> Result<Response, UiError> {
    let extras = Extras {
        notice: notice(q.done.as_deref()),
        ..Default::default()
    };
    render(&state, &user, extras, StatusCode::OK).await
}

async fn render(
    state: &UiState,
    user: &CurrentUser,
    extras: Extras<'_>,
    status: StatusCode,
) -> Result<Response, UiError> {
    let users: Vec<_> = state
        .db()
        .list_users()
        .await?
        .into_iter()
        .map(|u| {
            context! {
                id => u.id,
                email => u.email,
                is_admin => u.is_admin,
                is_me => u.id == user.id,
                created => when(u.created_at),
                last_login => u.last_login_at.map(when),
            }
        })
        .collect();
    let (password_for, password) = extras.password.unzip();
    let ctx = context! {
        users,
        notice => extras.notice,
        error => extras.error,
        password_for,
        password,
        min_password => passwords::MIN_CHARS,
    };
    Ok((status, state.page(Some(user), "admin_users.html", ctx)?).into_response())
}

/// `POST /admin/users` (`email`, `admin`, optional `password`): adds a
/// user; without a password one is generated and shown once.
pub(crate) async fn add(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    form: FormFields,
) -> Result<Response, UiError> {
    let db = state.db();
    let typed = form.get("password").unwrap_or("");
    let (password, generated) = if typed.is_empty() {
        (moth_storage::password::generate_password(), true)
    } else {
        (typed.to_string(), false)
    };
    if !generated {
        if let Err(problem) = passwords::check_new(&password, &password) {
            let extras = Extras {
                error: Some(problem),
                ..Default::default()
            };
            return render(&state, &user, extras, StatusCode::BAD_REQUEST).await;
        }
    }
    let phc = passwords::hash(&password).await?;
    let created = match db
        .create_user(form.text("email"), &phc, form.flag("admin"))
        .await
    {
        Ok(created) => created,
        Err(
            e @ (moth_storage::StorageError::Conflict(_) | moth_storage::StorageError::Invalid(_)),
        ) => {
            let extras = Extras {
                error: Some(e.to_string()),
                ..Default::default()
            };
            return render(&state, &user, extras, StatusCode::BAD_REQUEST).await;
        }
        Err(e) => return Err(e.into()),
    };
    Audit::new(AuditAction::UserAdded)
        .actor(Some(user.id), &user.email)
        .target(Some(created.id), &created.email)
        .details(json!({ "admin": created.is_admin }))
        .from_addr(&addr)
        .write(db)
        .await;
    let extras = Extras {
        notice: Some("User added."),
        password: generated.then(|| (created.email.clone(), password)),
        ..Default::default()
    };
    render(&state, &user, extras, StatusCode::OK).await
}

/// `POST /admin/users/{id}/remove`: removes a user with their sessions,
/// tokens and memberships. Admins cannot remove themselves.
pub(crate) async fn remove(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    if id == user.id {
        return Err(UiError::BadRequest(
            "You cannot remove yourself; ask another admin.".into(),
        ));
    }
    let removed = state.db().delete_user(id).await?;
    Audit::new(AuditAction::UserRemoved)
        .actor(Some(user.id), &user.email)
        .target(None, &removed.email)
        .details(json!({ "user_id": removed.id, "admin": removed.is_admin }))
        .from_addr(&addr)
        .write(state.db())
        .await;
    Ok(Redirect::to("/admin/users?done=removed").into_response())
}

/// `POST /admin/users/{id}/role` (`admin` = 1 or 0).
pub(crate) async fn set_role(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    if id == user.id {
        return Err(UiError::BadRequest(
            "You cannot change your own role; ask another admin.".into(),
        ));
    }
    let make_admin = form.flag("admin");
    let before = state.db().user_by_id(id).await?;
    let changed = state.db().set_user_admin(id, make_admin).await?;
    if before.is_admin != changed.is_admin {
        Audit::new(AuditAction::RoleChanged)
            .actor(Some(user.id), &user.email)
            .target(Some(changed.id), &changed.email)
            .details(json!({ "admin": changed.is_admin }))
            .from_addr(&addr)
            .write(state.db())
            .await;
    }
    Ok(Redirect::to("/admin/users?done=role").into_response())
}

/// `POST /admin/users/{id}/password`: sets a new generated password (shown
/// once) and signs the user out everywhere.
pub(crate) async fn reset_password(
    State(state): State<UiState>,
    AdminUser(user): AdminUser,
    ClientAddr(addr): ClientAddr,
    Path(id): Path<String>,
) -> Result<Response, UiError> {
    let id = parse_id(&id)?;
    if id == user.id {
        return Err(UiError::BadRequest(
            "Change your own password on your account page.".into(),
        ));
    }
    let db = state.db();
    let target = db.user_by_id(id).await?;
    let password = moth_storage::password::generate_password();
    let phc = passwords::hash(&password).await?;
    db.set_password_hash(target.id, &phc).await?;
    let ended = db.delete_user_sessions(target.id, None).await?;
    Audit::new(AuditAction::PasswordReset)
        .actor(Some(user.id), &user.email)
        .target(Some(target.id), &target.email)
        .details(json!({ "sessions_ended": ended }))
        .from_addr(&addr)
        .write(db)
        .await;
    let extras = Extras {
        notice: Some("Password reset; the user was signed out everywhere."),
        password: Some((target.email, password)),
        ..Default::default()
    };
    render(&state, &user, extras, StatusCode::OK).await
}
