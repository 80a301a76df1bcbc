-- destinations database, schema version 0002: one destination per name and place.
--
-- Creating the same destination twice (a retried POST, two admins at once) must answer
-- 409, not leave two rows; only PostgreSQL can see both writers, so a unique index decides.
-- The name is compared by its search key (no accents, lower case: "Hà Nội" and "HA NOI"
-- are the same name), the coordinates exactly. Places that share a name elsewhere (two
-- "Central Market"s) and different places at one point (a museum and its café) both stay
-- allowed. The API answers 409 when this index refuses an INSERT or UPDATE.

CREATE UNIQUE INDEX destinations_name_position_key
    ON destinations (public.dest_search_key(name), latitude, longitude);
