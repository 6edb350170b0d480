//! A Moth with real SDK traffic in it and API tokens, and small helpers to
//! call the API the way a script would.

use std::collections::HashSet;

use moth_storage::testing::TestDatabase;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::common::captures;
use crate::common::{MothEnv, MothServer, TempDir};

pub const ADMIN: &str = "admin@example.com";

/// A running Moth whose `captures` project (id 42) holds every SDK capture
/// of `fixtures/sdk-captures`, and an admin with a token.
pub struct Moth {
    pub t: TestDatabase,
    pub server: MothServer,
    pub token: String,
    pub client: reqwest::Client,
    _dir: TempDir,
}

/// An answer: status, headers, JSON body (`Null` when there is none).
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

impl Moth {
    /// Moth with the captures' project and an admin token; no events yet.
    pub async fn empty() -> Self {
        let t = TestDatabase::new().await;
        captures::add_capture_project(&t.db, Some("python")).await;
        let dir = TempDir::new("api");
        let env = MothEnv::external(&t.url(), dir.path());
        env.run_ok(&["user", "create", "--email", ADMIN, "--admin"]);
        let token = last_line(&env.run_ok(&["token", "create", "--email", ADMIN]));
        let server = MothServer::start(env);
        Self {
            t,
            server,
            token,
            client: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// Moth with every event capture replayed into project 42.
    pub async fn with_captures() -> Self {
        let moth = Self::empty().await;
        for c in captures::all().iter().filter(|c| c.is_envelope()) {
            let r = captures::replay(&moth.client, &moth.server.base_url, c).await;
            assert_eq!(r.status(), 200, "{}", c.name);
        }
        moth
    }

    /// A member (not admin) with a token, member of the given projects.
    pub async fn member(&self, email: &str, project_ids: &[i64]) -> String {
        self.server
            .env
            .run_ok(&["user", "create", "--email", email]);
        let user = self.t.db.user_by_email(email).await.unwrap();
        for p in project_ids {
            let mut members: Vec<i64> = self
                .t
                .db
                .project_members(*p)
                .await
                .unwrap()
                .iter()
                .map(|u| u.id)
                .collect();
            members.push(user.id);
            self.t.db.set_project_members(*p, &members).await.unwrap();
        }
        last_line(
            &self
                .server
                .env
                .run_ok(&["token", "create", "--email", email]),
        )
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            self.server.url(path)
        };
        let mut req = self.client.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    /// GET with the admin token.
    pub async fn get(&self, path: &str) -> Answer {
        self.call(reqwest::Method::GET, path, Some(&self.token), None)
            .await
    }

    /// GET that must answer 200; the body.
    pub async fn get_ok(&self, path: &str) -> Value {
        let a = self.get(path).await;
        assert_eq!(a.status, 200, "GET {path}: {}", a.body);
        a.body
    }

    pub async fn put(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::PUT, path, Some(&self.token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.call(reqwest::Method::DELETE, path, Some(&self.token), None)
            .await
    }

    /// The id of the issue whose title starts with `prefix`.
    pub async fn issue_titled(&self, prefix: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM issues WHERE title LIKE $1 || '%' ORDER BY id LIMIT 1")
            .bind(prefix)
            .fetch_one(self.t.db.pool())
            .await
            .unwrap_or_else(|e| panic!("no issue titled {prefix}...: {e}"))
    }

    pub async fn status_of(&self, issue: i64) -> String {
        sqlx::query_scalar("SELECT status FROM issues WHERE id = $1")
            .bind(issue)
            .fetch_one(self.t.db.pool())
            .await
            .unwrap()
    }

    /// Follows `rel="next"` from `first` until `results="false"`; every row
    /// of every page, and the pages' cursors.
    pub async fn walk(&self, first: &str) -> (Vec<Value>, Vec<String>) {
        let mut rows = Vec::new();
        let mut urls = vec![first.to_string()];
        let mut url = first.to_string();
        loop {
            let a = self.get(&url).await;
            assert_eq!(a.status, 200, "{url}: {}", a.body);
            rows.extend(a.body.as_array().unwrap().iter().cloned());
            let next = link(a.header("link"), "next");
            if !next.results {
                return (rows, urls);
            }
            assert!(urls.len() < 100, "pagination does not end");
            assert!(
                next.url.ends_with(&format!("&cursor={}", next.cursor)),
                "{}",
                next.url
            );
            url = next.url;
            urls.push(url.clone());
        }
    }
}

pub fn last_line(out: &str) -> String {
    out.lines().last().unwrap().trim().to_string()
}

/// One link of a `Link` header.
#[derive(Debug, Clone)]
pub struct Link {
    pub url: String,
    pub results: bool,
    pub cursor: String,
}

/// Parses the `rel` link out of Sentry's `Link` header format.
pub fn link(header: &str, rel: &str) -> Link {
    for part in header.split(", <") {
        let part = part.trim_start_matches('<');
        let (url, attrs) = part.split_once(">; ").expect("link has attributes");
        let attr = |name: &str| {
            attrs
                .split("; ")
                .find_map(|a| a.strip_prefix(&format!("{name}=\"")))
                .map(|v| v.trim_end_matches('"').to_string())
                .unwrap_or_default()
        };
        if attr("rel") == rel {
            return Link {
                url: url.to_string(),
                results: attr("results") == "true",
                cursor: attr("cursor"),
            };
        }
    }
    panic!("no rel={rel} in Link: {header}")
}

/// Ids of a list of issues or events, checked unique.
pub fn unique_ids(rows: &[Value], field: &str) -> Vec<String> {
    let ids: Vec<String> = rows
        .iter()
        .map(|r| r[field].as_str().unwrap().to_string())
        .collect();
    let set: HashSet<&String> = ids.iter().collect();
    assert_eq!(set.len(), ids.len(), "duplicates in {ids:?}");
    ids
}
