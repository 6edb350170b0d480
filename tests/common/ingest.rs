//! Helpers of the ingest end-to-end tests: a Moth with the SDK captures'
//! project, and raw posts to its envelope endpoint.

use std::io::Write;

use moth_storage::testing::TestDatabase;
use serde_json::Value;

use super::captures::{add_capture_project, CAPTURE_KEY, CAPTURE_PROJECT};
use super::{MothEnv, MothServer, TempDir};

/// A Moth on a fresh database with the captures' project (id 42) and key.
pub async fn moth_with_capture_project(
    extra_env: &[(&str, &str)],
) -> (TestDatabase, TempDir, MothServer) {
    let t = TestDatabase::new().await;
    add_capture_project(&t.db, None).await;
    let dir = TempDir::new("ingest");
    let mut env = MothEnv::external(&t.url(), dir.path());
    for (k, v) in extra_env {
        env = env.with(k, v);
    }
    let server = MothServer::start(env);
    (t, dir, server)
}

pub fn envelope_url(server: &MothServer) -> String {
    server.url(&format!(
        "/api/{CAPTURE_PROJECT}/envelope/?sentry_key={CAPTURE_KEY}&sentry_version=7"
    ))
}

pub async fn post(
    url: &str,
    body: impl Into<reqwest::Body>,
    headers: &[(&str, &str)],
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.json::<Value>().await.unwrap_or(Value::Null);
    (status, body, headers)
}

/// gzip, as the SDKs send it.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}
