-- Search reads a stored key instead of computing lower(unaccent(name)) for every candidate
-- row twice (once to filter, once to rank): measured 2x faster on broad searches over 100 000
-- rows (docs/performance.md). The trigram index keeps its name and moves to the column.
-- Note: adding a stored generated column rewrites the table under an exclusive lock; on a
-- large production table run this in a maintenance window.
ALTER TABLE destinations
    ADD COLUMN search_key text GENERATED ALWAYS AS (public.dest_search_key(name)) STORED;

DROP INDEX destinations_name_trgm_idx;
CREATE INDEX destinations_name_trgm_idx ON destinations USING gin (search_key gin_trgm_ops);
