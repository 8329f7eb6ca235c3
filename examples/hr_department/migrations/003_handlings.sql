-- How each event reached HR and what HR did with it, for `make faults` to judge.
-- Every time the handler applied an event's effects: one row, with no unique key. A repeat that
-- a broken inbox let through is then a second row here, which the checks count, instead of a
-- primary-key error that rolls the repeat back unseen.
CREATE TABLE IF NOT EXISTS hr_handlings (
    event_id    UUID NOT NULL,
    veteran_id  TEXT NOT NULL,
    -- bus (the events exchange), catch-up (read from the registry's log) or requeued (a person
    -- moved it back from the dead letters).
    arrived_by  TEXT NOT NULL,
    handled_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS hr_handlings_by_event ON hr_handlings (event_id);

-- Every delivery the inbox turned away (handled before, or waiting for an earlier event): an
-- event handled after catch-up brought it that the bus then delivered too came by the bus.
CREATE TABLE IF NOT EXISTS hr_repeats (
    event_id    UUID NOT NULL,
    arrived_by  TEXT NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS hr_repeats_by_event ON hr_repeats (event_id);
