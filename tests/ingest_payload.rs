//! How ingest keeps an event's payload: an envelope that holds only its
//! event, compressed by the SDK with brotli or gzip, is kept as sent
//! (unless the body is larger than what it holds); any other body is kept
//! as the normalised event. Either reads back as the
//! same normalised event, in the API and on the event page.

mod common;

use std::io::Write;

use common::ingest::*;
use serde_json::{json, Value};

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

/// A Python-style event (chained exception, locals) with `event_id`.
fn event(event_id: &str) -> Value {
    json!({
        "event_id": event_id,
        "platform": "python",
        "level": "error",
        "release": "shop@1.0.0",
        "user": {"ip_address": "{{auto}}", "id": "u-1"},
        "tags": {"feature": "checkout"},
        "exception": {"values": [{
            "type": "ZeroDivisionError",
            "value": "division by zero",
            "module": null,
            "stacktrace": {"frames": [
                {"filename": "shop/cart.py", "function": "checkout", "lineno": 12,
                 "in_app": true, "context_line": "    return total / count",
                 "vars": {"total": "10", "count": "0"}}
            ]}
        }]}
    })
}

fn envelope(event: &Value, attachment: bool) -> Vec<u8> {
    let id = event["event_id"].as_str().unwrap();
    let payload = serde_json::to_string(event).unwrap();
    let mut body = format!("{{\"event_id\":\"{id}\"}}\n{{\"type\":\"event\"}}\n{payload}\n");
    if attachment {
        body.push_str("{\"type\":\"attachment\",\"length\":5,\"filename\":\"a.txt\"}\nhello\n");
    }
    body.into_bytes()
}

/// The normalised event as stored, without what differs between sends.
fn comparable(mut data: Value) -> Value {
    let obj = data.as_object_mut().unwrap();
    for key in ["event_id", "received", "timestamp"] {
        obj.remove(key);
    }
    data
}

#[tokio::test(flavor = "multi_thread")]
async fn single_event_bodies_are_kept_as_sent_and_read_back_normalised() {
    let (t, dir, server) = moth_with_capture_project(&[]).await;
    let url = envelope_url(&server);
    let cases: [(&str, &str, bool, Option<&str>, bool); 5] = [
        // (event id, label, attachment, content-encoding, kept as sent)
        (
            "a0000000000000000000000000000001",
            "brotli",
            false,
            Some("br"),
            true,
        ),
        (
            "a0000000000000000000000000000002",
            "gzip",
            false,
            Some("gzip"),
            true,
        ),
        (
            "a0000000000000000000000000000003",
            "uncompressed",
            false,
            None,
            false,
        ),
        (
            "a0000000000000000000000000000004",
            "gzip with an attachment",
            true,
            Some("gzip"),
            false,
        ),
        // Padded with empty gzip members: larger than what it holds.
        (
            "a0000000000000000000000000000005",
            "padded gzip",
            false,
            Some("padded"),
            false,
        ),
    ];
    let mut stored = Vec::new();
    for (id, label, attachment, encoding, kept) in cases {
        let raw = envelope(&event(id), attachment);
        let (body, headers): (Vec<u8>, Vec<(&str, &str)>) = match encoding {
            Some("br") => (brotli(&raw), vec![("content-encoding", "br")]),
            Some("gzip") => (gzip(&raw), vec![("content-encoding", "gzip")]),
            Some("padded") => {
                let mut body = gzip(&raw);
                while body.len() <= 2 * raw.len() {
                    body.extend(gzip(b""));
                }
                (body, vec![("content-encoding", "gzip")])
            }
            _ => (raw, vec![]),
        };
        let (status, answer, _) = post(&url, body, &headers).await;
        assert_eq!(status, 200, "{label}: {answer}");
        assert_eq!(answer["id"], id, "{label}");
        let (payload,): (Vec<u8>,) =
            sqlx::query_as("SELECT payload FROM events WHERE event_id = $1::uuid")
                .bind(id)
                .fetch_one(t.db.pool())
                .await
                .unwrap();
        assert_eq!(
            moth_storage::payload::kept_as_received(&payload),
            kept,
            "{label}: payload form"
        );
        let data = moth_storage::payload::decode_payload(&payload).unwrap();
        assert_eq!(data["event_id"], id, "{label}");
        // Normalised with the request's address, grouped at ingest.
        assert_eq!(data["user"]["ip_address"], "127.0.0.1", "{label}");
        assert_eq!(
            data["title"], "ZeroDivisionError: division by zero",
            "{label}"
        );
        assert!(
            data["hashes"].as_array().is_some_and(|h| !h.is_empty()),
            "{label}"
        );
        stored.push((label, comparable(data)));
    }
    for (label, data) in &stored[1..] {
        assert_eq!(data, &stored[0].1, "{label} reads back as the brotli one");
    }

    // The sender's address is kept only when the event asked for it.
    let mut anonymous = event("a0000000000000000000000000000006");
    anonymous["user"] = json!({"id": "u-2"});
    let (status, _, _) = post(
        &url,
        brotli(&envelope(&anonymous, false)),
        &[("content-encoding", "br")],
    )
    .await;
    assert_eq!(status, 200);
    let (payload,): (Vec<u8>,) =
        sqlx::query_as("SELECT payload FROM events WHERE event_id = $1::uuid")
            .bind("a0000000000000000000000000000006")
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert!(moth_storage::payload::kept_as_received(&payload));
    assert!(!payload.windows(9).any(|w| w == b"127.0.0.1"));
    let data = moth_storage::payload::decode_payload(&payload).unwrap();
    assert_eq!(data["user"], json!({"id": "u-2"}));

    // The API serves the event kept as sent like any other.
    let env = &server.env;
    env.run_ok(&["user", "create", "--email", "admin@example.com", "--admin"]);
    let token = env.run_ok(&["token", "create", "--email", "admin@example.com"]);
    let token = token.lines().last().unwrap().trim();
    let resp = reqwest::Client::new()
        .get(server.url("/api/0/projects/moth/captures/events/a0000000000000000000000000000001/"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let event: Value = resp.json().await.unwrap();
    assert_eq!(event["eventID"], "a0000000000000000000000000000001");
    assert_eq!(event["title"], "ZeroDivisionError: division by zero");
    assert_eq!(event["user"]["ip_address"], "127.0.0.1");
    drop(dir);
}
