//! Every state-changing page request needs the session's CSRF token and,
//! when the browser names one, Moth's own origin.

mod common;

use common::*;

async fn tokens_count(app: &App) -> i64 {
    app.count("SELECT count(*) FROM api_tokens").await
}

#[tokio::test(flavor = "multi_thread")]
async fn form_posts_without_the_right_token_are_refused() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.signed_in("ann@example.com").await;
    let good = b.get("/account").await.csrf_token();

    let missing = b.post("/account/tokens", &[("name", "ci")]).await;
    assert_eq!(missing.status, 403);
    assert!(
        missing.text.contains("This form has expired"),
        "{}",
        missing.text
    );
    assert!(missing.header("content-type").starts_with("text/html"));

    let wrong = b
        .post(
            "/account/tokens",
            &[("csrf_token", "0".repeat(64).as_str()), ("name", "ci")],
        )
        .await;
    assert_eq!(wrong.status, 403);

    // Another user's (valid) token is no good either: it is per session.
    app.user("bob@example.com", false).await;
    let bob = app.signed_in("bob@example.com").await;
    let bobs = bob.get("/account").await.csrf_token();
    assert_ne!(bobs, good);
    assert_eq!(
        b.post("/account/tokens", &[("csrf_token", &bobs), ("name", "ci")])
            .await
            .status,
        403
    );
    assert_eq!(tokens_count(&app).await, 0);

    // Logout is a state change too.
    assert_eq!(b.post("/logout", &[]).await.status, 403);
    assert_eq!(b.get("/").await.status, 200, "still signed in");

    let ok = b
        .post("/account/tokens", &[("csrf_token", &good), ("name", "ci")])
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(tokens_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn cross_origin_posts_are_refused_even_with_the_token() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.signed_in("ann@example.com").await;
    let token = b.get("/account").await.csrf_token();
    let fields = [("csrf_token", token.as_str()), ("name", "ci")];

    for origin in ["http://evil.example", "null", "https://127.0.0.1"] {
        let r = b
            .post_with("/account/tokens", &fields, &[("origin", origin)])
            .await;
        assert_eq!(r.status, 403, "{origin}");
        assert!(r.text.contains("Refused a form sent from"), "{}", r.text);
    }
    assert_eq!(tokens_count(&app).await, 0);
    // No Origin at all (some older browsers): the token is enough.
    assert_eq!(
        b.post_with("/account/tokens", &fields, &[]).await.status,
        200
    );
    assert_eq!(tokens_count(&app).await, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_in_form_has_its_own_token() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    // Straight POST without having loaded the form (login CSRF).
    let b = app.browser();
    let r = b
        .post(
            "/login",
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post(
            "/login",
            &[
                ("csrf_token", "forged"),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(b.cookie("moth_session").is_none());
    // The token of someone else's form page does not match this browser's cookie.
    let other = app.browser();
    let theirs = other.get("/login").await.csrf_token();
    b.get("/login").await;
    let r = b
        .post(
            "/login",
            &[
                ("csrf_token", &theirs),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(b.login("ann@example.com", PASSWORD).await.status, 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_ignores_session_cookies() {
    let app = App::start().await;
    app.user("ann@example.com", true).await;
    let b = app.signed_in("ann@example.com").await;
    let r = b.api("/api/0/projects/", None).await;
    assert_eq!(
        r.status, 401,
        "a cookie alone must not authenticate the API"
    );
}
