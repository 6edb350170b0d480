//! The batched write path against a real database.

use chrono::{Duration, Utc};
use moth_storage::issues::{IssueStatus, MuteConditions};
use moth_storage::payload::compress_payload;
use moth_storage::testing::TestDatabase;
use moth_storage::write::{AttachmentToStore, EventToStore, StoreOutcome};
use moth_storage::Database;
use uuid::Uuid;

fn event(project_id: i64, hashes: &[&str]) -> EventToStore {
    EventToStore {
        project_id,
        event_id: Uuid::new_v4(),
        timestamp: Utc::now(),
        received_at: Utc::now(),
        level: 40,
        platform: "python".into(),
        release: None,
        environment: Some("production".into()),
        transaction: None,
        user_ident: None,
        title: "ValueError: bad".into(),
        culprit: "app.views in index".into(),
        issue_kind: "error".into(),
        metadata: serde_json::json!({"type": "ValueError", "value": "bad"}),
        tags: vec![("environment".into(), "production".into())],
        hashes: hashes.iter().map(|s| s.to_string()).collect(),
        grouping_version: "test-1".into(),
        payload: compress_payload(b"{}"),
        attachments: vec![],
    }
}

/// Reads after folding the logged issue counters, as every reader does.
async fn scalar(db: &Database, sql: &str) -> i64 {
    db.fold_issue_counts().await.unwrap();
    unfolded_scalar(db, sql).await
}

/// Reads without folding (which would wait for row locks held).
async fn unfolded_scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

async fn issue_row(db: &Database, id: i64) -> (String, serde_json::Value, i64, i64) {
    db.fold_issue_counts().await.unwrap();
    sqlx::query_as(
        "SELECT status, status_details, times_seen, users_seen FROM issues WHERE id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await
    .unwrap()
}

fn issue_of(o: StoreOutcome) -> i64 {
    match o {
        StoreOutcome::Stored { issue_id, .. } => issue_id,
        StoreOutcome::Duplicate => panic!("unexpected duplicate"),
    }
}

async fn set_status(db: &Database, issue: i64, status: &IssueStatus) {
    sqlx::query("UPDATE issues SET status = $2, status_details = $3 WHERE id = $1")
        .bind(issue)
        .bind(status.coarse())
        .bind(status.to_stored())
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn groups_by_any_hash_and_counts() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut a = event(p.id, &["aaaa", "ssss"]);
    a.user_ident = Some("id:1".into());
    let mut b = event(p.id, &["bbbb"]);
    b.level = 50;
    // Shares only the system hash with `a`: joins a's issue, adds its hash.
    let mut c = event(p.id, &["cccc", "ssss"]);
    c.user_ident = Some("id:2".into());
    let out = t.db.store_events(&[a.clone(), b, c]).await.unwrap();
    let (ia, ib, ic) = (issue_of(out[0]), issue_of(out[1]), issue_of(out[2]));
    assert_eq!(ia, ic);
    assert_ne!(ia, ib);
    assert_eq!(
        out[0],
        StoreOutcome::Stored {
            issue_id: ia,
            new_issue: true
        }
    );
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM issues").await, 2);
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM events").await, 3);
    let (_, _, times, users) = issue_row(&t.db, ia).await;
    assert_eq!((times, users), (2, 2));
    let hashes: i64 =
        sqlx::query_scalar("SELECT count(*) FROM grouping_hashes WHERE issue_id = $1")
            .bind(ia)
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert_eq!(hashes, 3);
    let level: i16 = sqlx::query_scalar("SELECT level FROM issues WHERE id = $1")
        .bind(ib)
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(level, 50);
    // Short ids count up per project.
    let shorts: Vec<i64> = sqlx::query_scalar("SELECT short_id FROM issues ORDER BY short_id")
        .fetch_all(t.db.pool())
        .await
        .unwrap();
    assert_eq!(shorts, vec![1, 2]);
    // One "new" signal per new issue, none for the third event.
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM alert_outbox WHERE trigger = 'new'"
        )
        .await,
        2
    );

    // The same user again is not a new user; the same event id is a duplicate.
    let mut d = event(p.id, &["aaaa"]);
    d.user_ident = Some("id:1".into());
    let out = t.db.store_events(&[d, a]).await.unwrap();
    assert_eq!(out[1], StoreOutcome::Duplicate);
    assert_eq!(
        out[0],
        StoreOutcome::Stored {
            issue_id: ia,
            new_issue: false
        }
    );
    let (_, _, times, users) = issue_row(&t.db, ia).await;
    assert_eq!((times, users), (3, 2));
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM alert_outbox").await, 2);
    // Read through the API, which folds the logged tag counts first.
    let env =
        t.db.issue_tag_values(ia, "environment", 0, 10)
            .await
            .unwrap();
    assert_eq!(env.len(), 1);
    assert_eq!((env[0].value.as_str(), env[0].count), ("production", 3));
    assert_eq!(
        scalar(&t.db, "SELECT sum(count)::int8 FROM issue_hourly_counts").await,
        4
    );
    assert_eq!(
        scalar(&t.db, "SELECT sum(count)::int8 FROM project_hourly_counts").await,
        4
    );
}

#[tokio::test]
async fn duplicates_within_a_batch_are_stored_once() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let a = event(p.id, &["h1"]);
    let out = t.db.store_events(&[a.clone(), a.clone()]).await.unwrap();
    assert!(matches!(out[0], StoreOutcome::Stored { .. }));
    assert_eq!(out[1], StoreOutcome::Duplicate);
    // The same event id in another project is another event.
    let (q, _) = t.db.create_project("other", None).await.unwrap();
    let mut b = a.clone();
    b.project_id = q.id;
    assert!(matches!(
        t.db.store_events(&[b]).await.unwrap()[0],
        StoreOutcome::Stored { .. }
    ));
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM events").await, 2);
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM issues").await, 2);
}

#[tokio::test]
async fn resolved_issue_regresses_once_with_activity_and_signal() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let issue = issue_of(t.db.store_events(&[event(p.id, &["h"])]).await.unwrap()[0]);
    set_status(&t.db, issue, &IssueStatus::Resolved).await;
    t.db.store_events(&[event(p.id, &["h"]), event(p.id, &["h"])])
        .await
        .unwrap();
    let (status, _, times, _) = issue_row(&t.db, issue).await;
    assert_eq!((status.as_str(), times), ("unresolved", 3));
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM alert_outbox WHERE trigger = 'regression'"
        )
        .await,
        1
    );
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM issue_activity WHERE kind = 'set_regressed'"
        )
        .await,
        1
    );
    // Further events on the unresolved issue signal nothing.
    t.db.store_events(&[event(p.id, &["h"])]).await.unwrap();
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM alert_outbox").await, 2);
}

#[tokio::test]
async fn resolved_in_next_release_ignores_the_old_release() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut e = event(p.id, &["h"]);
    e.release = Some("1.0".into());
    let issue = issue_of(t.db.store_events(&[e]).await.unwrap()[0]);
    set_status(
        &t.db,
        issue,
        &IssueStatus::ResolvedInNextRelease {
            release: Some("1.0".into()),
            resolved_at: Utc::now(),
        },
    )
    .await;
    let mut old = event(p.id, &["h"]);
    old.release = Some("1.0".into());
    t.db.store_events(&[old]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "resolved");
    let mut new = event(p.id, &["h"]);
    new.release = Some("1.1".into());
    new.received_at = Utc::now() + Duration::seconds(1);
    t.db.store_events(&[new]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "unresolved");
    let last_release: Option<String> =
        sqlx::query_scalar("SELECT last_release FROM issues WHERE id = $1")
            .bind(issue)
            .fetch_one(t.db.pool())
            .await
            .unwrap();
    assert_eq!(last_release.as_deref(), Some("1.1"));
}

#[tokio::test]
async fn resolved_in_release_regresses_for_newer_versions_only() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let issue = issue_of(t.db.store_events(&[event(p.id, &["h"])]).await.unwrap()[0]);
    set_status(
        &t.db,
        issue,
        &IssueStatus::ResolvedInRelease {
            release: "2.0.0".into(),
        },
    )
    .await;
    let mut e = event(p.id, &["h"]);
    e.release = Some("1.9.0".into());
    t.db.store_events(&[e]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "resolved");
    let mut e = event(p.id, &["h"]);
    e.release = Some("2.0.1".into());
    t.db.store_events(&[e]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "unresolved");
}

#[tokio::test]
async fn mute_until_n_events_ends_with_an_unmuted_signal() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let issue = issue_of(t.db.store_events(&[event(p.id, &["h"])]).await.unwrap()[0]);
    set_status(
        &t.db,
        issue,
        &IssueStatus::Muted(MuteConditions {
            events: Some(3),
            events_baseline: 1,
            ..Default::default()
        }),
    )
    .await;
    t.db.store_events(&[event(p.id, &["h"]), event(p.id, &["h"])])
        .await
        .unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "muted");
    t.db.store_events(&[event(p.id, &["h"])]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "unresolved");
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM alert_outbox WHERE trigger = 'unmuted'"
        )
        .await,
        1
    );

    // Muted forever stays muted.
    set_status(&t.db, issue, &IssueStatus::Muted(MuteConditions::default())).await;
    t.db.store_events(&[event(p.id, &["h"]); 1]).await.unwrap();
    assert_eq!(issue_row(&t.db, issue).await.0, "muted");
}

#[tokio::test]
async fn attachments_and_nul_characters_are_stored() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut e = event(p.id, &["h"]);
    e.title = "bad\0title".into();
    e.tags.push(("k\0".into(), "v\0".into()));
    e.metadata = serde_json::json!({"value": "x\u{0}y"});
    e.attachments.push(AttachmentToStore {
        filename: "log.txt".into(),
        content_type: Some("text/plain".into()),
        attachment_type: "event.attachment".into(),
        data: b"hello".to_vec(),
    });
    t.db.store_events(&[e]).await.unwrap();
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM event_attachments").await,
        1
    );
    let title: String = sqlx::query_scalar("SELECT title FROM issues")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(title, "badtitle");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_create_one_issue_per_hash_and_lose_no_count() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    // Two independent pools: as two Moth processes would have.
    let other = Database::from_pool(
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&t.url())
            .await
            .unwrap(),
    );
    let mut tasks = Vec::new();
    for round in 0..20 {
        for db in [t.db.clone(), other.clone()] {
            let pid = p.id;
            tasks.push(tokio::spawn(async move {
                let batch: Vec<_> = (0..5)
                    .map(|_| event(pid, &[&format!("new-{round}"), "shared"]))
                    .collect();
                db.store_events(&batch).await.unwrap()
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    // All events share the "shared" hash, so every round lands in one issue.
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM issues").await, 1);
    assert_eq!(scalar(&t.db, "SELECT times_seen FROM issues").await, 200);
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM events").await, 200);
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM alert_outbox").await, 1);
    t.db.fold_tag_counts().await.unwrap();
    assert_eq!(
        scalar(&t.db, "SELECT sum(times_seen)::int8 FROM issue_tag_values").await,
        200
    );
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(DISTINCT issue_id) FROM grouping_hashes"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_racing_on_a_brand_new_hash_make_one_issue() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    for round in 0..10 {
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let db = t.db.clone();
            let pid = p.id;
            tasks.push(tokio::spawn(async move {
                db.store_events(&[event(pid, &[&format!("fresh-{round}")])])
                    .await
                    .unwrap()
            }));
        }
        let issues: Vec<i64> = futures_issue_ids(tasks).await;
        assert!(
            issues.windows(2).all(|w| w[0] == w[1]),
            "round {round}: {issues:?}"
        );
    }
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM issues").await, 10);
    assert_eq!(
        scalar(&t.db, "SELECT sum(times_seen)::int8 FROM issues").await,
        40
    );
}

async fn futures_issue_ids(tasks: Vec<tokio::task::JoinHandle<Vec<StoreOutcome>>>) -> Vec<i64> {
    let mut out = Vec::new();
    for t in tasks {
        out.push(issue_of(t.await.unwrap()[0]));
    }
    out
}

/// An issue deleted while a batch waits for its row lock: the batch fails
/// with a retryable error instead of storing an event under the deleted
/// issue (events.issue_id has no foreign key), and run again it files the
/// event under a new issue.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_deleted_under_a_batch_makes_it_run_again() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let first = issue_of(t.db.store_events(&[event(p.id, &["gone"])]).await.unwrap()[0]);

    // Another session deletes the issue and has not committed yet.
    let mut deleting = t.db.pool().begin().await.unwrap();
    sqlx::query("DELETE FROM issues WHERE id = $1")
        .bind(first)
        .execute(&mut *deleting)
        .await
        .unwrap();
    let db = t.db.clone();
    let batch = tokio::spawn(async move { db.store_events(&[event(p.id, &["gone"])]).await });
    // The batch read the hash (still visible) and now waits for the lock.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while unfolded_scalar(&t.db, "SELECT count(*) FROM pg_locks WHERE NOT granted").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the batch never waited for the issue"
        );
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    sqlx::query("DELETE FROM events WHERE issue_id = $1")
        .bind(first)
        .execute(&mut *deleting)
        .await
        .unwrap();
    deleting.commit().await.unwrap();

    let err = batch.await.unwrap().unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert_eq!(scalar(&t.db, "SELECT count(*) FROM events").await, 0);
    let again = issue_of(t.db.store_events(&[event(p.id, &["gone"])]).await.unwrap()[0]);
    assert_ne!(again, first);
    let orphans =
        "SELECT count(*) FROM events e LEFT JOIN issues i ON i.id = e.issue_id WHERE i.id IS NULL";
    assert_eq!(scalar(&t.db, orphans).await, 0);
}
