-- The book's controls: limits per event (from line-provider's messages), the price a bettor
-- consented to, and each event's exposure kept as running sums.
--
-- Every change here is to the catalog or to the small tables, except one pass over `bets`
-- to sum each event's stakes and payouts (about 0.3 s per million bets on a 2-core machine).
-- Stop every bet-maker of the old version before starting one of this version (README,
-- "Upgrading"). The connection's timeouts are meant for requests, not this.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;

-- The limits as line-provider sets them; null: no limit.
ALTER TABLE events
    ADD COLUMN min_stake     numeric(12, 2)
        CONSTRAINT events_min_stake_range CHECK (min_stake > 0 AND min_stake <= 1000000000),
    ADD COLUMN max_stake     numeric(12, 2)
        CONSTRAINT events_max_stake_range CHECK (max_stake > 0 AND max_stake <= 1000000000),
    ADD COLUMN max_liability numeric(12, 2)
        CONSTRAINT events_max_liability_range
            CHECK (max_liability > 0 AND max_liability <= 1000000000),
    ADD CONSTRAINT events_stakes_ordered CHECK (min_stake <= max_stake);

-- What the bettor agreed to when placing the bet (null: they sent no `coefficient`): an
-- Idempotency-Key's second request is the same bet only when it agreed to the same.
ALTER TABLE bets
    ADD COLUMN accept_odds          text
        CONSTRAINT bets_accept_odds_known CHECK (accept_odds IN ('exact', 'higher', 'any')),
    ADD COLUMN accepted_coefficient numeric(7, 2);

-- Each stripe of an event's tally now also sums its bets' stakes and what they pay if the
-- event is won, so exposure is read from at most 16 rows however many bets there are. Under a
-- liability limit a stripe also holds a budget: the part of the limit its bets may take
-- (`payout - stake` is the liability of its bets). The budgets of an event never add up to
-- more than its limit, and the check below keeps each stripe within its own, so bets on
-- different stripes never wait for each other and together never exceed the limit.
ALTER TABLE event_tallies
    ADD COLUMN stake  numeric NOT NULL DEFAULT 0,
    ADD COLUMN payout numeric NOT NULL DEFAULT 0,
    ADD COLUMN budget numeric,
    ADD CONSTRAINT event_tallies_within_budget CHECK (budget IS NULL OR payout - stake <= budget),
    -- An event under a limit has all 16 stripes from the start, some without bets yet.
    DROP CONSTRAINT event_tallies_bets_positive,
    ADD CONSTRAINT event_tallies_bets_counted CHECK (bets >= 0);

-- Today's sums, written to each event's lowest stripe (an event's exposure is the sum of its
-- stripes; how bets were spread over them does not matter).
UPDATE event_tallies AS tally
SET stake = totals.stake, payout = totals.payout
FROM (
    SELECT event_id, sum(amount) AS stake, sum(amount * coefficient) AS payout
    FROM bets GROUP BY event_id
) AS totals
WHERE tally.event_id = totals.event_id
  AND tally.stripe = (SELECT min(stripe) FROM event_tallies WHERE event_id = totals.event_id);
