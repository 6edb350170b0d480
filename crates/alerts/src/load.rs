//! Building the [`Message`] of a claimed delivery from the database.

use chrono::{DateTime, Utc};
use moth_storage::alerts::{ClaimedDelivery, DeliveryTrigger};
use moth_storage::{Database, Result};

use crate::message::{
    project_issues_url, Digest, EventInfo, IssueAlert, IssueInfo, IssueTrigger, Message,
    ProjectInfo, Subject,
};

/// Issues of a digest loaded by name (chat formats show the first few; the
/// generic webhook lists them all).
pub const DIGEST_LISTED: i64 = 20;

/// The message of `delivery`, or `None` when what it is about is gone
/// (deleted issues).
pub async fn message(
    db: &Database,
    base_url: &str,
    delivery: &ClaimedDelivery,
    now: DateTime<Utc>,
) -> Result<Option<Message>> {
    let project = ProjectInfo::from(&db.project_by_id(delivery.destination.project_id).await?);
    let subject = match delivery.trigger {
        DeliveryTrigger::Digest => {
            let members = db.digest_members(delivery.id, DIGEST_LISTED).await?;
            if members.total == 0 {
                return Ok(None);
            }
            Subject::Digest(Digest {
                count: members.total,
                issues: members
                    .first
                    .iter()
                    .map(|i| IssueInfo::new(i, &project.slug, base_url))
                    .collect(),
                url: project_issues_url(base_url, &project.slug),
            })
        }
        trigger => {
            let Some(issue_id) = delivery.issue_id else {
                return Ok(None);
            };
            let Some(issue) = db.alert_issue(issue_id).await? else {
                return Ok(None);
            };
            let event = db
                .alert_event(issue.project_id, issue.id, delivery.event_id)
                .await?;
            let detail = |key: &str| {
                delivery
                    .detail
                    .get(key)
                    .and_then(|v| v.as_i64())
                    .unwrap_or(0)
            };
            let trigger = match trigger {
                DeliveryTrigger::New => IssueTrigger::New,
                DeliveryTrigger::Regression => IssueTrigger::Regression,
                DeliveryTrigger::Unmuted => IssueTrigger::Unmuted,
                _ => IssueTrigger::Threshold {
                    events: detail("events") as i32,
                    minutes: detail("minutes") as i32,
                    count: detail("count"),
                },
            };
            Subject::Issue(IssueAlert {
                trigger,
                issue: IssueInfo::new(&issue, &project.slug, base_url),
                event: event.as_ref().map(EventInfo::from),
            })
        }
    };
    Ok(Some(Message {
        project,
        subject,
        sent_at: now,
        delivery_id: Some(delivery.id),
    }))
}
