//! Triage actions and the issue list against the binary, over events sent
//! through ingest: status changes with their activity, deletion after a
//! confirmation, merging by short id or id, the list's filters, search,
//! sorts and keyset pages, and the bulk actions.

mod common;

use common::web::*;
use serde_json::{json, Value};

fn problem(n: usize) -> Value {
    json!({
        "level": match n % 5 { 0 => "warning", _ => "error" },
        "logentry": {"formatted": format!("Problem {n}")},
        "fingerprint": [format!("problem-{n}")],
        "environment": match n % 3 { 0 => "staging", _ => "production" },
        "release": if n == 7 { "2.0" } else { "1.0" },
        "tags": [["browser.name", match n % 10 { 1 => "Firefox", _ => "Chrome" }]],
        "user": if n < 3 { json!({"email": format!("u{n}@example.com")}) } else { json!({}) },
    })
}

/// The ids of the issues a list page shows, in order.
fn listed(html: &str) -> Vec<i64> {
    html.split("name=\"issue\" value=\"")
        .skip(1)
        .map(|s| s[..s.find('"').unwrap()].parse().unwrap())
        .collect()
}

/// A link of the page (by its text), unescaped.
fn link(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!("\">{text}</a>"))?;
    let start = html[..end].rfind("href=\"")? + 6;
    Some(
        html[start..end]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&")
            .replace("&#x27;", "'")
            .replace("&quot;", "\""),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn status_changes_delete_and_merge_from_the_issue_page() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (project, ingest) = m.project("Shop").await;
    let (other, other_ingest) = m.project("Other").await;
    for n in 0..4 {
        ingest.send(problem(n)).await;
    }
    other_ingest.send(problem(9)).await;
    let ids = m.issue_ids(&project).await;
    let foreign = m.issue_ids(&other).await[0];
    let (a, d) = (ids[0], ids[3]);
    let web = m.signed_in("root@example.com").await;
    let page = format!("/issues/{a}");
    let status = format!("/issues/{a}/status");
    let act = |fields: Vec<(&'static str, &'static str)>| {
        let (web, page, status) = (&web, page.clone(), status.clone());
        async move { web.submit(&page, &status, &fields).await }
    };
    let details = |id: i64| {
        let db = m.t.db.clone();
        async move { db.issue(id).await.unwrap().status_details }
    };

    let r = act(vec![("action", "resolve")]).await;
    assert_eq!((r.status, r.location()), (303, page.as_str()));
    assert_eq!(m.status(a).await, "resolved");
    let shown = web.get(&page).await.text;
    assert!(
        shown.contains("root@example.com</b> resolved the issue"),
        "{shown}"
    );
    assert!(!listed(&web.get("/projects/shop/issues").await.text).contains(&a));
    assert!(listed(&web.get("/projects/shop/issues?status=resolved").await.text).contains(&a));

    act(vec![("action", "unresolve")]).await;
    assert_eq!(m.status(a).await, "unresolved");
    act(vec![("action", "resolve_next_release")]).await;
    assert_eq!(details(a).await["kind"], "resolved_in_next_release");
    assert_eq!(details(a).await["release"], "1.0");
    act(vec![("action", "resolve_in_release"), ("release", "2.1")]).await;
    assert_eq!(details(a).await["release"], "2.1");
    assert!(web.get(&page).await.text.contains("in release 2.1"));
    // Refused: no release, an unknown action, a bad mute; nothing changes.
    for bad in [
        vec![("action", "resolve_in_release"), ("release", "")],
        vec![("action", "explode")],
        vec![("action", "mute"), ("mute_events", "-1")],
        vec![("action", "mute"), ("mute_for", "soon")],
    ] {
        let r = act(bad.clone()).await;
        assert_eq!(r.status, 400, "{bad:?}");
    }
    assert_eq!(details(a).await["release"], "2.1");

    act(vec![
        ("action", "mute"),
        ("mute_for", ""),
        ("mute_events", ""),
        ("mute_users", ""),
    ])
    .await;
    assert_eq!(m.status(a).await, "muted");
    assert!(web.get(&page).await.text.contains("forever"));
    act(vec![
        ("action", "mute"),
        ("mute_for", "24h"),
        ("mute_events", "100"),
        ("mute_users", "5"),
    ])
    .await;
    let muted = details(a).await;
    assert_eq!(
        (muted["events"].as_i64(), muted["users"].as_i64()),
        (Some(100), Some(5))
    );
    assert!(muted["until"].is_string());
    assert!(web.get(&page).await.text.contains("until 100 more events"));
    let activity = m
        .scalar(&format!(
            "SELECT count(*) FROM issue_activity WHERE issue_id = {a}"
        ))
        .await;
    assert_eq!(activity, 6, "one entry per change, none for refused ones");

    // Merge by short id and by id; the sources disappear into A.
    let r = web
        .submit(
            &page,
            &format!("/issues/{a}/merge"),
            &[("issues", "shop-2, 3")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(m.issue_ids(&project).await, vec![a, d]);
    assert_eq!(m.t.db.issue(a).await.unwrap().times_seen, 3);
    assert!(web
        .get(&page)
        .await
        .text
        .contains("merged SHOP-2, SHOP-3 into this issue"));
    for (bad, code) in [
        ("SHOP-99", 400),
        ("OTHER-1", 400),
        ("", 400),
        (&*foreign.to_string(), 400),
        ("999999", 404),
    ] {
        let r = web
            .submit(&page, &format!("/issues/{a}/merge"), &[("issues", bad)])
            .await;
        assert_eq!(r.status, code, "merge {bad:?}: {}", r.text);
    }
    assert_eq!(m.issue_ids(&project).await, vec![a, d]);
    assert_eq!(m.issue_ids(&other).await, vec![foreign]);

    // Delete asks first, then deletes the issue and its events.
    let confirm = web.get(&format!("/issues/{d}/delete")).await;
    assert_eq!(confirm.status, 200);
    assert!(confirm.text.contains("Problem 3") && confirm.text.contains("Delete for good"));
    assert_eq!(m.issue_ids(&project).await, vec![a, d]);
    let r = web
        .submit(
            &format!("/issues/{d}/delete"),
            &format!("/issues/{d}/delete"),
            &[],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/projects/shop/issues"));
    assert_eq!(m.issue_ids(&project).await, vec![a]);
    assert_eq!(
        m.scalar(&format!("SELECT count(*) FROM events WHERE issue_id = {d}"))
            .await,
        0
    );
    assert_eq!(web.get(&format!("/issues/{d}")).await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_sorts_pages_and_acts_in_bulk() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let (project, ingest) = m.project("Shop").await;
    for n in 0..30 {
        ingest.send(problem(n)).await;
    }
    for _ in 0..2 {
        ingest.send(problem(4)).await;
    }
    let ids = m.issue_ids(&project).await;
    let web = m.signed_in("root@example.com").await;
    let list = |q: &str| {
        let path = format!("/projects/shop/issues{q}");
        let web = &web;
        async move { web.get(&path).await }
    };

    // Keyset pages of 25, newest activity first, and back.
    let first = list("").await;
    assert_eq!(first.status, 200);
    assert!(first.text.contains("30 issues"));
    let page1 = listed(&first.text);
    assert_eq!(page1.len(), 25);
    assert_eq!(page1[0], ids[4], "the issue seen last comes first");
    let next = link(&first.text, "Next ›").expect("a next page");
    let second = web.get(&next).await;
    let page2 = listed(&second.text);
    assert_eq!(page2.len(), 5);
    assert!(page2.iter().all(|i| !page1.contains(i)));
    assert!(link(&second.text, "Next ›").is_none());
    let back = web.get(&link(&second.text, "‹ Previous").unwrap()).await;
    assert_eq!(listed(&back.text), page1);

    // Filters, search and sorts.
    let count = |q: &'static str| {
        let list = &list;
        async move { listed(&list(q).await.text).len() }
    };
    assert_eq!(count("?level=warning").await, 6);
    assert_eq!(count("?environment=staging").await, 10);
    assert_eq!(count("?release=2.0").await, 1);
    assert_eq!(count("?query=browser.name%3AFirefox").await, 3);
    assert_eq!(count("?query=%22Problem+13%22").await, 1);
    assert_eq!(count("?query=user.email%3Au1%40example.com").await, 1);
    assert_eq!(
        count("?query=level%3Awarning+environment%3Astaging").await,
        2
    );
    assert_eq!(count("?query=is%3Aresolved&status=unresolved").await, 0);
    let bad = list("?query=%22open").await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("unterminated quote"));
    assert_eq!(listed(&list("?sort=freq").await.text)[0], ids[4]);
    assert_eq!(listed(&list("?sort=new").await.text)[0], ids[29]);
    assert_eq!(listed(&list("?sort=user").await.text)[0], ids[2]);
    assert!(list("?period=14d")
        .await
        .text
        .contains("aria-label=\"3 events in 14d\""));
    let all = list("?all=1").await;
    assert_eq!(all.text.matches(" checked>").count(), 25);

    // Bulk resolve and mute go back to the list they came from.
    let back_to = "/projects/shop/issues?level=error";
    let (i0, i1, i2) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let r = web
        .submit(
            back_to,
            "/projects/shop/issues/bulk",
            &[
                ("action", "resolve"),
                ("issue", &i0),
                ("issue", &i1),
                ("back", back_to),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, back_to));
    assert_eq!(
        (m.status(ids[0]).await, m.status(ids[1]).await),
        ("resolved".into(), "resolved".into())
    );
    assert!(list("").await.text.contains("28 issues"));
    web.submit(
        back_to,
        "/projects/shop/issues/bulk",
        &[("action", "mute"), ("mute_for", "1h"), ("issue", &i2)],
    )
    .await;
    assert_eq!(m.status(ids[2]).await, "muted");
    let r = web
        .submit(
            back_to,
            "/projects/shop/issues/bulk",
            &[("action", "resolve")],
        )
        .await;
    assert_eq!(r.status, 400, "nothing selected");

    // Bulk delete asks first, listing what goes.
    let (i3, i5) = (ids[3].to_string(), ids[5].to_string());
    let r = web
        .submit(
            back_to,
            "/projects/shop/issues/bulk",
            &[("action", "delete"), ("issue", &i3), ("issue", &i5)],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("Delete 2 issues of Shop?")
            && r.text.contains("Problem 3")
            && r.text.contains("Problem 5")
    );
    assert_eq!(m.issue_ids(&project).await.len(), 30);
    let r = web
        .submit(
            back_to,
            "/projects/shop/issues/bulk",
            &[
                ("action", "delete"),
                ("confirm", "1"),
                ("issue", &i3),
                ("issue", &i5),
                ("back", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/projects/shop/issues"));
    assert_eq!(m.issue_ids(&project).await.len(), 28);
}
