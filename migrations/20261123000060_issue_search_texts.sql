-- Ingest speed: every stored event updates its issue's counters, and an
-- update of an indexed column writes a new entry into every index of the
-- table. The trigram index over title and culprit made that the most
-- expensive statement of the write path (measured: 150 µs of PostgreSQL
-- time per event with it, 55 µs without). The search text therefore moves
-- to its own table, written only when a title or culprit changes.
CREATE TABLE issue_search_texts (
    issue_id BIGINT PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
    text     TEXT NOT NULL
);
INSERT INTO issue_search_texts (issue_id, text)
SELECT id, title || ' ' || culprit FROM issues;

DROP INDEX IF EXISTS issues_text_trgm;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        CREATE INDEX issue_search_texts_trgm ON issue_search_texts USING gin (text gin_trgm_ops);
    END IF;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'trigram index not created (%): free-text issue search will scan', SQLERRM;
END
$$;

-- Tag counters change on every event but none of their indexed columns
-- do: free space in each page lets those updates stay on the page (HOT)
-- without touching the indexes.
ALTER TABLE issue_tag_values SET (fillfactor = 70);

-- Compressed event payloads are mostly 2 to 6 KB: keep them in the row
-- instead of the TOAST table (one heap and one index write fewer per event).
ALTER TABLE events SET (toast_tuple_target = 8160);
