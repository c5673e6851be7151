-- Bets placed from accounts: an Idempotency-Key scoped to the account that sends it, an
-- account's bets listed without reading anyone else's, and the refusal of a stake the account
-- cannot cover. Never edit a migration once applied anywhere; add a new one.

-- Stop every bet-maker of the old version before starting one of this version
-- (docs/upgrading.md). The connection's timeouts are meant for requests, not this.
SET LOCAL statement_timeout = 0;
SET LOCAL lock_timeout = 0;

-- Until now one key named one bet in the whole book. From now on anonymous bets share one
-- scope and each account has its own: the same key from two accounts is two bets. Every bet
-- stored so far is anonymous, so the new anonymous index holds exactly what the old one did.
ALTER TABLE bets DROP CONSTRAINT bets_idempotency_key_unique;
CREATE UNIQUE INDEX bets_idempotency_key_unique ON bets (idempotency_key)
    WHERE account_id IS NULL;
CREATE UNIQUE INDEX bets_account_idempotency_key_unique ON bets (account_id, idempotency_key)
    WHERE account_id IS NOT NULL AND idempotency_key IS NOT NULL;

-- GET /bets of one account (its owner, or the operator's ?account_id=), newest first.
-- Partial: an anonymous bet costs no entry.
CREATE INDEX bets_account_seq_idx ON bets (account_id, seq) WHERE account_id IS NOT NULL;

-- Placing a bet is one statement that takes the event's liability and the account's stake
-- together. When the account cannot give the stake (too little available, or blocked) after
-- the liability was taken, the statement must leave nothing behind: it calls this, which
-- fails it as a broken constraint of that name, and the service says why.
CREATE FUNCTION refuse_unfunded_bet() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the account cannot give the stake: too little available, or blocked'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'accounts_stake_within_available';
END;
$$;
