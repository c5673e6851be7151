-- A fourth event status, `cancelled`: its bets are `void` (the join of V3 reads them so), and
-- its `settled_at` is when bet-maker applied the cancellation, as for a result. Existing rows
-- keep their status; nothing else changes.
-- The connection's timeouts are meant for requests: a large table must not make this fail.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;
ALTER TABLE events DROP CONSTRAINT events_status_known;
ALTER TABLE events ADD CONSTRAINT events_status_known
    CHECK (status IN ('new', 'finished_win', 'finished_lose', 'cancelled'));
