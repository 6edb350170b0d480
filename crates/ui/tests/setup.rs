//! The first-run setup link creates the first admin, once.

mod common;

use common::*;
use moth_ui::setup::first_run_link;

#[tokio::test(flavor = "multi_thread")]
async fn the_setup_link_works_once_and_only_once() {
    let app = App::start().await;
    let link = first_run_link(&app.t.db, &app.base)
        .await
        .unwrap()
        .expect("no user yet: a link");
    let path = link.strip_prefix(&app.base).unwrap().to_string();
    assert!(path.starts_with("/setup/") && path.len() > 30, "{path}");
    // The token itself is not stored.
    let token = path.trim_start_matches("/setup/");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM setup_tokens WHERE token_hash::text LIKE '%{token}%'"
        ))
        .await,
        0
    );
    // A guessed link is a 404.
    assert_eq!(
        app.browser().get("/setup/0123456789abcdef").await.status,
        404
    );

    let b = app.browser();
    let form = b.get(&path).await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains("Create admin"));
    let csrf = form.csrf_token();
    // Mistakes re-show the form.
    let r = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "root@example.com"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("at least 10 characters"));
    let r = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "root@example.com"),
                ("password", PASSWORD),
                ("password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("differ"));

    let r = b
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "root@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.location(), "/");
    // Signed in as the new admin.
    let home = b.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("root@example.com") && home.text.contains("/admin/users"));
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE is_admin").await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'setup.first_admin'")
            .await,
        1
    );

    // Dead now, for everyone and every method.
    let again = app.browser();
    assert_eq!(again.get(&path).await.status, 404);
    let csrf = again.get("/login").await.csrf_token();
    let r = again
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "evil@example.com"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
    assert!(
        first_run_link(&app.t.db, &app.base)
            .await
            .unwrap()
            .is_none(),
        "no new link once a user exists"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_made_another_way_kills_the_link() {
    let app = App::start().await;
    let first = first_run_link(&app.t.db, &app.base).await.unwrap().unwrap();
    // Another Moth process made its own link; both work until one is used.
    let second = first_run_link(&app.t.db, &app.base).await.unwrap().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        app.browser()
            .get(first.strip_prefix(&app.base).unwrap())
            .await
            .status,
        200
    );
    assert_eq!(
        app.browser()
            .get(second.strip_prefix(&app.base).unwrap())
            .await
            .status,
        200
    );
    // `moth user create --admin` (what the CLI calls).
    app.user("cli@example.com", true).await;
    for link in [first, second] {
        assert_eq!(
            app.browser()
                .get(link.strip_prefix(&app.base).unwrap())
                .await
                .status,
            404
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn racing_setup_submissions_create_one_admin() {
    let app = App::start().await;
    let links = [
        first_run_link(&app.t.db, &app.base).await.unwrap().unwrap(),
        first_run_link(&app.t.db, &app.base).await.unwrap().unwrap(),
    ];
    let mut tasks = Vec::new();
    for (i, link) in links.iter().enumerate() {
        let path = link.strip_prefix(&app.base).unwrap().to_string();
        let base = app.base.clone();
        tasks.push(tokio::spawn(async move {
            let b = Browser::new(&base);
            let csrf = b.get(&path).await.csrf_token();
            let email = format!("admin{i}@example.com");
            b.post(
                &path,
                &[
                    ("csrf_token", &csrf),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("password_confirm", PASSWORD),
                ],
            )
            .await
            .status
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, vec![303, 404]);
    assert_eq!(app.count("SELECT count(*) FROM users").await, 1);
}
