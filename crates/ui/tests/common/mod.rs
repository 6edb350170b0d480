//! Runs the UI router on a real TCP port against a fresh database, and a
//! small cookie-keeping HTTP client that behaves like a browser's forms.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use moth_storage::projects::Project;
use moth_storage::testing::TestDatabase;
use moth_storage::users::User;
use moth_ui::{UiConfig, UiState};
use reqwest::header::HeaderMap;

pub const PASSWORD: &str = "correct horse battery";

pub struct App {
    pub t: TestDatabase,
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl App {
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Starts with a config changed by `adjust` (its base URL is the real
    /// address unless `adjust` sets another).
    pub async fn start_with(adjust: impl FnOnce(&mut UiConfig)) -> Self {
        let t = TestDatabase::new().await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let mut config = UiConfig::new(&base, "moth");
        adjust(&mut config);
        let state = UiState::new(t.db.clone(), config).unwrap();
        let app = moth_ui::router(state).into_make_service_with_connect_info::<SocketAddr>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { t, base, server }
    }

    pub async fn user(&self, email: &str, admin: bool) -> User {
        let phc = tokio::task::spawn_blocking(|| moth_storage::password::hash_password(PASSWORD))
            .await
            .unwrap();
        self.t.db.create_user(email, &phc, admin).await.unwrap()
    }

    pub async fn project(&self, name: &str) -> Project {
        self.t
            .db
            .create_project(name, Some("python"))
            .await
            .unwrap()
            .0
    }

    pub async fn member_of(&self, project: &Project, users: &[&User]) {
        let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
        self.t
            .db
            .set_project_members(project.id, &ids)
            .await
            .unwrap();
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// A browser signed in as `email` (password [`PASSWORD`]).
    pub async fn signed_in(&self, email: &str) -> Browser {
        let b = self.browser();
        let r = b.login(email, PASSWORD).await;
        assert_eq!(r.status, 303, "sign-in as {email} failed: {}", r.text);
        b
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx_count(&self.t, sql).await
    }
}

async fn sqlx_count(t: &TestDatabase, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(t.db.pool())
        .await
        .unwrap()
        .get::<i64, _>(0)
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
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

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }

    /// The value of the first `name="csrf_token"` hidden field.
    pub fn csrf_token(&self) -> String {
        hidden_value(&self.text, "csrf_token")
            .unwrap_or_else(|| panic!("no csrf_token in:\n{}", self.text))
    }
}

pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// Keeps cookies like a browser, does not follow redirects, and sends
/// `Origin` on POSTs like a browser does.
pub struct Browser {
    client: reqwest::Client,
    pub base: String,
    pub cookies: Mutex<BTreeMap<String, String>>,
}

impl Browser {
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

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies
            .lock()
            .unwrap()
            .insert(name.into(), value.into());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Resp {
        let cookies = self.cookie_header();
        let req = if cookies.is_empty() {
            req
        } else {
            req.header("cookie", cookies)
        };
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        for c in headers.get_all("set-cookie") {
            let c = c.to_str().unwrap();
            let (pair, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.lock().unwrap().remove(k);
            } else {
                self.cookies
                    .lock()
                    .unwrap()
                    .insert(k.to_string(), v.to_string());
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

    /// A form post as a browser sends it (`Origin` is this site).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        self.post_with(path, fields, &[("origin", &self.base.clone())])
            .await
    }

    pub async fn post_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(serde_urlencoded::to_string(fields).unwrap());
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        self.send(req).await
    }

    /// Posts a form shown on `page` with its CSRF token and these fields.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.get(page).await.csrf_token();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.submit(
            "/login",
            "/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn api(&self, path: &str, token: Option<&str>) -> Resp {
        let mut req = self.client.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        self.send(req).await
    }
}

/// The text of `<pre class="{class}">` (secrets shown once).
pub fn pre_text(html: &str, class: &str) -> String {
    let marker = format!("<pre class=\"{class}\">");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {html}"))
        + marker.len();
    let end = html[start..].find("</pre>").unwrap() + start;
    html[start..end].to_string()
}

/// HTML text back to what a browser shows.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
