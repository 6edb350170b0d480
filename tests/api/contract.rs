//! Every endpoint on real SDK traffic: field names, types and values as
//! Sentry's API has them.

use chrono::DateTime;
use serde_json::{json, Value};

use crate::common::captures::{self, CAPTURE_KEY};
use crate::support::*;

fn is_time(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.ends_with('Z') && DateTime::parse_from_rfc3339(s).is_ok())
}

fn capture_event_id(name: &str) -> String {
    captures::all()
        .into_iter()
        .find(|c| c.name == name)
        .and_then(|c| c.event_id())
        .unwrap_or_else(|| panic!("no capture {name}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_and_keys() {
    let m = Moth::empty().await;
    let list = m.get_ok("/api/0/projects/").await;
    assert_eq!(list[0]["slug"], "captures");
    assert_eq!(list[0]["id"], "42");
    assert_eq!(list[0]["organization"]["slug"], "moth");
    assert!(is_time(&list[0]["dateCreated"]));
    assert_eq!(m.get_ok("/api/0/organizations/moth/projects/").await, list);
    // By slug and by id, with or without the trailing slash.
    let one = m.get_ok("/api/0/projects/moth/captures/").await;
    assert_eq!(one, list[0]);
    assert_eq!(m.get_ok("/api/0/projects/moth/42").await, one);
    let keys = m.get_ok("/api/0/projects/moth/captures/keys/").await;
    assert_eq!(keys[0]["public"], CAPTURE_KEY);
    assert_eq!(keys[0]["projectId"], 42);
    assert_eq!(keys[0]["isActive"], true);
    let dsn = keys[0]["dsn"]["public"].as_str().unwrap();
    assert_eq!(
        dsn,
        format!(
            "http://{CAPTURE_KEY}@{}/42",
            m.server.base_url.trim_start_matches("http://")
        )
    );
    // Unknown organization or project: 404 with a JSON detail.
    for path in [
        "/api/0/organizations/acme/projects/",
        "/api/0/projects/acme/captures/",
        "/api/0/projects/moth/nope/",
        "/api/0/projects/moth/99/keys/",
    ] {
        let a = m.get(path).await;
        assert_eq!(
            (a.status, a.body["detail"].as_str()),
            (404, Some("Not found.")),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_lists_search_sort_and_stats() {
    let m = Moth::with_captures().await;
    let a = m.get("/api/0/projects/moth/captures/issues/").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let issues = a.body.as_array().unwrap();
    let unresolved: i64 =
        sqlx::query_scalar("SELECT count(*) FROM issues WHERE status = 'unresolved'")
            .fetch_one(m.t.db.pool())
            .await
            .unwrap();
    assert!(unresolved > 5);
    assert_eq!(a.header("x-hits"), unresolved.to_string());
    assert_eq!(issues.len() as i64, unresolved.min(25));
    let link = link(a.header("link"), "previous");
    assert!(!link.results);
    for i in issues {
        let id: i64 = i["id"].as_str().unwrap().parse().unwrap();
        let (title, culprit, times, users, short): (String, String, i64, i64, i64) =
            sqlx::query_as(
                "SELECT title, culprit, times_seen, users_seen, short_id FROM issues WHERE id = $1",
            )
            .bind(id)
            .fetch_one(m.t.db.pool())
            .await
            .unwrap();
        assert_eq!(i["title"], title.as_str());
        assert_eq!(i["culprit"], culprit.as_str());
        assert_eq!(i["count"], times.to_string(), "count is a string");
        assert_eq!(i["userCount"], users, "userCount is a number");
        assert!(i["shortId"].as_str().unwrap().starts_with("CAPTURES-"));
        assert!(short > 0);
        assert_eq!(i["status"], "unresolved");
        assert_eq!(i["statusDetails"], json!({}));
        assert_eq!(
            i["project"],
            json!({"id": "42", "name": "Captures", "slug": "captures", "platform": "python"})
        );
        assert_eq!(i["permalink"], format!("{}/issues/{id}", m.server.base_url));
        assert!(is_time(&i["firstSeen"]) && is_time(&i["lastSeen"]));
        assert!(i["metadata"].is_object());
        assert!(
            ["error", "fatal", "warning", "info", "debug"].contains(&i["level"].as_str().unwrap())
        );
        let stats = i["stats"]["24h"].as_array().unwrap();
        assert_eq!(stats.len(), 24);
        assert!(stats.iter().all(|p| p[0].is_i64() && p[1].is_i64()));
    }
    // Newest last-seen first by default.
    let seen: Vec<&str> = issues
        .iter()
        .map(|i| i["lastSeen"].as_str().unwrap())
        .collect();
    assert!(seen.windows(2).all(|w| w[0] >= w[1]), "{seen:?}");
    // sort=freq: most events first.
    let by_freq = m
        .get_ok("/api/0/projects/moth/captures/issues/?sort=freq&statsPeriod=")
        .await;
    let counts: Vec<i64> = by_freq
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["count"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert!(
        by_freq[0].get("stats").is_none(),
        "empty statsPeriod: no stats"
    );
    let two_weeks = m
        .get_ok("/api/0/projects/moth/captures/issues/?statsPeriod=14d&limit=1")
        .await;
    assert_eq!(two_weeks[0]["stats"]["14d"].as_array().unwrap().len(), 14);
    // Search: the same language as the pages.
    let found = m
        .get_ok("/api/0/projects/moth/captures/issues/?query=is:unresolved%20ZeroDivisionError")
        .await;
    assert!(!found.as_array().unwrap().is_empty());
    assert!(found
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["title"].as_str().unwrap().contains("ZeroDivisionError")));
    let warnings = m
        .get_ok("/api/0/projects/moth/captures/issues/?query=level:warning")
        .await;
    assert!(warnings
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["level"] == "warning"));
    assert!(warnings.as_array().unwrap().iter().any(|i| i["title"]
        .as_str()
        .unwrap()
        .contains("Disk usage above 90%")));
    let staging = m
        .get_ok("/api/0/projects/moth/captures/issues/?query=environment:staging%20user.id:u-42%20release:myapp@1.4.2")
        .await;
    assert_eq!(staging.as_array().unwrap().len(), 1, "{staging}");
    assert_eq!(staging[0]["title"], "ValueError: coupon SPRING is expired");
    assert!(
        m.get_ok("/api/0/projects/moth/captures/issues/?query=is:resolved")
            .await
            == json!([])
    );
    // Bad parameters: 400 saying what is wrong.
    for (q, says) in [
        ("query=is:sleeping", "unknown status"),
        ("query=%22open", "unterminated quote"),
        ("statsPeriod=7d", "Valid choices"),
        ("sort=priority", "sort"),
        ("limit=0", "limit"),
        ("cursor=garbage", "cursor"),
    ] {
        let a = m
            .get(&format!("/api/0/projects/moth/captures/issues/?{q}"))
            .await;
        assert_eq!(a.status, 400, "{q}");
        assert!(
            a.body["detail"].as_str().unwrap().contains(says),
            "{q}: {}",
            a.body
        );
    }
    // The organization list: the same issues, filtered by project and time.
    let org = m
        .get_ok("/api/0/organizations/moth/issues/?project=42&limit=100")
        .await;
    assert_eq!(org.as_array().unwrap().len() as i64, unresolved.min(100));
    // `statsPeriod=24h`: issues last seen in the last day. The captures keep
    // the times they were recorded at, so how many that is depends on the
    // day the test runs; ask the database.
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM issues WHERE status = 'unresolved' AND last_seen >= now() - interval '24 hours'",
    )
    .fetch_one(m.t.db.pool())
    .await
    .unwrap();
    let day = m
        .get_ok("/api/0/organizations/moth/issues/?statsPeriod=24h&groupStatsPeriod=14d")
        .await;
    assert_eq!(day.as_array().unwrap().len() as i64, recent.min(25));
    let all = m
        .get_ok("/api/0/organizations/moth/issues/?statsPeriod=90d&groupStatsPeriod=14d")
        .await;
    assert_eq!(all.as_array().unwrap().len() as i64, unresolved.min(25));
    assert_eq!(all[0]["stats"]["14d"].as_array().unwrap().len(), 14);
    assert_eq!(
        m.get("/api/0/organizations/moth/issues/?project=7")
            .await
            .status,
        404
    );
    assert_eq!(m.get("/api/0/organizations/acme/issues/").await.status, 404);
    assert_eq!(
        m.get("/api/0/organizations/moth/issues/?statsPeriod=soon")
            .await
            .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn issue_details_events_and_tags() {
    let m = Moth::with_captures().await;
    let id = m.issue_titled("ValueError: coupon SPRING is expired").await;
    let d = m.get_ok(&format!("/api/0/issues/{id}/")).await;
    assert_eq!(d["id"], id.to_string());
    assert_eq!(d["title"], "ValueError: coupon SPRING is expired");
    assert_eq!(d["metadata"]["type"], "ValueError");
    assert_eq!(d["metadata"]["value"], "coupon SPRING is expired");
    assert_eq!(d["firstRelease"]["version"], "myapp@1.4.2");
    assert_eq!(d["stats"]["24h"].as_array().unwrap().len(), 24);
    assert_eq!(d["stats"]["30d"].as_array().unwrap().len(), 30);
    assert!(d["activity"].is_array());
    let tag_keys: Vec<&str> = d["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert!(tag_keys.contains(&"feature"), "{tag_keys:?}");
    assert_eq!(
        m.get_ok(&format!("/api/0/organizations/moth/issues/{id}/"))
            .await,
        d
    );

    // Its one event, short and full.
    let event_id = capture_event_id("python-d-context.01.event");
    let events = m.get_ok(&format!("/api/0/issues/{id}/events/")).await;
    assert_eq!(events.as_array().unwrap().len(), 1);
    let e = &events[0];
    assert_eq!(
        (e["id"].as_str(), e["eventID"].as_str()),
        (Some(event_id.as_str()), Some(event_id.as_str()))
    );
    assert_eq!(e["groupID"], id.to_string());
    assert_eq!(e["projectID"], "42");
    assert!(e.get("entries").is_none(), "summaries have no entries");
    let tags = e["tags"].as_array().unwrap();
    let keys: Vec<&str> = tags.iter().map(|t| t["key"].as_str().unwrap()).collect();
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "tags sorted by key: {keys:?}"
    );
    assert!(tags.contains(&json!({"key": "feature", "value": "checkout"})));
    let full = m
        .get_ok(&format!("/api/0/issues/{id}/events/?full=true"))
        .await;
    let f = &full[0];
    assert_eq!(f["user"]["email"], "ada@example.com");
    assert_eq!(f["user"]["id"], "u-42");
    assert_eq!(f["contexts"]["payment"]["provider"], "stripe");
    assert_eq!(f["context"]["cart_size"], 3);
    assert_eq!(f["release"]["version"], "myapp@1.4.2");
    assert_eq!(f["environment"], "staging");
    assert_eq!(f["sdk"]["name"], "sentry.python");
    assert!(is_time(&f["dateCreated"]) && is_time(&f["dateReceived"]));
    let entry = |e: &Value, kind: &str| -> Value {
        e["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} entry in {}", e["entries"]))["data"]
            .clone()
    };
    let crumbs = entry(f, "breadcrumbs");
    let messages: Vec<&Value> = crumbs["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["message"])
        .collect();
    assert!(messages.contains(&&json!("User logged in")), "{crumbs}");
    let exc = entry(f, "exception");
    let last = exc["values"].as_array().unwrap().last().unwrap();
    assert_eq!(last["type"], "ValueError");
    assert_eq!(last["value"], "coupon SPRING is expired");
    let frame = last["stacktrace"]["frames"]
        .as_array()
        .unwrap()
        .last()
        .unwrap();
    assert_eq!(frame["function"], "main");
    assert!(
        frame["lineNo"].is_u64() && frame["inApp"].is_boolean(),
        "{frame}"
    );
    assert!(frame["absPath"]
        .as_str()
        .unwrap()
        .ends_with("python-d-context.py"));
    let context = frame["context"].as_array().unwrap();
    assert!(context
        .iter()
        .any(|l| l[0] == frame["lineNo"] && l[1].as_str().unwrap().contains("raise ValueError")));

    // latest / oldest / recommended / by id / under the organization.
    for which in ["latest", "oldest", "recommended", event_id.as_str()] {
        let one = m
            .get_ok(&format!("/api/0/issues/{id}/events/{which}/"))
            .await;
        assert_eq!(one["eventID"], event_id.as_str(), "{which}");
        assert_eq!(one["previousEventID"], Value::Null);
        assert_eq!(one["nextEventID"], Value::Null);
        assert_eq!(one["entries"], f["entries"]);
    }
    let org = m
        .get_ok(&format!(
            "/api/0/organizations/moth/issues/{id}/events/latest/"
        ))
        .await;
    assert_eq!(org["eventID"], event_id.as_str());
    // Another issue's event under this issue: 404.
    let other = capture_event_id("python-c-message-warning.01.event");
    assert_eq!(
        m.get(&format!("/api/0/issues/{id}/events/{other}/"))
            .await
            .status,
        404
    );

    // The project's event by id, dashed or not, names its issue.
    let dashed = format!(
        "{}-{}-{}-{}-{}",
        &event_id[..8],
        &event_id[8..12],
        &event_id[12..16],
        &event_id[16..20],
        &event_id[20..]
    );
    let pe = m
        .get_ok(&format!("/api/0/projects/moth/captures/events/{dashed}/"))
        .await;
    assert_eq!(pe["groupID"], id.to_string());
    assert_eq!(
        m.get("/api/0/projects/moth/captures/events/not-an-id/")
            .await
            .status,
        404
    );

    // A message event has a message entry; a browser event a request.
    let msg = m
        .get_ok(&format!("/api/0/projects/moth/captures/events/{other}/"))
        .await;
    assert_eq!(
        entry(&msg, "message")["formatted"],
        "Disk usage above 90% on /var"
    );
    assert_eq!(msg["message"], "Disk usage above 90% on /var");
    let browser = capture_event_id("browser-a-uncaught-typeerror.02.event");
    let b = m
        .get_ok(&format!("/api/0/projects/moth/captures/events/{browser}/"))
        .await;
    let req = entry(&b, "request");
    assert!(req["url"].as_str().unwrap().starts_with("http"), "{req}");
    assert!(
        req["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "User-Agent"),
        "{req}"
    );

    // Tags and their values.
    let tags = m.get_ok(&format!("/api/0/issues/{id}/tags/")).await;
    let feature = tags
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == "feature")
        .unwrap();
    assert_eq!(feature["totalValues"], 1);
    assert_eq!(feature["uniqueValues"], 1);
    assert_eq!(feature["topValues"][0]["value"], "checkout");
    assert_eq!(feature["topValues"][0]["count"], 1);
    assert!(is_time(&feature["topValues"][0]["lastSeen"]));
    let only = m
        .get_ok(&format!("/api/0/issues/{id}/tags/?key=shard"))
        .await;
    assert_eq!(only.as_array().unwrap().len(), 1);
    let values = m
        .get(&format!("/api/0/issues/{id}/tags/shard/values/"))
        .await;
    assert_eq!(values.status, 200);
    assert_eq!(values.body[0]["value"], "eu-1");
    assert_eq!(values.body[0]["key"], "shard");
    assert!(!link(values.header("link"), "next").results);
    assert_eq!(
        m.get(&format!("/api/0/issues/{id}/tags/nope/values/"))
            .await
            .status,
        404
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_json_and_paths_work_without_the_trailing_slash() {
    let m = Moth::with_captures().await;
    let id = m.issue_titled("ZeroDivisionError").await;
    for path in [
        "/api/0/projects".to_string(),
        format!("/api/0/issues/{id}"),
        format!("/api/0/issues/{id}/events"),
        format!("/api/0/issues/{id}/events/latest"),
        format!("/api/0/issues/{id}/tags"),
        "/api/0/projects/moth/captures/issues".to_string(),
    ] {
        assert_eq!(m.get(&path).await.status, 200, "{path}");
    }
    let a = m
        .call(
            reqwest::Method::PATCH,
            &format!("/api/0/issues/{id}/"),
            Some(&m.token),
            None,
        )
        .await;
    assert_eq!(a.status, 405);
    assert_eq!(a.body["detail"], "Method \"PATCH\" not allowed.");
    assert_eq!(a.header("allow"), "GET, PUT, DELETE");
    for path in [
        "/api/0/nothing/",
        "/api/0/issues/abc/",
        "/api/0/issues/999999/",
        "/api/0/issues/1/events/999/",
    ] {
        let a = m.get(path).await;
        assert_eq!(
            (a.status, a.body["detail"].as_str()),
            (404, Some("Not found.")),
            "{path}"
        );
    }
    // The OpenAPI document needs no token.
    let doc = m
        .call(reqwest::Method::GET, "/api/0/openapi.json", None, None)
        .await;
    assert_eq!(doc.status, 200);
    assert_eq!(doc.body["openapi"], "3.1.0");
    assert_eq!(doc.body["servers"][0]["url"], m.server.base_url.as_str());
}
