-- The proxy case list read model (rebuildable from the store): for whom, where, what kind, its
-- state, dates and number of steps; never what is handled nor by whom.
CREATE TABLE IF NOT EXISTS proxy_case_list (
    proxy_case_id    TEXT PRIMARY KEY,
    veteran_id       TEXT NOT NULL,
    service_station  TEXT NOT NULL,
    matter_kind      TEXT NOT NULL,
    agent_kind       TEXT NOT NULL,
    state            TEXT NOT NULL,
    opened_on        DATE NOT NULL,
    closed_on        DATE,
    steps            INTEGER NOT NULL DEFAULT 0,
    opened_at        BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS proxy_case_list_veteran ON proxy_case_list (veteran_id, opened_at);
CREATE INDEX IF NOT EXISTS proxy_case_list_station ON proxy_case_list (service_station, opened_at);
