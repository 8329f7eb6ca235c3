-- The bundle service's own tables (docs/bundle.md). The chassis's (store, inbox, deadlines,
-- outbox, notifications) are applied with them by vetlife-migrate bundle.

-- What the bundle follows of each veteran from the registry's, placement's, benefits' and
-- employment's events: only what applicability and "done before the bundle" need, no identity.
CREATE TABLE IF NOT EXISTS bundle_veterans (
    veteran_id                 TEXT PRIMARY KEY,
    station                    TEXT,
    township                   TEXT,
    discharge_category         TEXT,
    discharged                 BOOLEAN NOT NULL DEFAULT FALSE,
    party_member               BOOLEAN NOT NULL DEFAULT FALSE,
    placement_case_id          TEXT,
    placement_mode             TEXT,
    subsidy_paid               BOOLEAN NOT NULL DEFAULT FALSE,
    job_seeker                 BOOLEAN NOT NULL DEFAULT FALSE,
    card_id                    TEXT,
    card_state                 TEXT,
    disability_entitlement_id  TEXT,
    disability_state           TEXT,
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The bundle list (projection `bundle_list`, rebuildable): one row per bundle, one per matter.
CREATE TABLE IF NOT EXISTS bundle_list (
    bundle_id      TEXT PRIMARY KEY,
    veteran_id     TEXT NOT NULL,
    station        TEXT NOT NULL,
    township       TEXT NOT NULL,
    submitted_on   DATE NOT NULL,
    status         TEXT NOT NULL,
    overdue        BOOLEAN NOT NULL,
    version        INTEGER NOT NULL,
    completed_on   DATE,
    last_position  BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS bundle_list_by_station ON bundle_list (station, status);
CREATE INDEX IF NOT EXISTS bundle_list_by_veteran ON bundle_list (veteran_id);
CREATE INDEX IF NOT EXISTS bundle_list_by_status ON bundle_list (status, submitted_on);

CREATE TABLE IF NOT EXISTS bundle_matters (
    bundle_id        TEXT NOT NULL,
    matter           TEXT NOT NULL,
    department       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    overdue          BOOLEAN NOT NULL,
    due_on           DATE,
    attention        TEXT,
    attention_since  DATE,
    refusal_reason   TEXT,
    next_step        TEXT,
    PRIMARY KEY (bundle_id, matter)
);
CREATE INDEX IF NOT EXISTS bundle_matters_by_department ON bundle_matters (department, status);
CREATE INDEX IF NOT EXISTS bundle_matters_attention ON bundle_matters (department, attention_since)
    WHERE attention IS NOT NULL;
