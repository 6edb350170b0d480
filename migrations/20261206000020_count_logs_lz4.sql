-- Ingest speed (issue 9). A batch's row in each count log is a few arrays
-- of 10-25 KB in all, over the 2 KB at which PostgreSQL compresses a row's
-- values before storing it. With the default method (pglz) that was 1.2 %
-- of the machine's CPU at concurrency 1,000 (`pglz_compress`, the largest
-- item in PostgreSQL's own profile); lz4 compresses these arrays several
-- times faster, and the fold reads them back faster too. A row lives
-- about a second, so how small it gets matters little.
--
-- PostgreSQL built without lz4 (or before 14) keeps pglz: the logs work
-- the same either way.
DO $$
BEGIN
    ALTER TABLE issue_tag_count_log
        ALTER COLUMN issue_ids SET COMPRESSION lz4,
        ALTER COLUMN keys SET COMPRESSION lz4,
        ALTER COLUMN vals SET COMPRESSION lz4,
        ALTER COLUMN counts SET COMPRESSION lz4,
        ALTER COLUMN first_seen SET COMPRESSION lz4,
        ALTER COLUMN last_seen SET COMPRESSION lz4;
    ALTER TABLE issue_count_log
        ALTER COLUMN issue_ids SET COMPRESSION lz4,
        ALTER COLUMN counts SET COMPRESSION lz4,
        ALTER COLUMN new_users SET COMPRESSION lz4,
        ALTER COLUMN first_seen SET COMPRESSION lz4,
        ALTER COLUMN last_seen SET COMPRESSION lz4,
        ALTER COLUMN levels SET COMPRESSION lz4,
        ALTER COLUMN first_releases SET COMPRESSION lz4,
        ALTER COLUMN last_releases SET COMPRESSION lz4,
        ALTER COLUMN titles SET COMPRESSION lz4,
        ALTER COLUMN culprits SET COMPRESSION lz4,
        ALTER COLUMN metadata SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    RAISE NOTICE 'the count logs keep pglz: %', SQLERRM;
END
$$;
