-- What each account bet's wallet took moves out of `bets` into a narrow table of its own, the
-- rows every money movement updates get room to be updated in place, and whether an event is
-- due for payment becomes a column the planner can count. Never edit a migration once applied
-- anywhere; add a new one.

-- Stop every bet-maker of the old version before starting one of this version
-- (docs/upgrading.md). The connection's timeouts are meant for requests, not this.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;

-- The result an account bet's wallet took, and when (no row: none yet). Before, a payout
-- updated the bet's own row, a new version of a wide row with an entry in each of the bets'
-- eight indexes; a row here has one. It has no foreign key: rows are written only for bets
-- the writing statement holds locked, and a check per row would cost a payout a tenth more.
CREATE TABLE paid_bets (
    bet_id  uuid        PRIMARY KEY,
    result  text        NOT NULL
                        CONSTRAINT paid_bets_result_final
                        CHECK (result IN ('finished_win', 'finished_lose', 'cancelled')),
    paid_at timestamptz NOT NULL
);
-- Bets locked first: an older bet-maker still paying while the copy ran would write a result
-- into a column about to be dropped, after the copy's snapshot, and the bet be paid again.
LOCK TABLE bets IN EXCLUSIVE MODE;
INSERT INTO paid_bets (bet_id, result, paid_at)
SELECT id, paid_result, paid_at FROM bets WHERE paid_result IS NOT NULL;
ALTER TABLE bets DROP CONSTRAINT bets_paid_only_with_an_account;
ALTER TABLE bets DROP CONSTRAINT bets_paid_result_final;
ALTER TABLE bets DROP COLUMN paid_result, DROP COLUMN paid_at;

-- Every stake and every payout updates its account's row, and every movement a row of the
-- totals: with room on the page, the new version stays there (a HOT update, no new index
-- entry). Pages written from now on keep it; `VACUUM FULL accounts, ledger_totals` gives it
-- to the pages already written (docs/upgrading.md).
ALTER TABLE accounts SET (fillfactor = 50);
ALTER TABLE ledger_totals SET (fillfactor = 10);

-- Whether some wallet has not taken the event's current result, as a column of its own: the
-- planner cannot estimate a comparison of two columns, guessed it true for nearly every event
-- and scanned them all (65 ms over 17 000 events) each time it looked for the few due, where
-- ANALYZE now counts them and their index is read. Rewrites `events` (one pass over it).
DROP INDEX events_due_idx;
ALTER TABLE events ADD COLUMN due boolean NOT NULL
    GENERATED ALWAYS AS (status <> 'new' AND paid_version IS DISTINCT FROM version) STORED;
CREATE INDEX events_due_idx ON events (id) WHERE due;
