//! `GET /issues/{id}/events/{event_id}`: one event in full, with the
//! oldest / previous / next / latest navigation; `…/latest` and
//! `…/oldest` redirect to those; `…/json` downloads the stored event.

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::{context, Value};
use moth_storage::events::StoredEvent;
use moth_storage::issues::IssueSummary;
use moth_storage::projects::Project;
use uuid::Uuid;

use super::event_view;
use super::fmt::When;
use super::issue_actions::visible_issue;
use super::issue_page::{issue_header, oldest_first};
use crate::{CurrentUser, UiError, UiState};

/// Which page an event is shown on (the navigation links differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventNav {
    /// The issue page's latest event.
    Latest,
    /// The event's own page.
    Own,
}

/// Everything `event_detail.html` needs about one event.
pub(crate) async fn event_context(
    state: &UiState,
    issue: &IssueSummary,
    project: &Project,
    event: &StoredEvent,
    oldest_first: bool,
    nav: EventNav,
) -> Result<Value, UiError> {
    let db = state.db();
    let (neighbours, attachments, reports) = tokio::try_join!(
        db.event_neighbours(event),
        db.event_attachments(project.id, event.event_id),
        db.event_user_reports(project.id, event.event_id),
    )?;
    let data = event.data()?;
    // Building the view of a large event is CPU work: off the event loop.
    let slug = project.slug.clone();
    let view =
        tokio::task::spawn_blocking(move || event_view::build(&data, &slug, oldest_first)).await?;
    let hex = event.event_id_hex();
    let link = |id: Option<Uuid>| {
        id.filter(|i| *i != event.event_id)
            .map(|i| format!("/issues/{}/events/{}", issue.id, i.simple()))
    };
    let base = match nav {
        EventNav::Latest => format!("/issues/{}", issue.id),
        EventNav::Own => format!("/issues/{}/events/{hex}", issue.id),
    };
    let now = chrono::Utc::now();
    Ok(context! {
        id => &hex,
        title => &event.title,
        when => When::new(event.timestamp, now),
        // Breadcrumb rows show times of day; the event ends their list.
        time_of_day => event.timestamp.format("%H:%M:%S%.3f").to_string(),
        received => When::new(event.received_at, now),
        release => &event.release,
        environment => &event.environment,
        level => moth_storage::issues::level::name(event.level),
        href => format!("/issues/{}/events/{hex}", issue.id),
        json_href => format!("/issues/{}/events/{hex}/json", issue.id),
        nav => context! {
            oldest => link(neighbours.oldest),
            previous => link(neighbours.previous),
            next => link(neighbours.next),
            latest => link(neighbours.latest),
        },
        order_href => if oldest_first { base.clone() } else { format!("{base}?order=oldest") },
        oldest_first,
        view,
        attachments => attachments.iter().map(|(id, name, ctype, size)| context! {
            id, name => name.chars().take(200).collect::<String>(), content_type => ctype, size => super::fmt::thousands(*size),
        }).collect::<Vec<_>>(),
        reports => reports.iter().map(|(name, email, comments, at)| context! {
            name, email, comments => comments.chars().take(8192).collect::<String>(), when => When::new(*at, now),
        }).collect::<Vec<_>>(),
    })
}

/// The event of an issue by its id (32 hex, dashed or not), else 404.
async fn issue_event(
    state: &UiState,
    issue: &IssueSummary,
    event_id: &str,
) -> Result<StoredEvent, UiError> {
    let uuid = Uuid::try_parse(event_id).map_err(|_| UiError::NotFound)?;
    let event = state.db().event_by_event_id(issue.project_id, uuid).await?;
    if event.issue_id != issue.id {
        return Err(UiError::NotFound);
    }
    Ok(event)
}

/// `GET /issues/{id}/events/{event_id}` (or `latest` / `oldest`)
pub(crate) async fn show(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((id, event_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, UiError> {
    let (issue, project) = visible_issue(&state, &user, &id).await?;
    if event_id == "latest" || event_id == "oldest" {
        let e = state
            .db()
            .issue_edge_event(issue.id, event_id == "latest")
            .await?;
        return Ok(
            Redirect::to(&format!("/issues/{}/events/{}", issue.id, e.event_id_hex()))
                .into_response(),
        );
    }
    let event = issue_event(&state, &issue, &event_id).await?;
    let event = event_context(
        &state,
        &issue,
        &project,
        &event,
        oldest_first(raw.as_deref()),
        EventNav::Own,
    )
    .await?;
    let ctx = context! { issue => issue_header(&issue, &project), event };
    Ok(state.page(Some(&user), "event.html", ctx)?.into_response())
}

/// `GET /issues/{id}/events/{event_id}/json`: the stored event as a file.
pub(crate) async fn json(
    State(state): State<UiState>,
    user: CurrentUser,
    Path((id, event_id)): Path<(String, String)>,
) -> Result<Response, UiError> {
    let (issue, _) = visible_issue(&state, &user, &id).await?;
    let event = issue_event(&state, &issue, &event_id).await?;
    let data = event.data()?;
    let body = serde_json::to_vec_pretty(&data).map_err(|e| UiError::internal(&e))?;
    // The name is the hex event id: nothing from the event's text.
    let disposition = format!(
        "attachment; filename=\"event-{}.json\"",
        event.event_id_hex()
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).map_err(|e| UiError::internal(&e))?,
            ),
        ],
        body,
    )
        .into_response())
}
