-- Ingest speed (issue 9). Upserting every (issue, tag, value) counter in
-- every batch cost ~105 µs of PostgreSQL time per event at concurrency 64:
-- with 100 issues, a batch of ~31 events touches ~27 issues and almost
-- every counter row once, so nothing adds up inside a batch. A batch now
-- appends its counts to this log instead, as one row of parallel arrays
-- (one heap tuple per batch, no index), in the same transaction as its
-- events; the log is folded into `issue_tag_values` about once a second
-- and before anything reads the counters (see
-- `crates/storage/src/write/tag_counts.rs`). The log is durable like the
-- events: a crash loses no count, the next fold adds it.
--
-- The `user` tag stays a direct upsert: a new user must be known at once
-- (issues.users_seen, "muted until N users").
CREATE TABLE issue_tag_count_log (
    issue_ids  BIGINT[] NOT NULL,
    keys       TEXT[] NOT NULL,
    vals       TEXT[] NOT NULL,
    counts     BIGINT[] NOT NULL,
    first_seen TIMESTAMPTZ[] NOT NULL,
    last_seen  TIMESTAMPTZ[] NOT NULL
);
