-- Ingest speed (issue 9). Every batch used to update each issue it touched
-- (times_seen, users_seen, last_seen, title...). Those counters are in the
-- issue list's sort indexes, so none of these updates could be HOT: each
-- wrote a new row version into all seven indexes of `issues` (~1.6 ms of
-- PostgreSQL per batch at concurrency 1,000, a third of its statement
-- time, and the indexes bloated between vacuums). A batch now appends
-- what it adds to its issues to this log, one row of parallel arrays per
-- batch (one heap tuple, no index), in the same transaction as its events;
-- the log is folded into `issues` about once a second and before anything
-- reads the counters (see `crates/storage/src/write/issue_counts.rs`).
-- Durable like the events: a crash loses no count, the next fold adds it.
--
-- State changes (regressions, mutes ending) are still written by the batch
-- itself, as they must be seen at once.
CREATE TABLE issue_count_log (
    issue_ids      BIGINT[] NOT NULL,
    counts         BIGINT[] NOT NULL,
    new_users      BIGINT[] NOT NULL,
    first_seen     TIMESTAMPTZ[] NOT NULL,
    last_seen      TIMESTAMPTZ[] NOT NULL,
    levels         SMALLINT[] NOT NULL,
    first_releases TEXT[] NOT NULL,
    last_releases  TEXT[] NOT NULL,
    -- Title, culprit and metadata of each issue's latest event in the batch.
    titles         TEXT[] NOT NULL,
    culprits       TEXT[] NOT NULL,
    metadata       JSONB[] NOT NULL
);
