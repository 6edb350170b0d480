//! Reading issues: the filtered, sorted, keyset-paginated list shared by the
//! issue list page and the API, its count, one issue, and short ids. What
//! hangs off an issue lives beside: `counts` (hourly counts), `tags`
//! (distributions), `activity`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{FromRow, Postgres, QueryBuilder};

pub use super::activity::ActivityEntry;
use super::search::IssueQuery;
use super::status::IssueStatus;
pub use super::tags::{TagDistribution, TagValueCount};
use crate::write::count_logs::CountLog;
use crate::{Database, Result};

/// An issue as lists and pages show it.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct IssueSummary {
    pub id: i64,
    pub project_id: i64,
    pub project_slug: String,
    pub short_id: i64,
    pub title: String,
    pub culprit: String,
    pub kind: String,
    pub level: i16,
    pub platform: Option<String>,
    pub status: String,
    pub status_details: serde_json::Value,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub times_seen: i64,
    pub users_seen: i64,
    pub first_release: Option<String>,
    pub last_release: Option<String>,
    pub metadata: serde_json::Value,
}

impl IssueSummary {
    /// `API-1A`: the project slug upper-cased and the per-project number in
    /// base 36, as Sentry shows short ids.
    pub fn short_id_display(&self) -> String {
        format!(
            "{}-{}",
            self.project_slug.to_uppercase(),
            base36(self.short_id)
        )
    }

    pub fn parsed_status(&self) -> IssueStatus {
        IssueStatus::from_stored(&self.status, &self.status_details)
    }

    pub fn level_name(&self) -> &'static str {
        super::level::name(self.level)
    }
}

/// Base 36 with upper-case letters, as in Sentry's short ids.
pub fn base36(mut n: i64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if n <= 0 {
        return "0".into();
    }
    let mut out = Vec::new();
    while n > 0 {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// The inverse of [`base36`] (either case); `None` for anything that is not
/// a positive base-36 number that fits.
pub fn parse_base36(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 12 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let n = i64::from_str_radix(s, 36).ok()?;
    (n > 0).then_some(n)
}

/// The per-project number of a short id as shown (`APP-1A` → 46) if its
/// prefix is this project's slug (case-insensitively).
pub fn parse_short_id(project_slug: &str, shown: &str) -> Option<i64> {
    let (prefix, number) = shown.rsplit_once('-')?;
    if !prefix.eq_ignore_ascii_case(project_slug) {
        return None;
    }
    parse_base36(number)
}

/// Issue list orders (Sentry's `sort=` values in brackets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IssueSort {
    /// Most recently seen first (`date`).
    #[default]
    LastSeen,
    /// Newest issues first (`new`).
    FirstSeen,
    /// Most events first (`freq`).
    Events,
    /// Most users first (`user`).
    Users,
}

impl IssueSort {
    /// Parses Sentry's `sort=` values (and our own names).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "date" | "last_seen" | "lastSeen" => Self::LastSeen,
            "new" | "first_seen" | "firstSeen" => Self::FirstSeen,
            "freq" | "events" => Self::Events,
            "user" | "users" => Self::Users,
            _ => return None,
        })
    }

    pub fn as_sentry(&self) -> &'static str {
        match self {
            Self::LastSeen => "date",
            Self::FirstSeen => "new",
            Self::Events => "freq",
            Self::Users => "user",
        }
    }

    fn column(&self) -> &'static str {
        match self {
            Self::LastSeen => "last_seen",
            Self::FirstSeen => "first_seen",
            Self::Events => "times_seen",
            Self::Users => "users_seen",
        }
    }

    fn is_time(&self) -> bool {
        matches!(self, Self::LastSeen | Self::FirstSeen)
    }

    fn key_of(&self, i: &IssueSummary) -> i64 {
        match self {
            Self::LastSeen => i.last_seen.timestamp_micros(),
            Self::FirstSeen => i.first_seen.timestamp_micros(),
            Self::Events => i.times_seen,
            Self::Users => i.users_seen,
        }
    }
}

/// A position in a sorted issue list: the sort key and id of the row the
/// page starts after, and which way the page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueCursor {
    pub key: i64,
    pub id: i64,
    pub backwards: bool,
}

impl IssueCursor {
    /// Opaque text form, `<key>:<id>:<0|1>` (1 = previous page).
    pub fn encode(&self) -> String {
        format!("{}:{}:{}", self.key, self.id, u8::from(self.backwards))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let key = parts.next()?.parse().ok()?;
        let id = parts.next()?.parse().ok()?;
        let backwards = match parts.next() {
            None | Some("0") => false,
            Some("1") => true,
            Some(_) => return None,
        };
        parts
            .next()
            .is_none()
            .then_some(Self { key, id, backwards })
    }
}

/// One page of issues with cursors to its neighbours.
#[derive(Debug, Clone)]
pub struct IssuePage {
    pub issues: Vec<IssueSummary>,
    pub next: Option<IssueCursor>,
    pub previous: Option<IssueCursor>,
}

/// What to list.
#[derive(Debug, Clone)]
pub struct IssueListRequest<'a> {
    /// Projects to list from (already filtered to what the user may see).
    pub project_ids: &'a [i64],
    pub query: &'a IssueQuery,
    pub sort: IssueSort,
    pub cursor: Option<IssueCursor>,
    pub limit: i64,
}

const SUMMARY_COLUMNS: &str =
    "i.id, i.project_id, p.slug AS project_slug, i.short_id, i.title, i.culprit, \
     i.kind, i.level, i.platform, i.status, i.status_details, i.first_seen, i.last_seen, \
     i.times_seen, i.users_seen, i.first_release, i.last_release, i.metadata";

impl Database {
    /// A page of issues matching a search, in a stable order.
    pub async fn list_issues(&self, req: &IssueListRequest<'_>) -> Result<IssuePage> {
        self.fold_before_read(CountLog::Issues).await;
        req.query.fold_tag_counts_if_used(self).await;
        let limit = req.limit.clamp(1, 100);
        let col = req.sort.column();
        let backwards = req.cursor.is_some_and(|c| c.backwards);
        let dir = if backwards { "ASC" } else { "DESC" };
        // Every status: one branch per status, each an ordered walk of its
        // (project_id, status, sort key) index, merged, instead of sorting
        // all of a project's issues (no index orders them across statuses
        // for every sort).
        let branches: &[Option<&'static str>] = match req.query.status {
            Some(_) => &[None],
            None => &[Some("unresolved"), Some("resolved"), Some("muted")],
        };
        let union = branches.len() > 1;
        let mut qb = QueryBuilder::<Postgres>::new(if union { "SELECT * FROM (" } else { "" });
        for (n, status) in branches.iter().enumerate() {
            if n > 0 {
                qb.push(" UNION ALL ");
            }
            qb.push(format!(
                "{}SELECT {SUMMARY_COLUMNS} FROM issues i JOIN projects p ON p.id = i.project_id WHERE ",
                if union { "(" } else { "" }
            ));
            push_filters(&mut qb, req.project_ids, req.query);
            if let Some(status) = status {
                qb.push(" AND i.status = ").push_bind(*status);
            }
            if let Some(c) = req.cursor {
                qb.push(format!(
                    " AND (i.{col}, i.id) {} (",
                    if backwards { ">" } else { "<" }
                ));
                push_key(&mut qb, req.sort, c.key);
                qb.push(", ").push_bind(c.id).push(")");
            }
            qb.push(format!(" ORDER BY i.{col} {dir}, i.id {dir} LIMIT "));
            qb.push_bind(limit + 1);
            if union {
                qb.push(")");
            }
        }
        if union {
            qb.push(format!(") u ORDER BY u.{col} {dir}, u.id {dir} LIMIT "));
            qb.push_bind(limit + 1);
        }
        // Not prepared: a cached generic plan cannot see which tag value or
        // text is searched, and picks scans that are 100x slower for rare
        // ones. Planning with the values costs well under a millisecond.
        let mut rows: Vec<IssueSummary> = qb
            .build_query_as()
            .persistent(false)
            .fetch_all(self.pool())
            .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        let cursor_at = |i: &IssueSummary, backwards| IssueCursor {
            key: req.sort.key_of(i),
            id: i.id,
            backwards,
        };
        // Forward: a next page if more rows exist; a previous page if we
        // came from a cursor. Backwards: the mirror image.
        let (has_next, has_prev) = if backwards {
            (true, more)
        } else {
            (more, req.cursor.is_some())
        };
        let next = has_next
            .then(|| rows.last().map(|i| cursor_at(i, false)))
            .flatten();
        let previous = has_prev
            .then(|| rows.first().map(|i| cursor_at(i, true)))
            .flatten();
        Ok(IssuePage {
            issues: rows,
            next,
            previous,
        })
    }

    /// How many issues match, counting at most `cap` (then "cap+").
    pub async fn count_issues(
        &self,
        project_ids: &[i64],
        query: &IssueQuery,
        cap: i64,
    ) -> Result<i64> {
        self.fold_before_read(CountLog::Issues).await;
        query.fold_tag_counts_if_used(self).await;
        // Not prepared, like the list (see there).
        Ok(count_query(project_ids, query, cap)
            .build_query_scalar()
            .persistent(false)
            .fetch_one(self.pool())
            .await?)
    }

    /// Like [`Database::count_issues`], but gives up after `budget`
    /// (`None`): a page shows "many" rather than wait for an exact count of
    /// a broad search, which can cost more than the page itself.
    pub async fn count_issues_within(
        &self,
        project_ids: &[i64],
        query: &IssueQuery,
        cap: i64,
        budget: std::time::Duration,
    ) -> Result<Option<i64>> {
        self.fold_before_read(CountLog::Issues).await;
        query.fold_tag_counts_if_used(self).await;
        let mut tx = self.pool().begin().await?;
        // SET cannot take a bind parameter; this is a number we format.
        let millis = budget.as_millis().clamp(1, 60_000);
        sqlx::query(&format!("SET LOCAL statement_timeout = {millis}"))
            .execute(&mut *tx)
            .await?;
        let counted = count_query(project_ids, query, cap)
            .build_query_scalar()
            .persistent(false)
            .fetch_one(&mut *tx)
            .await;
        match counted {
            Ok(n) => {
                tx.commit().await?;
                Ok(Some(n))
            }
            // query_canceled: the timeout (the transaction rolls back on drop).
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014") => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// One issue.
    pub async fn issue(&self, id: i64) -> Result<IssueSummary> {
        self.fold_before_read(CountLog::Issues).await;
        Ok(sqlx::query_as(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = $1"
        ))
        .bind(id)
        .fetch_one(self.pool())
        .await?)
    }

    /// Several issues by id (any order; missing ids are simply absent).
    pub async fn issues_by_ids(&self, ids: &[i64]) -> Result<Vec<IssueSummary>> {
        self.fold_before_read(CountLog::Issues).await;
        Ok(sqlx::query_as(&format!(
            "SELECT {SUMMARY_COLUMNS} FROM issues i JOIN projects p ON p.id = i.project_id WHERE i.id = ANY($1) ORDER BY i.id"
        ))
        .bind(ids)
        .fetch_all(self.pool())
        .await?)
    }

    /// The ids of a project's issues with these short ids (missing ones are
    /// simply absent), as `(short id, issue id)`.
    pub async fn issue_ids_by_short_ids(
        &self,
        project_id: i64,
        short_ids: &[i64],
    ) -> Result<Vec<(i64, i64)>> {
        Ok(sqlx::query_as(
            "SELECT short_id, id FROM issues WHERE project_id = $1 AND short_id = ANY($2) ORDER BY short_id",
        )
        .bind(project_id)
        .bind(short_ids)
        .fetch_all(self.pool())
        .await?)
    }

    /// Which project each issue belongs to (for access checks of bulk actions).
    pub async fn issue_projects(&self, ids: &[i64]) -> Result<HashMap<i64, i64>> {
        let rows: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, project_id FROM issues WHERE id = ANY($1)")
                .bind(ids)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().collect())
    }
}

/// `SELECT count(*)` of a search, stopping at `cap`.
fn count_query<'a>(
    project_ids: &[i64],
    query: &IssueQuery,
    cap: i64,
) -> QueryBuilder<'a, Postgres> {
    let mut qb =
        QueryBuilder::<Postgres>::new("SELECT count(*) FROM (SELECT 1 FROM issues i WHERE ");
    push_filters(&mut qb, project_ids, query);
    qb.push(" LIMIT ").push_bind(cap).push(") x");
    qb
}

impl IssueQuery {
    /// A search by tag reads the tag counters: fold their log first (see
    /// [`crate::write::tag_counts`]).
    async fn fold_tag_counts_if_used(&self, db: &Database) {
        if !self.tags.is_empty() || !self.not_tags.is_empty() {
            db.fold_before_read(CountLog::Tags).await;
        }
    }
}

/// `WHERE` conditions for a search over some projects.
fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, project_ids: &[i64], q: &IssueQuery) {
    // One project (every issue list page) as `=`: with `= ANY(array)` the
    // planner cannot walk the (project_id, status, sort key) indexes in
    // order and sorts every matching issue instead (100 ms at 100,000).
    match project_ids {
        [one] => qb.push("i.project_id = ").push_bind(*one),
        many => qb
            .push("i.project_id = ANY(")
            .push_bind(many.to_vec())
            .push(")"),
    };
    if let Some(s) = q.status {
        qb.push(" AND i.status = ").push_bind(s.as_str());
    }
    if !q.levels.is_empty() {
        qb.push(" AND i.level = ANY(")
            .push_bind(q.levels.clone())
            .push(")");
    }
    if !q.not_levels.is_empty() {
        qb.push(" AND NOT (i.level = ANY(")
            .push_bind(q.not_levels.clone())
            .push("))");
    }
    for (key, value) in &q.tags {
        qb.push(
            " AND EXISTS (SELECT 1 FROM issue_tag_values t WHERE t.issue_id = i.id AND t.key = ",
        )
        .push_bind(key.clone())
        .push(" AND t.value = ")
        .push_bind(value.clone())
        .push(")");
    }
    for (key, value) in &q.not_tags {
        qb.push(" AND NOT EXISTS (SELECT 1 FROM issue_tag_values t WHERE t.issue_id = i.id AND t.key = ")
            .push_bind(key.clone())
            .push(" AND t.value = ")
            .push_bind(value.clone())
            .push(")");
    }
    if let Some(t) = q.first_seen_after {
        qb.push(" AND i.first_seen >= ").push_bind(t);
    }
    if let Some(t) = q.last_seen_after {
        qb.push(" AND i.last_seen >= ").push_bind(t);
    }
    for word in &q.text {
        // Title and culprit as one text, kept in `issue_search_texts` with
        // its trigram index: one index scan per word, not two.
        let pattern = format!("%{}%", escape_like(word));
        qb.push(" AND i.id IN (SELECT issue_id FROM issue_search_texts WHERE text ILIKE ")
            .push_bind(pattern)
            .push(")");
    }
}

fn push_key(qb: &mut QueryBuilder<'_, Postgres>, sort: IssueSort, key: i64) {
    if sort.is_time() {
        let t = DateTime::<Utc>::from_timestamp_micros(key).unwrap_or_default();
        qb.push_bind(t);
    } else {
        qb.push_bind(key);
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_base36() {
        assert_eq!(base36(1), "1");
        assert_eq!(base36(35), "Z");
        assert_eq!(base36(36), "10");
        assert_eq!(base36(36 + 10), "1A");
    }

    #[test]
    fn short_ids_parse_back() {
        for n in [1, 35, 36, 46, 1_000_000] {
            assert_eq!(parse_base36(&base36(n)), Some(n));
        }
        assert_eq!(parse_short_id("my-app", "MY-APP-1A"), Some(46));
        assert_eq!(parse_short_id("my-app", "my-app-1a"), Some(46));
        assert_eq!(parse_short_id("my-app", "OTHER-1A"), None);
        assert_eq!(parse_short_id("app", "APP-"), None);
        assert_eq!(parse_short_id("app", "APP-0"), None);
        assert_eq!(parse_short_id("app", "APP-+1"), None);
        assert_eq!(parse_short_id("app", "APP-ZZZZZZZZZZZZZ"), None);
        assert_eq!(parse_short_id("app", "46"), None);
    }

    #[test]
    fn cursors_round_trip() {
        let c = IssueCursor {
            key: -5,
            id: 42,
            backwards: true,
        };
        assert_eq!(IssueCursor::decode(&c.encode()), Some(c));
        assert_eq!(
            IssueCursor::decode("1:2"),
            Some(IssueCursor {
                key: 1,
                id: 2,
                backwards: false
            })
        );
        assert_eq!(IssueCursor::decode("x"), None);
        assert_eq!(IssueCursor::decode("1:2:3"), None);
        assert_eq!(IssueCursor::decode("1:2:0:4"), None);
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(escape_like("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
