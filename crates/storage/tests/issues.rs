//! Issue queries and actions against a real database.

use chrono::{Duration, Utc};
use moth_storage::issues::{IssueListRequest, IssueQuery, IssueSort, StatusChange};
use moth_storage::testing::TestDatabase;
use moth_storage::write::EventToStore;
use uuid::Uuid;

mod common;
use common::{event, store};

fn q(s: &str) -> IssueQuery {
    IssueQuery::parse(s, Utc::now()).unwrap()
}

#[tokio::test]
async fn lists_filter_sort_and_paginate() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let (other, _) = t.db.create_project("other", None).await.unwrap();
    for n in 0..25 {
        let mut batch: Vec<EventToStore> = (0..=n % 4)
            .map(|_| event(p.id, &format!("h{n}"), &format!("Error number {n}")))
            .collect();
        for e in &mut batch {
            e.timestamp = Utc::now() - Duration::minutes(100 - n);
            if n == 7 {
                e.level = 50;
                e.tags.push(("browser.name".into(), "Firefox".into()));
            }
        }
        store(&t.db, batch).await;
    }
    store(&t.db, vec![event(other.id, "x", "Elsewhere")]).await;

    // Every page of 10, newest first, no duplicates, no gaps.
    let query = q("");
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page =
            t.db.list_issues(&IssueListRequest {
                project_ids: &[p.id],
                query: &query,
                sort: IssueSort::LastSeen,
                cursor,
                limit: 10,
            })
            .await
            .unwrap();
        seen.extend(page.issues.iter().map(|i| i.title.clone()));
        match page.next {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0], "Error number 24");
    assert_eq!(seen[24], "Error number 0");

    // Previous page from the second page gives the first page again.
    let first =
        t.db.list_issues(&IssueListRequest {
            project_ids: &[p.id],
            query: &query,
            sort: IssueSort::LastSeen,
            cursor: None,
            limit: 10,
        })
        .await
        .unwrap();
    let second =
        t.db.list_issues(&IssueListRequest {
            project_ids: &[p.id],
            query: &query,
            sort: IssueSort::LastSeen,
            cursor: first.next,
            limit: 10,
        })
        .await
        .unwrap();
    let back =
        t.db.list_issues(&IssueListRequest {
            project_ids: &[p.id],
            query: &query,
            sort: IssueSort::LastSeen,
            cursor: second.previous,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(
        back.issues.iter().map(|i| i.id).collect::<Vec<_>>(),
        first.issues.iter().map(|i| i.id).collect::<Vec<_>>()
    );
    assert!(back.previous.is_none());

    // Sort by events: 4-event issues first.
    let by_events =
        t.db.list_issues(&IssueListRequest {
            project_ids: &[p.id],
            query: &query,
            sort: IssueSort::Events,
            cursor: None,
            limit: 5,
        })
        .await
        .unwrap();
    assert!(by_events.issues.iter().all(|i| i.times_seen == 4));

    // Filters.
    let count = |s: &'static str| {
        let db = t.db.clone();
        let pid = p.id;
        async move { db.count_issues(&[pid], &q(s), 1000).await.unwrap() }
    };
    assert_eq!(count("level:fatal").await, 1);
    assert_eq!(count("browser.name:Firefox").await, 1);
    assert_eq!(count("!browser.name:Firefox").await, 24);
    assert_eq!(count("environment:production").await, 25);
    assert_eq!(count("\"number 1\"").await, 11);
    assert_eq!(count("is:resolved").await, 0);
    assert_eq!(count("lastSeen:-30m").await, 0);
    assert_eq!(count("firstSeen:-2h").await, 25);
    assert_eq!(
        t.db.count_issues(&[p.id, other.id], &q(""), 1000)
            .await
            .unwrap(),
        26
    );
    assert_eq!(t.db.count_issues(&[p.id], &q(""), 10).await.unwrap(), 10);
    // Hostile text is data, not SQL or a pattern.
    assert_eq!(count("'; DROP TABLE issues; --").await, 0);
    assert_eq!(count("%").await, 0);
}

#[tokio::test]
async fn status_changes_are_recorded_with_their_actor() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let user = t.db.create_user("a@b.c", "x", true).await.unwrap();
    let ids = store(&t.db, vec![event(p.id, "a", "A"), event(p.id, "b", "B")]).await;
    assert_eq!(
        t.db.set_issue_status(&ids, &StatusChange::Resolve, Some(user.id))
            .await
            .unwrap(),
        2
    );
    assert_eq!(t.db.issue(ids[0]).await.unwrap().status, "resolved");
    t.db.set_issue_status(
        &ids[..1],
        &StatusChange::ResolveInNextRelease,
        Some(user.id),
    )
    .await
    .unwrap();
    let issue = t.db.issue(ids[0]).await.unwrap();
    assert_eq!(issue.status_details["kind"], "resolved_in_next_release");
    assert_eq!(issue.status_details["release"], "1.0");
    t.db.set_issue_status(
        &ids[..1],
        &StatusChange::Mute {
            until: None,
            events: Some(5),
            users: None,
        },
        None,
    )
    .await
    .unwrap();
    let issue = t.db.issue(ids[0]).await.unwrap();
    assert_eq!(issue.status, "muted");
    assert_eq!(issue.status_details["events_baseline"], 1);
    let activity = t.db.issue_activity(ids[0], 10).await.unwrap();
    let kinds: Vec<&str> = activity.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["set_muted", "set_resolved_in_next_release", "set_resolved"]
    );
    assert_eq!(activity[1].user_email.as_deref(), Some("a@b.c"));
    t.db.set_issue_status(&ids, &StatusChange::Unresolve, None)
        .await
        .unwrap();
    assert_eq!(t.db.issue(ids[1]).await.unwrap().status, "unresolved");
}

#[tokio::test]
async fn merge_moves_events_hashes_and_counts_and_future_events_follow() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let a = store(&t.db, vec![event(p.id, "ha", "A"), event(p.id, "ha", "A")]).await[0];
    let b = store(&t.db, vec![event(p.id, "hb", "B")]).await[0];
    let c = store(&t.db, vec![event(p.id, "hc", "C")]).await[0];
    t.db.merge_issues(a, &[b, c], None).await.unwrap();
    let target = t.db.issue(a).await.unwrap();
    assert_eq!(target.times_seen, 4);
    assert!(t.db.issue(b).await.is_err());
    assert_eq!(t.db.issue_event_count(a).await.unwrap(), 4);
    let tags = t.db.issue_tags(a, 5).await.unwrap();
    let env = tags.iter().find(|d| d.key == "environment").unwrap();
    assert_eq!(env.total, 4);
    let activity = t.db.issue_activity(a, 5).await.unwrap();
    assert_eq!(activity[0].kind, "merge");
    assert_eq!(
        activity[0].data["merged"],
        serde_json::json!(["APP-2", "APP-3"])
    );
    // A new event with B's fingerprint lands in the target.
    let again = store(&t.db, vec![event(p.id, "hb", "B")]).await[0];
    assert_eq!(again, a);
    // Merging across projects is refused.
    let (q2, _) = t.db.create_project("q", None).await.unwrap();
    let d = store(&t.db, vec![event(q2.id, "hd", "D")]).await[0];
    assert!(t.db.merge_issues(a, &[d], None).await.is_err());
}

#[tokio::test]
async fn delete_removes_events_and_frees_the_fingerprint() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let a = store(&t.db, vec![event(p.id, "ha", "A")]).await[0];
    assert_eq!(t.db.delete_issues(&[a]).await.unwrap(), 1);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(t.db.pool())
        .await
        .unwrap();
    assert_eq!(n, 0);
    let again = store(&t.db, vec![event(p.id, "ha", "A")]).await[0];
    assert_ne!(again, a);
}

#[tokio::test]
async fn event_navigation_and_payloads() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let evs: Vec<EventToStore> = (0..3).map(|_| event(p.id, "h", "A")).collect();
    let ids: Vec<Uuid> = evs.iter().map(|e| e.event_id).collect();
    for e in evs {
        store(&t.db, vec![e]).await;
    }
    let middle = t.db.event_by_event_id(p.id, ids[1]).await.unwrap();
    assert_eq!(middle.data().unwrap()["k"], "v");
    let n = t.db.event_neighbours(&middle).await.unwrap();
    assert_eq!(
        (n.oldest, n.previous, n.next, n.latest),
        (Some(ids[0]), Some(ids[0]), Some(ids[2]), Some(ids[2]))
    );
    let latest = t.db.issue_edge_event(middle.issue_id, true).await.unwrap();
    assert_eq!(latest.event_id, ids[2]);
    let page = t.db.issue_events(middle.issue_id, None, 2).await.unwrap();
    assert_eq!(
        page.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![ids[2], ids[1]]
    );
    let rest =
        t.db.issue_events(middle.issue_id, Some(page[1].id), 2)
            .await
            .unwrap();
    assert_eq!(
        rest.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![ids[0]]
    );
    let hourly =
        t.db.issue_hourly_counts(&[middle.issue_id], Utc::now() - Duration::hours(2))
            .await
            .unwrap();
    assert_eq!(hourly[&middle.issue_id].iter().map(|h| h.1).sum::<i64>(), 3);
}

#[tokio::test]
async fn event_pages_go_both_ways_without_gaps_or_duplicates() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut ids = Vec::new();
    for _ in 0..7 {
        let e = event(p.id, "h", "A");
        ids.push(e.event_id);
        store(&t.db, vec![e]).await;
    }
    ids.reverse(); // newest first, as pages list them
    let issue = t.db.event_by_event_id(p.id, ids[0]).await.unwrap().issue_id;
    let page_ids = |page: &moth_storage::events::EventPage| -> Vec<Uuid> {
        page.events.iter().map(|e| e.event_id).collect()
    };
    let first = t.db.issue_events_page(issue, None, 3).await.unwrap();
    assert_eq!(page_ids(&first), ids[0..3]);
    assert!(first.previous.is_none());
    let second = t.db.issue_events_page(issue, first.next, 3).await.unwrap();
    assert_eq!(page_ids(&second), ids[3..6]);
    let third = t.db.issue_events_page(issue, second.next, 3).await.unwrap();
    assert_eq!(page_ids(&third), ids[6..7]);
    assert!(third.next.is_none());
    // Back from the last page: the same second page, then the first.
    let back =
        t.db.issue_events_page(issue, third.previous, 3)
            .await
            .unwrap();
    assert_eq!(page_ids(&back), ids[3..6]);
    let front =
        t.db.issue_events_page(issue, back.previous, 3)
            .await
            .unwrap();
    assert_eq!(page_ids(&front), ids[0..3]);
    assert!(front.previous.is_none());
    assert!(front.next.is_some());
    // Another issue's events never appear.
    let (other, _) = t.db.create_project("other", None).await.unwrap();
    store(&t.db, vec![event(other.id, "h", "A")]).await;
    let all = t.db.issue_events_page(issue, None, 100).await.unwrap();
    assert_eq!(page_ids(&all), ids);
}

#[tokio::test]
async fn timed_mutes_expire_by_themselves() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let ids = store(&t.db, vec![event(p.id, "a", "A"), event(p.id, "b", "B")]).await;
    let soon = Utc::now() + Duration::minutes(5);
    t.db.set_issue_status(
        &ids[..1],
        &StatusChange::Mute {
            until: Some(soon),
            events: None,
            users: None,
        },
        None,
    )
    .await
    .unwrap();
    t.db.set_issue_status(
        &ids[1..],
        &StatusChange::Mute {
            until: None,
            events: None,
            users: None,
        },
        None,
    )
    .await
    .unwrap();
    assert!(t.db.expire_mutes(Utc::now()).await.unwrap().is_empty());
    let expired =
        t.db.expire_mutes(soon + Duration::seconds(1))
            .await
            .unwrap();
    assert_eq!(expired, vec![ids[0]]);
    assert_eq!(t.db.issue(ids[0]).await.unwrap().status, "unresolved");
    assert_eq!(t.db.issue(ids[1]).await.unwrap().status, "muted");
    let activity = t.db.issue_activity(ids[0], 1).await.unwrap();
    assert_eq!(
        (activity[0].kind.as_str(), &activity[0].data["reason"]),
        ("set_unmuted", &serde_json::json!("expired"))
    );
}

#[tokio::test]
async fn pages_over_every_status_merge_the_statuses_in_order() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..12 {
        let mut e = event(p.id, &format!("h{n}"), &format!("E{n}"));
        e.timestamp = Utc::now() - Duration::minutes(100 - n);
        ids.push(store(&t.db, vec![e]).await[0]);
    }
    // Mixed statuses, so that every page draws from several.
    t.db.set_issue_status(&[ids[1], ids[4], ids[7]], &StatusChange::Resolve, None)
        .await
        .unwrap();
    let mute = StatusChange::Mute {
        until: None,
        events: None,
        users: None,
    };
    t.db.set_issue_status(&[ids[2], ids[9]], &mute, None)
        .await
        .unwrap();
    let query = q("is:all");
    for sort in [
        IssueSort::LastSeen,
        IssueSort::FirstSeen,
        IssueSort::Events,
        IssueSort::Users,
    ] {
        let page = |cursor| {
            let db = t.db.clone();
            let query = query.clone();
            async move {
                db.list_issues(&IssueListRequest {
                    project_ids: &[p.id],
                    query: &query,
                    sort,
                    cursor,
                    limit: 5,
                })
                .await
                .unwrap()
            }
        };
        let mut seen = Vec::new();
        let mut pages = vec![page(None).await];
        while let Some(next) = pages.last().unwrap().next {
            pages.push(page(Some(next)).await);
        }
        for pg in &pages {
            seen.extend(pg.issues.iter().map(|i| i.id));
        }
        let mut all = ids.clone();
        all.sort_unstable();
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, all, "{sort:?}: every issue once");
        if matches!(sort, IssueSort::LastSeen | IssueSort::FirstSeen) {
            let newest_first: Vec<i64> = ids.iter().rev().copied().collect();
            assert_eq!(seen, newest_first, "{sort:?}");
        }
        // Back from the last page gives the page before it.
        let last = pages.last().unwrap();
        let back = page(last.previous).await;
        assert_eq!(
            back.issues.iter().map(|i| i.id).collect::<Vec<_>>(),
            pages[pages.len() - 2]
                .issues
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>(),
            "{sort:?}"
        );
    }
}

#[tokio::test]
async fn short_ids_and_releases_of_a_project() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let (other, _) = t.db.create_project("other", None).await.unwrap();
    let a = store(&t.db, vec![event(p.id, "a", "A")]).await[0];
    let mut e = event(p.id, "b", "B");
    e.release = Some("2.0".into());
    let b = store(&t.db, vec![e]).await[0];
    let o = store(&t.db, vec![event(other.id, "o", "O")]).await[0];
    assert_eq!(
        t.db.issue_ids_by_short_ids(p.id, &[2, 1, 99])
            .await
            .unwrap(),
        vec![(1, a), (2, b)]
    );
    assert_eq!(
        t.db.issue_ids_by_short_ids(other.id, &[1]).await.unwrap(),
        vec![(1, o)]
    );
    let releases = t.db.project_releases(p.id, 10).await.unwrap();
    let versions: Vec<&str> = releases.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, vec!["2.0", "1.0"]);
    assert!(t.db.project_releases(other.id, 10).await.unwrap().len() == 1);
}

#[tokio::test]
async fn counts_give_up_after_their_budget() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    store(&t.db, vec![event(p.id, "a", "A"), event(p.id, "b", "B")]).await;
    let budget = std::time::Duration::from_millis(200);
    assert_eq!(
        t.db.count_issues_within(&[p.id], &q(""), 1000, budget)
            .await
            .unwrap(),
        Some(2)
    );
    // A count that cannot finish in time (here: waiting for a lock) is None.
    let mut blocker = t.db.pool().begin().await.unwrap();
    sqlx::query("LOCK TABLE issues IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    assert_eq!(
        t.db.count_issues_within(&[p.id], &q(""), 1000, budget)
            .await
            .unwrap(),
        None
    );
    blocker.rollback().await.unwrap();
    // The pool's connections are fine afterwards.
    assert_eq!(t.db.count_issues(&[p.id], &q(""), 1000).await.unwrap(), 2);
}

#[tokio::test]
async fn free_text_finds_titles_and_culprits_and_follows_title_changes() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    let mut checkout = event(p.id, "a", "KeyError: 'basket_id'");
    checkout.culprit = "shop.checkout in pay".into();
    let ids = store(
        &t.db,
        vec![checkout, event(p.id, "b", "ValueError: bad 100%_discount")],
    )
    .await;
    let found = |s: &'static str| {
        let db = t.db.clone();
        let pid = p.id;
        async move {
            let query = q(s);
            db.list_issues(&IssueListRequest {
                project_ids: &[pid],
                query: &query,
                sort: IssueSort::LastSeen,
                cursor: None,
                limit: 10,
            })
            .await
            .unwrap()
            .issues
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("basket").await, vec![ids[0]]);
    assert_eq!(found("CHECKOUT pay").await, vec![ids[0]]);
    // LIKE wildcards in the search are literal characters.
    assert_eq!(found("100%_").await, vec![ids[1]]);
    assert!(found("basket discount").await.is_empty());
    // A newer event with another title: the issue is found by the new one.
    let mut renamed = event(p.id, "a", "KeyError: 'cart_token'");
    renamed.timestamp = Utc::now() + Duration::seconds(5);
    store(&t.db, vec![renamed]).await;
    assert_eq!(found("cart_token").await, vec![ids[0]]);
    assert!(found("basket").await.is_empty());
    // Deleting an issue deletes its search text with it.
    t.db.delete_issues(&[ids[1]]).await.unwrap();
    assert!(found("discount").await.is_empty());
}

#[tokio::test]
async fn project_hourly_counts_add_up_every_writer_shard() {
    let t = TestDatabase::new().await;
    let (p, _) = t.db.create_project("app", None).await.unwrap();
    // Two writers (shards 0 and 1) store events of the same project and hour.
    let at = Utc::now();
    for (shard, n) in [(0, 2), (1, 3)] {
        let batch: Vec<EventToStore> = (0..n)
            .map(|_| {
                let mut e = event(p.id, "h", "A");
                e.timestamp = at;
                e
            })
            .collect();
        t.db.store_events_in_shard(&batch, shard).await.unwrap();
    }
    let counts =
        t.db.project_hourly_counts(&[p.id], at - Duration::hours(1))
            .await
            .unwrap();
    let series = &counts[&p.id];
    assert_eq!(series.len(), 1, "one point per hour: {series:?}");
    assert_eq!(series[0].1, 5);
}
