//! Issue counters between a batch and the `issues` rows.
//!
//! A batch appends what it adds to each of its issues (events, new users,
//! first/last seen, level, releases, the latest event's title, culprit and
//! metadata) to `issue_count_log`, one row of parallel arrays per batch, in
//! its own transaction: as durable as its events. Folding moves the whole
//! log into `issues` in one transaction; the log rows it deletes are
//! exactly the ones it adds up (rows of batches still running are
//! invisible to it and wait for the next fold), so nothing is lost or
//! added twice, even across a crash.
//!
//! Why: the counters are in the issue list's sort indexes, so an update of
//! an issue row can never be HOT and writes all of its indexes. Updated
//! per batch, that was a third of PostgreSQL's work at full load; folded
//! once a second, a busy issue is written once a second.
//!
//! Everything that reads the counters folds first
//! (`Database::fold_before_read`, in `count_logs`); what must be exact inside
//! another transaction without folding (a mute's baseline, a mute's
//! "N more events" at ingest) adds [`pending`] to the row.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgConnection, Postgres};

use crate::Result;

/// When an issue was seen in some events, and the releases at either end:
/// what a batch gathers from its events (borrowing their releases) and a
/// fold from logged batches (owning them), combined by the same rules.
#[derive(Debug, Clone)]
pub(crate) struct SeenSpan<R> {
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Release of the earliest event (or of any, if that one had none).
    pub first_release: Option<R>,
    /// Release of the latest event (or of any, if that one had none).
    pub last_release: Option<R>,
}

impl<R: Clone> SeenSpan<R> {
    /// One event's span.
    pub fn at(seen: DateTime<Utc>, release: Option<R>) -> Self {
        Self {
            first_seen: seen,
            last_seen: seen,
            first_release: release.clone(),
            last_release: release,
        }
    }
}

impl<R> SeenSpan<R> {
    /// Widens the span by a later entry (a later event of the batch, a
    /// later log row). True when `other` holds the latest event: on equal
    /// times, the later entry does, as it would overwrite the row.
    pub fn absorb(&mut self, other: SeenSpan<R>) -> bool {
        if other.first_seen < self.first_seen {
            self.first_seen = other.first_seen;
            self.first_release = other.first_release.or(self.first_release.take());
        } else if self.first_release.is_none() {
            self.first_release = other.first_release;
        }
        let latest = other.last_seen >= self.last_seen;
        if latest {
            self.last_seen = other.last_seen;
            self.last_release = other.last_release.or(self.last_release.take());
        } else if self.last_release.is_none() {
            self.last_release = other.last_release;
        }
        latest
    }
}

/// What one or more batches add to one issue.
#[derive(Debug, Clone)]
pub(crate) struct CountDelta {
    pub count: i64,
    pub new_users: i64,
    pub seen: SeenSpan<String>,
    pub level: i16,
    /// Title, culprit and metadata of the latest event.
    pub title: String,
    pub culprit: String,
    pub metadata: serde_json::Value,
}

impl CountDelta {
    /// Adds a later log entry for the same issue, as applying both to the
    /// row one after the other would.
    fn absorb(&mut self, other: CountDelta) {
        self.count += other.count;
        self.new_users += other.new_users;
        self.level = self.level.max(other.level);
        if self.seen.absorb(other.seen) {
            self.title = other.title;
            self.culprit = other.culprit;
            self.metadata = other.metadata;
        }
    }
}

/// Deltas per issue as the columns of a log row or of an `UNNEST`.
#[derive(Default)]
struct CountColumns {
    issue: Vec<i64>,
    count: Vec<i64>,
    new_users: Vec<i64>,
    first_seen: Vec<DateTime<Utc>>,
    last_seen: Vec<DateTime<Utc>>,
    level: Vec<i16>,
    first_release: Vec<Option<String>>,
    last_release: Vec<Option<String>>,
    title: Vec<String>,
    culprit: Vec<String>,
    metadata: Vec<serde_json::Value>,
}

/// A log row, as `CountColumns` in the order of the table's columns.
type LogRow = (
    Vec<i64>,
    Vec<i64>,
    Vec<i64>,
    Vec<DateTime<Utc>>,
    Vec<DateTime<Utc>>,
    Vec<i16>,
    Vec<Option<String>>,
    Vec<Option<String>>,
    Vec<String>,
    Vec<String>,
    Vec<serde_json::Value>,
);

impl CountColumns {
    /// The columns as a statement's arguments `$1` to `$11`, in the order
    /// of the log table's columns.
    fn into_arguments(self) -> Result<PgArguments> {
        fn add<T>(a: &mut PgArguments, value: T) -> Result<()>
        where
            T: for<'q> sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres>,
        {
            a.add(value).map_err(sqlx::Error::Encode)?;
            Ok(())
        }
        let mut a = PgArguments::default();
        add(&mut a, self.issue)?;
        add(&mut a, self.count)?;
        add(&mut a, self.new_users)?;
        add(&mut a, self.first_seen)?;
        add(&mut a, self.last_seen)?;
        add(&mut a, self.level)?;
        add(&mut a, self.first_release)?;
        add(&mut a, self.last_release)?;
        add(&mut a, self.title)?;
        add(&mut a, self.culprit)?;
        add(&mut a, self.metadata)?;
        Ok(a)
    }

    fn from_deltas(deltas: BTreeMap<i64, CountDelta>) -> Self {
        let mut c = Self::default();
        for (issue, d) in deltas {
            c.issue.push(issue);
            c.count.push(d.count);
            c.new_users.push(d.new_users);
            c.first_seen.push(d.seen.first_seen);
            c.last_seen.push(d.seen.last_seen);
            c.level.push(d.level);
            c.first_release.push(d.seen.first_release);
            c.last_release.push(d.seen.last_release);
            c.title.push(d.title);
            c.culprit.push(d.culprit);
            c.metadata.push(d.metadata);
        }
        c
    }

    /// The deltas of a log row, in its order.
    fn into_deltas(row: LogRow) -> impl Iterator<Item = (i64, CountDelta)> {
        let (
            issue,
            count,
            new_users,
            first_seen,
            last_seen,
            level,
            first,
            last,
            title,
            culprit,
            meta,
        ) = row;
        let mut new_users = new_users.into_iter();
        let mut first_seen = first_seen.into_iter();
        let mut last_seen = last_seen.into_iter();
        let mut level = level.into_iter();
        let mut first = first.into_iter();
        let mut last = last.into_iter();
        let mut title = title.into_iter();
        let mut culprit = culprit.into_iter();
        let mut meta = meta.into_iter();
        issue
            .into_iter()
            .zip(count)
            .map_while(move |(issue, count)| {
                let delta = CountDelta {
                    count,
                    new_users: new_users.next()?,
                    seen: SeenSpan {
                        first_seen: first_seen.next()?,
                        last_seen: last_seen.next()?,
                        first_release: first.next()?,
                        last_release: last.next()?,
                    },
                    level: level.next()?,
                    title: title.next()?,
                    culprit: culprit.next()?,
                    metadata: meta.next()?,
                };
                Some((issue, delta))
            })
    }
}

/// Appends a batch's deltas to the log (one row; nothing when empty).
pub(super) async fn append(
    conn: &mut PgConnection,
    deltas: BTreeMap<i64, CountDelta>,
) -> Result<()> {
    if deltas.is_empty() {
        return Ok(());
    }
    let arguments = CountColumns::from_deltas(deltas).into_arguments()?;
    sqlx::query_with(
        "INSERT INTO issue_count_log (issue_ids, counts, new_users, first_seen, last_seen, levels, \
                                      first_releases, last_releases, titles, culprits, metadata) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        arguments,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Events and new users logged for `ids` and not folded yet, per issue.
/// Exact when the caller holds the issues' row locks: no batch can then
/// log for them, and no fold can move their counts into the rows.
pub(crate) async fn pending(
    conn: &mut PgConnection,
    ids: &[i64],
) -> Result<HashMap<i64, (i64, i64)>> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT x.id, sum(x.n)::int8, sum(x.u)::int8 \
         FROM issue_count_log l, UNNEST(l.issue_ids, l.counts, l.new_users) AS x(id, n, u) \
         WHERE l.issue_ids && $1 AND x.id = ANY($1) GROUP BY x.id",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(id, n, u)| (id, (n, u))).collect())
}

/// Points the pending counts of `sources` at `target` (a merge, which
/// holds [`super::count_logs::lock_folding`] and the issues' row locks): the next fold adds
/// them to the target instead of dropping them with the sources. Their
/// pending new users, and the target's, are zeroed: the merge counts the
/// target's users afresh from the `user` tag values, which already hold
/// them.
pub(crate) async fn redirect(conn: &mut PgConnection, target: i64, sources: &[i64]) -> Result<()> {
    sqlx::query(
        "UPDATE issue_count_log SET \
           issue_ids = (SELECT array_agg(CASE WHEN x = ANY($2) THEN $1 ELSE x END ORDER BY n) \
                        FROM UNNEST(issue_ids) WITH ORDINALITY AS u(x, n)), \
           new_users = (SELECT array_agg(CASE WHEN x = ANY($2) OR x = $1 THEN 0 ELSE u END ORDER BY n) \
                        FROM UNNEST(issue_ids, new_users) WITH ORDINALITY AS v(x, u, n)) \
         WHERE issue_ids && ($2 || $1)",
    )
    .bind(target)
    .bind(sources)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The fold itself, inside the caller's transaction, which must hold
/// [`super::count_logs::lock_folding`].
pub(super) async fn fold(conn: &mut PgConnection) -> Result<u64> {
    let rows: Vec<LogRow> = sqlx::query_as(
        "DELETE FROM issue_count_log \
         RETURNING issue_ids, counts, new_users, first_seen, last_seen, levels, \
                   first_releases, last_releases, titles, culprits, metadata",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut summed: BTreeMap<i64, CountDelta> = BTreeMap::new();
    for row in rows {
        for (issue, delta) in CountColumns::into_deltas(row) {
            match summed.get_mut(&issue) {
                Some(acc) => acc.absorb(delta),
                None => {
                    summed.insert(issue, delta);
                }
            }
        }
    }
    if summed.is_empty() {
        return Ok(0);
    }
    let ids: Vec<i64> = summed.keys().copied().collect();
    // Locked first, in id order as the write path locks them, so the two
    // never wait on each other in opposite orders (the UPDATE's own order
    // would be its join's). Deleted issues are simply not found.
    sqlx::query("SELECT id FROM issues WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE")
        .bind(&ids)
        .execute(&mut *conn)
        .await?;
    // The search text lives in its own table (see the migration
    // `issue_search_texts`): its trigram index is then written only when a
    // title or culprit changes.
    let arguments = CountColumns::from_deltas(summed).into_arguments()?;
    let written: i64 = sqlx::query_scalar_with(
        "WITH updated AS (UPDATE issues SET \
           times_seen = issues.times_seen + d.count, \
           users_seen = issues.users_seen + d.new_users, \
           first_seen = least(issues.first_seen, d.first_seen), \
           last_seen = greatest(issues.last_seen, d.last_seen), \
           level = greatest(issues.level, d.level), \
           first_release = coalesce(issues.first_release, d.first_release), \
           last_release = CASE WHEN d.last_seen >= issues.last_seen \
                               THEN coalesce(d.last_release, issues.last_release) \
                               ELSE issues.last_release END, \
           title = CASE WHEN d.last_seen >= issues.last_seen THEN d.title ELSE issues.title END, \
           culprit = CASE WHEN d.last_seen >= issues.last_seen THEN d.culprit ELSE issues.culprit END, \
           metadata = CASE WHEN d.last_seen >= issues.last_seen THEN d.metadata ELSE issues.metadata END \
         FROM UNNEST($1::int8[], $2::int8[], $3::int8[], $4::timestamptz[], $5::timestamptz[], \
                     $6::int2[], $7::text[], $8::text[], $9::text[], $10::text[], $11::jsonb[]) \
              AS d(id, count, new_users, first_seen, last_seen, level, first_release, last_release, \
                   title, culprit, metadata) \
         WHERE issues.id = d.id \
         RETURNING issues.id, issues.title || ' ' || issues.culprit AS text), \
         texts AS (INSERT INTO issue_search_texts (issue_id, text) SELECT id, text FROM updated \
           ON CONFLICT (issue_id) DO UPDATE SET text = excluded.text \
           WHERE issue_search_texts.text IS DISTINCT FROM excluded.text) \
         SELECT count(*) FROM updated",
        arguments,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(written as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> DateTime<Utc> {
        format!("2026-12-06T10:{minute:02}:00Z").parse().unwrap()
    }

    fn absorbed(entries: &[(u32, Option<&'static str>)]) -> (SeenSpan<&'static str>, usize) {
        let mut span = SeenSpan::at(at(entries[0].0), entries[0].1);
        let mut latest = 0;
        for (n, &(minute, release)) in entries.iter().enumerate().skip(1) {
            if span.absorb(SeenSpan::at(at(minute), release)) {
                latest = n;
            }
        }
        (span, latest)
    }

    #[test]
    fn the_span_runs_from_the_earliest_to_the_latest_entry_whatever_their_order() {
        let (span, latest) = absorbed(&[(5, Some("b")), (1, Some("a")), (9, Some("c")), (3, None)]);
        assert_eq!((span.first_seen, span.last_seen), (at(1), at(9)));
        assert_eq!(
            (span.first_release, span.last_release),
            (Some("a"), Some("c"))
        );
        assert_eq!(latest, 2);
    }

    #[test]
    fn an_end_without_a_release_takes_one_from_another_entry() {
        let (span, _) = absorbed(&[(1, None), (5, Some("b")), (9, None)]);
        assert_eq!(
            (span.first_release, span.last_release),
            (Some("b"), Some("b"))
        );
        let (span, _) = absorbed(&[(9, None), (1, None)]);
        assert_eq!((span.first_release, span.last_release), (None, None));
    }

    #[test]
    fn on_equal_times_the_later_entry_is_the_latest() {
        let (span, latest) = absorbed(&[(4, Some("a")), (4, Some("b"))]);
        assert_eq!(latest, 1);
        assert_eq!(
            (span.first_release, span.last_release),
            (Some("a"), Some("b"))
        );
    }
}
