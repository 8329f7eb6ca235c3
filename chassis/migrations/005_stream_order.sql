-- Ordered handling (docs/process-managers.md): per consumer and stream the last version handled,
-- the events that arrived ahead of a gap, and the events dead-lettered (so catch-up skips them).
CREATE TABLE IF NOT EXISTS stream_progress (
    consumer       TEXT NOT NULL,
    stream_id      TEXT NOT NULL,
    -- The stream version of the last event of the consumer's types it handled; 0: none yet.
    -- Handlers lock this row FOR UPDATE, so one stream's events are handled one at a time.
    last_version   INTEGER NOT NULL DEFAULT 0,
    last_position  BIGINT,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_id)
);

-- Events that came before their predecessor: handled when the gap closes (the predecessor
-- arrives by the bus or by catch-up), in stream order. Written under the stream_progress lock.
CREATE TABLE IF NOT EXISTS parked_events (
    consumer        TEXT NOT NULL,
    event_id        UUID NOT NULL,
    stream_id       TEXT NOT NULL,
    stream_version  INTEGER NOT NULL,
    position        BIGINT NOT NULL,
    -- The version of the stream's previous event of the consumer's types, once the producer's
    -- log told us (catch-up); NULL while only the bus has spoken, which cannot say it.
    prev_version    INTEGER,
    cloudevent      JSONB NOT NULL,
    -- bus, catch-up or requeued: how it first came, told to the handler when its turn comes.
    arrived_by      TEXT,
    parked_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS parked_events_by_stream
    ON parked_events (consumer, stream_id, stream_version);

-- Events put among the dead letters, written outside the failed handler's transaction (which
-- rolled back): catch-up skips them instead of dead-lettering them a second time, and a later
-- event of the same stream waits behind them. Deleted when the event is handled after all.
CREATE TABLE IF NOT EXISTS dead_lettered (
    consumer          TEXT NOT NULL,
    event_id          UUID NOT NULL,
    stream_id         TEXT NOT NULL,
    stream_version    INTEGER NOT NULL,
    position          BIGINT,
    reason            TEXT NOT NULL,
    dead_lettered_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS dead_lettered_by_stream
    ON dead_lettered (consumer, stream_id, stream_version);
