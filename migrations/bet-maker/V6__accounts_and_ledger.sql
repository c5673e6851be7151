-- Bettors' accounts and the book's money: a double-entry ledger.
-- Never edit a migration once applied anywhere; add a new one.

CREATE TABLE accounts (
    id          uuid          PRIMARY KEY,
    name        text          NOT NULL
                              CONSTRAINT accounts_name_length CHECK (char_length(name) BETWEEN 1 AND 64),
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash  bytea         NOT NULL CONSTRAINT accounts_token_hash_unique UNIQUE
                              CONSTRAINT accounts_token_hash_length CHECK (octet_length(token_hash) = 32),
    -- What the bettor may stake or withdraw. Below zero only after a correction took back
    -- more than it held. 18 digits before the point: a billion deposits of the largest amount.
    available   numeric(20, 2) NOT NULL DEFAULT 0,
    -- Stakes of bets whose result the wallet has not taken yet.
    held        numeric(20, 2) NOT NULL DEFAULT 0 CONSTRAINT accounts_held_not_negative CHECK (held >= 0),
    blocked     boolean       NOT NULL DEFAULT false,
    created_at  timestamptz   NOT NULL DEFAULT now(),
    -- Which stripe of ledger_totals the account's movements add to.
    stripe      smallint      NOT NULL CONSTRAINT accounts_stripe_range CHECK (stripe BETWEEN 0 AND 15)
);

-- Every money movement, one row each, never updated or deleted. Its legs are what it does to
-- the four kinds of balance: the bettor's available and held, the book's result, and the
-- money outside the book (deposits bring it in, withdrawals take it out). They sum to zero,
-- which the database refuses to let any row break.
CREATE TABLE ledger (
    id              bigint        GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id      uuid          NOT NULL CONSTRAINT ledger_account_fk REFERENCES accounts (id),
    kind            text          NOT NULL
                                  CONSTRAINT ledger_kind_known
                                  CHECK (kind IN ('deposit', 'withdrawal', 'stake', 'won', 'lost', 'void', 'correction')),
    available_leg   numeric(20, 2) NOT NULL,
    held_leg        numeric(20, 2) NOT NULL,
    book_leg        numeric(20, 2) NOT NULL,
    outside_leg     numeric(20, 2) NOT NULL,
    -- The account's available after this movement (the statement's running balance).
    available       numeric(20, 2) NOT NULL,
    bet_id          uuid,
    event_id        text,
    -- A deposit's payment reference.
    reference       text          CONSTRAINT ledger_reference_length CHECK (char_length(reference) BETWEEN 1 AND 255),
    -- The Idempotency-Key of a deposit or withdrawal, unique per account and kind.
    idempotency_key text          CONSTRAINT ledger_idempotency_key_format CHECK (idempotency_key ~ '^[\x20-\x7e]{1,255}$'),
    created_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT ledger_balanced CHECK (available_leg + held_leg + book_leg + outside_leg = 0),
    CONSTRAINT ledger_key_only_for_transfers
        CHECK (idempotency_key IS NULL OR kind IN ('deposit', 'withdrawal'))
);

-- The statement: an account's lines, newest first, paged by id.
CREATE INDEX ledger_account_idx ON ledger (account_id, id);
CREATE UNIQUE INDEX ledger_idempotency_idx ON ledger (account_id, kind, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: a correction is a new line';
END;
$$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- The sums of every line's legs, spread over 16 rows so that movements of different accounts
-- rarely wait for each other; GET /ledger reads the 16 rows, whatever the ledger's length.
CREATE TABLE ledger_totals (
    stripe      smallint      PRIMARY KEY CONSTRAINT ledger_totals_stripe_range CHECK (stripe BETWEEN 0 AND 15),
    deposits    numeric(24, 2) NOT NULL DEFAULT 0,
    withdrawals numeric(24, 2) NOT NULL DEFAULT 0,
    available   numeric(24, 2) NOT NULL DEFAULT 0,
    held        numeric(24, 2) NOT NULL DEFAULT 0,
    book        numeric(24, 2) NOT NULL DEFAULT 0
);
INSERT INTO ledger_totals (stripe) SELECT generate_series(0, 15);
