-- The department's own copy of what it needs about each veteran: the pseudonymous id and facts
-- from the bus, never identity (the gateway serves that to entitled departments, audited).
CREATE TABLE IF NOT EXISTS hr_veterans (
    veteran_id          TEXT PRIMARY KEY,
    service_station     TEXT NOT NULL,
    discharge_category  TEXT NOT NULL,
    registry_position   BIGINT NOT NULL,
    filed_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
