-- The report projection (chassis/report_facts.py): each service's countable facts by the day
-- they count for, appended (a correction is a new row, a withdrawal a negative delta), and what
-- the projection remembers of earlier events per key. Rebuildable from the store.
CREATE TABLE IF NOT EXISTS report_facts (
    position      BIGINT NOT NULL,      -- the event's store position
    seq           SMALLINT NOT NULL,    -- the fact's place among that event's facts
    event_type    TEXT NOT NULL,
    metric        TEXT NOT NULL,
    effective_on  DATE NOT NULL,        -- the day it counts for (Asia/Shanghai)
    delta         BIGINT NOT NULL,      -- +1 / -1, or fen
    subject       TEXT,                 -- a pseudonymous id (veteran, employer), for distinct counts
    station       TEXT,
    township      TEXT,
    category      TEXT,
    kind          TEXT,
    recorded_on   DATE NOT NULL,        -- the day the event was recorded (Asia/Shanghai)
    PRIMARY KEY (position, seq)
);
CREATE INDEX IF NOT EXISTS report_facts_metric_day ON report_facts (metric, effective_on);

CREATE TABLE IF NOT EXISTS report_homes (
    key    TEXT PRIMARY KEY,
    value  JSONB NOT NULL
);
