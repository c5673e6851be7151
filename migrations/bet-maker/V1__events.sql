-- bet-maker's own copy of line-provider's events, built from the messages only.
-- Each row holds the newest version seen; older messages are ignored.
-- Never edit a migration once applied anywhere; add a new one.
CREATE TABLE events (
    id          text          PRIMARY KEY
                              CONSTRAINT events_id_format CHECK (id ~ '^[A-Za-z0-9._:-]{1,64}$'),
    coefficient numeric(7, 2) NOT NULL
                              CONSTRAINT events_coefficient_range CHECK (coefficient > 0 AND coefficient <= 10000),
    deadline    timestamptz   NOT NULL,
    status      text          NOT NULL
                              CONSTRAINT events_status_known CHECK (status IN ('new', 'finished_win', 'finished_lose')),
    -- The version of line-provider's event this row reflects.
    version     bigint        NOT NULL CONSTRAINT events_version_positive CHECK (version >= 1),
    -- When this row last changed here (not line-provider's time).
    applied_at  timestamptz   NOT NULL DEFAULT now()
);

-- GET /events: open events, soonest deadline first.
CREATE INDEX events_open_by_deadline_idx ON events (deadline, id) WHERE status = 'new';
