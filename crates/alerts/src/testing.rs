//! Test support: a real HTTP receiver on loopback that records every
//! request and answers as a test plans (statuses, `Retry-After`, redirects,
//! never answering). Used by this crate's tests and the binary's.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::task::JoinHandle;

/// How the receiver answers one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Status(u16),
    /// A status with `Retry-After: <secs>`.
    RetryAfter(u16, u64),
    /// `302 Found` with this `Location`.
    Redirect(String),
    /// A status with this body.
    Body(u16, Vec<u8>),
    /// Never answers (the connection stays open).
    Hang,
}

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    /// The status answered (0: never answered).
    pub status: u16,
}

impl Received {
    /// The body as JSON (panics if it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn accepted(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    planned: HashMap<String, VecDeque<Reply>>,
    default: HashMap<String, Reply>,
}

/// The receiver; stops when dropped.
pub struct Receiver {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    task: JoinHandle<()>,
}

impl Receiver {
    /// Starts on `127.0.0.1` on a free port; every path answers 200 unless
    /// planned otherwise.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the test receiver");
        Self::serve(listener)
    }

    /// Starts on a given address (to come back on the same port).
    pub async fn start_on(addr: SocketAddr) -> Self {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .expect("bind the test receiver");
        Self::serve(listener)
    }

    fn serve(listener: tokio::net::TcpListener) -> Self {
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner, task }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next requests to `path` get these replies, in order.
    pub fn plan(&self, path: &str, replies: impl IntoIterator<Item = Reply>) {
        let mut inner = self.inner.lock().unwrap();
        inner
            .planned
            .entry(path.to_string())
            .or_default()
            .extend(replies);
    }

    /// Requests to `path` without a planned reply get `reply`.
    pub fn set_default(&self, path: &str, reply: Reply) {
        self.inner
            .lock()
            .unwrap()
            .default
            .insert(path.to_string(), reply);
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    /// Requests to `path` that were answered 2xx.
    pub fn accepted(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.path == path && r.accepted())
            .collect()
    }

    /// Polls until `cond` holds for the requests received, or panics after
    /// `timeout`.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        cond: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if cond(&got) {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; received: {:#?}",
                got.iter()
                    .map(|r| (
                        r.path.clone(),
                        r.status,
                        String::from_utf8_lossy(&r.body).into_owned()
                    ))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let reply = {
        let mut inner = inner.lock().unwrap();
        let reply = inner
            .planned
            .get_mut(&path)
            .and_then(|q| q.pop_front())
            .or_else(|| inner.default.get(&path).cloned())
            .unwrap_or(Reply::Status(200));
        let status = match &reply {
            Reply::Status(s) | Reply::RetryAfter(s, _) | Reply::Body(s, _) => *s,
            Reply::Redirect(_) => 302,
            Reply::Hang => 0,
        };
        inner.received.push(Received {
            path,
            headers,
            body: body.to_vec(),
            status,
        });
        reply
    };
    let code = |s: u16| StatusCode::from_u16(s).expect("valid status");
    match reply {
        Reply::Status(s) => (code(s), "ok").into_response(),
        Reply::RetryAfter(s, secs) => {
            (code(s), [("retry-after", secs.to_string())], "later").into_response()
        }
        Reply::Redirect(to) => (StatusCode::FOUND, [("location", to)], "moved").into_response(),
        Reply::Body(s, body) => (code(s), body).into_response(),
        Reply::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
    }
}
