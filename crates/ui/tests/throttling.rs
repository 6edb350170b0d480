//! Sign-in throttling per account and per address, shared through the
//! database, and never a permanent lock-out.

mod common;

use common::*;

/// Signs in from `addr` (the app trusts X-Forwarded-For in these tests).
async fn login_from(app: &App, addr: &str, email: &str, password: &str) -> Resp {
    let b = app.browser();
    let token = b.get("/login").await.csrf_token();
    b.post_with(
        "/login",
        &[
            ("csrf_token", &token),
            ("email", email),
            ("password", password),
        ],
        &[("origin", &app.base), ("x-forwarded-for", addr)],
    )
    .await
}

async fn forwarded_app() -> App {
    App::start_with(|c| c.trust_forwarded_for = true).await
}

async fn age_attempts(app: &App, minutes: i64) {
    sqlx::query(
        "UPDATE login_attempts SET attempted_at = attempted_at - make_interval(mins => $1::int)",
    )
    .bind(minutes as i32)
    .execute(app.t.db.pool())
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn five_failures_lock_an_account_for_fifteen_minutes() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.browser();
    for _ in 0..5 {
        assert_eq!(b.login("ann@example.com", "guess").await.status, 401);
    }
    // Now even the right password is refused, with a clear message.
    let r = b.login("ann@example.com", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(
        r.text
            .contains("Too many failed sign-in attempts; try again in 15 minutes."),
        "{}",
        r.text
    );
    let retry: u64 = r.header("retry-after").parse().unwrap();
    assert!((840..=900).contains(&retry), "{retry}");
    assert!(b.cookie("moth_session").is_none());
    // Refused attempts are not counted: the lock does not grow.
    assert_eq!(app.count("SELECT count(*) FROM login_attempts").await, 5);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.sign_in_throttled'")
            .await,
        1
    );
    // Another account is not affected.
    app.user("bob@example.com", false).await;
    assert_eq!(
        app.browser()
            .login("bob@example.com", PASSWORD)
            .await
            .status,
        303
    );

    // Failures age out.
    age_attempts(&app, 10).await;
    let r = b.login("ann@example.com", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.text.contains("try again in 5 minutes"), "{}", r.text);
    age_attempts(&app, 6).await;
    assert_eq!(b.login("ann@example.com", PASSWORD).await.status, 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_keeps_signing_in_from_their_usual_address() {
    let app = forwarded_app().await;
    app.user("root@example.com", true).await;
    // The admin signed in from their office before.
    assert_eq!(
        login_from(&app, "10.0.0.5", "root@example.com", PASSWORD)
            .await
            .status,
        303
    );
    // An attacker hammers the account from elsewhere.
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, "203.0.113.9", "root@example.com", "guess")
                .await
                .status,
            401
        );
    }
    assert_eq!(
        login_from(&app, "203.0.113.9", "root@example.com", PASSWORD)
            .await
            .status,
        429
    );
    assert_eq!(
        login_from(&app, "198.51.100.1", "root@example.com", PASSWORD)
            .await
            .status,
        429,
        "new addresses wait"
    );
    // The office still works.
    assert_eq!(
        login_from(&app, "10.0.0.5", "root@example.com", PASSWORD)
            .await
            .status,
        303
    );
    // ...but guessing from the office is limited too.
    for _ in 0..5 {
        assert_eq!(
            login_from(&app, "10.0.0.5", "root@example.com", "guess")
                .await
                .status,
            401
        );
    }
    assert_eq!(
        login_from(&app, "10.0.0.5", "root@example.com", PASSWORD)
            .await
            .status,
        429
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_failures_from_one_address_block_it_for_every_account() {
    let app = forwarded_app().await;
    app.user("ann@example.com", false).await;
    for i in 0..20 {
        let r = login_from(
            &app,
            "203.0.113.7",
            &format!("user{i}@example.com"),
            "guess",
        )
        .await;
        assert_eq!(r.status, 401, "attempt {i}");
    }
    let r = login_from(&app, "203.0.113.7", "ann@example.com", PASSWORD).await;
    assert_eq!(r.status, 429);
    assert!(r.text.contains("try again in 15 minutes"));
    assert_eq!(
        login_from(&app, "203.0.113.8", "ann@example.com", PASSWORD)
            .await
            .status,
        303
    );
    age_attempts(&app, 16).await;
    assert_eq!(
        login_from(&app, "203.0.113.7", "ann@example.com", PASSWORD)
            .await
            .status,
        303
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_count_is_shared_by_every_moth_process() {
    // Two UI instances on one database: failures on one count on the other.
    let first = App::start().await;
    first.user("ann@example.com", false).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state =
        moth_ui::UiState::new(first.t.db.clone(), moth_ui::UiConfig::new(&base, "moth")).unwrap();
    let app = moth_ui::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let second = Browser::new(&base);

    for _ in 0..3 {
        assert_eq!(
            first
                .browser()
                .login("ann@example.com", "guess")
                .await
                .status,
            401
        );
    }
    for _ in 0..2 {
        assert_eq!(second.login("ann@example.com", "guess").await.status, 401);
    }
    assert_eq!(
        first
            .browser()
            .login("ann@example.com", PASSWORD)
            .await
            .status,
        429
    );
    assert_eq!(second.login("ann@example.com", PASSWORD).await.status, 429);
    server.abort();
}
