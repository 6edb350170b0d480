//! Alert destinations on the project settings page, against the real
//! binary: admins add, edit, disable, enable, delete and test destinations
//! through the forms (test messages go to a real HTTP receiver on
//! loopback); members see the list without URLs and are refused every
//! change; outsiders get 404 everywhere; and the ingest drop counters show
//! on the same page.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod drops;
mod manage;

use std::time::Duration;

use common::web::*;
use moth_alerts::{Actor, Alerts, AlertsConfig, Destination, DestinationInput, Trigger};
use moth_storage::projects::Project;

const WAIT: Duration = Duration::from_secs(30);

/// Page text with minijinja's HTML escapes undone (it escapes `/` too).
pub fn text(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

pub fn settings(project: &Project) -> String {
    format!("/projects/{}/settings", project.slug)
}

pub fn alerts_path(project: &Project, id: i64, action: &str) -> String {
    format!("/projects/{}/alerts/{id}{action}", project.slug)
}

pub async fn destinations(m: &Triage, project: &Project) -> Vec<Destination> {
    m.t.db
        .alert_destinations(Some(project.id))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.destination)
        .collect()
}

pub async fn destination(m: &Triage, id: i64) -> Destination {
    m.t.db.alert_destination(id).await.unwrap()
}

/// Adds a destination as the operator would (`moth alert add`).
pub async fn add_directly(m: &Triage, project: &Project, name: &str, url: &str) -> Destination {
    let alerts = Alerts::new(m.t.db.clone(), AlertsConfig::new(&m.server.base_url));
    alerts
        .add_destination(
            Actor::Operator,
            project.id,
            DestinationInput {
                name: name.into(),
                kind: moth_alerts::DestinationKind::Webhook,
                url: url.into(),
                triggers: vec![Trigger::New],
                threshold: None,
            },
        )
        .await
        .unwrap()
}
