-- Limits per event, which bet-maker enforces: the smallest and the largest stake it takes and
-- the most the book may lose on it, each optional (NULL: no limit). Every stored event gets
-- none, so it reads as before; its history records the limits of each version from now on.
-- A message's schema version is stored with it, since it now depends on the event (3 when
-- the event has a limit) and not only on the routing key.
-- The connection's timeouts are meant for requests: a large table must not make this fail.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;

-- Money, as the API accepts it: greater than zero, at most 1 000 000 000.00, two decimals.
ALTER TABLE events
    ADD COLUMN min_stake numeric(12, 2)
        CONSTRAINT events_min_stake_range CHECK (min_stake > 0 AND min_stake <= 1000000000),
    ADD COLUMN max_stake numeric(12, 2)
        CONSTRAINT events_max_stake_range CHECK (max_stake > 0 AND max_stake <= 1000000000),
    ADD COLUMN max_liability numeric(12, 2)
        CONSTRAINT events_max_liability_range
        CHECK (max_liability > 0 AND max_liability <= 1000000000),
    -- Holds when either is NULL.
    ADD CONSTRAINT events_stakes_ordered CHECK (min_stake <= max_stake);

-- The limits of each version, as the event had them (checked there); NULL for the versions
-- written before this migration, which had none.
ALTER TABLE event_versions
    ADD COLUMN min_stake     numeric(12, 2),
    ADD COLUMN max_stake     numeric(12, 2),
    ADD COLUMN max_liability numeric(12, 2);

-- The AMQP header `schema-version` of the message. NULL in a row written by a line-provider
-- from before this migration (during a rolling upgrade): the relay then sends the version its
-- routing key implies, as that line-provider did.
ALTER TABLE outbox ADD COLUMN schema_version integer
    CONSTRAINT outbox_schema_version_positive CHECK (schema_version >= 1);
