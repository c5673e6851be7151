-- Bets: the big table (plan for tens of millions of rows).
CREATE TABLE bets (
    -- Insertion order: "newest first" and keyset paging follow it.
    seq             bigint        GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              uuid          PRIMARY KEY,
    event_id        text          NOT NULL CONSTRAINT bets_event_fk REFERENCES events (id),
    amount          numeric(12, 2) NOT NULL
                                  CONSTRAINT bets_amount_range CHECK (amount > 0 AND amount <= 1000000000),
    -- The odds locked when the bet was placed.
    coefficient     numeric(7, 2) NOT NULL CONSTRAINT bets_coefficient_positive CHECK (coefficient > 0),
    status          text          NOT NULL DEFAULT 'pending'
                                  CONSTRAINT bets_status_known CHECK (status IN ('pending', 'won', 'lost')),
    created_at      timestamptz   NOT NULL DEFAULT now(),
    settled_at      timestamptz,
    -- The client's Idempotency-Key, when it sent one; kept for the life of the bet.
    idempotency_key text          CONSTRAINT bets_idempotency_key_unique UNIQUE
                                  CONSTRAINT bets_idempotency_key_format CHECK (idempotency_key ~ '^[\x20-\x7e]{1,255}$'),
    CONSTRAINT bets_settled_iff_not_pending CHECK ((status = 'pending') = (settled_at IS NULL))
);

-- Settlement: the pending bets of one event.
CREATE INDEX bets_pending_by_event_idx ON bets (event_id) WHERE status = 'pending';
-- GET /bets?event_id=..., newest first. (No index on status: it would make every settled
-- row cost one more index entry, and ?status= reads the seq order with a filter instead.)
CREATE INDEX bets_event_seq_idx ON bets (event_id, seq);
