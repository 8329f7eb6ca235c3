-- The disputes service's read models (rebuildable from the store; never hold what anyone wrote).

-- One row per petition: its matter, state, handler and dates, for the lists and for linking the
-- same matter lodged again.
CREATE TABLE IF NOT EXISTS petition_list (
    petition_id      TEXT PRIMARY KEY,
    veteran_id       TEXT,
    service_station  TEXT NOT NULL,
    category         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    matter_key       TEXT NOT NULL,
    state            TEXT NOT NULL,
    first_time       BOOLEAN NOT NULL,
    closed_matter    BOOLEAN NOT NULL,
    handler          TEXT,
    received_on      DATE NOT NULL,
    intake_due_on    DATE NOT NULL,
    opinion_due_on   DATE,
    escalations      INTEGER NOT NULL DEFAULT 0,
    repeats          INTEGER NOT NULL DEFAULT 0,
    lodged_at        BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS petition_list_matter ON petition_list (matter_key, lodged_at);
CREATE INDEX IF NOT EXISTS petition_list_station ON petition_list (service_station, lodged_at);
CREATE INDEX IF NOT EXISTS petition_list_handler ON petition_list (handler, lodged_at);

-- Every case of any kind: where it belongs, for the facts of events that do not say.
CREATE TABLE IF NOT EXISTS case_index (
    case_id          TEXT PRIMARY KEY,
    kind             TEXT NOT NULL,
    service_station  TEXT NOT NULL,
    veteran_id       TEXT
);

-- One row per countable thing that happened, on its day: the figures for any period are counts
-- over these. `detail` holds non-personal facts (an escalation's level and reason).
CREATE TABLE IF NOT EXISTS disputes_facts (
    position         BIGINT NOT NULL,
    fact             TEXT NOT NULL,
    day              DATE NOT NULL,
    service_station  TEXT NOT NULL,
    case_id          TEXT NOT NULL,
    detail           JSONB,
    PRIMARY KEY (position, fact)
);
CREATE INDEX IF NOT EXISTS disputes_facts_day ON disputes_facts (fact, day);
