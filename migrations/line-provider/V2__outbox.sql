-- Transactional outbox: every change of an event writes its message here in the same
-- transaction as the change, and the relay publishes rows in `seq` order with publisher
-- confirms. A row is marked published only after the broker confirmed it, so a crash or a
-- broker outage delays a message but never loses it.
CREATE TABLE outbox (
    seq          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The AMQP message_id, also inside the body.
    message_id   uuid        NOT NULL UNIQUE,
    -- event.created / event.updated / event.finished; also the AMQP type.
    routing_key  text        NOT NULL
                             CONSTRAINT outbox_routing_key_known
                             CHECK (routing_key IN ('event.created', 'event.updated', 'event.finished')),
    event_id     text        NOT NULL,
    -- The exact JSON body to publish (text, not jsonb: its bytes are the message).
    body         text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Set once the broker confirmed the message; NULL while it waits.
    published_at timestamptz
);

-- The relay reads only what waits, oldest first.
CREATE INDEX outbox_pending_idx ON outbox (seq) WHERE published_at IS NULL;
-- Pruning of old published rows.
CREATE INDEX outbox_published_idx ON outbox (published_at) WHERE published_at IS NOT NULL;
