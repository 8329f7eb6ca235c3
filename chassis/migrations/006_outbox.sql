-- The outbox (docs/process-managers.md): commands a service decided to send to others, written in
-- the transaction of the decision, sent at least once by the outbox sender, with their outcome.
CREATE TABLE IF NOT EXISTS outbox (
    -- Deterministic (chassis.outbox.command_id: case, step, attempt), and passed to the receiver
    -- as its command id: a resend is replayed there, never done twice.
    command_id       TEXT PRIMARY KEY,
    -- Sending order among commands decided at once (created_at is one instant per transaction).
    seq              BIGSERIAL NOT NULL UNIQUE,
    case_id          TEXT NOT NULL,
    step             TEXT NOT NULL,
    target_service   TEXT NOT NULL,
    method           TEXT NOT NULL,
    args             JSONB NOT NULL,
    kwargs           JSONB NOT NULL,
    correlation_id   TEXT,
    -- pending: to send (again); sent: the receiver answered, `reply` holds the answer;
    -- refused: the receiver said no (its error in `reply`); failed: no answer after the allowed
    -- attempts. refused and failed wait for a person (`python -m chassis.outbox list`).
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'refused', 'failed')),
    -- Attempts begun; counted when a sender claims the command, so one that kills its sender
    -- still counts.
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- Not before: the backoff after a failed attempt, or a claim's lease while a sender waits
    -- for the answer (a sender killed mid-send leaves it to be sent again after the lease).
    next_attempt_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    reply            JSONB,
    error            TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    done_at          TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (next_attempt_at, seq) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS outbox_by_case ON outbox (case_id, seq);
CREATE INDEX IF NOT EXISTS outbox_for_a_person ON outbox (updated_at)
    WHERE status IN ('refused', 'failed');
