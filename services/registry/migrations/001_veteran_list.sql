-- The veteran list read model (rebuildable from the store; never holds the full ID number).
CREATE TABLE IF NOT EXISTS veteran_list (
    veteran_id          TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    id_number_masked    TEXT NOT NULL,
    sex                 TEXT NOT NULL,
    township            TEXT NOT NULL,
    service_station     TEXT NOT NULL,
    discharge_category  TEXT NOT NULL,
    life_stage          TEXT NOT NULL,
    area_code_known     BOOLEAN NOT NULL,
    registered_at       BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS veteran_list_station ON veteran_list (service_station, registered_at);
CREATE INDEX IF NOT EXISTS veteran_list_category ON veteran_list (discharge_category, registered_at);
CREATE INDEX IF NOT EXISTS veteran_list_stage ON veteran_list (life_stage, registered_at);
