-- Statutory clocks: a deadline is set and met (or cancelled) in the transaction of the events that
-- start and meet it; the deadline runner fires a due one by appending its event to the stream.
CREATE TABLE IF NOT EXISTS deadlines (
    -- md5(stream_id, name, generation) as a UUID: the same deadline has the same id everywhere,
    -- and the firing command id "deadline:<id>" makes a re-fire a replay.
    deadline_id      UUID PRIMARY KEY,
    stream_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    -- 1 for the first deadline of this name on this stream, 2 after it was met or cancelled and
    -- set again (an extended opinion deadline), and so on.
    generation       INTEGER NOT NULL CHECK (generation > 0),
    due_at           TIMESTAMPTZ NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'met', 'fired', 'cancelled')),
    fire_type        TEXT NOT NULL,
    fire_payload     JSONB NOT NULL,
    -- The setting command's correlation id, carried on by the firing event.
    correlation_id   TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    met_at           TIMESTAMPTZ,
    fired_at         TIMESTAMPTZ,
    cancelled_at     TIMESTAMPTZ,
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    next_attempt_at  TIMESTAMPTZ,
    claimed_by       TEXT,
    claimed_until    TIMESTAMPTZ,
    UNIQUE (stream_id, name, generation)
);

-- One running clock per name and stream: setting it again without meeting or cancelling it first
-- is refused (DeadlineAlreadyPending), never a second clock.
CREATE UNIQUE INDEX IF NOT EXISTS deadlines_one_pending_per_name
    ON deadlines (stream_id, name) WHERE state = 'pending';

-- What the runner polls.
CREATE INDEX IF NOT EXISTS deadlines_due ON deadlines (due_at) WHERE state = 'pending';
