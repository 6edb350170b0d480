//! Counters kept beside events: tag value counts per issue (which also give
//! the distinct users; logged, then folded: see [`super::tag_counts`]),
//! hourly counts, and the releases seen.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use sqlx::PgConnection;

use super::{pg_text, EventToStore};
use crate::Result;

/// The tag whose distinct values are the users affected by an issue.
pub const USER_TAG: &str = "user";

/// How often, first and last seen.
pub(super) type SeenCount = (i64, DateTime<Utc>, DateTime<Utc>);

/// Records the (issue, tag, value) counts of a batch: the `user` tag as an
/// upsert, which tells which users are new, the others appended to the
/// log that [`super::tag_counts`] folds. Returns, per issue, how many users
/// it had not seen before. One statement, one round trip.
pub async fn update_tag_values(
    conn: &mut PgConnection,
    events: &[EventToStore],
    stored: &[usize],
    issue_of: &HashMap<usize, i64>,
) -> Result<HashMap<i64, i64>> {
    // BTreeMap: user rows go to PostgreSQL in key order, so concurrent
    // writers lock them in the same order and cannot deadlock.
    let mut agg: BTreeMap<(i64, String, String), SeenCount> = BTreeMap::new();
    for &i in stored {
        let e = &events[i];
        let issue = issue_of[&i];
        let mut add = |key: &str, value: &str| {
            let entry = agg
                .entry((
                    issue,
                    pg_text(key).into_owned(),
                    pg_text(value).into_owned(),
                ))
                .or_insert((0, e.timestamp, e.timestamp));
            entry.0 += 1;
            entry.1 = entry.1.min(e.timestamp);
            entry.2 = entry.2.max(e.timestamp);
        };
        let mut has_user_tag = false;
        for (k, v) in &e.tags {
            has_user_tag |= k == USER_TAG;
            add(k, v);
        }
        if let (false, Some(user)) = (has_user_tag, &e.user_ident) {
            add(USER_TAG, user);
        }
    }
    if agg.is_empty() {
        return Ok(HashMap::new());
    }
    let mut logged = CounterColumns::default();
    let mut users = CounterColumns::default();
    for ((issue, key, value), seen) in agg {
        if key == USER_TAG {
            users.push(issue, key, value, seen);
        } else {
            logged.push(issue, key, value, seen);
        }
    }
    // One log row per batch, the counts as parallel arrays: one tuple to
    // write and, at the fold, one to delete.
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "WITH logged AS ( \
           INSERT INTO issue_tag_count_log (issue_ids, keys, vals, counts, first_seen, last_seen) \
           SELECT $1, $2, $3, $4, $5, $6 WHERE cardinality($1::int8[]) > 0 \
         ), up AS ( \
           INSERT INTO issue_tag_values (issue_id, key, value, times_seen, first_seen, last_seen) \
           SELECT * FROM UNNEST($7::int8[], $8::text[], $9::text[], $10::int8[], $11::timestamptz[], $12::timestamptz[]) \
           ON CONFLICT (issue_id, key, value) DO UPDATE SET \
             times_seen = issue_tag_values.times_seen + excluded.times_seen, \
             first_seen = least(issue_tag_values.first_seen, excluded.first_seen), \
             last_seen = greatest(issue_tag_values.last_seen, excluded.last_seen) \
           RETURNING issue_id, (xmax = 0) AS inserted) \
         SELECT issue_id, count(*) FROM up WHERE inserted GROUP BY issue_id",
    )
    .bind(&logged.issue)
    .bind(&logged.key)
    .bind(&logged.value)
    .bind(&logged.count)
    .bind(&logged.first)
    .bind(&logged.last)
    .bind(&users.issue)
    .bind(&users.key)
    .bind(&users.value)
    .bind(&users.count)
    .bind(&users.first)
    .bind(&users.last)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Counter rows as the columns of an `UNNEST`.
#[derive(Default)]
pub(super) struct CounterColumns {
    pub issue: Vec<i64>,
    pub key: Vec<String>,
    pub value: Vec<String>,
    pub count: Vec<i64>,
    pub first: Vec<DateTime<Utc>>,
    pub last: Vec<DateTime<Utc>>,
}

impl CounterColumns {
    pub fn push(
        &mut self,
        issue: i64,
        key: String,
        value: String,
        (count, first, last): SeenCount,
    ) {
        self.issue.push(issue);
        self.key.push(key);
        self.value.push(value);
        self.count.push(count);
        self.first.push(first);
        self.last.push(last);
    }
}

/// The hour an event counts in.
pub fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// Upserts events per issue per hour, per project per hour (in the
/// writer's own `shard` of the project counter), and the releases of the
/// batch, in one statement (one round trip).
///
/// Releases keep first/last seen by receive time, the server's clock, which
/// is what "resolved in next release" compares with. New releases are
/// inserted without touching existing rows (an upsert would lock them, and
/// every writer sees the same current release), and `last_seen` moves at
/// most once a minute, so concurrent writers rarely touch one release row.
pub async fn update_counts_and_releases(
    conn: &mut PgConnection,
    events: &[EventToStore],
    stored: &[usize],
    issue_of: &HashMap<usize, i64>,
    shard: i16,
) -> Result<()> {
    // BTreeMaps: rows go to PostgreSQL in key order, so concurrent writers
    // lock them in the same order and cannot deadlock.
    let mut per_issue: BTreeMap<(i64, DateTime<Utc>), i64> = BTreeMap::new();
    let mut per_project: BTreeMap<(i64, DateTime<Utc>), i64> = BTreeMap::new();
    let mut releases: BTreeMap<(i64, String), (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for &i in stored {
        let e = &events[i];
        let hour = hour_of(e.timestamp);
        *per_issue.entry((issue_of[&i], hour)).or_default() += 1;
        *per_project.entry((e.project_id, hour)).or_default() += 1;
        if let Some(r) = &e.release {
            let seen = releases
                .entry((e.project_id, pg_text(r).into_owned()))
                .or_insert((e.received_at, e.received_at));
            seen.0 = seen.0.min(e.received_at);
            seen.1 = seen.1.max(e.received_at);
        }
    }
    let columns = |rows: &BTreeMap<(i64, DateTime<Utc>), i64>| {
        (
            rows.keys().map(|k| k.0).collect::<Vec<i64>>(),
            rows.keys().map(|k| k.1).collect::<Vec<DateTime<Utc>>>(),
            rows.values().copied().collect::<Vec<i64>>(),
        )
    };
    let (issue_ids, issue_hours, issue_counts) = columns(&per_issue);
    let (project_ids, project_hours, project_counts) = columns(&per_project);
    let release_projects: Vec<i64> = releases.keys().map(|k| k.0).collect();
    let versions: Vec<&str> = releases.keys().map(|k| k.1.as_str()).collect();
    let first: Vec<DateTime<Utc>> = releases.values().map(|v| v.0).collect();
    let last: Vec<DateTime<Utc>> = releases.values().map(|v| v.1).collect();
    // Sub-statements share one snapshot: the final UPDATE does not see the
    // releases inserted beside it, which already carry their last_seen.
    sqlx::query(
        "WITH issue_hours AS ( \
           INSERT INTO issue_hourly_counts (issue_id, hour, count) \
           SELECT * FROM UNNEST($1::int8[], $2::timestamptz[], $3::int8[]) \
           ON CONFLICT (issue_id, hour) DO UPDATE SET count = issue_hourly_counts.count + excluded.count \
         ), project_hours AS ( \
           INSERT INTO project_hourly_counts (project_id, hour, shard, count) \
           SELECT p, h, $7, c FROM UNNEST($4::int8[], $5::timestamptz[], $6::int8[]) AS x(p, h, c) \
           ON CONFLICT (project_id, hour, shard) DO UPDATE SET count = project_hourly_counts.count + excluded.count \
         ), new_releases AS ( \
           INSERT INTO releases (project_id, version, first_seen, last_seen) \
           SELECT * FROM UNNEST($8::int8[], $9::text[], $10::timestamptz[], $11::timestamptz[]) \
           ON CONFLICT (project_id, version) DO NOTHING \
         ) \
         UPDATE releases r SET last_seen = x.l \
         FROM UNNEST($8::int8[], $9::text[], $11::timestamptz[]) AS x(p, v, l) \
         WHERE r.project_id = x.p AND r.version = x.v AND r.last_seen < x.l - interval '1 minute'",
    )
    .bind(&issue_ids)
    .bind(&issue_hours)
    .bind(&issue_counts)
    .bind(&project_ids)
    .bind(&project_hours)
    .bind(&project_counts)
    .bind(shard)
    .bind(&release_projects)
    .bind(&versions)
    .bind(&first)
    .bind(&last)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Per project: release → when Moth first received an event of it.
pub type ReleaseFirstSeen = HashMap<i64, HashMap<String, DateTime<Utc>>>;

/// Adds the first-seen times of `versions` (releases named by resolutions)
/// that the batch did not carry.
pub async fn load_release_first_seen(
    conn: &mut PgConnection,
    project_id: i64,
    versions: &[String],
    into: &mut ReleaseFirstSeen,
) -> Result<()> {
    let rows: Vec<(String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT version, first_seen FROM releases WHERE project_id = $1 AND version = ANY($2)",
    )
    .bind(project_id)
    .bind(versions)
    .fetch_all(&mut *conn)
    .await?;
    into.entry(project_id).or_default().extend(rows);
    Ok(())
}
