//! `moth alert add | list | test`: the operator's side of alert
//! destinations (the operator acts with administrator rights).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Utc};
use moth_alerts::{
    redact_url, Actor, Alerts, AlertsConfig, DestinationInput, DestinationKind, DestinationStatus,
    Threshold, Trigger,
};
use moth_storage::{Database, StorageError};

use crate::cli::AlertCommand;

pub async fn run(db: Database, base_url: String, cmd: AlertCommand) -> Result<()> {
    let alerts = Alerts::new(db.clone(), AlertsConfig::new(&base_url));
    match cmd {
        AlertCommand::Add {
            project,
            kind,
            url,
            name,
            triggers,
            threshold_events,
            threshold_minutes,
        } => {
            let project = match db.project_by_slug(&project).await {
                Ok(p) => p,
                Err(StorageError::NotFound) => bail!("no project with the slug {project:?}"),
                Err(e) => return Err(e.into()),
            };
            let kind: DestinationKind = kind.parse()?;
            let threshold = match (threshold_events, threshold_minutes) {
                (Some(events), Some(minutes)) => Some(Threshold { events, minutes }),
                _ => None,
            };
            let triggers = parse_triggers(&triggers, threshold.is_some())?;
            let d = alerts
                .add_destination(
                    Actor::Operator,
                    project.id,
                    DestinationInput {
                        name,
                        kind,
                        url,
                        triggers,
                        threshold,
                    },
                )
                .await?;
            println!(
                "created alert destination {} \"{}\" ({}) for project {}: {}",
                d.id,
                d.name,
                d.kind,
                project.slug,
                describe_triggers(&d.triggers, d.threshold)
            );
            if d.kind == DestinationKind::Webhook {
                println!("signing secret: {}", d.secret);
            }
            Ok(())
        }
        AlertCommand::List { project } => {
            let project_id = match project {
                Some(slug) => Some(
                    db.project_by_slug(&slug)
                        .await
                        .with_context(|| format!("no project with the slug {slug:?}"))?
                        .id,
                ),
                None => None,
            };
            let list = alerts
                .list_destinations(Actor::Operator, project_id)
                .await?;
            if list.is_empty() {
                println!(
                    "no alert destinations (add one with `moth alert add --project SLUG --kind slack --url URL`)"
                );
            }
            for d in &list {
                print_destination(d);
            }
            Ok(())
        }
        AlertCommand::Test { id } => {
            let outcome = alerts.send_test_message(Actor::Operator, id).await?;
            let ms = outcome.elapsed.as_millis();
            match (outcome.delivered, outcome.status) {
                (true, Some(status)) => {
                    println!("test message delivered to alert destination {id}: HTTP {status} in {ms} ms");
                    Ok(())
                }
                _ => bail!(
                    "test message to alert destination {id} failed after {ms} ms: {}",
                    outcome.error.unwrap_or_default()
                ),
            }
        }
    }
}

/// `new,regression` → triggers; `threshold` is allowed in the list (it
/// needs the threshold flags, which enable it anyway).
fn parse_triggers(names: &[String], has_threshold: bool) -> Result<Vec<Trigger>> {
    let mut triggers = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if name == "threshold" {
            if !has_threshold {
                bail!("the threshold trigger needs --threshold-events N --threshold-minutes M");
            }
            continue;
        }
        triggers.push(name.parse::<Trigger>()?);
    }
    Ok(triggers)
}

fn describe_triggers(triggers: &[Trigger], threshold: Option<Threshold>) -> String {
    let mut parts: Vec<String> = triggers.iter().map(|t| t.to_string()).collect();
    if let Some(t) = threshold {
        parts.push(format!(
            "more than {} events in {} minutes",
            t.events, t.minutes
        ));
    }
    parts.join(", ")
}

fn print_destination(s: &DestinationStatus) {
    let d = &s.destination;
    println!(
        "{}  {}  {}  \"{}\"  {}",
        d.id,
        s.project_slug,
        d.kind,
        d.name,
        if d.enabled { "enabled" } else { "disabled" }
    );
    // The full URL is a credential: the list shows its host only.
    println!("    url:          {}", redact_url(&d.url));
    println!(
        "    triggers:     {}",
        describe_triggers(&d.triggers, d.threshold)
    );
    if d.kind == DestinationKind::Webhook {
        println!("    secret:       {}", d.secret);
    }
    println!(
        "    last success: {}",
        s.last_success_at
            .map(time)
            .unwrap_or_else(|| "never".into())
    );
    match &s.last_failure {
        Some(f) => println!("    last failure: {} {}", time(f.at), f.error),
        None => println!("    last failure: none"),
    }
    println!("    waiting: {}, failed: {}", s.pending, s.failed);
}

fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}
