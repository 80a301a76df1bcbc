-- users database, schema version 0002: where user-service's change-feed follower is.
--
-- One row: the sequence of destination-service's change log (GET
-- /internal/v1/destinations/changes) up to which every change has been applied to this
-- database. The follower advances it in the same transaction that marks the reviews and
-- plan stops of deleted destinations destination_missing, so each change is applied
-- exactly once, whatever restarts or how many replicas follow. No row: the follower has
-- never run; it reconciles in full once and then creates the row.

CREATE TABLE dest_feed_cursor (
    one        boolean PRIMARY KEY DEFAULT true CONSTRAINT dest_feed_cursor_one CHECK (one),
    after_seq  bigint NOT NULL CONSTRAINT dest_feed_cursor_after_seq_check CHECK (after_seq >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE dest_feed_cursor IS 'The destination change feed cursor of user-service (docs/resilience.md).';
