//! The one access rule, on every route family: admins see everything,
//! members their projects, and whatever a user may not see is a 404.

mod common;

use common::*;
use moth_storage::membership::Viewer;
use moth_storage::Database;

async fn members(db: &Database, slug: &str) -> Vec<String> {
    let p = db.project_by_slug(slug).await.unwrap();
    let mut emails: Vec<String> = db
        .project_members(p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    emails.sort();
    emails
}

async fn token_of(db: &Database, email: &str) -> String {
    let u = db.user_by_email(email).await.unwrap();
    db.create_api_token(u.id, "t").await.unwrap().1
}

async fn issue(db: &Database, project: i64) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO issues (project_id, short_id, title, first_seen, last_seen) VALUES ($1, 1, 't', now(), now()) RETURNING id",
    )
    .bind(project)
    .fetch_one(db.pool())
    .await
    .unwrap()
}

struct World {
    app: App,
    admin: Browser,
    member: Browser,
    outsider: Browser,
}

/// Projects "alpha" and "beta"; the member belongs to alpha only; the
/// outsider to nothing.
async fn world() -> World {
    let app = App::start().await;
    app.user("root@example.com", true).await;
    let member = app.user("mia@example.com", false).await;
    app.user("otto@example.com", false).await;
    let alpha = app.project("Alpha").await;
    app.project("Beta").await;
    app.member_of(&alpha, &[&member]).await;
    World {
        admin: app.signed_in("root@example.com").await,
        member: app.signed_in("mia@example.com").await,
        outsider: app.signed_in("otto@example.com").await,
        app,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn pages() {
    let w = world().await;
    let index = w.admin.get("/").await;
    assert!(index.text.contains("Alpha") && index.text.contains("Beta"));
    let index = w.member.get("/").await;
    assert!(
        index.text.contains("Alpha") && !index.text.contains("Beta"),
        "{}",
        index.text
    );
    let index = w.outsider.get("/").await;
    assert!(!index.text.contains("Alpha") && !index.text.contains("Beta"));

    for page in ["issues", "settings"] {
        assert_eq!(
            w.admin.get(&format!("/projects/alpha/{page}")).await.status,
            200
        );
        assert_eq!(
            w.admin.get(&format!("/projects/beta/{page}")).await.status,
            200
        );
        assert_eq!(
            w.member
                .get(&format!("/projects/alpha/{page}"))
                .await
                .status,
            200
        );
        let hidden = w.member.get(&format!("/projects/beta/{page}")).await;
        let missing = w.member.get(&format!("/projects/gamma/{page}")).await;
        assert_eq!(hidden.status, 404);
        assert_eq!(
            hidden.text, missing.text,
            "a hidden project looks exactly like a missing one"
        );
        assert_eq!(
            w.outsider
                .get(&format!("/projects/alpha/{page}"))
                .await
                .status,
            404
        );
    }
    // The settings page shows the real DSN to those who may see it.
    let settings = w.member.get("/projects/alpha/settings").await;
    let key: String = sqlx::query_scalar("SELECT public_key FROM project_keys k JOIN projects p ON p.id = k.project_id WHERE p.slug = 'alpha'")
        .fetch_one(w.app.t.db.pool())
        .await
        .unwrap();
    assert!(
        unescape(&settings.text).contains(&format!(
            "http://{key}@{}/1",
            w.app.base.trim_start_matches("http://")
        )),
        "{}",
        settings.text
    );
    assert!(
        !settings.text.contains("name=\"user_id\""),
        "members do not get the membership form"
    );

    for admin_page in ["/admin/users", "/admin/audit"] {
        assert_eq!(w.admin.get(admin_page).await.status, 200);
        assert_eq!(w.member.get(admin_page).await.status, 404);
        assert_eq!(w.outsider.get(admin_page).await.status, 404);
    }
    // Signed out: to the sign-in form, whatever the page.
    let anon = w.app.browser();
    for page in [
        "/",
        "/projects/alpha/issues",
        "/projects/beta/settings",
        "/admin/users",
        "/account",
    ] {
        let r = anon.get(page).await;
        assert_eq!(r.status, 303, "{page}");
        assert!(r.location().starts_with("/login?next="));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn form_posts() {
    let w = world().await;
    let db = &w.app.t.db;
    let mia = db.user_by_email("mia@example.com").await.unwrap();
    let otto = db.user_by_email("otto@example.com").await.unwrap();
    let otto_id = otto.id.to_string();
    let mia_id = mia.id.to_string();

    // Members and outsiders cannot change membership, even of a project they see.
    for (who, b) in [("member", &w.member), ("outsider", &w.outsider)] {
        for slug in ["alpha", "beta"] {
            let r = b
                .submit(
                    "/",
                    &format!("/projects/{slug}/members"),
                    &[("user_id", &otto_id)],
                )
                .await;
            assert_eq!(r.status, 404, "{who} on {slug}");
        }
        let r = b.submit("/", "/projects", &[("name", "Gamma")]).await;
        assert_eq!(r.status, 404, "{who} creating a project");
        let r = b
            .submit("/", "/admin/users", &[("email", "new@example.com")])
            .await;
        assert_eq!(r.status, 404, "{who} adding a user");
        let r = b
            .submit(
                "/",
                &format!("/admin/users/{}/role", otto.id),
                &[("admin", "1")],
            )
            .await;
        assert_eq!(r.status, 404, "{who} making an admin");
    }
    assert_eq!(members(db, "alpha").await, vec!["mia@example.com"]);
    assert_eq!(
        w.app
            .count("SELECT count(*) FROM users WHERE is_admin")
            .await,
        1
    );

    // The admin can.
    let r = w
        .admin
        .submit(
            "/",
            "/projects/beta/members",
            &[("user_id", &otto_id), ("user_id", &mia_id)],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(
        members(db, "beta").await,
        vec!["mia@example.com", "otto@example.com"]
    );
    assert_eq!(w.member.get("/projects/beta/issues").await.status, 200);
    let r = w
        .admin
        .submit("/", "/projects", &[("name", "Gamma"), ("platform", "rust")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/projects/gamma/settings");
    assert_eq!(w.admin.get("/projects/gamma/settings").await.status, 200);
    assert_eq!(w.member.get("/projects/gamma/settings").await.status, 404);
    assert_eq!(
        w.app
            .count("SELECT count(*) FROM audit_log WHERE action = 'project.member_add'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api() {
    let w = world().await;
    let db = &w.app.t.db;
    let anon = w.app.browser();
    let slugs = |r: &Resp| -> Vec<String> {
        let v: serde_json::Value = serde_json::from_str(&r.text).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| p["slug"].as_str().unwrap().to_string())
            .collect()
    };

    let r = anon.api("/api/0/projects/", None).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.text,
        r#"{"detail":"Authentication credentials were not provided."}"#
    );
    assert!(r.header("content-type").starts_with("application/json"));
    for bad in ["moth_nope", ""] {
        let r = anon.api("/api/0/projects/", Some(bad)).await;
        assert_eq!(r.status, 401, "{bad:?}");
        assert!(r.text.contains("\"detail\""));
    }

    let admin = token_of(db, "root@example.com").await;
    let r = anon.api("/api/0/projects/", Some(&admin)).await;
    assert_eq!(r.status, 200);
    assert_eq!(slugs(&r), vec!["alpha", "beta"]);
    let v: serde_json::Value = serde_json::from_str(&r.text).unwrap();
    assert_eq!(v[0]["id"], "1");
    assert_eq!(v[0]["name"], "Alpha");
    assert_eq!(v[0]["platform"], "python");

    let member = token_of(db, "mia@example.com").await;
    assert_eq!(
        slugs(&anon.api("/api/0/projects/", Some(&member)).await),
        vec!["alpha"]
    );
    let outsider = token_of(db, "otto@example.com").await;
    assert!(slugs(&anon.api("/api/0/projects/", Some(&outsider)).await).is_empty());

    // Use is recorded; a revoked token stops working at once.
    assert_eq!(
        w.app
            .count("SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL")
            .await,
        3
    );
    let mia = db.user_by_email("mia@example.com").await.unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(mia.id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    db.revoke_api_tokens(mia.id, &[id]).await.unwrap();
    assert_eq!(
        anon.api("/api/0/projects/", Some(&member)).await.status,
        401
    );
    // Unknown API paths are JSON 404s.
    let r = anon.api("/api/0/nothing/", Some(&admin)).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.text, r#"{"detail":"Not found."}"#);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_last_used_is_written_at_most_once_a_minute() {
    let app = App::start().await;
    let u = app.user("ann@example.com", false).await;
    let (_, secret) = app.t.db.create_api_token(u.id, "ci").await.unwrap();
    let b = app.browser();
    assert_eq!(b.api("/api/0/projects/", Some(&secret)).await.status, 200);
    let first: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
            .fetch_one(app.t.db.pool())
            .await
            .unwrap();
    assert_eq!(b.api("/api/0/projects/", Some(&secret)).await.status, 200);
    let second: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
            .fetch_one(app.t.db.pool())
            .await
            .unwrap();
    assert_eq!(first, second, "not rewritten within the minute");
    sqlx::query("UPDATE api_tokens SET last_used_at = now() - interval '2 minutes'")
        .execute(app.t.db.pool())
        .await
        .unwrap();
    assert_eq!(b.api("/api/0/projects/", Some(&secret)).await.status, 200);
    let third: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT last_used_at FROM api_tokens")
            .fetch_one(app.t.db.pool())
            .await
            .unwrap();
    assert!(third > first);
    // And the account page shows it.
    let page = app.signed_in("ann@example.com").await.get("/account").await;
    assert!(
        page.text.contains("ci") && !page.text.contains("never"),
        "{}",
        page.text
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_actions_touch_all_or_nothing() {
    let w = world().await;
    let db = &w.app.t.db;
    let mia = db.user_by_email("mia@example.com").await.unwrap();
    let otto = db.user_by_email("otto@example.com").await.unwrap();
    let (mine1, _) = db.create_api_token(mia.id, "one").await.unwrap();
    let (mine2, _) = db.create_api_token(mia.id, "two").await.unwrap();
    let (ottos, _) = db.create_api_token(otto.id, "otto's").await.unwrap();
    let live = || async {
        w.app
            .count("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")
            .await
    };

    // One id that is not hers: 404, and none revoked.
    let (a, b, c) = (
        mine1.id.to_string(),
        mine2.id.to_string(),
        ottos.id.to_string(),
    );
    let r = w
        .member
        .submit(
            "/account",
            "/account/tokens/revoke",
            &[("token_id", &a), ("token_id", &c), ("token_id", &b)],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(live().await, 3);
    let r = w
        .member
        .submit(
            "/account",
            "/account/tokens/revoke",
            &[("token_id", &a), ("token_id", "999999")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(live().await, 3);
    let r = w
        .member
        .submit(
            "/account",
            "/account/tokens/revoke",
            &[("token_id", &a), ("token_id", &b)],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(live().await, 1);
    assert_eq!(
        w.app
            .count("SELECT count(*) FROM audit_log WHERE action = 'token.revoke'")
            .await,
        2
    );

    // Membership: one unknown user id, and nothing changes.
    let beta = db.project_by_slug("beta").await.unwrap();
    let otto_id = otto.id.to_string();
    let r = w
        .admin
        .submit(
            "/",
            "/projects/beta/members",
            &[("user_id", &otto_id), ("user_id", "424242")],
        )
        .await;
    assert_eq!(r.status, 404);
    assert!(db.project_members(beta.id).await.unwrap().is_empty());

    // The access helpers themselves, for the issue pages' bulk actions.
    let member = Viewer {
        user_id: mia.id,
        is_admin: false,
    };
    let alpha = db.project_by_slug("alpha").await.unwrap();
    assert_eq!(
        db.visible_projects_among(member, &[alpha.id])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(db
        .visible_projects_among(member, &[alpha.id, beta.id])
        .await
        .is_err());
    let admin = Viewer {
        user_id: 1,
        is_admin: true,
    };
    assert_eq!(
        db.visible_projects_among(admin, &[alpha.id, beta.id])
            .await
            .unwrap()
            .len(),
        2
    );
    let (in_alpha, in_beta) = (issue(db, alpha.id).await, issue(db, beta.id).await);
    assert_eq!(
        db.visible_issue_projects(member, &[in_alpha])
            .await
            .unwrap(),
        vec![(in_alpha, alpha.id)]
    );
    assert!(db
        .visible_issue_projects(member, &[in_alpha, in_beta])
        .await
        .is_err());
    assert_eq!(
        db.visible_issue_projects(admin, &[in_alpha, in_beta])
            .await
            .unwrap()
            .len(),
        2
    );
}
