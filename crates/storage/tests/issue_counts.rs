//! Issue counters logged by batches and folded into the issue rows,
//! against a real database.

use chrono::{Duration, SubsecRound, Utc};
use moth_storage::issues::{IssueStatus, StatusChange};
use moth_storage::testing::TestDatabase;
use moth_storage::Database;

mod common;

/// Reads straight from the table, without folding first.
async fn scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

async fn status(db: &Database, id: i64) -> IssueStatus {
    let (coarse, details): (String, serde_json::Value) =
        sqlx::query_as("SELECT status, status_details FROM issues WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap();
    IssueStatus::from_stored(&coarse, &details)
}

#[tokio::test]
async fn counts_wait_in_the_log_and_every_read_folds_them_first() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut first = common::event(p.id, "a", "first title");
    first.user_ident = Some("id:1".into());
    first.level = 30;
    let issue = common::store(&t.db, vec![first]).await[0];
    let mut later = common::event(p.id, "a", "later title");
    later.timestamp = Utc::now() + Duration::seconds(5);
    later.release = Some("2.0".into());
    later.level = 50;
    later.user_ident = Some("id:2".into());
    let older = {
        let mut e = common::event(p.id, "a", "older title");
        e.timestamp = Utc::now() - Duration::seconds(5);
        e
    };
    common::store(&t.db, vec![later.clone()]).await;
    common::store(&t.db, vec![older.clone()]).await;

    // The rows have not moved; three batches wait in the log.
    assert_eq!(scalar(&t.db, "SELECT times_seen FROM issues").await, 0);
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_count_log").await,
        3
    );

    // A read folds all three, in one go, as if applied one by one.
    let summary = t.db.issue(issue).await.unwrap();
    assert_eq!(summary.times_seen, 3);
    assert_eq!(summary.users_seen, 2);
    assert_eq!(summary.title, "later title", "the latest event's title");
    assert_eq!(summary.last_release.as_deref(), Some("2.0"));
    assert_eq!(summary.first_release.as_deref(), Some("1.0"));
    assert_eq!(summary.level, 50);
    assert_eq!(summary.last_seen, later.timestamp.trunc_subsecs(6));
    assert_eq!(summary.first_seen, older.timestamp.trunc_subsecs(6));
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_count_log").await,
        0
    );
    // The search text follows the title.
    let text: String = sqlx::query_scalar("SELECT text FROM issue_search_texts")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(text, "later title app in main");
}

#[tokio::test]
async fn counts_of_a_deleted_issue_are_dropped_by_the_fold() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let gone = common::store(&t.db, vec![common::event(p.id, "a", "a")]).await;
    let kept = common::store(&t.db, vec![common::event(p.id, "b", "b")]).await;
    t.db.delete_issues(&gone).await.unwrap();
    assert_eq!(t.db.fold_issue_counts().await.unwrap(), 1);
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_count_log").await,
        0
    );
    assert_eq!(t.db.issue(kept[0]).await.unwrap().times_seen, 1);
}

#[tokio::test]
async fn a_merge_moves_pending_counts_to_the_target() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let target = common::store(&t.db, vec![common::event(p.id, "a", "a")]).await[0];
    let source = common::store(&t.db, vec![common::event(p.id, "b", "b")]).await[0];
    t.db.fold_issue_counts().await.unwrap();
    // Two more for the source and one for the target, not folded yet.
    let more = vec![
        common::event(p.id, "b", "b"),
        common::event(p.id, "b", "b"),
        common::event(p.id, "a", "a"),
    ];
    common::store(&t.db, more).await;
    t.db.merge_issues(target, &[source], None).await.unwrap();
    assert_eq!(t.db.issue(target).await.unwrap().times_seen, 5);
}

#[tokio::test]
async fn a_merge_counts_each_user_once_though_new_users_were_pending() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let from = |hash: &str, user: &str| {
        let mut e = common::event(p.id, hash, hash);
        e.user_ident = Some(user.into());
        e
    };
    // Not folded: the target's new user 1, the source's new users 1 and 2.
    let target = common::store(&t.db, vec![from("a", "id:1")]).await[0];
    let source = common::store(&t.db, vec![from("b", "id:1"), from("b", "id:2")]).await[0];
    t.db.merge_issues(target, &[source], None).await.unwrap();
    let merged = t.db.issue(target).await.unwrap();
    assert_eq!((merged.times_seen, merged.users_seen), (3, 2));
}

#[tokio::test]
async fn a_mute_counts_events_the_log_still_holds() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let issue = common::store(&t.db, vec![common::event(p.id, "a", "a")]).await[0];
    // Pending (not folded) when the mute takes its baseline.
    common::store(&t.db, vec![common::event(p.id, "a", "a")]).await;
    let mute = StatusChange::Mute {
        until: None,
        events: Some(3),
        users: None,
    };
    // The baseline counts both events (set_issue_status folds first).
    t.db.set_issue_status(&[issue], &mute, None).await.unwrap();
    match status(&t.db, issue).await {
        IssueStatus::Muted(m) => assert_eq!(m.events_baseline, 2),
        other => panic!("not muted: {other:?}"),
    }
    // Two more events, each batch unfolded: still muted.
    for _ in 0..2 {
        common::store(&t.db, vec![common::event(p.id, "a", "a")]).await;
    }
    assert!(matches!(status(&t.db, issue).await, IssueStatus::Muted(_)));
    // The third ends the mute, although the row still says 2.
    common::store(&t.db, vec![common::event(p.id, "a", "a")]).await;
    assert_eq!(scalar(&t.db, "SELECT times_seen FROM issues").await, 2);
    assert_eq!(status(&t.db, issue).await, IssueStatus::Unresolved);
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM alert_outbox WHERE trigger = 'unmuted'"
        )
        .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_while_batches_commit_lose_and_double_nothing() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let writers =
        common::spawn_overlapping_writers(&t.db, p.id, |pid, h| common::event(pid, h, "t"));
    let reader = {
        let db = t.db.clone();
        tokio::spawn(async move {
            let mut last = 0;
            for _ in 0..50 {
                db.fold_issue_counts().await.unwrap();
                let seen =
                    scalar(&db, "SELECT coalesce(sum(times_seen), 0)::int8 FROM issues").await;
                assert!(seen >= last, "counts never go back");
                last = seen;
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    reader.await.unwrap();
    t.db.fold_issue_counts().await.unwrap();
    // 4 writers x 25 batches x 4 events.
    assert_eq!(
        scalar(&t.db, "SELECT sum(times_seen)::int8 FROM issues").await,
        400
    );
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_count_log").await,
        0
    );
}
