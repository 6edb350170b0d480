//! Security headers, the stylesheet, admin user management, the audit log
//! page, and escaping of what users type.

mod common;

use common::*;

fn assert_security_headers(r: &Resp, what: &str) {
    assert_eq!(
        r.header("content-security-policy"),
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        "{what}"
    );
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(r.header("referrer-policy"), "same-origin", "{what}");
    assert_eq!(r.header("x-frame-options"), "DENY", "{what}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_carries_the_security_headers() {
    let app = App::start().await;
    app.user("root@example.com", true).await;
    app.project("Alpha").await;
    let anon = app.browser();
    let admin = app.signed_in("root@example.com").await;
    for (what, r) in [
        ("login", anon.get("/login").await),
        ("redirect", anon.get("/").await),
        ("404", anon.get("/no/such/page").await),
        ("403", anon.post("/login", &[]).await),
        ("projects", admin.get("/").await),
        ("settings", admin.get("/projects/alpha/settings").await),
        ("admin", admin.get("/admin/users").await),
        ("api 401", anon.api("/api/0/projects/", None).await),
    ] {
        assert_security_headers(&r, what);
    }
    let page = admin.get("/").await;
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.header("content-type").starts_with("text/html"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stylesheet_is_served_and_cached() {
    let app = App::start().await;
    let anon = app.browser();
    let login = anon.get("/login").await;
    let marker = "<link rel=\"stylesheet\" href=\"";
    let start = login.text.find(marker).unwrap() + marker.len();
    let href = unescape(&login.text[start..start + login.text[start..].find('"').unwrap()]);
    let href = href.as_str();
    assert!(
        href.starts_with("/static/moth.") && href.ends_with(".css"),
        "{href}"
    );
    let css = anon.get(href).await;
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert_eq!(
        css.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(css.text.contains(".topbar"));
    assert_eq!(anon.get("/static/moth.css").await.status, 200);
    assert_eq!(anon.get("/static/other.css").await.status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn admins_manage_users() {
    let app = App::start().await;
    let root = app.user("root@example.com", true).await;
    let admin = app.signed_in("root@example.com").await;

    // Add a member with a generated password, shown once.
    let r = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "mia@example.com")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let password = pre_text(&r.text, "new-password");
    assert_eq!(password.len(), 24);
    assert!(
        !admin.get("/admin/users").await.text.contains(&password),
        "shown only once"
    );
    let mia = app.browser();
    assert_eq!(mia.login("mia@example.com", &password).await.status, 303);
    assert!(
        !mia.get("/").await.text.contains("/admin/users"),
        "members get no admin menu"
    );

    // A duplicate is refused with a message.
    let r = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "MIA@example.com")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("already exists"));
    // A chosen password must be long enough.
    let r = admin
        .submit(
            "/admin/users",
            "/admin/users",
            &[("email", "x@example.com"), ("password", "short")],
        )
        .await;
    assert_eq!(r.status, 400);

    // Make admin, and back; the change shows at once.
    let id = app.t.db.user_by_email("mia@example.com").await.unwrap().id;
    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{id}/role"),
            &[("admin", "1")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(mia.get("/admin/users").await.status, 200);
    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{id}/role"),
            &[("admin", "0")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(mia.get("/admin/users").await.status, 404);

    // Admins cannot demote or remove themselves (Moth always keeps an admin).
    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{}/role", root.id),
            &[("admin", "0")],
        )
        .await;
    assert_eq!(r.status, 400);
    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{}/remove", root.id),
            &[],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        app.t.db.set_user_admin(root.id, false).await.is_err(),
        "the last admin keeps the role"
    );
    // Unknown ids are 404s.
    assert_eq!(
        admin
            .submit("/admin/users", "/admin/users/987654/remove", &[])
            .await
            .status,
        404
    );
    assert_eq!(
        admin
            .submit("/admin/users", "/admin/users/abc/remove", &[])
            .await
            .status,
        404
    );

    let r = admin
        .submit("/admin/users", &format!("/admin/users/{id}/remove"), &[])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(mia.get("/").await.status, 303);
    for action in ["user.add", "user.role_change", "user.remove"] {
        assert!(
            app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = '{action}'"
            ))
            .await
                >= 1,
            "{action}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_page_lists_entries_newest_first_in_pages() {
    let app = App::start().await;
    app.user("root@example.com", true).await;
    app.browser().login("root@example.com", "wrong").await;
    let admin = app.signed_in("root@example.com").await;
    let page = admin.get("/admin/audit").await;
    assert!(
        page.text.contains("user.sign_in_failed") && page.text.contains("user.sign_in"),
        "{}",
        page.text
    );
    assert!(page.text.contains("127.0.0.1"));
    assert!(!page.text.contains("?before="), "one page only");

    for i in 0..60 {
        let entry = moth_storage::audit::NewAuditEntry {
            action: "token.create",
            actor: None,
            target: None,
            project_id: None,
            details: serde_json::json!({ "n": 1000 + i }),
            client_addr: None,
        };
        app.t.db.record_audit(&entry).await.unwrap();
    }
    let first = admin.get("/admin/audit").await;
    assert!(first.text.contains(":1059}"), "{}", first.text);
    let marker = "/admin/audit?before=";
    let start = first.text.find(marker).expect("a link to older entries") + marker.len();
    let before: String = first.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    let older = admin.get(&format!("/admin/audit?before={before}")).await;
    assert_eq!(older.status, 200);
    assert!(older.text.contains("user.sign_in_failed"));
    assert!(!older.text.contains(":1059}"));
    assert!(older.text.contains(":1000}"));
}

#[tokio::test(flavor = "multi_thread")]
async fn what_users_type_is_shown_as_text() {
    let app = App::start().await;
    app.user("root@example.com", true).await;
    let admin = app.signed_in("root@example.com").await;
    let evil = "<script>alert(1)</script>";
    let r = admin
        .submit(
            "/",
            "/projects",
            &[("name", &format!("x {evil}")), ("platform", evil)],
        )
        .await;
    assert_eq!(r.status, 303);
    let page = admin.get("/").await;
    assert!(!page.text.contains(evil), "{}", page.text);
    assert!(unescape(&page.text).contains(&format!("x {evil}")));
    let r = admin
        .submit("/account", "/account/tokens", &[("name", evil)])
        .await;
    assert!(!r.text.contains(evil));
    let r = app.browser().login(evil, "x").await;
    assert_eq!(r.status, 401);
    assert!(!r.text.contains(evil));
    assert!(!admin.get("/admin/audit").await.text.contains(evil));
}
