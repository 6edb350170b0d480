//! Grouping hashes → issues, inside the write transaction.

use std::collections::HashMap;

use sqlx::PgConnection;

use super::{pg_text, EventToStore};
use crate::Result;

/// Which issue each event (by batch index) belongs to, and which issues this
/// batch created.
pub struct ResolvedIssues {
    pub issue_of: HashMap<usize, i64>,
    pub new_issues: Vec<i64>,
}

type HashKey = (i64, String);

pub async fn resolve_issues(
    conn: &mut PgConnection,
    events: &[EventToStore],
    fresh: &[usize],
) -> Result<ResolvedIssues> {
    let wanted: Vec<HashKey> = distinct_hashes(events, fresh.iter().copied());
    let mut known = lookup(conn, &wanted).await?;

    let unknown: Vec<usize> = fresh
        .iter()
        .copied()
        .filter(|&i| {
            let e = &events[i];
            !e.hashes
                .iter()
                .any(|h| known.contains_key(&(e.project_id, h.clone())))
        })
        .collect();
    if !unknown.is_empty() {
        // Serialise creators of the same new hash across transactions (and
        // processes): take the locks in one order, then look again, because
        // another writer may have committed the hash meanwhile.
        let pending = distinct_hashes(events, unknown.iter().copied());
        let mut keys: Vec<i64> = pending.iter().map(|(p, h)| lock_key(*p, h)).collect();
        keys.sort_unstable();
        keys.dedup();
        sqlx::query("SELECT pg_advisory_xact_lock(k) FROM UNNEST($1::int8[]) AS k")
            .bind(&keys)
            .execute(&mut *conn)
            .await?;
        known.extend(lookup(conn, &pending).await?);
    }

    let mut assigned: HashMap<HashKey, (i64, usize)> = HashMap::new();
    let mut issue_of = HashMap::with_capacity(fresh.len());
    let mut new_issues = Vec::new();
    for &i in fresh {
        let e = &events[i];
        let existing = e.hashes.iter().find_map(|h| {
            let key = (e.project_id, h.clone());
            known
                .get(&key)
                .copied()
                .or_else(|| assigned.get(&key).map(|(id, _)| *id))
        });
        let issue_id = match existing {
            Some(id) => id,
            None => {
                let id = create_issue(conn, e).await?;
                new_issues.push(id);
                id
            }
        };
        for h in &e.hashes {
            let key = (e.project_id, h.clone());
            if !known.contains_key(&key) {
                assigned.entry(key).or_insert((issue_id, i));
            }
        }
        issue_of.insert(i, issue_id);
    }
    attach_hashes(conn, events, &assigned).await?;
    Ok(ResolvedIssues {
        issue_of,
        new_issues,
    })
}

fn distinct_hashes(events: &[EventToStore], rows: impl Iterator<Item = usize>) -> Vec<HashKey> {
    let mut out: Vec<HashKey> = rows
        .flat_map(|i| {
            events[i]
                .hashes
                .iter()
                .map(move |h| (events[i].project_id, h.clone()))
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// A 64-bit advisory lock key for a (project, hash) pair.
fn lock_key(project_id: i64, hash: &str) -> i64 {
    let prefix = hash.get(..16).unwrap_or(hash);
    let h = u64::from_str_radix(prefix, 16).unwrap_or_else(|_| {
        // Not hex (never produced by our grouping, but be total).
        hash.bytes().fold(0xcbf29ce484222325u64, |acc, b| {
            (acc ^ b as u64).wrapping_mul(0x100000001b3)
        })
    });
    (h ^ (project_id as u64).wrapping_mul(0x9E3779B97F4A7C15)) as i64
}

async fn lookup(conn: &mut PgConnection, keys: &[HashKey]) -> Result<HashMap<HashKey, i64>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let projects: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let hashes: Vec<&str> = keys.iter().map(|k| k.1.as_str()).collect();
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT g.project_id, g.hash, g.issue_id FROM grouping_hashes g \
         JOIN UNNEST($1::int8[], $2::text[]) AS b(project_id, hash) USING (project_id, hash)",
    )
    .bind(&projects)
    .bind(&hashes)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().map(|(p, h, i)| ((p, h), i)).collect())
}

async fn create_issue(conn: &mut PgConnection, e: &EventToStore) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "WITH sid AS (UPDATE projects SET next_short_id = next_short_id + 1 WHERE id = $1 \
                      RETURNING next_short_id - 1 AS short_id) \
         INSERT INTO issues (project_id, short_id, title, culprit, kind, metadata, level, platform, \
                             first_seen, last_seen, first_release, last_release) \
         SELECT $1, short_id, $2, $3, $4, $5, $6, $7, $8, $8, $9, $9 FROM sid \
         RETURNING id",
    )
    .bind(e.project_id)
    .bind(pg_text(&e.title))
    .bind(pg_text(&e.culprit))
    .bind(&e.issue_kind)
    .bind(sanitize_json(&e.metadata))
    .bind(e.level)
    .bind(pg_text(&e.platform))
    .bind(e.timestamp)
    .bind(e.release.as_deref().map(pg_text))
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

async fn attach_hashes(
    conn: &mut PgConnection,
    events: &[EventToStore],
    assigned: &HashMap<HashKey, (i64, usize)>,
) -> Result<()> {
    if assigned.is_empty() {
        return Ok(());
    }
    let mut rows: Vec<(&HashKey, &(i64, usize))> = assigned.iter().collect();
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let projects: Vec<i64> = rows.iter().map(|r| r.0 .0).collect();
    let hashes: Vec<&str> = rows.iter().map(|r| r.0 .1.as_str()).collect();
    let issues: Vec<i64> = rows.iter().map(|r| r.1 .0).collect();
    let versions: Vec<&str> = rows
        .iter()
        .map(|r| events[r.1 .1].grouping_version.as_str())
        .collect();
    sqlx::query(
        "INSERT INTO grouping_hashes (project_id, hash, issue_id, grouping_version) \
         SELECT * FROM UNNEST($1::int8[], $2::text[], $3::int8[], $4::text[]) \
         ON CONFLICT DO NOTHING",
    )
    .bind(&projects)
    .bind(&hashes)
    .bind(&issues)
    .bind(&versions)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// JSONB rejects `\u0000`; event data may contain it.
pub(crate) fn sanitize_json(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::String(s) => Value::String(pg_text(s).into_owned()),
        Value::Array(a) => Value::Array(a.iter().map(sanitize_json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (pg_text(k).into_owned(), sanitize_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keys_differ_per_project_and_hash() {
        let h = "0123456789abcdef0123456789abcdef";
        assert_ne!(lock_key(1, h), lock_key(2, h));
        assert_ne!(
            lock_key(1, h),
            lock_key(1, "fedcba9876543210fedcba9876543210")
        );
        assert_eq!(lock_key(3, h), lock_key(3, h));
        // Non-hex input still yields a key.
        let _ = lock_key(1, "not hex at all");
    }

    #[test]
    fn json_loses_nul_characters() {
        let v = serde_json::json!({"a\u{0}": ["x\u{0}y", 1]});
        assert_eq!(sanitize_json(&v), serde_json::json!({"a": ["xy", 1]}));
    }
}
