-- Accounts: the first-run setup link, sign-in attempts (for throttling),
-- the audit log, and indexes for session expiry.

-- One-time links that create the first admin. Only the SHA-256 of the token
-- is kept; every token dies as soon as any user exists.
CREATE TABLE setup_tokens (
    token_hash BYTEA PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Every sign-in attempt, kept long enough for the throttling windows and for
-- "this address has signed in to this account before" (30 days).
-- `email` is what was typed, lowercased, whether or not such a user exists.
CREATE TABLE login_attempts (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        TEXT NOT NULL,
    client_addr  TEXT NOT NULL,
    succeeded    BOOLEAN NOT NULL,
    attempted_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_email ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_addr ON login_attempts (client_addr, attempted_at);
CREATE INDEX login_attempts_at ON login_attempts (attempted_at);

-- Who did what to accounts and access. Emails are copied so that entries
-- stay readable after a user is removed.
CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    action         TEXT NOT NULL,
    actor_user_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_email    TEXT,
    target_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    target_email   TEXT,
    project_id     BIGINT REFERENCES projects (id) ON DELETE SET NULL,
    details        JSONB NOT NULL DEFAULT '{}',
    client_addr    TEXT
);
CREATE INDEX audit_log_created ON audit_log (id DESC);

-- Expired sessions are swept by absolute and idle expiry.
CREATE INDEX sessions_expires_at ON sessions (expires_at);
CREATE INDEX sessions_last_seen_at ON sessions (last_seen_at);
