//! The accounts acceptance in headless Chromium: follow the printed setup
//! link, create the admin, two projects and a member of one; sign in as the
//! member through the form in another profile and find only that project.
//! The browser part is `tests/browser/accounts.mjs` (playwright-core with
//! Debian's Chromium, installed by `scripts/sdk/install --browser`).

mod common;

use common::*;
use moth_storage::testing::TestDatabase;

#[tokio::test(flavor = "multi_thread")]
async fn admin_and_member_through_the_browser() {
    let t = TestDatabase::new().await;
    let dir = TempDir::new("browser");
    let server = MothServer::start(MothEnv::external(&t.url(), dir.path()));
    let link = setup_link(&server);
    sdk::run_browser_script(&server, "accounts", link, vec![]).await;

    // What the browser did is in the database.
    let members: Vec<(String, String)> = sqlx::query_as(
        "SELECT p.slug, u.email FROM project_members m JOIN projects p ON p.id = m.project_id JOIN users u ON u.id = m.user_id",
    )
    .fetch_all(t.db.pool())
    .await
    .unwrap();
    assert_eq!(
        members,
        vec![("alpha".to_string(), "mia@example.com".to_string())]
    );
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = 'mia@example.com'")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(sessions, 0, "the member signed out");
}
