//! Admins manage destinations through the forms.

use moth_alerts::testing::{Receiver, Reply};
use moth_alerts::Trigger;

use super::common::web::*;
use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn admins_add_edit_disable_test_and_delete_destinations() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (shop, _) = m.project("Shop").await;
    let rx = Receiver::start().await;
    rx.set_default("/down", Reply::Body(500, b"no thanks".to_vec()));
    let web = m.signed_in("root@example.com").await;
    let page = settings(&shop);

    let shown = web.get(&page).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text.contains("No alert destinations yet."));
    assert!(shown.text.contains("Add a destination"));

    // Add a Slack and a generic webhook destination through the form.
    let slack_url = rx.url("/slack/T0/B0/secrettoken");
    let r = web
        .submit(
            &page,
            "/projects/shop/alerts",
            &[
                ("kind", "slack"),
                ("url", &slack_url),
                ("name", "Ops channel"),
                ("trigger", "new"),
                ("trigger", "regression"),
                ("threshold_events", ""),
                ("threshold_minutes", ""),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        r.location(),
        "/projects/shop/settings?done=alert_added#alerts"
    );
    let r = web
        .submit(
            &page,
            "/projects/shop/alerts",
            &[
                ("kind", "webhook"),
                ("url", &rx.url("/hook")),
                ("name", ""),
                ("trigger", "unmuted"),
                ("threshold_events", "100"),
                ("threshold_minutes", "10"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let list = destinations(&m, &shop).await;
    assert_eq!(list.len(), 2);
    let (slack, hook) = (list[0].clone(), list[1].clone());
    assert_eq!(
        (slack.name.as_str(), slack.kind.as_str(), slack.url.as_str()),
        ("Ops channel", "slack", slack_url.as_str())
    );
    assert_eq!(slack.triggers, vec![Trigger::New, Trigger::Regression]);
    assert_eq!(hook.name, "Webhook (127.0.0.1)");
    assert_eq!(hook.triggers, vec![Trigger::Unmuted]);
    assert_eq!(
        hook.threshold.map(|t| (t.events, t.minutes)),
        Some((100, 10))
    );

    let shown = text(
        &web.get("/projects/shop/settings?done=alert_added")
            .await
            .text,
    );
    assert!(shown.contains("Alert destination added."), "{shown}");
    assert!(shown.contains("Ops channel") && shown.contains("new issue, regression"));
    assert!(shown.contains("Webhook (127.0.0.1)"));
    assert!(shown.contains("unmuted, more than 100 events in 10 minutes"));
    // Admins recognise the URL without the page showing its token.
    assert!(shown.contains("/slack/T0/B0/secr…"), "{shown}");
    assert!(!shown.contains("secrettoken"));
    // The webhook's signing secret, for its receiver.
    assert_eq!(hook.secret.len(), 64);
    assert!(shown.contains(&hook.secret));
    let edit = text(&web.get(&alerts_path(&shop, hook.id, "")).await.text);
    assert!(
        edit.contains(&hook.secret) && edit.contains("X-Moth-Signature"),
        "{edit}"
    );

    // Edit: the form shows what is stored; saving changes it.
    let edit_page = alerts_path(&shop, slack.id, "");
    let edit = web.get(&edit_page).await;
    assert_eq!(edit.status, 200);
    assert!(text(&edit.text).contains(&format!("value=\"{slack_url}\"")));
    let mm_url = rx.url("/mm");
    let r = web
        .submit(
            &edit_page,
            &edit_page,
            &[
                ("kind", "mattermost"),
                ("url", &mm_url),
                ("name", "Ops alerts"),
                ("trigger", "new"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        r.location(),
        "/projects/shop/settings?done=alert_saved#alerts"
    );
    let edited = destination(&m, slack.id).await;
    assert_eq!(
        (
            edited.name.as_str(),
            edited.kind.as_str(),
            edited.url.as_str()
        ),
        ("Ops alerts", "mattermost", mm_url.as_str())
    );
    assert_eq!(edited.triggers, vec![Trigger::New]);
    assert_eq!(edited.secret, slack.secret, "editing keeps the secret");

    // Disable, then enable again.
    let enabled = alerts_path(&shop, slack.id, "/enabled");
    let r = web.submit(&page, &enabled, &[("enabled", "0")]).await;
    assert_eq!(r.status, 303);
    assert!(!destination(&m, slack.id).await.enabled);
    let shown = web.get(&page).await.text;
    assert!(shown.contains(">disabled<") && shown.contains(">Enable<"));
    let r = web.submit(&page, &enabled, &[("enabled", "1")]).await;
    assert_eq!(r.status, 303);
    assert!(destination(&m, slack.id).await.enabled);

    // "Send test message": exactly one message, and the page says so.
    let r = web
        .submit(&page, &alerts_path(&shop, slack.id, "/test"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let shown = text(&r.text);
    assert!(
        shown.contains("Test message to “Ops alerts” delivered (HTTP 200) in"),
        "{shown}"
    );
    let sent: Vec<_> = rx
        .received()
        .into_iter()
        .filter(|x| x.path == "/mm")
        .collect();
    assert_eq!(sent.len(), 1);
    assert!(String::from_utf8_lossy(&sent[0].body).contains("Test message from Moth for shop"));
    let shown = web.get(&page).await.text;
    assert!(shown.contains("delivery-ok\">delivered"), "{shown}");

    // A receiver answering 500: the failure shows, there and in the list.
    let r = web
        .submit(
            &page,
            "/projects/shop/alerts",
            &[
                ("kind", "discord"),
                ("url", &rx.url("/down")),
                ("name", "Broken"),
                ("trigger", "new"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let broken = destinations(&m, &shop).await[2].clone();
    let r = web
        .submit(&page, &alerts_path(&shop, broken.id, "/test"), &[])
        .await;
    assert_eq!(r.status, 200);
    let shown = text(&r.text);
    assert!(
        shown.contains("Test message to “Broken” failed after")
            && shown.contains("ms: HTTP 500: no thanks"),
        "{shown}"
    );
    assert_eq!(
        rx.received().iter().filter(|x| x.path == "/down").count(),
        1
    );
    let shown = text(&web.get(&page).await.text);
    assert!(
        shown.contains("delivery-failed\">failed") && shown.contains("HTTP 500: no thanks"),
        "{shown}"
    );

    // Refused input: a clear reason, what was typed kept, nothing stored.
    let r = web
        .submit(
            &page,
            "/projects/shop/alerts",
            &[
                ("kind", "teams"),
                ("url", "not a url"),
                ("name", "Keep me"),
                ("trigger", "regression"),
                ("threshold_events", "5"),
                ("threshold_minutes", "15"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    let shown = text(&r.text);
    assert!(
        shown.contains("\"not a url\" is not a valid URL"),
        "{shown}"
    );
    assert!(shown.contains("value=\"Keep me\"") && shown.contains("value=\"not a url\""));
    assert!(shown.contains("value=\"teams\" selected"));
    assert!(shown.contains("value=\"regression\" checked"));
    assert!(!shown.contains("value=\"new\" checked"));
    assert!(shown.contains("value=\"5\"") && shown.contains("value=\"15\""));
    for (fields, says) in [
        (
            vec![("kind", "slack"), ("url", "ftp://x/y"), ("trigger", "new")],
            "must start with http:// or https://",
        ),
        (
            vec![("kind", "slack"), ("url", "http://x/")],
            "choose at least one trigger",
        ),
        (
            vec![
                ("kind", "slack"),
                ("url", "http://x/"),
                ("threshold_events", "0"),
                ("threshold_minutes", "5"),
            ],
            "event count must be 1 to",
        ),
        (
            vec![("kind", "irc"), ("url", "http://x/"), ("trigger", "new")],
            "Choose a kind",
        ),
    ] {
        let r = web.submit(&page, "/projects/shop/alerts", &fields).await;
        assert_eq!(r.status, 400, "{fields:?}");
        assert!(text(&r.text).contains(says), "{fields:?}: {}", r.text);
    }
    assert_eq!(destinations(&m, &shop).await.len(), 3);
    // The same on the edit page; the destination stays as it was.
    let kept = destination(&m, slack.id).await;
    let r = web
        .submit(
            &edit_page,
            &edit_page,
            &[("kind", "slack"), ("url", "http://"), ("trigger", "new")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(text(&r.text).contains("value=\"http://\""));
    assert_eq!(destination(&m, slack.id).await, kept);
    assert_eq!(kept.url, mm_url);

    // Delete, after a confirmation page.
    let confirm = alerts_path(&shop, broken.id, "/delete");
    let shown = web.get(&confirm).await;
    assert_eq!(shown.status, 200);
    assert!(text(&shown.text).contains("Delete the alert destination “Broken”"));
    let r = web.submit(&confirm, &confirm, &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(
        r.location(),
        "/projects/shop/settings?done=alert_deleted#alerts"
    );
    let left: Vec<i64> = destinations(&m, &shop).await.iter().map(|d| d.id).collect();
    assert_eq!(left, vec![slack.id, hook.id]);
    assert!(!web.get(&page).await.text.contains("Broken"));

    // Every change is in the audit log, without the URL.
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'alert.%' ORDER BY id")
            .fetch_all(m.t.db.pool())
            .await
            .unwrap();
    assert_eq!(
        actions,
        [
            "alert.add",
            "alert.add",
            "alert.edit",
            "alert.disable",
            "alert.enable",
            "alert.add",
            "alert.delete"
        ]
    );
    let details: Vec<String> =
        sqlx::query_scalar("SELECT details::text FROM audit_log WHERE action LIKE 'alert.%'")
            .fetch_all(m.t.db.pool())
            .await
            .unwrap();
    let port = format!(":{}", rx.addr().port());
    assert!(details.iter().all(|d| !d.contains(&port)), "{details:?}");
}
