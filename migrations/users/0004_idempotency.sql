-- users database, schema version 0004: Idempotency-Key (docs/api.md, "Idempotency-Key").
--
-- One row per (user, route, key) of a creating POST that carried the header: the SHA-256 of
-- method, path and body, and once answered the answer (status, Content-Type, Location, body
-- up to 64 KiB). status NULL: the first request is still running. Rows older than 24 h are
-- deleted by user-service (a bounded DELETE at most once a minute per process), and go with
-- their user.

CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    route        text NOT NULL CONSTRAINT idempotency_keys_route_check CHECK (char_length(route) <= 200),
    key          text NOT NULL
                 CONSTRAINT idempotency_keys_key_check CHECK (key ~ '^[!-~]{1,255}$'),
    request_hash text NOT NULL CONSTRAINT idempotency_keys_hash_check CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    status       smallint CONSTRAINT idempotency_keys_status_check CHECK (status BETWEEN 100 AND 599),
    content_type text,
    location     text,
    body         text CONSTRAINT idempotency_keys_body_check CHECK (octet_length(body) <= 65536),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, route, key)
);

CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);

COMMENT ON TABLE idempotency_keys IS 'Idempotency-Key of creating POSTs: first answers replayed for 24 h.';
