//! Accounts as a new user meets them, against the real binary: the
//! first-run setup link printed at start, signing in, the security headers,
//! and CLI-made API tokens on the JSON API.

mod common;

use common::*;
use moth_storage::testing::TestDatabase;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap() + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn first_run_link_creates_the_admin_once() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("setup");
    let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
    let link = setup_link(&server);
    assert!(
        link.starts_with(&format!("{}/setup/", server.base_url)),
        "{link}"
    );
    let c = client();

    let form = c.get(&link).send().await.unwrap();
    assert_eq!(form.status(), 200);
    let csrf_cookie = cookie(&form, "moth_csrf").unwrap();
    let html = form.text().await.unwrap();
    let body = serde_urlencoded::to_string([
        ("csrf_token", hidden(&html, "csrf_token").as_str()),
        ("email", "root@example.com"),
        ("password", "a long admin password"),
        ("password_confirm", "a long admin password"),
    ])
    .unwrap();
    let post = |body: String, cookie: String| {
        c.post(&link)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", &server.base_url)
            .header("cookie", cookie)
            .body(body)
            .send()
    };
    let r = post(body.clone(), csrf_cookie.clone()).await.unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie(&r, "moth_session").expect("signed in");
    let home = c
        .get(server.url("/"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("root@example.com"));

    // The same link again: dead.
    assert_eq!(c.get(&link).send().await.unwrap().status(), 404);
    assert_eq!(post(body, csrf_cookie).await.unwrap().status(), 404);
    let admins: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE is_admin")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(admins, 1);
    assert!(server
        .logs()
        .contains("first admin created through the setup link"));

    // A restart prints no link once a user exists.
    drop(server);
    let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
    assert!(!server.logs().contains("/setup/"), "{}", server.logs());
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_users_and_tokens_work_on_the_pages_and_the_api() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("cli-accounts");
    let env = MothEnv::external(&t.url(), dir.path());
    let out = env.run(
        &[
            "user",
            "create",
            "--email",
            "ann@example.com",
            "--password-stdin",
        ],
        Some("ann's password 1\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.create_project("Backend");
    let token = env.run_ok(&[
        "token",
        "create",
        "--email",
        "ann@example.com",
        "--name",
        "ci",
    ]);
    let token = token.lines().last().unwrap().to_string();
    let server = MothServer::start(env);
    // A user exists: no setup link.
    assert!(!server.logs().contains("/setup/"));
    let c = client();

    // A member of nothing sees no project; the answer is Sentry-shaped JSON.
    let r = c
        .get(server.url("/api/0/projects/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.text().await.unwrap(), "[]");
    sqlx::query("INSERT INTO project_members (project_id, user_id) SELECT p.id, u.id FROM projects p, users u")
        .execute(t.db.pool())
        .await
        .unwrap();
    let r = c
        .get(server.url("/api/0/projects/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v[0]["slug"], "backend");
    assert_eq!(v[0]["id"], "1");
    let used: bool = sqlx::query_scalar("SELECT last_used_at IS NOT NULL FROM api_tokens")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert!(used);
    assert_eq!(
        c.get(server.url("/api/0/projects/"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    // Sign in through the form.
    let form = c.get(server.url("/login")).send().await.unwrap();
    for (h, v) in [
        ("content-security-policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
        ("x-content-type-options", "nosniff"),
    ] {
        assert_eq!(form.headers()[h], v, "{h}");
    }
    let csrf_cookie = cookie(&form, "moth_csrf").unwrap();
    let html = form.text().await.unwrap();
    let body = serde_urlencoded::to_string([
        ("csrf_token", hidden(&html, "csrf_token").as_str()),
        ("email", "ann@example.com"),
        ("password", "ann's password 1"),
    ])
    .unwrap();
    let r = c
        .post(server.url("/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", &server.base_url)
        .header("cookie", csrf_cookie)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = cookie(&r, "moth_session").unwrap();
    let page = c
        .get(server.url("/projects/backend/settings"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(
        server.logs().contains("signed in"),
        "sign-ins are logged for the operator"
    );
    // Ingest and health still answer beside the UI.
    assert_eq!(
        c.get(server.url("/health/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.post(server.url("/api/1/store/"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    assert_eq!(
        c.get(server.url("/nothing-here"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
