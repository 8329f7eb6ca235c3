-- The employment service's read models (rebuildable from its store: vetlife-projections rebuild
-- employment). No personal data beyond pseudonymous veteran ids and what they stated for matching.

CREATE TABLE IF NOT EXISTS employers (
    employer_id          TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    credit_code          TEXT NOT NULL,
    individual_business  BOOLEAN NOT NULL,
    township             TEXT NOT NULL,
    industry             TEXT,
    registered_on        DATE NOT NULL
);
CREATE INDEX IF NOT EXISTS employers_registered ON employers (registered_on);

-- The posting board. `listed`: open with a place left, what matching reads. `township_key` is
-- the township when it is in the district's distance table, '' otherwise (matching's groups).
CREATE TABLE IF NOT EXISTS postings (
    posting_id     TEXT PRIMARY KEY,
    employer_id    TEXT NOT NULL,
    employer_name  TEXT,
    title          TEXT NOT NULL,
    kind           TEXT NOT NULL,
    township       TEXT NOT NULL,
    township_key   TEXT NOT NULL,
    pay_min_fen    INTEGER NOT NULL,
    pay_max_fen    INTEGER NOT NULL,
    requirements   TEXT[] NOT NULL,
    headcount      INTEGER NOT NULL,
    hired          INTEGER NOT NULL DEFAULT 0,
    published_on   DATE NOT NULL,
    closed_on      DATE,
    listed         BOOLEAN NOT NULL
);
-- Matching reads one (township, kind) group newest first, from a keyset cursor: an index range
-- scan that touches only the rows it returns, however many postings there are.
CREATE INDEX IF NOT EXISTS postings_board
    ON postings (township_key, kind, published_on DESC, posting_id DESC) WHERE listed;
CREATE INDEX IF NOT EXISTS postings_published ON postings (published_on);

CREATE TABLE IF NOT EXISTS job_fairs (
    fair_id              TEXT PRIMARY KEY,
    held_on              DATE NOT NULL,
    township             TEXT NOT NULL,
    employers_attending  INTEGER NOT NULL,
    posts_offered        INTEGER NOT NULL,
    veterans_attending   INTEGER NOT NULL,
    intentions_reached   INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS job_fairs_held ON job_fairs (held_on);

-- Job seekers as matching needs them. `kinds_key` is the kinds wanted, or {'*'} for a seeker who
-- named none, so "wants this kind or any" is one indexed overlap (kinds_key && {kind, '*'}).
CREATE TABLE IF NOT EXISTS job_seekers (
    veteran_id       TEXT PRIMARY KEY,
    township         TEXT NOT NULL,
    service_station  TEXT NOT NULL,
    source           TEXT NOT NULL,
    registered_on    DATE NOT NULL,
    status           TEXT NOT NULL,
    kinds            TEXT[] NOT NULL DEFAULT '{}',
    kinds_key        TEXT[] NOT NULL DEFAULT '{*}',
    townships        TEXT[] NOT NULL DEFAULT '{}',
    min_pay_fen      INTEGER,
    skills           TEXT[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS job_seekers_seeking_kinds ON job_seekers USING gin (kinds_key)
    WHERE status = 'seeking';
CREATE INDEX IF NOT EXISTS job_seekers_registered ON job_seekers (registered_on);

-- One row per intention reached, hire, enrolment, loan and award: what the figures count.
CREATE TABLE IF NOT EXISTS employment_activity (
    record_id    TEXT PRIMARY KEY,
    veteran_id   TEXT NOT NULL,
    activity     TEXT NOT NULL,   -- intention | hire | training | loan | award
    subkind      TEXT,            -- the training's kind
    on_date      DATE NOT NULL,
    posting_id   TEXT,
    amount_fen   BIGINT,
    subsidy_fen  BIGINT,          -- a loan's yearly interest subsidy
    qualifies    BOOLEAN          -- a hire that meets the employer's tax relief conditions
);
CREATE INDEX IF NOT EXISTS employment_activity_by_date ON employment_activity (activity, on_date);

-- Placement's cases as far as employment follows them (placement.events: ReportedIn, ModeChosen,
-- HandedToEmployment): where the veteran reported in, until self-employment makes them a job
-- seeker here. Written by the subscriber with its inbox row, not by the projection.
CREATE TABLE IF NOT EXISTS placement_cases (
    case_id          TEXT PRIMARY KEY,
    veteran_id       TEXT NOT NULL,
    township         TEXT,
    service_station  TEXT,
    reported_on      DATE,
    job_seeker       BOOLEAN NOT NULL DEFAULT FALSE
);
