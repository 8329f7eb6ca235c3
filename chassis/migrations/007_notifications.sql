-- Notifications to people (chassis/notify.py, docs/bundle.md "No silent failure"): written in the
-- transaction of the decision that needs them, delivered at least once by the dispatcher through
-- the configured sender, every attempt kept. The table is also the portal's inbox.
CREATE TABLE IF NOT EXISTS notifications (
    -- Deterministic (from what caused it): the same decision made twice is one notification.
    notification_id     TEXT PRIMARY KEY,
    seq                 BIGSERIAL NOT NULL UNIQUE,
    -- A pseudonymous id (the registry's veteran id), never a phone number or a name: the sender
    -- looks the channel's address up when it delivers.
    recipient           TEXT NOT NULL,
    kind                TEXT NOT NULL,
    title               TEXT NOT NULL,
    body                TEXT NOT NULL,
    case_id             TEXT,
    subject             TEXT,
    channel             TEXT NOT NULL,
    -- pending: to deliver (again); sent: the channel took it; failed: every attempt failed, on
    -- a staff list until someone sends it again.
    status              TEXT NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error          TEXT,
    provider_reference  TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at             TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS notifications_inbox ON notifications (recipient, seq DESC);
CREATE INDEX IF NOT EXISTS notifications_due ON notifications (next_attempt_at, seq)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS notifications_failed ON notifications (updated_at)
    WHERE status = 'failed';
CREATE INDEX IF NOT EXISTS notifications_by_case ON notifications (case_id, seq);

-- Every delivery attempt and how it ended (sent, retrying, failed), and every retry a person
-- asked for (requeued): the notification's delivery history.
CREATE TABLE IF NOT EXISTS notification_deliveries (
    seq              BIGSERIAL PRIMARY KEY,
    notification_id  TEXT NOT NULL REFERENCES notifications (notification_id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('sent', 'retrying', 'failed', 'requeued')),
    channel          TEXT NOT NULL,
    error            TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS notification_deliveries_of ON notification_deliveries (notification_id,
                                                                                  seq);
