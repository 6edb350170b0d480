//! Ingest end to end: real SDK traffic replayed against the `moth` binary,
//! every class of bad input, and durability across `kill -9`.

mod common;

use std::io::{Read, Write};
use std::time::Duration;

use common::captures::{self, CAPTURE_KEY, CAPTURE_PROJECT};
use common::ingest::*;
use common::*;
use moth_storage::testing::TestDatabase;
use serde_json::Value;

async fn ready(server: &MothServer) -> u16 {
    reqwest::get(server.url("/health/ready"))
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn detail(v: &Value) -> &str {
    v["detail"].as_str().unwrap_or_default()
}

fn stored_payload(bytes: &[u8]) -> Value {
    moth_storage::payload::decode_payload(bytes).unwrap()
}

fn level_name(level: i16) -> &'static str {
    moth_storage::issues::level::name(level)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sdk_capture_is_accepted_and_its_event_stored() {
    let (t, _dir, server) = moth_with_capture_project(&[]).await;
    let client = reqwest::Client::new();
    let mut events = 0;
    for c in captures::all().iter().filter(|c| c.is_envelope()) {
        let resp = captures::replay(&client, &server.base_url, c).await;
        let status = resp.status().as_u16();
        assert_eq!(
            resp.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            Some("*"),
            "{}: CORS header missing",
            c.name
        );
        let body: Value = resp.json().await.unwrap();
        assert_eq!(status, 200, "{}: {body}", c.name);
        if !c.item_types().contains(&"event".to_string()) {
            continue;
        }
        events += 1;
        let id = c.event_id().expect("event capture has an event id");
        assert_eq!(body["id"], id.as_str(), "{}", c.name);
        let row: Option<(i64, i16, Vec<u8>, i64)> = sqlx::query_as(
            "SELECT project_id, level, payload, issue_id FROM events WHERE event_id = $1::uuid",
        )
        .bind(&id)
        .fetch_optional(t.db.pool())
        .await
        .unwrap();
        let (project, level, payload, _issue) =
            row.unwrap_or_else(|| panic!("{}: event {id} not stored", c.name));
        assert_eq!(project, CAPTURE_PROJECT, "{}", c.name);

        let sent = c.event_json().unwrap();
        let stored = stored_payload(&payload);
        let expected_level = match sent["level"].as_str() {
            Some("critical") => "fatal",
            Some("log") => "info",
            Some(l) => l,
            None => "error",
        };
        assert_eq!(level_name(level), expected_level, "{}", c.name);
        assert_eq!(stored["event_id"], id.as_str(), "{}", c.name);
        let sent_exc = exceptions(&sent);
        let stored_exc = stored["exception"]["values"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            stored_exc.len(),
            sent_exc.len(),
            "{}: exception count",
            c.name
        );
        for (s, d) in sent_exc.iter().zip(&stored_exc) {
            if let Some(ty) = s["type"].as_str() {
                assert_eq!(d["type"], ty, "{}", c.name);
            }
            let frames = |v: &Value| {
                v["stacktrace"]["frames"]
                    .as_array()
                    .map(|f| f.len())
                    .unwrap_or(0)
            };
            assert_eq!(frames(d), frames(s), "{}: frame count", c.name);
            let functions = |v: &Value| -> Vec<String> {
                v["stacktrace"]["frames"]
                    .as_array()
                    .map(|fs| {
                        fs.iter()
                            .map(|f| f["function"].as_str().unwrap_or("").to_string())
                            .collect()
                    })
                    .unwrap_or_default()
            };
            assert_eq!(
                functions(d),
                functions(s),
                "{}: frames keep their order",
                c.name
            );
        }
        assert!(
            stored["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}: no title",
            c.name
        );
    }
    assert!(events >= 20, "only {events} event captures");
    // Every stored event belongs to an issue of the project.
    let orphans: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events e LEFT JOIN issues i ON i.id = e.issue_id WHERE i.id IS NULL OR i.project_id <> e.project_id",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!(orphans, 0);
}

fn exceptions(event: &Value) -> Vec<Value> {
    match &event["exception"] {
        Value::Object(o) => o
            .get("values")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        Value::Array(a) => a.clone(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn retried_events_are_stored_once() {
    let (t, _dir, server) = moth_with_capture_project(&[]).await;
    let client = reqwest::Client::new();
    let c = captures::all()
        .into_iter()
        .find(|c| c.name.starts_with("python-a-zerodiv-deep"))
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            captures::replay(&client, &server.base_url, &c)
                .await
                .status(),
            200
        );
    }
    t.db.fold_issue_counts().await.unwrap();
    let (events, times): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM events), (SELECT sum(times_seen)::int8 FROM issues)",
    )
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!((events, times), (1, 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn browser_cors_preflight_and_store_endpoint() {
    let (t, _dir, server) = moth_with_capture_project(&[]).await;
    let resp = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, envelope_url(&server))
        .header("origin", "http://app.example")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-sentry-auth",
        )
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{}", resp.status());
    let h = resp.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("x-sentry-auth"));

    // The legacy store endpoint with header auth.
    let auth = format!("Sentry sentry_key={CAPTURE_KEY}, sentry_version=7");
    let (status, body, headers) = post(
        &server.url(&format!("/api/{CAPTURE_PROJECT}/store/")),
        r#"{"message": "stored the old way", "level": "critical", "timestamp": 1795348425.5}"#,
        &[("x-sentry-auth", &auth), ("origin", "http://app.example")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    assert!(headers["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .contains("x-sentry-rate-limits"));
    let id = body["id"].as_str().unwrap();
    assert_eq!(id.len(), 32);
    let level: i16 = sqlx::query_scalar("SELECT level FROM events WHERE event_id = $1::uuid")
        .bind(id)
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(level_name(level), "fatal");
}

#[tokio::test(flavor = "multi_thread")]
async fn authentication_failures() {
    let (t, _dir, server) = moth_with_capture_project(&[]).await;
    let body = "{}\n{\"type\":\"event\"}\n{\"message\":\"x\"}";
    let base = |q: &str| server.url(&format!("/api/{CAPTURE_PROJECT}/envelope/{q}"));

    let (s, b, _) = post(&base(""), body, &[]).await;
    assert_eq!(s, 401, "{b}");
    assert!(detail(&b).contains("missing authorization"));

    let (s, b, _) = post(
        &base("?sentry_key=00000000000000000000000000000000"),
        body,
        &[],
    )
    .await;
    assert_eq!((s, detail(&b)), (403, "unknown DSN key"));

    let (other, key) = t.db.create_project("other", None).await.unwrap();
    let (s, b, _) = post(&base(&format!("?sentry_key={}", key.public_key)), body, &[]).await;
    assert_eq!(s, 403, "{b}");
    assert!(detail(&b).contains("does not belong to project 42"));
    let _ = other;

    sqlx::query("UPDATE project_keys SET is_active = false WHERE public_key = $1")
        .bind(&key.public_key)
        .execute(t.db.pool())
        .await
        .unwrap();
    let (s, b, _) = post(
        &server.url(&format!(
            "/api/{}/envelope/?sentry_key={}",
            other.id, key.public_key
        )),
        body,
        &[],
    )
    .await;
    // Cached as active a moment ago: still accepted or already refused,
    // never a server error; a key seen for the first time while disabled is refused.
    assert!(s == 200 || s == 403, "{s} {b}");
    let (_, fresh) = t.db.create_project("third", None).await.unwrap();
    sqlx::query("UPDATE project_keys SET is_active = false WHERE public_key = $1")
        .bind(&fresh.public_key)
        .execute(t.db.pool())
        .await
        .unwrap();
    let (s, b, _) = post(
        &server.url(&format!(
            "/api/{}/envelope/?sentry_key={}",
            fresh.project_id, fresh.public_key
        )),
        body,
        &[],
    )
    .await;
    assert_eq!((s, detail(&b)), (403, "this DSN key is disabled"));

    let (s, b, _) = post(&server.url("/api/abc/envelope/?sentry_key=x"), body, &[]).await;
    assert_eq!(s, 400, "{b}");

    let (s, b, _) = post(&base(""), body, &[("x-sentry-auth", "Bearer nope")]).await;
    assert_eq!(s, 401, "{b}");

    // The dsn in the envelope header authenticates tunnelled envelopes.
    let tunnel = format!(
        "{{\"event_id\":\"{}\",\"dsn\":\"http://{CAPTURE_KEY}@moth.example/{CAPTURE_PROJECT}\"}}\n{{\"type\":\"event\"}}\n{{\"message\":\"via tunnel\"}}\n",
        "a".repeat(32)
    );
    let (s, b, _) = post(&base(""), tunnel, &[]).await;
    assert_eq!((s, b["id"].as_str()), (200, Some("a".repeat(32).as_str())));
    // A tunnelled envelope is refused by its key before anything else is
    // done with it: an unknown key is 403 even when the event is too large
    // (413 for a known key) or not an event at all.
    let tunnel = |key: &str, event: &str| {
        format!(
            "{{\"dsn\":\"http://{key}@moth.example/{CAPTURE_PROJECT}\"}}\n{{\"type\":\"event\"}}\n{event}\n"
        )
    };
    let unknown = "0".repeat(32);
    let huge = format!("{{\"message\":\"{}\"}}", "x".repeat(2 << 20));
    for event in ["{\"message\":\"hi\"}", "not json", huge.as_str()] {
        let (s, b, _) = post(&base(""), tunnel(&unknown, event), &[]).await;
        assert_eq!((s, detail(&b)), (403, "unknown DSN key"), "{:.40}", event);
    }
    let (s, b, _) = post(&base(""), tunnel(CAPTURE_KEY, &huge), &[]).await;
    assert_eq!(s, 413, "{b}");
    assert_eq!(ready(&server).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_input_gets_a_clear_400_and_the_server_keeps_serving() {
    let (_t, _dir, server) = moth_with_capture_project(&[]).await;
    let url = envelope_url(&server);
    // (what, body, headers, expected status, expected words in the detail)
    type Case<'a> = (&'a str, Vec<u8>, Vec<(&'a str, &'a str)>, u16, &'a str);
    let cases: Vec<Case> = vec![
        (
            "header not JSON",
            b"nope\n{\"type\":\"event\"}\n{}".to_vec(),
            vec![],
            400,
            "line 1",
        ),
        (
            "length past the end",
            b"{}\n{\"type\":\"event\",\"length\":500}\n{}".to_vec(),
            vec![],
            400,
            "500",
        ),
        (
            "absurd length",
            b"{}\n{\"type\":\"event\",\"length\":99999999999999}\n{}".to_vec(),
            vec![],
            400,
            "length",
        ),
        (
            "item header not JSON",
            b"{}\n{type:event}\n{}".to_vec(),
            vec![],
            400,
            "item 1",
        ),
        (
            "invalid UTF-8 header",
            b"{\"a\":\"\xff\xfe\"}\n".to_vec(),
            vec![],
            400,
            "UTF-8",
        ),
        ("empty body", Vec::new(), vec![], 400, "empty"),
        (
            "broken gzip",
            b"definitely not gzip".to_vec(),
            vec![("content-encoding", "gzip")],
            400,
            "gzip",
        ),
        (
            "unknown encoding",
            b"{}".to_vec(),
            vec![("content-encoding", "lzma")],
            415,
            "lzma",
        ),
    ];
    for (what, body, headers, status, needle) in cases {
        let (s, b, h) = post(&url, body, &headers).await;
        assert_eq!(s, status, "{what}: {b}");
        assert!(
            detail(&b).contains(needle),
            "{what}: detail {:?} lacks {needle:?}",
            detail(&b)
        );
        assert_eq!(h["content-type"], "application/json", "{what}");
    }
    // The store endpoint: a body that is not JSON.
    let auth = format!("Sentry sentry_key={CAPTURE_KEY}");
    let store = server.url(&format!("/api/{CAPTURE_PROJECT}/store/"));
    let (s, b, _) = post(&store, "this is not json", &[("x-sentry-auth", &auth)]).await;
    assert_eq!(s, 400, "{b}");
    assert!(detail(&b).contains("neither JSON"), "{b}");
    let (s, b, _) = post(&store, "{\"message\": ", &[("x-sentry-auth", &auth)]).await;
    assert_eq!(s, 400, "{b}");
    assert!(detail(&b).contains("line 1"), "{b}");
    let (s, b, _) = post(&store, "[1,2]", &[("x-sentry-auth", &auth)]).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(ready(&server).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_item_is_dropped_and_counted_while_good_items_are_kept() {
    let (t, dir, server) = moth_with_capture_project(&[]).await;
    let id = "b".repeat(32);
    let body = format!(
        "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n{{\"message\": broken\n{{\"type\":\"user_report\"}}\n{{\"event_id\":\"{id}\",\"name\":\"Ann\",\"email\":\"ann@example.com\",\"comments\":\"it broke\"}}\n{{\"type\":\"session\"}}\n{{\"sid\":\"x\"}}\n{{\"type\":\"some_future_item\"}}\n{{}}\n"
    );
    let (s, b, _) = post(&envelope_url(&server), body, &[]).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["id"], id.as_str());
    let reports: i64 =
        sqlx::query_scalar("SELECT count(*) FROM user_reports WHERE comments = 'it broke'")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert_eq!(reports, 1);
    // Counters reach the database at the latest at shutdown.
    let status = server.stop();
    assert!(status.success());
    let drops: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT reason, item_type, count FROM ingest_drops ORDER BY reason, item_type",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    assert_eq!(
        drops,
        vec![
            ("invalid_event".to_string(), "event".to_string(), 1),
            ("not_stored".to_string(), "session".to_string(), 1),
            ("not_stored".to_string(), "some_future_item".to_string(), 1),
        ]
    );
    drop(dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn size_limits_answer_413_naming_the_limit() {
    let (_t, _dir, server) = moth_with_capture_project(&[
        ("MOTH_MAX_BODY_BYTES", "100000"),
        ("MOTH_MAX_ENVELOPE_BYTES", "200000"),
        ("MOTH_MAX_EVENT_BYTES", "50000"),
        ("MOTH_MAX_ATTACHMENT_BYTES", "60000"),
    ])
    .await;
    let url = envelope_url(&server);
    // Compressed body over the limit.
    let (s, b, _) = post(&url, vec![b' '; 150_000], &[]).await;
    assert_eq!(s, 413, "{b}");
    assert!(
        detail(&b).contains("request body") && detail(&b).contains("100000"),
        "{b}"
    );
    // A compression bomb: 20 KB on the wire, 20 MB inflated; stops at the limit.
    let bomb = gzip(&vec![b'{'; 20 << 20]);
    assert!(bomb.len() < 100_000);
    let (s, b, _) = post(&url, bomb, &[("content-encoding", "gzip")]).await;
    assert_eq!(s, 413, "{b}");
    assert!(
        detail(&b).contains("envelope") && detail(&b).contains("200000"),
        "{b}"
    );
    // One event over the event limit.
    let big = format!(
        "{{}}\n{{\"type\":\"event\"}}\n{{\"message\":\"{}\"}}\n",
        "x".repeat(60_000)
    );
    let (s, b, _) = post(&url, gzip(big.as_bytes()), &[("content-encoding", "gzip")]).await;
    assert_eq!(s, 413, "{b}");
    assert!(
        detail(&b).contains("event limit") || detail(&b).contains("event"),
        "{b}"
    );
    // One attachment over the attachment limit.
    let att = format!(
        "{{}}\n{{\"type\":\"attachment\",\"length\":70000,\"filename\":\"a.bin\"}}\n{}\n",
        "a".repeat(70_000)
    );
    let (s, b, _) = post(&url, gzip(att.as_bytes()), &[("content-encoding", "gzip")]).await;
    assert_eq!(s, 413, "{b}");
    assert!(detail(&b).contains("attachment"), "{b}");
    assert_eq!(ready(&server).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_upload_times_out_and_the_server_keeps_serving() {
    let (_t, _dir, server) = moth_with_capture_project(&[("MOTH_BODY_TIMEOUT_SECS", "1")]).await;
    let addr = server.base_url.trim_start_matches("http://").to_string();
    let mut sock = std::net::TcpStream::connect(&addr).unwrap();
    let path = format!("/api/{CAPTURE_PROJECT}/envelope/?sentry_key={CAPTURE_KEY}");
    write!(
        sock,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 1000\r\n\r\n{{}}\n"
    )
    .unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut answer = String::new();
    let _ = sock.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert_eq!(ready(&server).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_write_queue_answers_429_with_retry_headers() {
    let (t, _dir, server) = moth_with_capture_project(&[("MOTH_QUEUE_CAPACITY", "2")]).await;
    // Hold the events table so the writers block and the queue fills up.
    let mut blocker = t.db.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let url = envelope_url(&server);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let body = format!("{{}}\n{{\"type\":\"event\"}}\n{{\"message\":\"queued {i}\"}}");
            post(&url, body, &[]).await
        }));
    }
    // Wait until some requests were refused, then release the table.
    let mut refused = Vec::new();
    let mut pending = Vec::new();
    for task in tasks {
        if task.is_finished() {
            refused.push(task.await.unwrap());
        } else {
            pending.push(task);
        }
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while refused.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no request was refused"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut still = Vec::new();
        for task in pending {
            if task.is_finished() {
                refused.push(task.await.unwrap());
            } else {
                still.push(task);
            }
        }
        pending = still;
    }
    blocker.rollback().await.unwrap();
    let mut answered_200 = refused.iter().filter(|(s, _, _)| *s == 200).count();
    for task in pending {
        let (s, b, _) = task.await.unwrap();
        assert!(s == 200 || s == 429, "{s} {b}");
        answered_200 += usize::from(s == 200);
    }
    let (s, b, h) = refused.iter().find(|(s, _, _)| *s == 429).expect("a 429");
    assert_eq!(*s, 429, "{b}");
    assert_eq!(h["retry-after"], "1");
    assert_eq!(h["x-sentry-rate-limits"], "1::organization:overloaded");
    assert!(detail(b).contains("retry"), "{b}");
    // Exactly the events answered 200 were stored; refused ones were not.
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(stored as usize, answered_200);
    assert_eq!(ready(&server).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_answers_503_then_recovers() {
    use moth_storage::embedded::{EmbeddedConfig, EmbeddedPostgres};
    let db_dir = TempDir::new("outage-db");
    let mut config = EmbeddedConfig::new(db_dir.path());
    config.durable = false;
    let pg = EmbeddedPostgres::start(&config).unwrap();
    let url = pg.url("postgres");
    let dir = TempDir::new("outage");
    let env = MothEnv::external(&url, dir.path());
    let dsn = env.create_project("outage");
    let key = dsn
        .trim_start_matches("http://")
        .split('@')
        .next()
        .unwrap()
        .to_string();
    let server = MothServer::start(env);
    let endpoint = server.url(&format!("/api/1/envelope/?sentry_key={key}"));
    let body = "{}\n{\"type\":\"event\"}\n{\"message\":\"during outage\"}";
    assert_eq!(post(&endpoint, body, &[]).await.0, 200);

    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap();
    let (s, b, h) = post(&endpoint, body, &[]).await;
    assert_eq!(s, 503, "{b}");
    assert_eq!(h["retry-after"], "1");
    assert_eq!(ready(&server).await, 503);

    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::start(&config).unwrap())
        .await
        .unwrap();
    eventually("ingest to recover", Duration::from_secs(30), || {
        let endpoint = endpoint.clone();
        async move { post(&endpoint, body, &[]).await.0 == 200 }
    })
    .await;
    drop(server);
    tokio::task::spawn_blocking(move || pg.stop())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_loses_no_event_that_was_answered_200() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("kill9");
    let env = MothEnv::external(&t.url(), dir.path());
    let dsn = env.create_project("durable");
    let key = dsn
        .trim_start_matches("http://")
        .split('@')
        .next()
        .unwrap()
        .to_string();
    let server = MothServer::start(env.clone());
    let endpoint = server.url(&format!("/api/1/envelope/?sentry_key={key}"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut senders = Vec::new();
    for worker in 0..8 {
        let endpoint = endpoint.clone();
        let stop = stop.clone();
        senders.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut acknowledged = Vec::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let id = uuid::Uuid::new_v4().simple().to_string();
                let body = format!(
                    "{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n{{\"message\":\"worker {worker} event {n}\"}}\n"
                );
                n += 1;
                match client.post(&endpoint).body(body).send().await {
                    Ok(r) if r.status() == 200 => acknowledged.push(id),
                    _ => {}
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    server.kill9();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for s in senders {
        acknowledged.extend(s.await.unwrap());
    }
    assert!(
        acknowledged.len() > 50,
        "only {} events acknowledged",
        acknowledged.len()
    );

    // Restart, and every acknowledged event is there.
    let _server = MothServer::start(env);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT replace(event_id::text, '-', '') FROM events")
            .fetch_all(t.db.pool())
            .await
            .unwrap();
    let stored: std::collections::HashSet<String> = stored.into_iter().collect();
    let missing: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged events lost",
        missing.len(),
        acknowledged.len()
    );
    t.db.fold_issue_counts().await.unwrap();
    let counted: i64 = sqlx::query_scalar("SELECT coalesce(sum(times_seen), 0)::int8 FROM issues")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(
        counted,
        stored.len() as i64,
        "issue counters match stored events"
    );
}
