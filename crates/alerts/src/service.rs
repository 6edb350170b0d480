//! The alerts service: what the project settings page and the CLI call to
//! manage destinations and send test messages. Managing destinations is
//! for administrators; everyone with access to the project may list them,
//! without the URLs and secrets (a webhook URL is a credential).

use std::time::{Duration, Instant};

use chrono::Utc;
use moth_storage::alerts::{
    DeliveryRow, Destination, DestinationFields, DestinationKind, DestinationStatus, Threshold,
    Trigger,
};
use moth_storage::users::User;
use moth_storage::{Database, StorageError};
use reqwest::Url;

use crate::config::AlertsConfig;
use crate::deliver::deliver;
use crate::error::AlertError;
use crate::message::{Message, ProjectInfo, Subject};
use crate::retry;
use crate::send::SendResult;
use crate::signature::generate_secret;

/// Who is acting.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// The operator at the command line (`moth alert ...`): full rights.
    Operator,
    /// A signed-in user of the web UI.
    User(&'a User),
}

impl Actor<'_> {
    /// Whether this actor may add, edit, disable, delete and test destinations.
    pub fn is_admin(&self) -> bool {
        match self {
            Self::Operator => true,
            Self::User(u) => u.is_admin && u.is_active,
        }
    }

    fn require_admin(&self) -> Result<(), AlertError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(AlertError::Forbidden)
        }
    }
}

/// What a person enters for a destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationInput {
    /// Empty: named after the kind and host ("Slack (hooks.slack.com)").
    pub name: String,
    pub kind: DestinationKind,
    pub url: String,
    /// Outbox triggers; may be empty when `threshold` is set.
    pub triggers: Vec<Trigger>,
    pub threshold: Option<Threshold>,
}

/// The result of a test message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TestOutcome {
    pub delivered: bool,
    /// HTTP status, when the receiver answered.
    pub status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Longest accepted destination URL.
const MAX_URL: usize = 2048;

/// Management of alert destinations over one database.
#[derive(Debug, Clone)]
pub struct Alerts {
    db: Database,
    config: AlertsConfig,
}

impl Alerts {
    pub fn new(db: Database, config: AlertsConfig) -> Self {
        Self { db, config }
    }

    /// Adds a destination to a project, with a new signing secret.
    pub async fn add_destination(
        &self,
        actor: Actor<'_>,
        project_id: i64,
        input: DestinationInput,
    ) -> Result<Destination, AlertError> {
        actor.require_admin()?;
        let fields = validate(input)?;
        Ok(self
            .db
            .create_alert_destination(project_id, &fields, &generate_secret())
            .await?)
    }

    /// Changes a destination's name, kind, URL and triggers.
    pub async fn edit_destination(
        &self,
        actor: Actor<'_>,
        id: i64,
        input: DestinationInput,
    ) -> Result<Destination, AlertError> {
        actor.require_admin()?;
        let fields = validate(input)?;
        self.db
            .update_alert_destination(id, &fields)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// Enables or disables a destination (disabling drops what waits for it).
    pub async fn set_enabled(
        &self,
        actor: Actor<'_>,
        id: i64,
        enabled: bool,
    ) -> Result<Destination, AlertError> {
        actor.require_admin()?;
        self.db
            .set_alert_destination_enabled(id, enabled)
            .await
            .map_err(|e| not_found(e, id))
    }

    pub async fn delete_destination(&self, actor: Actor<'_>, id: i64) -> Result<(), AlertError> {
        actor.require_admin()?;
        self.db
            .delete_alert_destination(id)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// One destination as configured.
    pub async fn destination(&self, actor: Actor<'_>, id: i64) -> Result<Destination, AlertError> {
        actor.require_admin()?;
        self.db
            .alert_destination(id)
            .await
            .map_err(|e| not_found(e, id))
    }

    /// The destinations of a project (or of all projects), each with its
    /// last success, last failure (status, error, time) and counts of
    /// pending and failed messages. For non-administrators URLs are cut to
    /// their host and secrets are blank.
    pub async fn list_destinations(
        &self,
        actor: Actor<'_>,
        project_id: Option<i64>,
    ) -> Result<Vec<DestinationStatus>, AlertError> {
        let mut list = self.db.alert_destinations(project_id).await?;
        if !actor.is_admin() {
            for d in &mut list {
                d.destination.url = redact_url(&d.destination.url);
                d.destination.secret.clear();
            }
        }
        Ok(list)
    }

    /// The latest `limit` deliveries of a destination, newest first (state,
    /// attempts, next attempt, last status and error), for its history on
    /// the settings page.
    pub async fn recent_deliveries(
        &self,
        actor: Actor<'_>,
        destination_id: i64,
        limit: i64,
    ) -> Result<Vec<DeliveryRow>, AlertError> {
        actor.require_admin()?;
        Ok(self
            .db
            .alert_deliveries(destination_id, limit.clamp(1, 500))
            .await?)
    }

    /// Sends a clearly labelled test message to a destination now and says
    /// how it went. Works for disabled destinations too (to try one before
    /// enabling it); the outcome shows on the settings page like any send.
    pub async fn send_test_message(
        &self,
        actor: Actor<'_>,
        destination_id: i64,
    ) -> Result<TestOutcome, AlertError> {
        actor.require_admin()?;
        let destination = self
            .db
            .alert_destination(destination_id)
            .await
            .map_err(|e| not_found(e, destination_id))?;
        let project = self.db.project_by_id(destination.project_id).await?;
        let message = Message {
            project: ProjectInfo::from(&project),
            subject: Subject::Test {
                destination_name: destination.name.clone(),
            },
            sent_at: Utc::now(),
            delivery_id: None,
        };
        let started = Instant::now();
        let result = deliver(&self.config.delivery, &destination, &message).await;
        let elapsed = started.elapsed();
        let status = match &result {
            SendResult::Answered(a) => Some(a.status),
            SendResult::NoAnswer { .. } => None,
        };
        let error = retry::failure_text(&result);
        let outcome = TestOutcome {
            delivered: error.is_none(),
            status,
            error,
            elapsed,
        };
        let failure = outcome
            .error
            .as_deref()
            .map(|e| (outcome.status.map(i32::from), e));
        self.db
            .record_alert_send(destination.id, Utc::now(), failure)
            .await?;
        Ok(outcome)
    }
}

fn not_found(e: StorageError, id: i64) -> AlertError {
    match e {
        StorageError::NotFound => AlertError::NotFound(id),
        other => other.into(),
    }
}

/// Checks and normalises what a person entered.
pub fn validate(input: DestinationInput) -> Result<DestinationFields, AlertError> {
    let url_text = input.url.trim();
    if url_text.len() > MAX_URL {
        return Err(AlertError::Invalid(format!(
            "the URL is longer than {MAX_URL} characters"
        )));
    }
    let url = Url::parse(url_text)
        .map_err(|e| AlertError::Invalid(format!("{url_text:?} is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(AlertError::Invalid(
            "the URL must start with http:// or https://".into(),
        ));
    }
    let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
        return Err(AlertError::Invalid("the URL needs a host".into()));
    };
    let name = match input.name.trim() {
        "" => format!("{} ({host})", kind_label(input.kind)),
        n if n.chars().count() > 100 => {
            return Err(AlertError::Invalid(
                "a destination name has at most 100 characters".into(),
            ))
        }
        n => n.to_string(),
    };
    let mut triggers = input.triggers;
    triggers.sort();
    triggers.dedup();
    if triggers.is_empty() && input.threshold.is_none() {
        return Err(AlertError::Invalid(
            "choose at least one trigger (new, regression, unmuted or a threshold)".into(),
        ));
    }
    if let Some(t) = input.threshold {
        if !(1..=Threshold::MAX_EVENTS).contains(&t.events) {
            return Err(AlertError::Invalid(format!(
                "the threshold's event count must be 1 to {}",
                Threshold::MAX_EVENTS
            )));
        }
        if !(1..=Threshold::MAX_MINUTES).contains(&t.minutes) {
            return Err(AlertError::Invalid(format!(
                "the threshold's window must be 1 to {} minutes",
                Threshold::MAX_MINUTES
            )));
        }
    }
    Ok(DestinationFields {
        name,
        kind: input.kind,
        url: url.to_string(),
        triggers,
        threshold: input.threshold,
    })
}

/// The kind as people write it.
pub fn kind_label(kind: DestinationKind) -> &'static str {
    match kind {
        DestinationKind::Slack => "Slack",
        DestinationKind::Discord => "Discord",
        DestinationKind::Mattermost => "Mattermost",
        DestinationKind::Teams => "Microsoft Teams",
        DestinationKind::Webhook => "Webhook",
    }
}

/// `https://hooks.slack.com/services/T/B/secret` → `https://hooks.slack.com/…`.
pub fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => format!("{}://{}/…", u.scheme(), u.host_str().unwrap_or_default()),
        Err(_) => "…".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(url: &str) -> DestinationInput {
        DestinationInput {
            name: String::new(),
            kind: DestinationKind::Slack,
            url: url.into(),
            triggers: vec![Trigger::Regression, Trigger::New, Trigger::New],
            threshold: None,
        }
    }

    #[test]
    fn validates_urls_and_names_and_triggers() {
        let f = validate(input(" https://hooks.slack.com/services/x ")).unwrap();
        assert_eq!(f.name, "Slack (hooks.slack.com)");
        assert_eq!(f.url, "https://hooks.slack.com/services/x");
        assert_eq!(f.triggers, vec![Trigger::New, Trigger::Regression]);
        assert!(validate(input("ftp://x/y")).is_err());
        assert!(validate(input("not a url")).is_err());
        assert!(validate(input("http://127.0.0.1:9/hook")).is_ok());
        let mut none = input("http://x/");
        none.triggers.clear();
        assert!(validate(none.clone()).is_err());
        none.threshold = Some(Threshold {
            events: 10,
            minutes: 5,
        });
        assert!(validate(none.clone()).is_ok());
        none.threshold = Some(Threshold {
            events: 10,
            minutes: 0,
        });
        assert!(validate(none).is_err());
    }

    #[test]
    fn redacts_urls_to_their_host() {
        assert_eq!(
            redact_url("https://hooks.slack.com/services/T/B/secret"),
            "https://hooks.slack.com/…"
        );
    }
}
