//! Every triage page and form goes through the access check: a member of
//! the project gets it, anyone else gets a 404 exactly like for something
//! that does not exist, and a bulk request naming one issue the user may
//! not see changes nothing.

mod common;

use common::web::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn outsiders_get_404_on_every_page_and_form_and_change_nothing() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let mia = m.user("mia@example.com", false).await;
    let otto = m.user("otto@example.com", false).await;
    let (alpha, alpha_in) = m.project("Alpha").await;
    let (beta, beta_in) = m.project("Beta").await;
    m.member_of(&alpha, &[mia]).await;
    m.member_of(&beta, &[otto]).await;
    let event = alpha_in
        .send(json!({"message": "alpha broke", "fingerprint": ["a1"]}))
        .await;
    alpha_in
        .send(json!({"message": "alpha again", "fingerprint": ["a2"]}))
        .await;
    beta_in
        .send(json!({"message": "beta broke", "fingerprint": ["b1"]}))
        .await;
    let a = m.issue_ids(&alpha).await;
    let b = m.issue_ids(&beta).await[0];
    let (a0, a1) = (a[0], a[1]);

    let member = m.signed_in("mia@example.com").await;
    let outsider = m.signed_in("otto@example.com").await;
    let pages = [
        "/projects/alpha/issues".to_string(),
        "/projects/alpha/issues?query=is%3Aall".to_string(),
        "/projects/alpha/settings".to_string(),
        format!("/issues/{a0}"),
        format!("/issues/{a0}/events"),
        format!("/issues/{a0}/events/{event}"),
        format!("/issues/{a0}/events/{event}/json"),
        format!("/issues/{a0}/events/latest"),
        format!("/issues/{a0}/delete"),
    ];
    for path in &pages {
        let ok = member.get(path).await.status;
        assert!(ok == 200 || ok == 303, "{path}: member got {ok}");
        assert_eq!(outsider.get(path).await.status, 404, "{path}: outsider");
    }
    let home = outsider.get("/").await.text;
    assert!(home.contains("Beta") && !home.contains("Alpha"));
    // Made-up and malformed ids are the same 404.
    for path in [
        "/issues/999999",
        "/issues/abc",
        "/issues/1%27",
        "/projects/nope/issues",
    ] {
        assert_eq!(member.get(path).await.status, 404, "{path}");
    }

    // Forms: the outsider's posts (with a valid token of their own) are 404s.
    let a0s = a0.to_string();
    let forms: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/issues/{a0}/status"), vec![("action", "resolve")]),
        (format!("/issues/{a0}/merge"), vec![("issues", "ALPHA-2")]),
        (format!("/issues/{a0}/delete"), vec![]),
        (
            "/projects/alpha/issues/bulk".into(),
            vec![("action", "resolve"), ("issue", &a0s)],
        ),
        (
            "/projects/alpha/issues/bulk".into(),
            vec![("action", "delete"), ("confirm", "1"), ("issue", &a0s)],
        ),
    ];
    for (action, fields) in &forms {
        let r = outsider.submit("/", action, fields).await;
        assert_eq!(r.status, 404, "{action} {fields:?}: outsider");
    }
    // Their own project's bulk form cannot reach Alpha's issues either.
    let r = outsider
        .submit(
            "/",
            "/projects/beta/issues/bulk",
            &[("action", "resolve"), ("issue", &a0s)],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(m.issue_ids(&alpha).await, vec![a0, a1]);
    assert_eq!(m.status(a0).await, "unresolved");

    // One forbidden id in a bulk action: 404, and the allowed one is untouched.
    let (a1s, bs) = (a1.to_string(), b.to_string());
    for action in ["resolve", "delete"] {
        let r = member
            .submit(
                "/projects/alpha/issues",
                "/projects/alpha/issues/bulk",
                &[
                    ("action", action),
                    ("confirm", "1"),
                    ("issue", &a1s),
                    ("issue", &bs),
                ],
            )
            .await;
        assert_eq!(r.status, 404, "{action}");
    }
    assert_eq!(m.status(a1).await, "unresolved");
    assert_eq!(m.status(b).await, "unresolved");
    // Merging an issue the member cannot see: 404, nothing moves.
    let r = member
        .submit(
            &format!("/issues/{a0}"),
            &format!("/issues/{a0}/merge"),
            &[("issues", &bs)],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(m.issue_ids(&beta).await, vec![b]);
    // Even an admin cannot reach another project's issue through this
    // project's bulk form.
    let admin = m.signed_in("root@example.com").await;
    let r = admin
        .submit(
            "/",
            "/projects/alpha/issues/bulk",
            &[("action", "resolve"), ("issue", &bs)],
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(m.status(b).await, "unresolved");

    // The member can act.
    let r = member
        .submit(
            &format!("/issues/{a0}"),
            &format!("/issues/{a0}/status"),
            &[("action", "resolve")],
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(m.status(a0).await, "resolved");

    // Signed out: pages send to the sign-in form; forms change nothing.
    let anon = m.web();
    let r = anon.get(&format!("/issues/{a1}")).await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/login?next="), "{}", r.location());
    let r = anon
        .post(&format!("/issues/{a1}/status"), &[("action", "resolve")])
        .await;
    assert!(r.status >= 300, "{}", r.status);
    assert_eq!(m.status(a1).await, "unresolved");
}
