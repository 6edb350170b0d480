//! Members see destinations without URLs and change nothing; outsiders get
//! 404; forms without the CSRF token are refused.

use moth_alerts::testing::Receiver;
use moth_storage::projects::Project;

use super::common::web::*;
use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn members_see_no_urls_and_are_refused_every_change_outsiders_get_404() {
    let m = Triage::start().await;
    m.user("root@example.com", true).await;
    let mia = m.user("mia@example.com", false).await;
    let otto = m.user("otto@example.com", false).await;
    let (alpha, _) = m.project("Alpha").await;
    let (beta, _) = m.project("Beta").await;
    m.member_of(&alpha, &[mia]).await;
    m.member_of(&beta, &[otto]).await;
    let rx = Receiver::start().await;
    let ours = add_directly(&m, &alpha, "Alpha hook", &rx.url("/alpha-secret-path")).await;
    let theirs = add_directly(&m, &beta, "Beta hook", &rx.url("/beta-secret-path")).await;

    // A member sees the list: name, kind, host only, no secret, no forms.
    let member = m.signed_in("mia@example.com").await;
    let shown = member.get(&settings(&alpha)).await;
    assert_eq!(shown.status, 200);
    let page = text(&shown.text);
    assert!(page.contains("Alpha hook") && page.contains("new issue"));
    assert!(page.contains("http://127.0.0.1/…"), "{page}");
    assert!(!page.contains("alpha-secret-path"), "{page}");
    assert!(!page.contains(&ours.secret));
    assert!(!page.contains("Add a destination") && !page.contains("Send test message"));
    assert!(!page.contains("/alerts/"), "no management links: {page}");
    for path in [
        alerts_path(&alpha, ours.id, ""),
        alerts_path(&alpha, ours.id, "/delete"),
    ] {
        assert_eq!(member.get(&path).await.status, 404, "{path}");
    }

    let posts = |p: &Project, id: i64| {
        vec![
            (
                format!("/projects/{}/alerts", p.slug),
                vec![
                    ("kind", "slack"),
                    ("url", "http://127.0.0.1:9/x"),
                    ("trigger", "new"),
                ],
            ),
            (
                alerts_path(p, id, ""),
                vec![
                    ("kind", "slack"),
                    ("url", "http://127.0.0.1:9/x"),
                    ("name", "taken over"),
                    ("trigger", "new"),
                ],
            ),
            (alerts_path(p, id, "/enabled"), vec![("enabled", "0")]),
            (alerts_path(p, id, "/test"), vec![]),
            (alerts_path(p, id, "/delete"), vec![]),
        ]
    };
    let before = (
        destinations(&m, &alpha).await,
        destinations(&m, &beta).await,
    );
    // The member, with a valid CSRF token: refused like every admin-only form.
    for (path, fields) in posts(&alpha, ours.id) {
        let r = member.submit(&settings(&alpha), &path, &fields).await;
        assert_eq!(r.status, 404, "member: {path}");
    }
    // An outsider: the page and every form are 404.
    let outsider = m.signed_in("otto@example.com").await;
    assert_eq!(outsider.get(&settings(&alpha)).await.status, 404);
    for path in [
        alerts_path(&alpha, ours.id, ""),
        alerts_path(&alpha, ours.id, "/delete"),
    ] {
        assert_eq!(outsider.get(&path).await.status, 404, "{path}");
    }
    for (path, fields) in posts(&alpha, ours.id) {
        let r = outsider.submit("/", &path, &fields).await;
        assert_eq!(r.status, 404, "outsider: {path}");
    }
    // An admin naming a destination of another project, or none: 404.
    let admin = m.signed_in("root@example.com").await;
    for (path, fields) in posts(&alpha, theirs.id)
        .into_iter()
        .skip(1)
        .chain(posts(&alpha, 999_999).into_iter().skip(1))
    {
        let r = admin.submit(&settings(&alpha), &path, &fields).await;
        assert_eq!(r.status, 404, "admin, foreign id: {path}");
    }
    for path in [
        alerts_path(&alpha, theirs.id, ""),
        alerts_path(&alpha, theirs.id, "/delete"),
        "/projects/alpha/alerts/abc".to_string(),
        "/projects/nope/alerts/1".to_string(),
    ] {
        assert_eq!(admin.get(&path).await.status, 404, "{path}");
    }
    // Without the CSRF token, or with a wrong one: refused.
    for fields in [
        vec![("enabled", "0")],
        vec![("enabled", "0"), ("csrf_token", "forged")],
    ] {
        let r = admin
            .post(&alerts_path(&alpha, ours.id, "/enabled"), &fields)
            .await;
        assert_eq!(r.status, 403, "{fields:?}");
        assert!(r.text.contains("did not come from Moth"));
    }
    let r = admin
        .post(
            "/projects/alpha/alerts",
            &[("kind", "slack"), ("url", "http://x/"), ("trigger", "new")],
        )
        .await;
    assert_eq!(r.status, 403);

    // Nothing changed, and nothing was sent.
    let after = (
        destinations(&m, &alpha).await,
        destinations(&m, &beta).await,
    );
    assert_eq!(before, after);
    assert!(rx.received().is_empty());
    // The admin sees what members do not.
    let page = text(&admin.get(&settings(&alpha)).await.text);
    assert!(
        page.contains("/alph…") && page.contains(&ours.secret),
        "{page}"
    );
}
