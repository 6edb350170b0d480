-- Concurrent ingest writers each count into their own shard of the
-- per-project hourly counter, so that they never queue on one hot row.
-- Readers sum the shards.
ALTER TABLE project_hourly_counts ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE project_hourly_counts DROP CONSTRAINT project_hourly_counts_pkey;
ALTER TABLE project_hourly_counts ADD PRIMARY KEY (project_id, hour, shard);
