//! Stored events: reads.

use chrono::{DateTime, Utc};
use sqlx::FromRow;
use uuid::Uuid;

use crate::{Database, Result};

/// A stored event's columns (the payload decoded on demand).
#[derive(Debug, Clone, FromRow)]
pub struct StoredEvent {
    pub id: i64,
    pub project_id: i64,
    pub event_id: Uuid,
    pub issue_id: i64,
    pub timestamp: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub level: i16,
    pub platform: Option<String>,
    pub release: Option<String>,
    pub environment: Option<String>,
    pub transaction: Option<String>,
    pub user_ident: Option<String>,
    pub title: String,
    pub payload: Vec<u8>,
}

impl StoredEvent {
    /// The normalised event JSON (see [`crate::payload`] for the forms
    /// the payload is kept in).
    pub fn data(&self) -> Result<serde_json::Value> {
        crate::payload::decode_payload(&self.payload)
    }

    /// Tags as `(key, value)` pairs, from the event's data (`tags` as
    /// normalisation stores it: `[[key, value], ...]`).
    pub fn tag_pairs(data: &serde_json::Value) -> Vec<(String, String)> {
        data.get("tags")
            .and_then(|t| serde_json::from_value(t.clone()).ok())
            .unwrap_or_default()
    }

    /// The event id as 32 hex characters.
    pub fn event_id_hex(&self) -> String {
        self.event_id.simple().to_string()
    }
}

const EVENT_COLUMNS: &str =
    "id, project_id, event_id, issue_id, timestamp, received_at, level, platform, release, \
     environment, transaction, user_ident, title, payload";

/// A position in an issue's event list (newest first): the row id of the
/// event a page starts after, and which way the page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventCursor {
    pub id: i64,
    /// `true`: the page before (newer events than `id`).
    pub backwards: bool,
}

impl EventCursor {
    /// Opaque text form `<id>:0:<0|1>`, the three-part shape Sentry's
    /// cursors have (1 = previous page).
    pub fn encode(&self) -> String {
        format!("{}:0:{}", self.id, u8::from(self.backwards))
    }

    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let id = parts.next()?.parse().ok()?;
        if parts.next()? != "0" {
            return None;
        }
        let backwards = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        parts.next().is_none().then_some(Self { id, backwards })
    }
}

/// One page of an issue's events (newest first) with cursors to its
/// neighbours; a cursor is `None` when there is no page that way.
#[derive(Debug, Clone)]
pub struct EventPage {
    pub events: Vec<StoredEvent>,
    pub next: Option<EventCursor>,
    pub previous: Option<EventCursor>,
}

/// Where an event sits among its issue's events (in arrival order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventNeighbours {
    pub oldest: Option<Uuid>,
    pub previous: Option<Uuid>,
    pub next: Option<Uuid>,
    pub latest: Option<Uuid>,
}

impl Database {
    /// An event of a project by its event id.
    pub async fn event_by_event_id(&self, project_id: i64, event_id: Uuid) -> Result<StoredEvent> {
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE project_id = $1 AND event_id = $2"
        ))
        .bind(project_id)
        .bind(event_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// The newest (`latest`) or first (`!latest`) event of an issue.
    pub async fn issue_edge_event(&self, issue_id: i64, latest: bool) -> Result<StoredEvent> {
        let order = if latest { "DESC" } else { "ASC" };
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = $1 ORDER BY id {order} LIMIT 1"
        ))
        .bind(issue_id)
        .fetch_one(self.pool())
        .await?)
    }

    /// A page of an issue's events, newest first, starting below `before_id`
    /// (the `id` of the last event of the previous page).
    pub async fn issue_events(
        &self,
        issue_id: i64,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<StoredEvent>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
        ))
        .bind(issue_id)
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 100))
        .fetch_all(self.pool())
        .await?)
    }

    /// A page of an issue's events, newest first, keyset-paginated both
    /// ways (the API's cursor pagination; [`Self::issue_events`] only goes
    /// forward).
    pub async fn issue_events_page(
        &self,
        issue_id: i64,
        cursor: Option<EventCursor>,
        limit: i64,
    ) -> Result<EventPage> {
        let limit = limit.clamp(1, 100);
        let backwards = cursor.is_some_and(|c| c.backwards);
        let (cmp, dir) = if backwards {
            (">", "ASC")
        } else {
            ("<", "DESC")
        };
        let mut rows: Vec<StoredEvent> = sqlx::query_as(&format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE issue_id = $1 AND ($2::int8 IS NULL OR id {cmp} $2) \
             ORDER BY id {dir} LIMIT $3"
        ))
        .bind(issue_id)
        .bind(cursor.map(|c| c.id))
        .bind(limit + 1)
        .fetch_all(self.pool())
        .await?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        // Going forward there is a next page if more rows exist and a
        // previous one if we came from a cursor; going back, the mirror image.
        let (has_next, has_prev) = if backwards {
            (true, more)
        } else {
            (more, cursor.is_some())
        };
        let next = has_next
            .then(|| rows.last())
            .flatten()
            .map(|e| EventCursor {
                id: e.id,
                backwards: false,
            });
        let previous = has_prev
            .then(|| rows.first())
            .flatten()
            .map(|e| EventCursor {
                id: e.id,
                backwards: true,
            });
        Ok(EventPage {
            events: rows,
            next,
            previous,
        })
    }

    /// Number of events stored for an issue.
    pub async fn issue_event_count(&self, issue_id: i64) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM events WHERE issue_id = $1")
                .bind(issue_id)
                .fetch_one(self.pool())
                .await?,
        )
    }

    /// Oldest, previous, next and latest event ids around `event` in its issue.
    pub async fn event_neighbours(&self, event: &StoredEvent) -> Result<EventNeighbours> {
        let row: (Option<Uuid>, Option<Uuid>, Option<Uuid>, Option<Uuid>) = sqlx::query_as(
            "SELECT \
               (SELECT event_id FROM events WHERE issue_id = $1 ORDER BY id ASC LIMIT 1), \
               (SELECT event_id FROM events WHERE issue_id = $1 AND id < $2 ORDER BY id DESC LIMIT 1), \
               (SELECT event_id FROM events WHERE issue_id = $1 AND id > $2 ORDER BY id ASC LIMIT 1), \
               (SELECT event_id FROM events WHERE issue_id = $1 ORDER BY id DESC LIMIT 1)",
        )
        .bind(event.issue_id)
        .bind(event.id)
        .fetch_one(self.pool())
        .await?;
        Ok(EventNeighbours {
            oldest: row.0,
            previous: row.1,
            next: row.2,
            latest: row.3,
        })
    }

    /// Attachments of an event: (id, filename, content type, size).
    pub async fn event_attachments(
        &self,
        project_id: i64,
        event_id: Uuid,
    ) -> Result<Vec<(i64, String, Option<String>, i64)>> {
        Ok(sqlx::query_as(
            "SELECT id, filename, content_type, size FROM event_attachments WHERE project_id = $1 AND event_id = $2 ORDER BY id",
        )
        .bind(project_id)
        .bind(event_id)
        .fetch_all(self.pool())
        .await?)
    }

    /// User reports about an event.
    pub async fn event_user_reports(
        &self,
        project_id: i64,
        event_id: Uuid,
    ) -> Result<Vec<(Option<String>, Option<String>, String, DateTime<Utc>)>> {
        Ok(sqlx::query_as(
            "SELECT name, email, comments, created_at FROM user_reports WHERE project_id = $1 AND event_id = $2 ORDER BY id",
        )
        .bind(project_id)
        .bind(event_id)
        .fetch_all(self.pool())
        .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_cursors_round_trip() {
        let c = EventCursor {
            id: 42,
            backwards: true,
        };
        assert_eq!(c.encode(), "42:0:1");
        assert_eq!(EventCursor::decode(&c.encode()), Some(c));
        assert_eq!(EventCursor::decode("42:1:0"), None);
        assert_eq!(EventCursor::decode("42:0"), None);
        assert_eq!(EventCursor::decode("x:0:0"), None);
        assert_eq!(EventCursor::decode("1:0:0:0"), None);
    }
}
