-- Reports published from the bureau's figures (gateway/figures.py): what they are of, each
-- service's store position at publication and a hash of the figures, so they can be recomputed.
CREATE TABLE IF NOT EXISTS published_reports (
    report_id     UUID PRIMARY KEY,
    period_from   DATE NOT NULL,
    period_to     DATE NOT NULL,
    station       TEXT,
    township      TEXT,
    stations      TEXT[],               -- the publisher's reach; NULL: the district
    positions     JSONB NOT NULL,       -- service -> store position
    figures       JSONB NOT NULL,
    reasons       JSONB NOT NULL,
    figures_hash  TEXT NOT NULL,
    published_by  TEXT NOT NULL,        -- the token's subject
    published_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
