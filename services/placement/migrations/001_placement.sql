-- Placement's read models (rebuildable from the store: vetlife-projections rebuild placement) and
-- the registry facts its subscriber keeps (rebuilt by catching up from the registry's log).

-- One row per case: what lists, filters, overdue counts and rates read. No names.
CREATE TABLE IF NOT EXISTS placement_cases (
    case_id           TEXT PRIMARY KEY,
    veteran_id        TEXT NOT NULL,
    kind              TEXT NOT NULL,   -- soldier | officer | spouse
    status            TEXT NOT NULL,
    mode              TEXT,
    service_station   TEXT NOT NULL,
    reported_on       DATE NOT NULL,   -- for a spouse: received
    placement_due_on  DATE,            -- the 6-month clock's last day, once it runs
    planned_kind      TEXT,            -- the kind of post offered or planned
    placed_on         DATE,
    placed_kind       TEXT,
    last_position     BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS placement_cases_station ON placement_cases (service_station, reported_on);
CREATE INDEX IF NOT EXISTS placement_cases_status ON placement_cases (status, reported_on);
CREATE INDEX IF NOT EXISTS placement_cases_due ON placement_cases (placement_due_on);
CREATE INDEX IF NOT EXISTS placement_cases_placed ON placement_cases (placed_on);

-- Post quotas and who holds their positions (offered or filled).
CREATE TABLE IF NOT EXISTS post_quotas (
    post_id     TEXT PRIMARY KEY,
    unit        TEXT NOT NULL,
    post_kind   TEXT NOT NULL,
    title       TEXT NOT NULL,
    year        INTEGER NOT NULL,
    positions   INTEGER NOT NULL,
    version     INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS post_quotas_kind ON post_quotas (year, post_kind);
CREATE TABLE IF NOT EXISTS post_holders (
    post_id  TEXT NOT NULL,
    case_id  TEXT NOT NULL,
    state    TEXT NOT NULL,  -- offered | filled
    PRIMARY KEY (post_id, case_id)
);

-- What the registry published about each veteran, as much as placement needs: the station and
-- township (reach, and a report-in that does not give them), the rank and years (rank class,
-- years of service), honours as written, and whether a martyr was a parent. Never identity.
CREATE TABLE IF NOT EXISTS registry_facts (
    veteran_id         TEXT PRIMARY KEY,
    service_station    TEXT,
    township           TEXT,
    rank               TEXT,
    enlisted_year      INTEGER,
    discharged_year    INTEGER,
    honours            TEXT[] NOT NULL DEFAULT '{}',
    martyr_child       BOOLEAN NOT NULL DEFAULT false,
    registry_position  BIGINT NOT NULL
);
