-- Events managed by operators: line-provider is the source of truth for them.
-- Never edit a migration once applied anywhere; add a new one.
CREATE TABLE events (
    -- The operator's id; the same rule as the API contract.
    id          text        PRIMARY KEY
                            CONSTRAINT events_id_format CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    -- Odds, greater than zero, at most 10 000.00, two decimals.
    coefficient numeric(7, 2) NOT NULL
                            CONSTRAINT events_coefficient_range CHECK (coefficient > 0 AND coefficient <= 10000),
    -- Bets are accepted strictly before this instant.
    deadline    timestamptz NOT NULL,
    status      text        NOT NULL DEFAULT 'new'
                            CONSTRAINT events_status_known CHECK (status IN ('new', 'finished_win', 'finished_lose')),
    -- 1 at creation, +1 with every change; consumers keep the highest version they saw.
    version     bigint      NOT NULL DEFAULT 1
                            CONSTRAINT events_version_positive CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- GET /events?status=... and the listing order.
CREATE INDEX events_status_created_idx ON events (status, created_at, id);
CREATE INDEX events_created_idx ON events (created_at, id);
