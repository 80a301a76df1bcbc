-- users database, schema version 0003: the language of each assistant message.
--
-- "en" or "vi": the language the assistant answered the exchange in (its reply's language,
-- and the user's message's as the assistant read it: an ambiguous "ok" takes the
-- conversation's). Rows written before this version were all answered in English or did
-- not record it; they read "en".

ALTER TABLE messages
    ADD COLUMN language text NOT NULL DEFAULT 'en'
        CONSTRAINT messages_language_check CHECK (language IN ('en', 'vi'));

COMMENT ON COLUMN messages.language IS 'en | vi: the language of the exchange (docs/assistant.md).';
