//! Golden payloads of every destination kind, with fixed times and ids
//! (insta snapshots in `tests/snapshots/`). A change to a format shows up
//! as a snapshot diff to review.

use chrono::{DateTime, TimeZone, Utc};
use moth_alerts::message::{
    Digest, EventInfo, IssueAlert, IssueInfo, IssueTrigger, Message, ProjectInfo, Subject,
};
use moth_alerts::{body, DestinationKind};

const BASE: &str = "https://moth.example.com";

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, h, m, 0).unwrap()
}

fn project() -> ProjectInfo {
    ProjectInfo {
        id: 7,
        slug: "api".into(),
        name: "API".into(),
    }
}

fn issue(id: i64, short: &str, title: &str, culprit: &str, level: &'static str) -> IssueInfo {
    IssueInfo {
        id,
        short_id: short.into(),
        title: title.into(),
        culprit: culprit.into(),
        level,
        status: "unresolved".into(),
        times_seen: 3,
        first_seen: at(9, 41),
        last_seen: at(10, 2),
        first_release: Some("api@1.4.0".into()),
        last_release: Some("api@1.4.2".into()),
        url: format!("{BASE}/issues/{id}"),
    }
}

fn event() -> Option<EventInfo> {
    Some(EventInfo {
        event_id: "0123456789abcdef0123456789abcdef".into(),
        environment: Some("production".into()),
        release: Some("api@1.4.2".into()),
        timestamp: at(10, 2),
    })
}

fn message(subject: Subject) -> Message {
    Message {
        project: project(),
        subject,
        sent_at: at(10, 3),
        delivery_id: Some(42),
    }
}

fn new_issue() -> Message {
    message(Subject::Issue(IssueAlert {
        trigger: IssueTrigger::New,
        issue: issue(
            46,
            "API-1A",
            "ValueError: invalid literal for int() with base 10: 'abc'",
            "app.views.orders in parse_quantity",
            "error",
        ),
        event: event(),
    }))
}

/// Event data trying every trick: mentions, markup, links, card functions,
/// newlines, and far too much of it.
fn hostile_regression() -> Message {
    let title = format!(
        "<!channel> @everyone @here *bold* _it_ ~s~ `code` [click](https://evil.example) \
         {{{{DATE(2017-02-14T06:00:00Z, SHORT)}}}} & <@U123|x>\nsecond line {}",
        "x".repeat(600)
    );
    message(Subject::Issue(IssueAlert {
        trigger: IssueTrigger::Regression,
        issue: issue(
            47,
            "API-1B",
            &title,
            "handler `eval` in <module> # [x](y) @channel",
            "fatal",
        ),
        event: Some(EventInfo {
            event_id: "fedcba9876543210fedcba9876543210".into(),
            environment: Some("prod <!here>".into()),
            release: None,
            timestamp: at(10, 2),
        }),
    }))
}

fn threshold() -> Message {
    message(Subject::Issue(IssueAlert {
        trigger: IssueTrigger::Threshold {
            events: 100,
            minutes: 10,
            count: 101,
        },
        issue: issue(48, "API-1C", "TimeoutError: upstream", "", "warning"),
        event: None,
    }))
}

fn digest() -> Message {
    message(Subject::Digest(Digest {
        count: 12,
        issues: (0..7)
            .map(|i| {
                issue(
                    100 + i,
                    &format!("API-{}", 30 + i),
                    &format!("KeyError: 'field_{i}'"),
                    "app.forms in clean",
                    "error",
                )
            })
            .collect(),
        url: format!("{BASE}/projects/api/issues"),
    }))
}

fn test_message() -> Message {
    let mut m = message(Subject::Test {
        destination_name: "#alerts".into(),
    });
    m.delivery_id = None;
    m
}

fn payload(kind: DestinationKind, m: &Message) -> serde_json::Value {
    serde_json::from_slice(&body(kind, m)).unwrap()
}

fn snapshots(kind: DestinationKind) {
    let name = kind.as_str();
    insta::assert_json_snapshot!(format!("{name}_new_issue"), payload(kind, &new_issue()));
    insta::assert_json_snapshot!(
        format!("{name}_hostile_regression"),
        payload(kind, &hostile_regression())
    );
    insta::assert_json_snapshot!(format!("{name}_threshold"), payload(kind, &threshold()));
    insta::assert_json_snapshot!(format!("{name}_digest"), payload(kind, &digest()));
    insta::assert_json_snapshot!(format!("{name}_test"), payload(kind, &test_message()));
}

#[test]
fn slack() {
    snapshots(DestinationKind::Slack);
}

#[test]
fn mattermost() {
    snapshots(DestinationKind::Mattermost);
}

#[test]
fn discord() {
    snapshots(DestinationKind::Discord);
}

#[test]
fn teams() {
    snapshots(DestinationKind::Teams);
}

#[test]
fn webhook() {
    snapshots(DestinationKind::Webhook);
}

/// Beyond the snapshots: nothing a chat would act on survives escaping.
#[test]
fn hostile_event_data_is_defused_in_every_chat_format() {
    let m = hostile_regression();
    let slack = String::from_utf8(body(DestinationKind::Slack, &m)).unwrap();
    assert!(
        !slack.contains("<!channel>") && !slack.contains("<!here>") && !slack.contains("<@U123")
    );
    assert!(slack.contains("&lt;!channel&gt;"));
    // Discord reads markdown everywhere in an embed; Mattermost in text and
    // field values (its title and fallback are plain text). Mentions are
    // broken everywhere.
    let discord = String::from_utf8(body(DestinationKind::Discord, &m)).unwrap();
    let mattermost = payload(DestinationKind::Mattermost, &m);
    let attachment = &mattermost["attachments"][0];
    let mut markdown_parts = vec![discord.clone(), attachment["text"].to_string()];
    for f in attachment["fields"].as_array().unwrap() {
        markdown_parts.push(f["value"].to_string());
    }
    for p in &markdown_parts {
        for needle in ["[click](", "*bold*", "<!here>", "`code`"] {
            assert!(!p.contains(needle), "{needle} survived in {p}");
        }
    }
    for p in [discord, mattermost.to_string()] {
        for needle in ["@everyone", "@here", "@channel"] {
            assert!(!p.contains(needle), "{needle} survived in {p}");
        }
    }
    let discord = payload(DestinationKind::Discord, &m);
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    let teams = String::from_utf8(body(DestinationKind::Teams, &m)).unwrap();
    assert!(!teams.contains("{{DATE"));
    // Chat limits hold.
    assert!(
        discord["embeds"][0]["title"]
            .as_str()
            .unwrap()
            .chars()
            .count()
            <= 256
    );
    let slack = payload(DestinationKind::Slack, &m);
    for block in slack["blocks"].as_array().unwrap() {
        if let Some(text) = block["text"]["text"].as_str() {
            assert!(text.chars().count() <= 3000);
        }
    }
}
