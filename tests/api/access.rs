//! Who sees what: no token and revoked tokens are 401; another user's
//! project, issue or event is a 404 exactly like one that does not exist;
//! a bulk change with one foreign id changes nothing.

use reqwest::Method;
use serde_json::json;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn tokens_and_visibility() {
    let m = Moth::with_captures().await;
    // One issue in another project, which the member cannot see.
    let (other, key) = m.t.db.create_project("Other", Some("node")).await.unwrap();
    let r = m
        .client
        .post(m.server.url(&format!("/api/{}/store/", other.id)))
        .header(
            "x-sentry-auth",
            format!("Sentry sentry_key={}", key.public_key),
        )
        .json(&json!({"message": "foreign trouble", "level": "error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let foreign_event = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let foreign = m.issue_titled("foreign trouble").await;
    let member = m.member("member@example.com", &[42]).await;
    let mine = m.issue_titled("ZeroDivisionError").await;

    // No token, a malformed header, an unknown token: 401 with a detail.
    let paths = [
        "/api/0/projects/".to_string(),
        "/api/0/projects/moth/captures/issues/".to_string(),
        format!("/api/0/issues/{mine}/"),
        format!("/api/0/issues/{mine}/events/latest/"),
    ];
    for p in &paths {
        let a = m.call(Method::GET, p, None, None).await;
        assert_eq!(a.status, 401, "{p}");
        assert_eq!(
            a.body["detail"],
            "Authentication credentials were not provided."
        );
        let a = m.call(Method::GET, p, Some("moth_0000"), None).await;
        assert_eq!(
            (a.status, a.body["detail"].as_str()),
            (401, Some("Invalid token.")),
            "{p}"
        );
        assert_eq!(
            m.call(Method::GET, p, Some(&member), None).await.status,
            200,
            "{p}"
        );
    }
    let session_only = m
        .client
        .get(m.server.url("/api/0/projects/"))
        .header("cookie", "moth_session=whatever")
        .send()
        .await
        .unwrap();
    assert_eq!(
        session_only.status(),
        401,
        "cookies are not API credentials"
    );

    // The member sees their project only; the rest is 404.
    let projects = m
        .call(Method::GET, "/api/0/projects/", Some(&member), None)
        .await;
    assert_eq!(projects.body.as_array().unwrap().len(), 1);
    assert_eq!(projects.body[0]["slug"], "captures");
    let hidden = [
        "/api/0/projects/moth/other/".to_string(),
        format!("/api/0/projects/moth/{}/keys/", other.id),
        "/api/0/projects/moth/other/issues/".to_string(),
        format!("/api/0/organizations/moth/issues/?project={}", other.id),
        format!("/api/0/issues/{foreign}/"),
        format!("/api/0/organizations/moth/issues/{foreign}/"),
        format!("/api/0/issues/{foreign}/events/"),
        format!("/api/0/issues/{foreign}/events/latest/"),
        format!("/api/0/issues/{foreign}/tags/"),
        format!("/api/0/issues/{foreign}/tags/level/values/"),
        format!("/api/0/projects/moth/other/events/{foreign_event}/"),
        // The event exists, but not in the member's project.
        format!("/api/0/projects/moth/captures/events/{foreign_event}/"),
    ];
    for p in &hidden {
        let a = m.call(Method::GET, p, Some(&member), None).await;
        assert_eq!(
            (a.status, a.body["detail"].as_str()),
            (404, Some("Not found.")),
            "{p}"
        );
        assert_eq!(
            m.get(p).await.status,
            if p.contains("captures/events") {
                404
            } else {
                200
            },
            "admin: {p}"
        );
    }
    let org = m
        .call(
            Method::GET,
            "/api/0/organizations/moth/issues/?query=",
            Some(&member),
            None,
        )
        .await;
    assert!(org
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["project"]["slug"] == "captures"));
    for method in [Method::PUT, Method::DELETE] {
        let a = m
            .call(
                method.clone(),
                &format!("/api/0/issues/{foreign}/"),
                Some(&member),
                Some(json!({"status": "resolved"})),
            )
            .await;
        assert_eq!(a.status, 404, "{method}");
    }

    // A bulk change with one foreign id: 404, nothing changed.
    for path in [
        format!("/api/0/projects/moth/captures/issues/?id={mine}&id={foreign}"),
        format!("/api/0/organizations/moth/issues/?id={mine}&id={foreign}"),
    ] {
        let a = m
            .call(
                Method::PUT,
                &path,
                Some(&member),
                Some(json!({"status": "resolved"})),
            )
            .await;
        assert_eq!(a.status, 404, "{path}");
        let a = m
            .call(
                Method::PUT,
                &path,
                Some(&member),
                Some(json!({"merge": true})),
            )
            .await;
        assert_eq!(a.status, 404, "{path}");
        let a = m.call(Method::DELETE, &path, Some(&member), None).await;
        assert_eq!(a.status, 404, "{path}");
    }
    assert_eq!(m.status_of(mine).await, "unresolved");
    assert_eq!(m.status_of(foreign).await, "unresolved");
    // Even the admin cannot change another project's issue on this
    // project's path.
    let a = m
        .put(
            &format!("/api/0/projects/moth/captures/issues/?id={mine}&id={foreign}"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(a.status, 404);
    assert_eq!(m.status_of(mine).await, "unresolved");

    // A revoked token stops working at once.
    let user = m.t.db.user_by_email("member@example.com").await.unwrap();
    let tokens = m.t.db.api_tokens_of_user(user.id).await.unwrap();
    m.t.db
        .revoke_api_tokens(user.id, &[tokens[0].id])
        .await
        .unwrap();
    let a = m
        .call(Method::GET, "/api/0/projects/", Some(&member), None)
        .await;
    assert_eq!(
        (a.status, a.body["detail"].as_str()),
        (401, Some("Invalid token."))
    );
    // And a removed user's token too.
    let second = m.member("gone@example.com", &[42]).await;
    assert_eq!(
        m.call(Method::GET, "/api/0/projects/", Some(&second), None)
            .await
            .status,
        200
    );
    let gone = m.t.db.user_by_email("gone@example.com").await.unwrap();
    m.t.db.delete_user(gone.id).await.unwrap();
    assert_eq!(
        m.call(Method::GET, "/api/0/projects/", Some(&second), None)
            .await
            .status,
        401
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pagination_walks_every_row_once_both_ways() {
    let m = Moth::with_captures().await;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM issues")
        .fetch_one(m.t.db.pool())
        .await
        .unwrap();
    assert!(total > 10, "{total} issues");
    for sort in ["date", "new", "freq", "user"] {
        let first = format!("/api/0/projects/moth/captures/issues/?query=&sort={sort}&limit=4");
        let (rows, urls) = m.walk(&first).await;
        let ids = unique_ids(&rows, "id");
        assert_eq!(ids.len() as i64, total, "sort={sort}: no gaps");
        assert!(urls.len() as i64 >= total / 4, "{urls:?}");
        // Every link keeps the query and sort.
        assert!(urls
            .iter()
            .all(|u| u.contains(&format!("sort={sort}")) && u.contains("limit=4")));
        // Back from the last page with rel="previous": the same pages.
        let last = m.get(urls.last().unwrap()).await;
        let mut back = Vec::new();
        let mut prev = link(last.header("link"), "previous");
        back.extend(last.body.as_array().unwrap().iter().cloned());
        while prev.results {
            let page = m.get(&prev.url).await;
            let mut rows = page.body.as_array().unwrap().clone();
            rows.extend(back);
            back = rows;
            prev = link(page.header("link"), "previous");
        }
        assert_eq!(unique_ids(&back, "id"), ids, "sort={sort}: backwards");
    }
    // The organization list paginates the same way.
    let (rows, _) = m
        .walk("/api/0/organizations/moth/issues/?query=&limit=3")
        .await;
    assert_eq!(unique_ids(&rows, "id").len() as i64, total);

    // An issue's events, over several pages.
    let store = m.server.url("/api/42/store/");
    let auth = format!(
        "Sentry sentry_key={}, sentry_version=7",
        crate::common::captures::CAPTURE_KEY
    );
    for n in 0..7 {
        let r = m
            .client
            .post(&store)
            .header("x-sentry-auth", &auth)
            .json(&json!({"message": format!("paged {n}"), "fingerprint": ["paged"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let issue = m.issue_titled("paged").await;
    let (events, urls) = m
        .walk(&format!("/api/0/issues/{issue}/events/?limit=3"))
        .await;
    assert_eq!(urls.len(), 3);
    let ids = unique_ids(&events, "eventID");
    assert_eq!(ids.len(), 7);
    let messages: Vec<&str> = events
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(messages.first(), Some(&"paged 6"), "newest first");
    let (full, _) = m
        .walk(&format!("/api/0/issues/{issue}/events/?limit=2&full=1"))
        .await;
    assert_eq!(unique_ids(&full, "eventID"), ids);
    assert!(full.iter().all(|e| e["entries"].is_array()));
    // Neighbours follow the same order.
    let latest = m
        .get_ok(&format!("/api/0/issues/{issue}/events/latest/"))
        .await;
    assert_eq!(latest["eventID"], ids[0].as_str());
    assert_eq!(latest["previousEventID"], ids[1].as_str());
    assert_eq!(latest["nextEventID"], serde_json::Value::Null);
    // Tag values page with offset cursors.
    let (values, _) = m
        .walk(&format!("/api/0/issues/{issue}/tags/level/values/?limit=1"))
        .await;
    assert_eq!(values.len(), 1);
}
