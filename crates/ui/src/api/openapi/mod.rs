//! `GET /api/0/openapi.json`: an OpenAPI 3.1 description of exactly what
//! Moth's API serves. A unit test holds its paths to the router's table
//! ([`super::ROUTES`]); end-to-end tests call every operation on real data
//! and validate the answers against these schemas, and a schemathesis run
//! fuzzes it.

mod schemas;

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

use self::schemas::{schema_ref, schemas};
use crate::UiState;

/// Served without a token: it is the same for every Moth.
pub(crate) async fn serve(State(state): State<UiState>) -> Json<Value> {
    Json(document(&state.config().base_url))
}

fn path_param(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "path", "required": true, "description": description,
            "schema": {"type": "string"} })
}

fn query_param(name: &str, schema: Value, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description,
            "schema": schema })
}

fn org() -> Value {
    path_param(
        "organization_id_or_slug",
        "The organization slug (`MOTH_ORG`, default `moth`).",
    )
}

fn project() -> Value {
    path_param("project_id_or_slug", "A project's slug or numeric id.")
}

fn issue() -> Value {
    path_param("issue_id", "An issue's numeric id.")
}

fn ids(name: &str, description: &str) -> Value {
    json!({ "name": name, "in": "query", "required": false, "description": description,
            "style": "form", "explode": true,
            "schema": {"type": "array", "items": {"type": "integer", "minimum": 1}} })
}

fn cursor() -> Value {
    query_param(
        "cursor",
        json!({"type": "string"}),
        "Where the page starts: a cursor from the `Link` header.",
    )
}

fn limit(default: i64) -> Value {
    query_param(
        "limit",
        json!({"type": "integer", "minimum": 1, "maximum": 100, "default": default}),
        "Rows per page.",
    )
}

fn issue_search() -> Vec<Value> {
    vec![
        query_param("query", json!({"type": "string", "default": "is:unresolved"}),
            "Search, e.g. `is:unresolved level:error release:1.2 environment:prod user.email:a@b.c !browser.name:Chrome firstSeen:-24h \"free text\"`. Absent: `is:unresolved`; empty: every issue."),
        query_param("sort", json!({"enum": ["date", "new", "freq", "user"], "default": "date"}),
            "Last seen, first seen, most events, most users."),
        limit(25),
        cursor(),
    ]
}

fn error(description: &str) -> Value {
    json!({ "description": description,
            "content": {"application/json": {"schema": schema_ref("Error")}} })
}

fn body(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": {"application/json": {"schema": schema}} })
}

fn list_of(name: &str) -> Value {
    json!({ "type": "array", "items": schema_ref(name) })
}

fn paginated(description: &str, schema: Value) -> Value {
    let mut b = body(description, schema);
    b["headers"] = json!({
        "Link": {"description": "`<url>; rel=\"previous\"; results=\"true|false\"; cursor=\"...\", <url>; rel=\"next\"; ...` as Sentry sends it.",
                 "schema": {"type": "string"}},
    });
    b
}

/// One operation; every operation may answer 400, 401 and 404 with
/// `{"detail": ...}`.
fn op(id: &str, summary: &str, params: Vec<Value>, ok: (&str, Value)) -> Value {
    let mut responses = Map::new();
    responses.insert(ok.0.to_string(), ok.1);
    responses.insert(
        "400".into(),
        error("Invalid parameters or body; `detail` says what is wrong."),
    );
    responses.insert(
        "401".into(),
        error("No token, or a token that is unknown or revoked."),
    );
    responses.insert(
        "404".into(),
        error("Does not exist, or the token's user may not see it."),
    );
    json!({ "operationId": id, "summary": summary, "parameters": params,
            "responses": responses })
}

fn with_body(mut operation: Value) -> Value {
    operation["requestBody"] = json!({
        "required": false,
        "content": {"application/json": {"schema": schema_ref("IssueUpdate")}},
    });
    operation
}

fn issue_ops(prefix: Vec<Value>) -> Value {
    let params = |mut extra: Vec<Value>| {
        let mut p = prefix.clone();
        p.append(&mut extra);
        p
    };
    json!({
        "get": op(&op_id("retrieveIssue", &prefix), "One issue, with activity, 24-hour and 30-day stats and tag keys",
            params(vec![issue()]), ("200", body("The issue.", schema_ref("IssueDetails")))),
        "put": with_body(op(&op_id("updateIssue", &prefix), "Resolve, unresolve or ignore an issue; answers the updated issue",
            params(vec![issue()]), ("200", body("The updated issue.", schema_ref("Issue"))))),
        "delete": op(&op_id("deleteIssue", &prefix), "Delete an issue and its events",
            params(vec![issue()]), ("202", json!({"description": "Deleted."}))),
    })
}

fn op_id(base: &str, prefix: &[Value]) -> String {
    if prefix.is_empty() {
        base.to_string()
    } else {
        format!("{base}InOrganization")
    }
}

fn bulk_params(mut prefix: Vec<Value>) -> Vec<Value> {
    let mut id = ids("id", "The issues to change (repeat: `id=1&id=2`). Every one must be visible, or nothing changes.");
    id["required"] = json!(true);
    id["schema"]["minItems"] = json!(1);
    prefix.push(id);
    prefix
}

fn bulk_ops(prefix: Vec<Value>, scope: &str) -> (Value, Value) {
    let put = with_body(op(
        &format!("bulkUpdate{scope}Issues"),
        "Change several issues (status, or `merge`); answers what changed",
        bulk_params(prefix.clone()),
        (
            "200",
            body("The changes made.", schema_ref("BulkUpdateResult")),
        ),
    ));
    let delete = op(
        &format!("bulkDelete{scope}Issues"),
        "Delete several issues",
        bulk_params(prefix),
        ("204", json!({"description": "Deleted."})),
    );
    (put, delete)
}

fn events_ops(prefix: Vec<Value>) -> (Value, Value) {
    let mut list_params = prefix.clone();
    list_params.extend([
        issue(),
        query_param(
            "full",
            json!({"type": "boolean", "default": false}),
            "Whole events instead of summaries.",
        ),
        limit(100),
        cursor(),
    ]);
    let list = json!({ "get": op(&op_id("listIssueEvents", &prefix), "An issue's events, newest first",
        list_params, ("200", paginated("Events (summaries, or `Event` with `full=true`).",
            json!({"type": "array", "items": {"anyOf": [schema_ref("EventSummary"), schema_ref("Event")]}})))) });
    let mut one_params = prefix.clone();
    one_params.extend([
        issue(),
        path_param(
            "event_id",
            "`latest`, `oldest`, `recommended` (the latest) or an event id of the issue.",
        ),
    ]);
    let one = json!({ "get": op(&op_id("retrieveIssueEvent", &prefix), "One event of an issue",
        one_params, ("200", body("The event.", schema_ref("EventDetails")))) });
    (list, one)
}

/// The whole document; `base_url` becomes its server.
pub(crate) fn document(base_url: &str) -> Value {
    let mut paths = Map::new();
    let mut add = |path: &str, item: Value| {
        paths.insert(format!("/api/0{path}"), item);
    };
    add(
        "/openapi.json",
        json!({ "get": {
            "operationId": "openapi", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1.", "content": {"application/json": {"schema": {"type": "object"}}}}},
        }}),
    );
    add(
        "/projects/",
        json!({ "get": op("listProjects", "The projects the token's user may see",
        vec![], ("200", body("Projects.", list_of("Project")))) }),
    );
    add(
        "/organizations/{organization_id_or_slug}/projects/",
        json!({ "get": op(
        "listOrganizationProjects", "The organization's projects the token's user may see",
        vec![org()], ("200", body("Projects.", list_of("Project")))) }),
    );
    add(
        "/projects/{organization_id_or_slug}/{project_id_or_slug}/",
        json!({ "get": op(
        "retrieveProject", "One project", vec![org(), project()],
        ("200", body("The project.", schema_ref("Project")))) }),
    );
    add(
        "/projects/{organization_id_or_slug}/{project_id_or_slug}/keys/",
        json!({ "get": op(
        "listProjectKeys", "A project's DSN keys", vec![org(), project()],
        ("200", body("Keys with their DSNs.", list_of("ProjectKey")))) }),
    );

    let mut list_params = vec![
        org(),
        project(),
        query_param(
            "statsPeriod",
            json!({"enum": ["", "24h", "14d"]}),
            "The `stats` series: 24 hours (default), 14 days, or none (empty).",
        ),
    ];
    list_params.extend(issue_search());
    let (put, delete) = bulk_ops(vec![org(), project()], "Project");
    add(
        "/projects/{organization_id_or_slug}/{project_id_or_slug}/issues/",
        json!({
            "get": op("listProjectIssues", "A project's issues, searched, sorted and cursor-paginated",
                list_params, ("200", paginated("Issues; `X-Hits` counts all matches (up to `X-Max-Hits`).", list_of("Issue")))),
            "put": put, "delete": delete,
        }),
    );
    let mut org_params = vec![
        org(),
        ids(
            "project",
            "Projects to list from (repeat); none or `-1`: every visible project.",
        ),
        query_param(
            "statsPeriod",
            json!({"type": "string", "pattern": "^([0-9]+[smhdw])?$"}),
            "Only issues seen within this time (e.g. `24h`, `14d`); empty or absent: all time.",
        ),
        query_param(
            "groupStatsPeriod",
            json!({"enum": ["", "24h", "14d"]}),
            "The `stats` series: 24 hours (default), 14 days, or none (empty).",
        ),
    ];
    org_params.extend(issue_search());
    let (put, delete) = bulk_ops(vec![org()], "Organization");
    add(
        "/organizations/{organization_id_or_slug}/issues/",
        json!({
            "get": op("listOrganizationIssues", "Issues across projects, searched, sorted and cursor-paginated",
                org_params, ("200", paginated("Issues.", list_of("Issue")))),
            "put": put, "delete": delete,
        }),
    );
    add("/issues/{issue_id}/", issue_ops(vec![]));
    add(
        "/organizations/{organization_id_or_slug}/issues/{issue_id}/",
        issue_ops(vec![org()]),
    );
    let (list, one) = events_ops(vec![]);
    add("/issues/{issue_id}/events/", list);
    add("/issues/{issue_id}/events/{event_id}/", one);
    let (list, one) = events_ops(vec![org()]);
    add(
        "/organizations/{organization_id_or_slug}/issues/{issue_id}/events/",
        list,
    );
    add(
        "/organizations/{organization_id_or_slug}/issues/{issue_id}/events/{event_id}/",
        one,
    );
    add(
        "/projects/{organization_id_or_slug}/{project_id_or_slug}/events/{event_id}/",
        json!({
            "get": op("retrieveProjectEvent", "A project's event by id (32 hex digits, dashes allowed)",
                vec![org(), project(), path_param("event_id", "The event id.")],
                ("200", body("The event, with its issue as `groupID`.", schema_ref("EventDetails")))),
        }),
    );
    add(
        "/issues/{issue_id}/tags/",
        json!({ "get": op("listIssueTags",
        "An issue's tag keys with their most common values",
        vec![issue(), query_param("key", json!({"type": "string"}), "Only this key (repeatable)."),
             query_param("limit", json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 9}), "Top values per key.")],
        ("200", body("Tags.", list_of("Tag")))) }),
    );
    add(
        "/issues/{issue_id}/tags/{key}/values/",
        json!({ "get": op("listIssueTagValues",
        "Every value of one tag of an issue, most frequent first",
        vec![issue(), path_param("key", "The tag key, e.g. `browser.name`."), limit(100), cursor()],
        ("200", paginated("Values.", list_of("TagValue")))) }),
    );

    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Moth API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The part of Sentry's web API that Moth serves, with Sentry's paths, field names and cursor pagination (`Link` header). Authenticate with `Authorization: Bearer <token>` (`moth token create`, or the account page).",
        },
        "servers": [{ "url": base_url }],
        "security": [{ "bearer": [] }],
        "paths": paths,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas(),
        },
    })
}
