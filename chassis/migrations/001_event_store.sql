-- The event store, its head (the gap-free position counter), handled commands and unique claims.
CREATE TABLE IF NOT EXISTS stored_events (
    position        BIGINT PRIMARY KEY,
    event_id        UUID NOT NULL UNIQUE,
    stream_id       TEXT NOT NULL,
    stream_version  INTEGER NOT NULL CHECK (stream_version > 0),
    event_type      TEXT NOT NULL,
    schema_version  INTEGER NOT NULL,
    data            JSONB NOT NULL,
    occurred_at     TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL,
    correlation_id  TEXT NOT NULL,
    causation_id    TEXT,
    actor           TEXT NOT NULL,
    UNIQUE (stream_id, stream_version)
);

-- One row. Appenders lock it FOR UPDATE, so positions are handed out in commit order:
-- a reader that has seen position N has seen every position below N.
CREATE TABLE IF NOT EXISTS store_head (
    only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    position  BIGINT NOT NULL
);
INSERT INTO store_head (only_row, position) VALUES (TRUE, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS handled_commands (
    command_id      TEXT PRIMARY KEY,
    request_digest  TEXT,
    stream_id       TEXT NOT NULL,
    stream_version  INTEGER NOT NULL,
    last_position   BIGINT,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Values that must be unique across streams (one file per resident ID number); stored as digests.
CREATE TABLE IF NOT EXISTS unique_claims (
    kind       TEXT NOT NULL,
    digest     TEXT NOT NULL,
    stream_id  TEXT NOT NULL,
    PRIMARY KEY (kind, digest)
);

-- How far each reader of the store (relay, projections, catch-up) has got.
CREATE TABLE IF NOT EXISTS checkpoints (
    name        TEXT PRIMARY KEY,
    position    BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Events from other services this one has handled, written with the handler's effects.
CREATE TABLE IF NOT EXISTS inbox (
    consumer    TEXT NOT NULL,
    event_id    UUID NOT NULL,
    source      TEXT NOT NULL,
    position    BIGINT,
    handled_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
