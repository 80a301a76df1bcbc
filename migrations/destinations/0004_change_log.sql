-- destinations database, schema version 0004: the change log user-service follows.
--
-- Every INSERT, UPDATE and DELETE of a destination writes one row here in the same
-- transaction, from a trigger, so no path (the API, psql, a restore script) can forget it.
-- seq is the cursor of GET /internal/v1/destinations/changes (oldest first); it only grows,
-- but may have gaps (a rolled-back write burns its number), so a reader never infers
-- "pruned" from a gap: destination_change_log_state.pruned_through says what was removed.
--
-- Commit order = sequence order: a writing statement first takes a transaction-level
-- advisory lock (destinations_log_lock, BEFORE each statement), so a second writer gets
-- its numbers only after the first has committed. Without it a reader could see seq N+1
-- committed while N is still in flight, move its cursor past N and never see N. Writes of
-- destinations (admin-only, rare) are serialized by this; a transaction of several
-- statements touching rows another such transaction holds may deadlock (PostgreSQL aborts
-- one; the API's writes are single statements).
--
-- Retention by age: after each write destination-service removes the changes older than
-- DEST_CHANGES_KEEP_SECONDS (default 7 days; destinations_store_prune), raising
-- pruned_through; a cursor older than pruned_through is answered 410 with the oldest
-- sequence kept, and the follower then reconciles in full. (Not by count of sequence
-- numbers: a rolled-back bulk insert burns numbers and would shrink what is kept.)

CREATE TABLE destination_change_log (
    seq            bigserial PRIMARY KEY,
    destination_id bigint NOT NULL,
    op             text NOT NULL
                   CONSTRAINT destination_change_log_op_check
                   CHECK (op IN ('create', 'update', 'delete')),
    at             timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE INDEX destination_change_log_at_idx ON destination_change_log (at);

COMMENT ON TABLE destination_change_log IS 'One row per create/update/delete of a destination, written by trigger; read by user-service''s feed follower.';

-- One row: the highest sequence pruning removed (0: nothing removed yet).
CREATE TABLE destination_change_log_state (
    one             boolean PRIMARY KEY DEFAULT true CONSTRAINT destination_change_log_state_one CHECK (one),
    pruned_through  bigint NOT NULL DEFAULT 0
);
INSERT INTO destination_change_log_state DEFAULT VALUES;

CREATE OR REPLACE FUNCTION public.destination_log_change()
RETURNS trigger
LANGUAGE plpgsql
AS $func$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO destination_change_log (destination_id, op) VALUES (OLD.id, 'delete');
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO destination_change_log (destination_id, op) VALUES (NEW.id, 'create');
    ELSE
        INSERT INTO destination_change_log (destination_id, op) VALUES (NEW.id, 'update');
    END IF;
    RETURN NULL;
END
$func$;

CREATE OR REPLACE FUNCTION public.destination_log_lock()
RETURNS trigger
LANGUAGE plpgsql
AS $func$
BEGIN
    PERFORM pg_advisory_xact_lock(7311440034);
    RETURN NULL;
END
$func$;

CREATE TRIGGER destinations_log_lock
    BEFORE INSERT OR UPDATE OR DELETE ON destinations
    FOR EACH STATEMENT EXECUTE FUNCTION public.destination_log_lock();

CREATE TRIGGER destinations_log_change
    AFTER INSERT OR UPDATE OR DELETE ON destinations
    FOR EACH ROW EXECUTE FUNCTION public.destination_log_change();
