-- The service stations' list (services/registry/stations.py), rebuildable from the store.
CREATE TABLE IF NOT EXISTS station_list (
    station_id  TEXT PRIMARY KEY,
    version     INTEGER NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL,
    parent_id   TEXT,
    township    TEXT,
    status      TEXT NOT NULL,
    planned_on  DATE NOT NULL,
    built_on    DATE,
    ratings     TEXT[] NOT NULL,
    position    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS station_list_position ON station_list (position);
