-- Searches of the issue list that stay fast at 100,000+ issues (see
-- docs/benchmarks.md).

-- Tag filters (`browser.name:Firefox`, `user.email:x`, environment and
-- release filters): a rare value is found from the tag side instead of by
-- probing every issue of the project.
CREATE INDEX issue_tag_values_key_value ON issue_tag_values (key, value, issue_id);

-- Free text (`(title || ' ' || culprit) ILIKE '%word%'`) through one
-- trigram index. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension, but a server may lack it or refuse it: then searches scan,
-- slower but correct, and Moth still starts.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): free-text issue search will scan', SQLERRM;
END
$$;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX issues_text_trgm ON issues USING gin ((title || ' ' || culprit) gin_trgm_ops);
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'trigram index not created (%): free-text issue search will scan', SQLERRM;
END
$$;
