-- Alert destinations (chat and generic webhooks) per project, and one
-- delivery row per message the alerts worker owes a destination.

CREATE TABLE alert_destinations (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id           BIGINT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL CHECK (name <> ''),
    kind                 TEXT NOT NULL
                         CHECK (kind IN ('slack', 'discord', 'mattermost', 'teams', 'webhook')),
    url                  TEXT NOT NULL CHECK (url ~ '^https?://'),
    -- Key of the generic webhook's HMAC-SHA256 signature (hex).
    secret               TEXT NOT NULL,
    triggers             TEXT[] NOT NULL
                         CHECK (triggers <@ ARRAY['new', 'regression', 'unmuted']::text[]),
    -- "More than threshold_events events in threshold_minutes minutes" per issue.
    threshold_events     INT CHECK (threshold_events > 0),
    threshold_minutes    INT CHECK (threshold_minutes BETWEEN 1 AND 1440),
    enabled              BOOLEAN NOT NULL DEFAULT true,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Rate limit: messages claimed in the minute that began at rate_window_start.
    rate_window_start    TIMESTAMPTZ NOT NULL DEFAULT now(),
    rate_window_sent     INT NOT NULL DEFAULT 0,
    threshold_checked_at TIMESTAMPTZ,
    -- What the settings page shows about recent sends.
    last_success_at      TIMESTAMPTZ,
    last_failure_at      TIMESTAMPTZ,
    last_failure_status  INT,
    last_failure_error   TEXT,
    CHECK ((threshold_events IS NULL) = (threshold_minutes IS NULL)),
    CHECK (cardinality(triggers) > 0 OR threshold_events IS NOT NULL)
);
CREATE INDEX alert_destinations_project ON alert_destinations (project_id);

-- A message owed to a destination. `dedup_key` makes it exactly one per
-- signal: `outbox:<alert_outbox.id>`, `threshold:<issue>:<unix time>`,
-- `digest:<first member id>`. Rows of new issues folded into a digest point
-- at it (state `digested`).
CREATE TABLE alert_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    destination_id  BIGINT NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
    dedup_key       TEXT NOT NULL,
    trigger         TEXT NOT NULL
                    CHECK (trigger IN ('new', 'regression', 'unmuted', 'threshold', 'digest')),
    issue_id        BIGINT REFERENCES issues (id) ON DELETE CASCADE,
    event_id        UUID,
    -- Threshold: the rule and the count observed.
    detail          JSONB NOT NULL DEFAULT '{}',
    state           TEXT NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sending', 'delivered', 'failed', 'digested', 'cancelled')),
    digest_id       BIGINT REFERENCES alert_deliveries (id) ON DELETE SET NULL,
    attempts        INT NOT NULL DEFAULT 0,
    -- Pending: when it may be sent. Sending: when the claim lapses and
    -- another worker may take it over (sooner if its claimer is gone).
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Sending: the advisory-lock key of the worker that claimed it.
    claimed_by      INT,
    last_attempt_at TIMESTAMPTZ,
    last_status     INT,
    last_error      TEXT,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at    TIMESTAMPTZ,
    UNIQUE (destination_id, dedup_key)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at)
    WHERE state IN ('pending', 'sending');
CREATE INDEX alert_deliveries_destination ON alert_deliveries (destination_id, id);
CREATE INDEX alert_deliveries_digest ON alert_deliveries (digest_id) WHERE digest_id IS NOT NULL;
CREATE INDEX alert_deliveries_issue ON alert_deliveries (issue_id, destination_id);
