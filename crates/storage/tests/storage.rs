//! Storage functions against a real PostgreSQL (a fresh database per test).

use moth_storage::password::{hash_password, verify_password};
use moth_storage::testing::TestDatabase;
use moth_storage::StorageError;

#[tokio::test]
async fn creates_and_finds_projects_with_a_key() {
    let t = TestDatabase::new().await;
    let (project, key) = t.db.create_project("My API", Some("python")).await.unwrap();
    assert_eq!(project.slug, "my-api");
    assert_eq!(project.platform.as_deref(), Some("python"));
    assert_eq!(key.project_id, project.id);
    assert!(key.is_active);
    assert_eq!(t.db.project_by_slug("my-api").await.unwrap().id, project.id);
    assert_eq!(
        t.db.key_by_public_key(&key.public_key).await.unwrap().id,
        key.id
    );
    assert_eq!(t.db.project_keys(project.id).await.unwrap().len(), 1);
    assert_eq!(t.db.list_projects().await.unwrap().len(), 1);
}

#[tokio::test]
async fn duplicate_project_slug_is_a_conflict() {
    let t = TestDatabase::new().await;
    t.db.create_project("api", None).await.unwrap();
    let err = t.db.create_project("API", None).await.unwrap_err();
    assert!(
        matches!(err, StorageError::Conflict(ref m) if m.contains("\"api\"")),
        "{err:?}"
    );
    let err = t.db.create_project("???", None).await.unwrap_err();
    assert!(matches!(err, StorageError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn missing_rows_are_not_found() {
    let t = TestDatabase::new().await;
    assert!(matches!(
        t.db.project_by_slug("nope").await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        t.db.user_by_email("a@b.c").await,
        Err(StorageError::NotFound)
    ));
}

#[tokio::test]
async fn users_are_unique_by_email_case_insensitively() {
    let t = TestDatabase::new().await;
    assert_eq!(t.db.count_users().await.unwrap(), 0);
    let phc = hash_password("pw");
    let user =
        t.db.create_user("Ann@Example.com", &phc, true)
            .await
            .unwrap();
    assert!(user.is_admin);
    let found = t.db.user_by_email("ann@example.COM").await.unwrap();
    assert_eq!(found.id, user.id);
    assert!(verify_password("pw", &found.password_hash));
    let err =
        t.db.create_user("ann@example.com", &phc, false)
            .await
            .unwrap_err();
    assert!(matches!(err, StorageError::Conflict(_)), "{err:?}");
    assert_eq!(t.db.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn api_tokens_are_found_by_secret_only() {
    let t = TestDatabase::new().await;
    let user = t.db.create_user("a@b.c", "x", false).await.unwrap();
    let (token, secret) = t.db.create_api_token(user.id, "ci").await.unwrap();
    assert_eq!(token.name, "ci");
    assert!(secret.starts_with(&token.token_prefix));
    let found = t.db.api_token_by_secret(&secret).await.unwrap();
    assert_eq!(found.id, token.id);
    assert!(matches!(
        t.db.api_token_by_secret("moth_wrong").await,
        Err(StorageError::NotFound)
    ));
    // Only the hash is stored.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_tokens WHERE token_hash::text LIKE '%' || $1 || '%'",
    )
    .bind(&secret[5..])
    .fetch_one(t.db.pool())
    .await
    .unwrap();
    assert_eq!(stored, 0);
}
