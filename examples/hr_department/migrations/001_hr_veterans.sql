-- The department's own copy of what it needs about each veteran (no personal data beyond it).
CREATE TABLE IF NOT EXISTS hr_veterans (
    veteran_id          TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    service_station     TEXT NOT NULL,
    discharge_category  TEXT NOT NULL,
    registry_position   BIGINT NOT NULL,
    filed_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);
