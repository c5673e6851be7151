-- Results taken into wallets: each account bet records the result its wallet took, each event
-- whether every wallet took its current result, and the payout worker its progress per event.
-- Never edit a migration once applied anywhere; add a new one.

-- Stop every bet-maker of the old version before starting one of this version
-- (docs/upgrading.md). The connection's timeouts are meant for requests, not this.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;

-- The event status whose money the bet's wallet took (null: none yet). It differs from the
-- event's status until the wallet took the current result; the difference is what is posted.
-- The constraint holds for every bet written from now on (NOT VALID: no scan of the stored
-- bets, which are all null).
ALTER TABLE bets ADD COLUMN paid_result text;
ALTER TABLE bets ADD CONSTRAINT bets_paid_result_final
    CHECK (paid_result IN ('finished_win', 'finished_lose', 'cancelled')) NOT VALID;
-- The worker pays an event's account bets in `seq` order, a chunk at a time.
CREATE INDEX bets_account_bets_by_event_idx ON bets (event_id, seq) WHERE account_id IS NOT NULL;

-- The version of the event whose result every wallet of its bets took (null: none). An event is
-- due while a final status has a version not paid: a first result, and every correction (even
-- one back to an earlier result), starts a payout of its own from the first bet.
ALTER TABLE events ADD COLUMN paid_version bigint;
CREATE INDEX events_due_idx ON events (id) WHERE status <> 'new' AND paid_version IS DISTINCT FROM version;
-- Every event already final without an account bet owes nothing.
UPDATE events e SET paid_version = version
WHERE status <> 'new'
  AND NOT EXISTS (SELECT FROM bets b WHERE b.event_id = e.id AND b.account_id IS NOT NULL);

-- The worker's place in each due event: the version it is paying, the last bet paid for it,
-- and its turn (the event with the lowest turn goes next, then to the back of the line). The
-- row goes when the event is paid.
CREATE TABLE payouts (
    event_id  text   PRIMARY KEY CONSTRAINT payouts_event_fk REFERENCES events (id),
    version   bigint NOT NULL,
    after_seq bigint NOT NULL DEFAULT 0,
    turn      bigint NOT NULL
);
CREATE SEQUENCE payout_turns;

-- What a result does to a wallet: the legs of a bet of `amount` at `coefficient` whose event
-- has `result` (null: nothing). A win pays stake × odds, rounded down to the cent.
CREATE FUNCTION wallet_legs(result text, amount numeric, coefficient numeric,
                            OUT available numeric, OUT held numeric, OUT book numeric)
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE result WHEN 'finished_win' THEN trunc(amount * coefficient, 2)
                       WHEN 'cancelled' THEN amount ELSE 0 END,
           CASE WHEN result IS NULL THEN 0 ELSE -amount END,
           CASE result WHEN 'finished_win' THEN amount - trunc(amount * coefficient, 2)
                       WHEN 'finished_lose' THEN amount ELSE 0 END
$$;

-- Payouts add to 16 stripes of the totals of their own (16–31), chosen by connection, so that
-- a chunk of many accounts never waits for, nor holds up, the stripes bets and transfers take.
ALTER TABLE ledger_totals DROP CONSTRAINT ledger_totals_stripe_range;
ALTER TABLE ledger_totals ADD CONSTRAINT ledger_totals_stripe_range CHECK (stripe BETWEEN 0 AND 31);
INSERT INTO ledger_totals (stripe) SELECT generate_series(16, 31);

-- A bettor's own bets on the events still due, for taking their results on touch.
CREATE INDEX bets_account_event_idx ON bets (account_id, event_id) WHERE account_id IS NOT NULL;

-- How many account bets each event has (per stripe, as `bets`), and how many of an event's
-- account bets took each result (per stripe of the payer's connection, +1 for the result a
-- bet took, −1 for the one it took before): an event's unpaid bets are the first minus the
-- second for its current result, read from at most 64 rows however many bets it has.
ALTER TABLE event_tallies ADD COLUMN account_bets bigint NOT NULL DEFAULT 0;
-- The account bets placed before this migration, each event's in its lowest stripe.
UPDATE event_tallies t SET account_bets = counted.bets
FROM (SELECT event_id, count(*) AS bets FROM bets WHERE account_id IS NOT NULL GROUP BY event_id)
     AS counted
WHERE t.event_id = counted.event_id
  AND t.stripe = (SELECT min(stripe) FROM event_tallies s WHERE s.event_id = counted.event_id);
CREATE TABLE paid_counts (
    event_id text     NOT NULL CONSTRAINT paid_counts_event_fk REFERENCES events (id),
    result   text     NOT NULL,
    stripe   smallint NOT NULL,
    bets     bigint   NOT NULL,
    PRIMARY KEY (event_id, result, stripe)
);
