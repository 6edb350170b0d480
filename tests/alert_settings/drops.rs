//! The ingest drop counters on the settings page.

use super::common::eventually;
use super::common::web::*;
use super::*;

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
