//! Tag distributions of an issue ("browser: Chrome 62%"), from the
//! counters the write pipeline keeps in `issue_tag_values`. Each read
//! folds the pending counts first (see [`crate::write::tag_counts`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::write::count_logs::CountLog;
use crate::{Database, Result};

/// A tag of an issue with its most common values.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TagDistribution {
    pub key: String,
    /// Events that carried this tag.
    pub total: i64,
    /// Distinct values.
    pub distinct: i64,
    /// Most frequent first: (value, count, first seen, last seen).
    pub top: Vec<TagValueCount>,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct TagValueCount {
    pub value: String,
    pub count: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

impl Database {
    /// Every tag of an issue with its top `top_n` values, keys by frequency.
    pub async fn issue_tags(&self, issue_id: i64, top_n: i64) -> Result<Vec<TagDistribution>> {
        self.fold_before_read(CountLog::Tags).await;
        let totals: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT key, sum(times_seen)::int8, count(*) FROM issue_tag_values WHERE issue_id = $1 \
             GROUP BY key ORDER BY sum(times_seen) DESC, key",
        )
        .bind(issue_id)
        .fetch_all(self.pool())
        .await?;
        // (key, value, times seen, first seen, last seen)
        type TopValue = (String, String, i64, DateTime<Utc>, DateTime<Utc>);
        let tops: Vec<TopValue> = sqlx::query_as(
            "SELECT key, value, times_seen, first_seen, last_seen FROM ( \
               SELECT key, value, times_seen, first_seen, last_seen, \
                      row_number() OVER (PARTITION BY key ORDER BY times_seen DESC, value) AS rank \
               FROM issue_tag_values WHERE issue_id = $1) r \
             WHERE rank <= $2 ORDER BY key, rank",
        )
        .bind(issue_id)
        .bind(top_n)
        .fetch_all(self.pool())
        .await?;
        let mut by_key: HashMap<String, Vec<TagValueCount>> = HashMap::new();
        for (key, value, count, first_seen, last_seen) in tops {
            by_key.entry(key).or_default().push(TagValueCount {
                value,
                count,
                first_seen,
                last_seen,
            });
        }
        Ok(totals
            .into_iter()
            .map(|(key, total, distinct)| TagDistribution {
                top: by_key.remove(&key).unwrap_or_default(),
                key,
                total,
                distinct,
            })
            .collect())
    }

    /// The values of one tag of an issue, most frequent first, paginated by offset.
    pub async fn issue_tag_values(
        &self,
        issue_id: i64,
        key: &str,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<TagValueCount>> {
        self.fold_before_read(CountLog::Tags).await;
        Ok(sqlx::query_as(
            "SELECT value, times_seen AS count, first_seen, last_seen FROM issue_tag_values \
             WHERE issue_id = $1 AND key = $2 ORDER BY times_seen DESC, value OFFSET $3 LIMIT $4",
        )
        .bind(issue_id)
        .bind(key)
        .bind(offset.max(0))
        .bind(limit.clamp(1, 1000))
        .fetch_all(self.pool())
        .await?)
    }
}
