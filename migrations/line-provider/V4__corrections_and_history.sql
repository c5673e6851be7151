-- Result corrections (`event.corrected`), and every version of every event, oldest first, for
-- GET /events/{id}/history. A version is written in the same statement as the change it
-- records, so the history never misses or invents one.
-- The connection's timeouts are meant for requests: a large table must not make this fail.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;
ALTER TABLE outbox DROP CONSTRAINT outbox_routing_key_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_routing_key_known
    CHECK (routing_key IN ('event.created', 'event.updated', 'event.finished', 'event.cancelled',
                           'event.corrected'));

CREATE TABLE event_versions (
    event_id    text          NOT NULL,
    version     bigint        NOT NULL,
    status      text          NOT NULL,
    coefficient numeric(7, 2) NOT NULL,
    deadline    timestamptz   NOT NULL,
    reason      text,
    changed_at  timestamptz   NOT NULL,
    PRIMARY KEY (event_id, version)
);

-- Events that existed before: their current version is the first one their history knows
-- (the versions before it were not kept).
INSERT INTO event_versions (event_id, version, status, coefficient, deadline, reason, changed_at)
SELECT id, version, status, coefficient, deadline, reason, updated_at FROM events;
