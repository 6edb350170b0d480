//! Changing issues through the API: every status and its details, bulk
//! changes with Sentry's delta answers, merging, and deleting.

use chrono::DateTime;
use serde_json::{json, Value};

use crate::support::*;

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && DateTime::parse_from_rfc3339(s).is_ok())
}

#[tokio::test(flavor = "multi_thread")]
async fn updating_merging_and_deleting_issues() {
    let m = Moth::with_captures().await;
    let id = m.issue_titled("ValueError: coupon SPRING is expired").await;
    let path = format!("/api/0/issues/{id}/");

    let a = m.put(&path, json!({"status": "resolved"})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        (a.body["id"].as_str(), a.body["status"].as_str()),
        (Some(id.to_string().as_str()), Some("resolved"))
    );
    assert_eq!(m.status_of(id).await, "resolved");
    let a = m
        .put(
            &path,
            json!({"status": "resolved", "statusDetails": {"inRelease": "myapp@1.5.0"}}),
        )
        .await;
    assert_eq!(a.body["statusDetails"], json!({"inRelease": "myapp@1.5.0"}));
    let a = m
        .put(&path, json!({"status": "resolvedInNextRelease"}))
        .await;
    assert_eq!(a.body["statusDetails"], json!({"inNextRelease": true}));
    let a = m
        .put(
            &path,
            json!({"status": "ignored", "statusDetails": {"ignoreCount": 10}}),
        )
        .await;
    assert_eq!(a.body["status"], "ignored");
    assert_eq!(a.body["statusDetails"]["ignoreCount"], 10);
    assert_eq!(m.status_of(id).await, "muted");
    let a = m
        .put(
            &path,
            json!({"status": "ignored", "statusDetails": {"ignoreDuration": 60}}),
        )
        .await;
    assert!(
        is_time(&a.body["statusDetails"]["ignoreUntil"]),
        "{}",
        a.body
    );
    let a = m.put(&path, json!({"status": "unresolved"})).await;
    assert_eq!(
        (a.body["status"].as_str(), &a.body["statusDetails"]),
        (Some("unresolved"), &json!({}))
    );
    let a = m
        .put(
            &format!("/api/0/organizations/moth/issues/{id}"),
            json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(a.body["status"], "resolved");
    // Each change is in the activity, with who made it.
    let d = m.get_ok(&path).await;
    let kinds: Vec<&str> = d["activity"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"set_ignored") && kinds.contains(&"set_resolved_in_release"),
        "{kinds:?}"
    );
    assert_eq!(d["activity"][0]["user"]["email"], ADMIN);
    // Bad bodies: 400, nothing changed.
    for body in [
        json!({"status": "sleeping"}),
        json!({"status": "ignored", "statusDetails": {"ignoreCount": -1}}),
        json!([1]),
    ] {
        let a = m.put(&path, body.clone()).await;
        assert_eq!(a.status, 400, "{body}");
        assert!(a.body["detail"].is_string());
    }
    assert_eq!(m.status_of(id).await, "resolved");

    // Bulk: the changed fields, as Sentry answers.
    let a_id = m.issue_titled("ZeroDivisionError").await;
    let b_id = m.issue_titled("RuntimeError").await;
    let bulk = format!("/api/0/projects/moth/captures/issues/?id={a_id}&id={b_id}");
    let a = m.put(&bulk, json!({"status": "ignored"})).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body, json!({"status": "ignored", "statusDetails": {}}));
    assert_eq!(
        (m.status_of(a_id).await, m.status_of(b_id).await),
        ("muted".into(), "muted".into())
    );
    let a = m
        .put(
            &format!("/api/0/organizations/moth/issues/?id={a_id}&id={b_id}"),
            json!({"status": "unresolved"}),
        )
        .await;
    assert_eq!(a.body, json!({"status": "unresolved", "statusDetails": {}}));
    assert_eq!(
        m.put(
            "/api/0/projects/moth/captures/issues/",
            json!({"status": "resolved"})
        )
        .await
        .status,
        400
    );

    // Merge: into the issue with more events.
    let count = |v: &Value| v["count"].as_str().unwrap().parse::<i64>().unwrap();
    let before_a = count(&m.get_ok(&format!("/api/0/issues/{a_id}/")).await);
    let before_b = count(&m.get_ok(&format!("/api/0/issues/{b_id}/")).await);
    let (parent, child) = if (before_a, a_id) > (before_b, b_id) {
        (a_id, b_id)
    } else {
        (b_id, a_id)
    };
    let a = m.put(&bulk, json!({"merge": 1})).await;
    assert_eq!(
        a.body,
        json!({"merge": {"parent": parent.to_string(), "children": [child.to_string()]}})
    );
    assert_eq!(
        count(&m.get_ok(&format!("/api/0/issues/{parent}/")).await),
        before_a + before_b
    );
    assert_eq!(m.get(&format!("/api/0/issues/{child}/")).await.status, 404);
    let events = m.get_ok(&format!("/api/0/issues/{parent}/events/")).await;
    assert_eq!(events.as_array().unwrap().len() as i64, before_a + before_b);

    // Delete: one (202), then several (204).
    let a = m.delete(&path).await;
    assert_eq!(a.status, 202);
    assert_eq!(m.get(&path).await.status, 404);
    let c_id = m.issue_titled("TypeError").await;
    let a = m
        .delete(&format!(
            "/api/0/projects/moth/captures/issues/?id={parent}&id={c_id}"
        ))
        .await;
    assert_eq!(a.status, 204);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM issues WHERE id = ANY($1)")
        .bind(vec![parent, c_id, id])
        .fetch_one(m.t.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0);
}
