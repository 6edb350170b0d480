-- What the write pipeline maintains beside events: per-issue counters, tag
-- distributions, releases, the activity log, the alert outbox, attachments,
-- user reports and counts of dropped items.

-- Distinct values per tag per issue ("browser: Chrome 62%"). The `user` tag
-- doubles as the set of distinct users affected.
CREATE TABLE issue_tag_values (
    issue_id   BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    times_seen BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (issue_id, key, value)
);

-- Events per issue per hour, for charts and sparklines.
CREATE TABLE issue_hourly_counts (
    issue_id BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    hour     TIMESTAMPTZ NOT NULL,
    count    BIGINT NOT NULL,
    PRIMARY KEY (issue_id, hour)
);

-- Events per project per hour (projects page sparkline without scanning issues).
CREATE TABLE project_hourly_counts (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    hour       TIMESTAMPTZ NOT NULL,
    count      BIGINT NOT NULL,
    PRIMARY KEY (project_id, hour)
);

-- Releases seen per project; first_seen orders them for "resolved in next
-- release" when versions do not compare as semver.
CREATE TABLE releases (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    version    TEXT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, version)
);

-- Who did what to an issue, and what happened to it by itself.
CREATE TABLE issue_activity (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    issue_id   BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    user_id    BIGINT REFERENCES users (id) ON DELETE SET NULL,
    data       JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX issue_activity_issue_id ON issue_activity (issue_id, id DESC);

-- Signals for the alerts worker, written in the same transaction as the
-- event that caused them.
CREATE TABLE alert_outbox (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id    BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    issue_id      BIGINT NOT NULL REFERENCES issues (id) ON DELETE CASCADE,
    trigger       TEXT NOT NULL CHECK (trigger IN ('new', 'regression', 'unmuted')),
    event_id      UUID,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    dispatched_at TIMESTAMPTZ
);
CREATE INDEX alert_outbox_pending ON alert_outbox (id) WHERE dispatched_at IS NULL;

CREATE TABLE event_attachments (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id      BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    event_id        UUID NOT NULL,
    filename        TEXT NOT NULL,
    content_type    TEXT,
    attachment_type TEXT NOT NULL DEFAULT 'event.attachment',
    size            BIGINT NOT NULL,
    data            BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX event_attachments_event ON event_attachments (project_id, event_id);

CREATE TABLE user_reports (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    event_id   UUID,
    name       TEXT,
    email      TEXT,
    comments   TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX user_reports_event ON user_reports (project_id, event_id);

-- Items Moth accepted but did not store, by reason (bad item, unsupported
-- type, over a limit...), per project.
CREATE TABLE ingest_drops (
    project_id BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    reason     TEXT NOT NULL,
    item_type  TEXT NOT NULL,
    count      BIGINT NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (project_id, reason, item_type)
);
