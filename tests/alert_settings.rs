//! Alert destinations on the project settings page, against the real
//! binary: admins add, edit, disable, enable, delete and test destinations
//! through the forms (test messages go to a real HTTP receiver on
//! loopback); members see the list without URLs and are refused every
//! change; outsiders get 404 everywhere; and the ingest drop counters show
//! on the same page.

mod common;

use std::time::Duration;

use common::web::*;
use common::*;
use moth_alerts::testing::{Receiver, Reply};
use moth_alerts::{Actor, Alerts, AlertsConfig, Destination, DestinationInput, Trigger};
use moth_storage::projects::Project;

const WAIT: Duration = Duration::from_secs(30);

/// Page text with minijinja's HTML escapes undone (it escapes `/` too).
fn text(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn settings(project: &Project) -> String {
    format!("/projects/{}/settings", project.slug)
}

fn alerts_path(project: &Project, id: i64, action: &str) -> String {
    format!("/projects/{}/alerts/{id}{action}", project.slug)
}

async fn destinations(m: &Triage, project: &Project) -> Vec<Destination> {
    m.t.db
        .alert_destinations(Some(project.id))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.destination)
        .collect()
}

async fn destination(m: &Triage, id: i64) -> Destination {
    m.t.db.alert_destination(id).await.unwrap()
}

/// Adds a destination as the operator would (`moth alert add`).
async fn add_directly(m: &Triage, project: &Project, name: &str, url: &str) -> Destination {
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

#[tokio::test(flavor = "multi_thread")]
async fn members_see_no_urls_and_are_refused_every_change_outsiders_get_404() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let mia = m.user("mia@example.com", false).await;
    let otto = m.user("otto@example.com", false).await;
    let (alpha, _) = m.project("Alpha").await;
    let (beta, _) = m.project("Beta").await;
    m.member_of(&alpha, &[mia]).await;
    m.member_of(&beta, &[otto]).await;
    let rx = Receiver::start().await;
    let ours = add_directly(&m, &alpha, "Alpha hook", &rx.url("/alpha-secret-path")).await;
    let theirs = add_directly(&m, &beta, "Beta hook", &rx.url("/beta-secret-path")).await;

    // A member sees the list: name, kind, host only, no secret, no forms.
    let member = m.signed_in("mia@example.com").await;
    let shown = member.get(&settings(&alpha)).await;
    assert_eq!(shown.status, 200);
    let page = text(&shown.text);
    assert!(page.contains("Alpha hook") && page.contains("new issue"));
    assert!(page.contains("http://127.0.0.1/…"), "{page}");
    assert!(!page.contains("alpha-secret-path"), "{page}");
    assert!(!page.contains(&ours.secret));
    assert!(!page.contains("Add a destination") && !page.contains("Send test message"));
    assert!(!page.contains("/alerts/"), "no management links: {page}");
    for path in [
        alerts_path(&alpha, ours.id, ""),
        alerts_path(&alpha, ours.id, "/delete"),
    ] {
        assert_eq!(member.get(&path).await.status, 404, "{path}");
    }

    let posts = |p: &Project, id: i64| {
        vec![
            (
                format!("/projects/{}/alerts", p.slug),
                vec![
                    ("kind", "slack"),
                    ("url", "http://127.0.0.1:9/x"),
                    ("trigger", "new"),
                ],
            ),
            (
                alerts_path(p, id, ""),
                vec![
                    ("kind", "slack"),
                    ("url", "http://127.0.0.1:9/x"),
                    ("name", "taken over"),
                    ("trigger", "new"),
                ],
            ),
            (alerts_path(p, id, "/enabled"), vec![("enabled", "0")]),
            (alerts_path(p, id, "/test"), vec![]),
            (alerts_path(p, id, "/delete"), vec![]),
        ]
    };
    let before = (
        destinations(&m, &alpha).await,
        destinations(&m, &beta).await,
    );
    // The member, with a valid CSRF token: refused like every admin-only form.
    for (path, fields) in posts(&alpha, ours.id) {
        let r = member.submit(&settings(&alpha), &path, &fields).await;
        assert_eq!(r.status, 404, "member: {path}");
    }
    // An outsider: the page and every form are 404.
    let outsider = m.signed_in("otto@example.com").await;
    assert_eq!(outsider.get(&settings(&alpha)).await.status, 404);
    for path in [
        alerts_path(&alpha, ours.id, ""),
        alerts_path(&alpha, ours.id, "/delete"),
    ] {
        assert_eq!(outsider.get(&path).await.status, 404, "{path}");
    }
    for (path, fields) in posts(&alpha, ours.id) {
        let r = outsider.submit("/", &path, &fields).await;
        assert_eq!(r.status, 404, "outsider: {path}");
    }
    // An admin naming a destination of another project, or none: 404.
    let admin = m.signed_in("root@example.com").await;
    for (path, fields) in posts(&alpha, theirs.id)
        .into_iter()
        .skip(1)
        .chain(posts(&alpha, 999_999).into_iter().skip(1))
    {
        let r = admin.submit(&settings(&alpha), &path, &fields).await;
        assert_eq!(r.status, 404, "admin, foreign id: {path}");
    }
    for path in [
        alerts_path(&alpha, theirs.id, ""),
        alerts_path(&alpha, theirs.id, "/delete"),
        "/projects/alpha/alerts/abc".to_string(),
        "/projects/nope/alerts/1".to_string(),
    ] {
        assert_eq!(admin.get(&path).await.status, 404, "{path}");
    }
    // Without the CSRF token, or with a wrong one: refused.
    for fields in [
        vec![("enabled", "0")],
        vec![("enabled", "0"), ("csrf_token", "forged")],
    ] {
        let r = admin
            .post(&alerts_path(&alpha, ours.id, "/enabled"), &fields)
            .await;
        assert_eq!(r.status, 403, "{fields:?}");
        assert!(r.text.contains("did not come from Moth"));
    }
    let r = admin
        .post(
            "/projects/alpha/alerts",
            &[("kind", "slack"), ("url", "http://x/"), ("trigger", "new")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Nothing changed, and nothing was sent.
    let after = (
        destinations(&m, &alpha).await,
        destinations(&m, &beta).await,
    );
    assert_eq!(before, after);
    assert!(rx.received().is_empty());
    // The admin sees what members do not.
    let page = text(&admin.get(&settings(&alpha)).await.text);
    assert!(
        page.contains("/alph…") && page.contains(&ours.secret),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn ingest_drop_counters_show_on_the_settings_page() {
    let m = Triage::start().await;
    let mia = m.user("mia@example.com", false).await;
    let (shop, ingest) = m.project("Shop").await;
    m.member_of(&shop, &[mia]).await;
    let member = m.signed_in("mia@example.com").await;
    let page = settings(&shop);
    assert!(member.get(&page).await.text.contains("Nothing dropped."));

    // An event item that is not JSON, a session and an unknown item: the
    // envelope is accepted, the three items are counted.
    let id = "c".repeat(32);
    let body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n{{\"message\": broken\n{{\"type\":\"session\"}}\n{{\"sid\":\"x\"}}\n{{\"type\":\"some_future_item\"}}\n{{}}\n"
    );
    let r = reqwest::Client::new()
        .post(&ingest.url)
        .header("content-type", "application/x-sentry-envelope")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Counted in memory, written to the database periodically.
    eventually("the drop counters to be written", WAIT, || async {
        m.t.db.ingest_drops(shop.id).await.unwrap().len() == 3
    })
    .await;
    let shown = text(&member.get(&page).await.text);
    assert!(!shown.contains("Nothing dropped."), "{shown}");
    for row in [
        "an event that is not a valid JSON object <span class=\"muted mono\">invalid_event</span></td><td class=\"mono\">event</td><td class=\"num\">1</td>",
        "an item type Moth does not store <span class=\"muted mono\">not_stored</span></td><td class=\"mono\">session</td><td class=\"num\">1</td>",
        "<td class=\"mono\">some_future_item</td>",
    ] {
        assert!(shown.contains(row), "{row} missing from {shown}");
    }
}
