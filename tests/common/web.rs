//! The triage pages against the real binary: a running Moth with its own
//! database, users and projects made directly in storage, events sent
//! through the ingest endpoint like an SDK sends them, and a
//! cookie-keeping client that submits forms like a browser.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::Mutex;

use moth_storage::projects::Project;
use moth_storage::testing::TestDatabase;
use serde_json::Value;

use super::{MothEnv, MothServer, TempDir};

pub const PASSWORD: &str = "correct horse battery";

/// A Moth serving a fresh database.
pub struct Triage {
    pub t: TestDatabase,
    pub server: MothServer,
    _dir: TempDir,
}

impl Triage {
    pub async fn start() -> Self {
        let t = TestDatabase::new().await;
        let dir = TempDir::new("triage");
        let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
        Self {
            t,
            server,
            _dir: dir,
        }
    }

    pub async fn user(&self, email: &str, admin: bool) -> i64 {
        let hash = tokio::task::spawn_blocking(|| moth_storage::password::hash_password(PASSWORD))
            .await
            .unwrap();
        self.t.db.create_user(email, &hash, admin).await.unwrap().id
    }

    /// A project and the ingest URL of its DSN key.
    pub async fn project(&self, name: &str) -> (Project, Ingest) {
        let (project, key) = self
            .t
            .db
            .create_project(name, Some("python"))
            .await
            .unwrap();
        let url = self.server.url(&format!(
            "/api/{}/envelope/?sentry_key={}&sentry_version=7",
            project.id, key.public_key
        ));
        let dsn = format!(
            "{}/{}",
            self.server
                .base_url
                .replacen("://", &format!("://{}@", key.public_key), 1),
            project.id
        );
        (project, Ingest { url, dsn })
    }

    pub async fn member_of(&self, project: &Project, users: &[i64]) {
        self.t
            .db
            .set_project_members(project.id, users)
            .await
            .unwrap();
    }

    pub fn web(&self) -> Web {
        Web::new(&self.server.base_url)
    }

    /// A client signed in as `email` (password [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> Web {
        let w = self.web();
        let r = w
            .submit(
                "/login",
                "/login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(r.status, 303, "sign-in as {email} failed: {}", r.text);
        w
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(self.t.db.pool())
            .await
            .unwrap()
    }

    /// The issue an event (32 hex) went to.
    pub async fn issue_of(&self, event_id: &str) -> i64 {
        sqlx::query_scalar("SELECT issue_id FROM events WHERE event_id = $1::uuid")
            .bind(event_id)
            .fetch_one(self.t.db.pool())
            .await
            .unwrap()
    }

    pub async fn issue_ids(&self, project: &Project) -> Vec<i64> {
        sqlx::query_scalar("SELECT id FROM issues WHERE project_id = $1 ORDER BY id")
            .bind(project.id)
            .fetch_all(self.t.db.pool())
            .await
            .unwrap()
    }

    pub async fn status(&self, issue: i64) -> String {
        sqlx::query_scalar("SELECT status FROM issues WHERE id = $1")
            .bind(issue)
            .fetch_one(self.t.db.pool())
            .await
            .unwrap()
    }
}

/// Where a project's events go.
pub struct Ingest {
    pub url: String,
    pub dsn: String,
}

impl Ingest {
    /// Sends one event in an envelope, as the SDKs do; returns its id
    /// (32 hex) once Moth answered 200 (committed).
    pub async fn send(&self, mut event: Value) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        event["event_id"] = Value::String(id.clone());
        let body = format!(
            "{}\n{}\n{}\n",
            serde_json::json!({ "event_id": id }),
            serde_json::json!({ "type": "event" }),
            event
        );
        let r = reqwest::Client::new()
            .post(&self.url)
            .header("content-type", "application/x-sentry-envelope")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert_eq!(
            status,
            200,
            "ingest refused the event: {}",
            r.text().await.unwrap()
        );
        id
    }
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn location(&self) -> &str {
        self.header("location")
    }
}

/// The value of the first hidden field `name` in a page.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Keeps cookies, does not follow redirects, sends `Origin` on posts.
pub struct Web {
    client: reqwest::Client,
    pub base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Web {
    pub fn new(base: &str) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_string(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let cookies: Vec<String> = self
            .cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let req = if cookies.is_empty() {
            req
        } else {
            req.header("cookie", cookies.join("; "))
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for c in headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            let mut jar = self.cookies.lock().unwrap();
            if attrs.contains("Max-Age=0") {
                jar.remove(k);
            } else {
                jar.insert(k.to_string(), v.to_string());
            }
        }
        let text = r.text().await.unwrap();
        Resp {
            status,
            headers,
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(self.client.get(format!("{}{path}", self.base)))
            .await
    }

    /// A form post with exactly these fields.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &self.base)
            .body(serde_urlencoded::to_string(fields).unwrap());
        self.send(req).await
    }

    /// Posts a form shown on `page` with its CSRF token and these fields.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let shown = self.get(page).await;
        let token = hidden_value(&shown.text, "csrf_token").unwrap_or_else(|| {
            panic!(
                "no csrf_token on {page} ({}):\n{}",
                shown.status, shown.text
            )
        });
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}
