//! The destination form (add and edit), kept as entered so that a refused
//! form shows again exactly as it was.

use minijinja::{context, Value};
use moth_alerts::{Destination, DestinationInput, DestinationKind, Threshold, Trigger};

use crate::forms::FormFields;

/// A destination form as entered, kept as text so that a refused form
/// shows again exactly as it was.
#[derive(Debug, Clone, Default)]
pub(crate) struct Entered {
    kind: String,
    url: String,
    name: String,
    triggers: Vec<String>,
    threshold_events: String,
    threshold_minutes: String,
}

impl Entered {
    /// A new destination: Slack, the three outbox triggers.
    pub(super) fn defaults() -> Self {
        Self {
            kind: DestinationKind::Slack.as_str().into(),
            triggers: Trigger::ALL.iter().map(|t| t.as_str().into()).collect(),
            ..Self::default()
        }
    }

    pub(super) fn from_form(form: &FormFields) -> Self {
        Self {
            kind: form.text("kind").into(),
            url: form.text("url").into(),
            name: form.text("name").into(),
            triggers: form.all("trigger").map(|t| t.trim().to_string()).collect(),
            threshold_events: form.text("threshold_events").into(),
            threshold_minutes: form.text("threshold_minutes").into(),
        }
    }

    pub(super) fn from_destination(d: &Destination) -> Self {
        Self {
            kind: d.kind.as_str().into(),
            url: d.url.clone(),
            name: d.name.clone(),
            triggers: d.triggers.iter().map(|t| t.as_str().into()).collect(),
            threshold_events: d
                .threshold
                .map(|t| t.events.to_string())
                .unwrap_or_default(),
            threshold_minutes: d
                .threshold
                .map(|t| t.minutes.to_string())
                .unwrap_or_default(),
        }
    }

    /// What the service gets, or why the form is refused.
    pub(super) fn input(&self) -> Result<DestinationInput, String> {
        let kind: DestinationKind = self.kind.parse().map_err(|_| {
            "Choose a kind: Slack, Mattermost, Discord, Microsoft Teams or Webhook.".to_string()
        })?;
        let triggers = self
            .triggers
            .iter()
            .map(|t| t.parse::<Trigger>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let number = |what: &str, v: &str| {
            v.parse::<i32>()
                .map_err(|_| format!("The threshold's {what} must be a whole number, not {v:?}."))
        };
        let threshold = match (
            self.threshold_events.as_str(),
            self.threshold_minutes.as_str(),
        ) {
            ("", "") => None,
            ("", _) | (_, "") => {
                return Err(
                    "A threshold needs both numbers: more than N events in M minutes.".into(),
                )
            }
            (events, minutes) => Some(Threshold {
                events: number("event count", events)?,
                minutes: number("minutes", minutes)?,
            }),
        };
        Ok(DestinationInput {
            name: self.name.clone(),
            kind,
            url: self.url.clone(),
            triggers,
            threshold,
        })
    }

    pub(super) fn view(&self) -> Value {
        let has = |t: Trigger| self.triggers.iter().any(|x| x == t.as_str());
        context! {
            kind => &self.kind,
            url => &self.url,
            name => &self.name,
            new => has(Trigger::New),
            regression => has(Trigger::Regression),
            unmuted => has(Trigger::Unmuted),
            threshold_events => &self.threshold_events,
            threshold_minutes => &self.threshold_minutes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_are_checked_and_kept_as_entered() {
        let form = FormFields::parse(
            b"kind=webhook&url=http%3A%2F%2Fx%2Fy&name=&trigger=new&threshold_events=10&threshold_minutes=5",
        )
        .unwrap();
        let entered = Entered::from_form(&form);
        let input = entered.input().unwrap();
        assert_eq!(input.kind, DestinationKind::Webhook);
        assert_eq!(input.triggers, vec![Trigger::New]);
        assert_eq!(
            input.threshold,
            Some(Threshold {
                events: 10,
                minutes: 5
            })
        );
        for (bad, says) in [
            (&b"kind=irc&url=x"[..], "Choose a kind"),
            (b"kind=slack&trigger=often", "unknown alert trigger"),
            (b"kind=slack&threshold_events=10", "both numbers"),
            (
                b"kind=slack&threshold_events=ten&threshold_minutes=5",
                "whole number",
            ),
        ] {
            let e = Entered::from_form(&FormFields::parse(bad).unwrap())
                .input()
                .unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}
