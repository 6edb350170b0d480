//! Tag counts logged by batches and folded into the issues' counters,
//! against a real database.

use chrono::Utc;
use moth_storage::issues::{IssueListRequest, IssueQuery, IssueSort};
use moth_storage::testing::TestDatabase;
use moth_storage::write::EventToStore;
use moth_storage::Database;

mod common;

/// An event of `hash` tagged region=`region`, from `user` if any.
fn event(project_id: i64, hash: &str, region: &str, user: Option<&str>) -> EventToStore {
    let mut e = common::event(project_id, hash, hash);
    e.tags = vec![
        ("environment".into(), "production".into()),
        ("region".into(), region.into()),
    ];
    e.user_ident = user.map(str::to_string);
    e
}

async fn store(db: &Database, events: &[EventToStore]) -> Vec<i64> {
    common::store(db, events.to_vec()).await
}

async fn scalar(db: &Database, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db.pool()).await.unwrap()
}

#[tokio::test]
async fn counts_wait_in_the_log_and_every_read_folds_them_first() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let ids = store(
        &t.db,
        &[
            event(p.id, "a", "eu", Some("id:1")),
            event(p.id, "a", "eu", Some("id:2")),
            event(p.id, "a", "us", Some("id:1")),
        ],
    )
    .await;
    let issue = ids[0];

    // Users are counted at once; the other tags wait in the log.
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM issue_tag_values WHERE key <> 'user'"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &t.db,
            "SELECT count(*) FROM issue_tag_values WHERE key = 'user'"
        )
        .await,
        2
    );
    assert_eq!(t.db.issue(issue).await.unwrap().users_seen, 2);
    assert!(scalar(&t.db, "SELECT count(*) FROM issue_tag_count_log").await > 0);

    // A read folds first and sees every stored event's tags.
    let tags = t.db.issue_tags(issue, 5).await.unwrap();
    let region = tags.iter().find(|d| d.key == "region").unwrap();
    assert_eq!((region.total, region.distinct), (3, 2));
    assert_eq!(
        (region.top[0].value.as_str(), region.top[0].count),
        ("eu", 2)
    );
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_tag_count_log").await,
        0
    );

    // Counts add up across folds.
    store(&t.db, &[event(p.id, "a", "us", None)]).await;
    let us = t.db.issue_tag_values(issue, "region", 0, 10).await.unwrap();
    let counts: Vec<(&str, i64)> = us.iter().map(|v| (v.value.as_str(), v.count)).collect();
    assert_eq!(counts, [("eu", 2), ("us", 2)]);
}

/// A batch's log rows run over PostgreSQL's 2 KB compression threshold;
/// they are compressed with lz4 where the server has it, and fold back
/// whole.
#[tokio::test]
async fn large_log_rows_are_compressed_and_fold_back_whole() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let batch: Vec<EventToStore> = (0..60)
        .map(|n| {
            let mut e = event(p.id, &format!("hash-{n}"), &format!("region-{n}"), None);
            e.title = format!("{n}: {}", "a long title ".repeat(20));
            e
        })
        .collect();
    let ids = store(&t.db, &batch).await;

    let lz4 = sqlx::query("SET default_toast_compression = lz4")
        .execute(t.db.pool())
        .await
        .is_ok();
    for (log, column) in [
        ("issue_tag_count_log", "vals"),
        ("issue_count_log", "titles"),
    ] {
        let method: Option<String> = sqlx::query_scalar(&format!(
            "SELECT pg_column_compression({column}) FROM {log}"
        ))
        .fetch_one(t.db.pool())
        .await
        .unwrap();
        let expected = if lz4 { "lz4" } else { "pglz" };
        assert_eq!(method.as_deref(), Some(expected), "{log}.{column}");
    }

    let tags = t.db.issue_tags(ids[59], 5).await.unwrap();
    let region = tags.iter().find(|d| d.key == "region").unwrap();
    assert_eq!(region.top[0].value, "region-59");
    let issue = t.db.issue(ids[59]).await.unwrap();
    assert!(
        issue.title.starts_with("59: a long title"),
        "{}",
        issue.title
    );
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_count_log").await,
        0
    );
}

#[tokio::test]
async fn a_search_by_tag_sees_counts_not_yet_folded() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let ids = store(
        &t.db,
        &[event(p.id, "a", "eu", None), event(p.id, "b", "us", None)],
    )
    .await;
    let query = IssueQuery::parse("region:us", Utc::now()).unwrap();
    let page =
        t.db.list_issues(&IssueListRequest {
            project_ids: &[p.id],
            query: &query,
            sort: IssueSort::LastSeen,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    let found: Vec<i64> = page.issues.iter().map(|i| i.id).collect();
    assert_eq!(found, [ids[1]]);
    assert_eq!(t.db.count_issues(&[p.id], &query, 100).await.unwrap(), 1);
}

#[tokio::test]
async fn counts_of_a_deleted_issue_are_dropped_by_the_fold() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let ids = store(&t.db, &[event(p.id, "a", "eu", None)]).await;
    let kept = store(&t.db, &[event(p.id, "b", "eu", None)]).await;
    t.db.delete_issues(&ids).await.unwrap();
    t.db.fold_tag_counts().await.unwrap();
    assert_eq!(
        scalar(&t.db, "SELECT count(*) FROM issue_tag_count_log").await,
        0
    );
    let rows = "SELECT count(DISTINCT issue_id) FROM issue_tag_values";
    assert_eq!(scalar(&t.db, rows).await, 1);
    assert_eq!(t.db.issue_tags(kept[0], 5).await.unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn folding_while_batches_commit_loses_and_doubles_nothing() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let writers =
        common::spawn_overlapping_writers(&t.db, p.id, |pid, h| event(pid, h, "eu", None));
    let folder = {
        let db = t.db.clone();
        tokio::spawn(async move {
            for _ in 0..50 {
                db.fold_tag_counts().await.unwrap();
                db.fold_issue_counts().await.unwrap();
            }
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    folder.await.unwrap();
    t.db.fold_tag_counts().await.unwrap();
    t.db.fold_issue_counts().await.unwrap();
    // 4 writers x 25 batches x 4 events, each with two logged tags.
    let sum = "SELECT sum(times_seen)::int8 FROM issue_tag_values WHERE key = 'region'";
    assert_eq!(scalar(&t.db, sum).await, 400);
    let env = "SELECT sum(times_seen)::int8 FROM issue_tag_values WHERE key = 'environment'";
    assert_eq!(scalar(&t.db, env).await, 400);
    assert_eq!(
        scalar(&t.db, "SELECT sum(times_seen)::int8 FROM issues").await,
        400
    );
}
