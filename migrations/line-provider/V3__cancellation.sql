-- A fourth status, `cancelled` (abandoned, postponed for good: bets on it are void), and the
-- operator's reason for a final status. Adding both to existing rows changes nothing they say:
-- every stored event keeps its status, and has no reason.
-- The connection's timeouts are meant for requests: a large table must not make this fail.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;
ALTER TABLE events DROP CONSTRAINT events_status_known;
ALTER TABLE events ADD CONSTRAINT events_status_known
    CHECK (status IN ('new', 'finished_win', 'finished_lose', 'cancelled'));

-- 1–500 characters, as the API accepts (the length in characters, not bytes).
ALTER TABLE events ADD COLUMN reason text
    CONSTRAINT events_reason_length CHECK (char_length(reason) BETWEEN 1 AND 500);

-- Its message: `event.cancelled`.
ALTER TABLE outbox DROP CONSTRAINT outbox_routing_key_known;
ALTER TABLE outbox ADD CONSTRAINT outbox_routing_key_known
    CHECK (routing_key IN ('event.created', 'event.updated', 'event.finished', 'event.cancelled'));
