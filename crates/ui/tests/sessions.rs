//! Signing in and out, and how sessions end.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread")]
async fn signing_in_with_the_right_password_opens_a_session() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.browser();
    // Signed out, pages send you to the form and back.
    let r = b.get("/account").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login?next=%2Faccount");

    let form = b.get("/login?next=%2Faccount").await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains("name=\"email\"") && form.text.contains("name=\"password\""));
    let token = form.csrf_token();
    let r = b
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "ANN@example.com"),
                ("password", PASSWORD),
                ("next", "/account"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.location(), "/account");
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("moth_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        !cookie.contains("Secure"),
        "http base URL: no Secure flag: {cookie}"
    );
    let value = b.cookie("moth_session").unwrap();
    // The session secret and its signature with the server's key.
    let (secret, signature) = value.split_once('.').unwrap();
    assert_eq!((secret.len(), signature.len()), (64, 64));
    // Only the hash is stored.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM sessions WHERE token_hash::text LIKE '%{secret}%'"
        ))
        .await,
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 1);

    let page = b.get("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("ann@example.com"));
    // The same session secret unsigned, or signed with another key, is
    // nobody's session.
    let other = moth_ui::SessionKey::new(b"another deployment").sign(secret);
    for forged in [secret.to_string(), other] {
        let f = app.browser();
        f.set_cookie("moth_session", &forged);
        assert_eq!(f.get("/account").await.status, 303, "{forged}");
    }
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.sign_in'")
            .await,
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE last_login_at IS NOT NULL")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_passwords_and_unknown_emails_fail_alike() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    for (email, password) in [
        ("ann@example.com", "wrong password"),
        ("nobody@example.com", PASSWORD),
        ("", ""),
    ] {
        let b = app.browser();
        let r = b.login(email, password).await;
        assert_eq!(r.status, 401, "{email}");
        assert!(r.text.contains("Wrong email or password."), "{}", r.text);
        assert!(b.cookie("moth_session").is_none());
        assert_eq!(b.get("/").await.status, 303);
    }
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.sign_in_failed'")
            .await,
        3
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn after_sign_in_only_local_paths_are_followed() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.browser();
    let token = b.get("/login").await.csrf_token();
    let r = b
        .post(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/");
}

#[tokio::test(flavor = "multi_thread")]
async fn cookies_are_secure_when_the_base_url_is_https() {
    let app = App::start_with(|c| {
        *c = moth_ui::UiConfig::new("https://moth.example.com", "moth");
    })
    .await;
    app.user("ann@example.com", false).await;
    let b = app.browser();
    let form = b.get("/login").await;
    assert!(form.set_cookies()[0].contains("; Secure"));
    let token = form.csrf_token();
    let r = b
        .post_with(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "ann@example.com"),
                ("password", PASSWORD),
            ],
            &[("origin", "https://moth.example.com")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let cookie = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("moth_session="))
        .unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session_at_once() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let b = app.signed_in("ann@example.com").await;
    let stolen = b.cookie("moth_session").unwrap();
    let r = b.submit("/", "/logout", &[]).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/login");
    assert!(b.cookie("moth_session").is_none(), "the cookie is cleared");
    // The old cookie is worthless now.
    let replay = app.browser();
    replay.set_cookie("moth_session", &stolen);
    assert_eq!(replay.get("/").await.status, 303);
    assert_eq!(app.count("SELECT count(*) FROM sessions").await, 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.sign_out'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_signs_out_the_other_sessions() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let here = app.signed_in("ann@example.com").await;
    let elsewhere = app.signed_in("ann@example.com").await;
    assert_eq!(elsewhere.get("/").await.status, 200);

    // A wrong current password changes nothing.
    let r = here
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", "nope"),
                ("new_password", "a new password 1"),
                ("new_password_confirm", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("The current password is wrong."));
    assert_eq!(elsewhere.get("/").await.status, 200);
    // Too short.
    let r = here
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("new_password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(r.text.contains("at least 10 characters"), "{}", r.text);

    let r = here
        .submit(
            "/account",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new password 1"),
                ("new_password_confirm", "a new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    assert_eq!(r.location(), "/account?done=password");
    assert!(here
        .get("/account?done=password")
        .await
        .text
        .contains("Password changed"));
    assert_eq!(
        elsewhere.get("/").await.status,
        303,
        "the other session is ended"
    );
    assert_eq!(
        app.browser()
            .login("ann@example.com", PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        app.browser()
            .login("ann@example.com", "a new password 1")
            .await
            .status,
        303
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'user.password_change'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_expire_when_idle_and_at_their_absolute_end() {
    let app = App::start().await;
    app.user("ann@example.com", false).await;
    let idle = app.signed_in("ann@example.com").await;
    let old = app.signed_in("ann@example.com").await;
    let hash = |b: &Browser| {
        // The cookie is `secret.signature`; the database knows the secret's hash.
        let value = b.cookie("moth_session").unwrap();
        moth_storage::tokens::hash_token(value.split_once('.').unwrap().0)
    };

    // Seen two minutes ago: a page view slides the idle expiry.
    sqlx::query(
        "UPDATE sessions SET last_seen_at = now() - interval '2 minutes' WHERE token_hash = $1",
    )
    .bind(hash(&idle))
    .execute(app.t.db.pool())
    .await
    .unwrap();
    assert_eq!(idle.get("/").await.status, 200);
    let fresh: bool = sqlx::query_scalar(
        "SELECT last_seen_at > now() - interval '10 seconds' FROM sessions WHERE token_hash = $1",
    )
    .bind(hash(&idle))
    .fetch_one(app.t.db.pool())
    .await
    .unwrap();
    assert!(fresh, "last_seen_at was refreshed");

    // Unused for 15 days (idle limit 14): gone.
    sqlx::query(
        "UPDATE sessions SET last_seen_at = now() - interval '15 days' WHERE token_hash = $1",
    )
    .bind(hash(&idle))
    .execute(app.t.db.pool())
    .await
    .unwrap();
    assert_eq!(idle.get("/").await.status, 303);

    // Used all along but past its absolute expiry: gone.
    assert_eq!(old.get("/").await.status, 200);
    sqlx::query(
        "UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1",
    )
    .bind(hash(&old))
    .execute(app.t.db.pool())
    .await
    .unwrap();
    assert_eq!(old.get("/").await.status, 303);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_user_or_a_reset_password_ends_their_sessions() {
    let app = App::start().await;
    app.user("root@example.com", true).await;
    let bob = app.user("bob@example.com", false).await;
    let carl = app.user("carl@example.com", false).await;
    let admin = app.signed_in("root@example.com").await;
    let bob_b = app.signed_in("bob@example.com").await;
    let carl_b = app.signed_in("carl@example.com").await;

    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{}/password", bob.id),
            &[],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let new_password = pre_text(&r.text, "new-password");
    assert_eq!(bob_b.get("/").await.status, 303);
    assert_eq!(
        app.browser()
            .login("bob@example.com", &new_password)
            .await
            .status,
        303
    );

    let r = admin
        .submit(
            "/admin/users",
            &format!("/admin/users/{}/remove", carl.id),
            &[],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(carl_b.get("/").await.status, 303);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE email = 'carl@example.com'")
            .await,
        0
    );
}
