-- Imports started over the API (POST /api/v1/imports): the upload until it has been read, the
-- progress, the outcome and the error file. The upload and the error file are personal data:
-- the upload is dropped when the import ends, the error file is shown to its uploader's role only.
CREATE TABLE IF NOT EXISTS veteran_imports (
    import_id      UUID PRIMARY KEY,
    file_name      TEXT NOT NULL,
    file_format    TEXT NOT NULL CHECK (file_format IN ('csv', 'xlsx')),
    dry_run        BOOLEAN NOT NULL,
    uploader       TEXT NOT NULL,            -- the token's subject
    uploader_role  TEXT NOT NULL,            -- the role that allowed the upload
    actor          TEXT NOT NULL,            -- as the events record it
    stations       TEXT[],                   -- a station worker's reach; NULL: the district
    command_id     TEXT UNIQUE,              -- the Idempotency-Key: a retried upload is one import
    request_digest TEXT,
    status         TEXT NOT NULL DEFAULT 'waiting'
                   CHECK (status IN ('waiting', 'checking', 'importing', 'done', 'failed')),
    processed      INTEGER NOT NULL DEFAULT 0,
    total          INTEGER,
    outcome        JSONB,
    failure        TEXT,
    upload         BYTEA,
    error_file     BYTEA,
    lease_until    TIMESTAMPTZ,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at    TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS veteran_imports_pending ON veteran_imports (created_at)
    WHERE status IN ('waiting', 'checking', 'importing');
