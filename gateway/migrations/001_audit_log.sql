-- The gateway's audit log: append-only, each entry hashed onto the one before (docs/audit.md).

-- One row per recorded command or read. `body` is the exact canonical JSON that was hashed (the
-- entry as the gateway sent it, wrapped with its seq and at); hash = sha256(prev_hash || body).
CREATE TABLE IF NOT EXISTS audit_log (
    seq             BIGINT PRIMARY KEY,
    at              TIMESTAMPTZ NOT NULL,
    body            TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL,
    -- Copied from the body so queries can use indexes; verify checks they still equal the body,
    -- so an edit here is caught like an edit to the body.
    subject         TEXT NOT NULL,
    role            TEXT NOT NULL,
    action          TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    veteran_id      TEXT,
    department      TEXT,
    correlation_id  TEXT
);
CREATE INDEX IF NOT EXISTS audit_log_veteran ON audit_log (veteran_id, seq)
    WHERE veteran_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS audit_log_subject ON audit_log (subject, seq);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);

-- One row: the last seq and hash. Appenders lock it, so seqs are gap-free and the chain is one
-- line however many gateway workers record at once. Genesis: seq 0, 64 zeros.
CREATE TABLE IF NOT EXISTS audit_head (
    only_row  BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL
);
INSERT INTO audit_head (only_row, seq, hash) VALUES (TRUE, 0, repeat('0', 64))
    ON CONFLICT DO NOTHING;

-- Copies of the head taken every minute; the same lines go to a file shipped off this host, so
-- a rewritten or cut tail no longer matches what was anchored.
CREATE TABLE IF NOT EXISTS audit_anchors (
    id    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL,
    at    TIMESTAMPTZ NOT NULL
);

-- Refuses every change but an append. Statement-level, so it fires even when no row matches
-- and for TRUNCATE, which row triggers never see.
CREATE OR REPLACE FUNCTION vetlife_audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % refused: the audit log is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit records are never edited or deleted; see docs/audit.md';
END
$$;

-- The head moves only inside vetlife_audit_append, which sets this transaction-local flag around
-- its one UPDATE. Anyone able to call set_config could set it too: this stops slips, not a
-- determined owner; the revokes below, verify and the anchors do that.
CREATE OR REPLACE FUNCTION vetlife_audit_head_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('vetlife.audit_appending', true) = 'on' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_head moves only through vetlife_audit_append(): % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION vetlife_audit_refuse();
DROP TRIGGER IF EXISTS audit_anchors_append_only ON audit_anchors;
CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_anchors
    FOR EACH STATEMENT EXECUTE FUNCTION vetlife_audit_refuse();
DROP TRIGGER IF EXISTS audit_head_fixed ON audit_head;
CREATE TRIGGER audit_head_fixed BEFORE INSERT OR DELETE OR TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION vetlife_audit_refuse();
DROP TRIGGER IF EXISTS audit_head_guard ON audit_head;
CREATE TRIGGER audit_head_guard BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION vetlife_audit_head_guard();
-- ALWAYS: they fire under session_replication_role = replica too, so only an explicit
-- ALTER TABLE ... DISABLE TRIGGER (by the owner, a visible DDL statement) turns them off.
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_append_only;
ALTER TABLE audit_anchors ENABLE ALWAYS TRIGGER audit_anchors_append_only;
ALTER TABLE audit_head ENABLE ALWAYS TRIGGER audit_head_fixed;
ALTER TABLE audit_head ENABLE ALWAYS TRIGGER audit_head_guard;

-- The whole append in one call (one round trip). p_entries are the canonical JSON texts of the
-- entries, without seq and at; each body is built here, deterministically, as
--   {"at":"<UTC, microseconds, Z>","entry":<the text as sent>,"seq":<n>}
-- which is itself canonical JSON (keys sorted, no whitespace), and hashed as UTF-8 bytes of
-- prev_hash || body, exactly the bytes gateway/audit.py's verify hashes. A list is one chain
-- segment with one timestamp. SECURITY DEFINER: callers need EXECUTE, never write rights.
CREATE OR REPLACE FUNCTION vetlife_audit_append(p_entries TEXT[])
RETURNS SETOF BIGINT
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
DECLARE
    v_seq BIGINT;
    v_hash TEXT;
    v_prev TEXT;
    v_at TIMESTAMPTZ;
    v_at_text TEXT;
    v_body TEXT;
    v_entry JSONB;
BEGIN
    IF coalesce(array_length(p_entries, 1), 0) = 0 THEN
        RETURN;
    END IF;
    SELECT h.seq, h.hash INTO v_seq, v_hash FROM audit_head h WHERE h.only_row FOR UPDATE;
    -- Read after the lock, so `at` never goes backwards as seq goes forwards.
    v_at := clock_timestamp();
    v_at_text := to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    FOR i IN 1 .. array_length(p_entries, 1) LOOP
        -- The cast proves the text is one JSON value, so the wrapper below stays well-formed.
        v_entry := p_entries[i]::jsonb;
        IF jsonb_typeof(v_entry) <> 'object' THEN
            RAISE EXCEPTION 'audit entry % is not a JSON object', i USING ERRCODE = 'data_exception';
        END IF;
        v_seq := v_seq + 1;
        v_prev := v_hash;
        v_body := '{"at":"' || v_at_text || '","entry":' || p_entries[i] || ',"seq":' || v_seq || '}';
        v_hash := encode(sha256(convert_to(v_prev || v_body, 'UTF8')), 'hex');
        INSERT INTO audit_log (seq, at, body, prev_hash, hash, subject, role, action, outcome,
                               veteran_id, department, correlation_id)
        VALUES (v_seq, v_at, v_body, v_prev, v_hash, v_entry->>'subject', v_entry->>'role',
                v_entry->>'action', v_entry->>'outcome', v_entry->>'veteran_id',
                v_entry->>'department', v_entry->>'correlation_id');
        RETURN NEXT v_seq;
    END LOOP;
    PERFORM set_config('vetlife.audit_appending', 'on', true);
    UPDATE audit_head SET seq = v_seq, hash = v_hash WHERE only_row;
    PERFORM set_config('vetlife.audit_appending', 'off', true);
END
$$;

-- Records the current head (the last entry) as an anchor and returns it; no row when empty.
CREATE OR REPLACE FUNCTION vetlife_audit_anchor()
RETURNS TABLE (seq BIGINT, hash TEXT, at TEXT)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    v_seq BIGINT;
    v_hash TEXT;
    v_at TIMESTAMPTZ := clock_timestamp();
BEGIN
    SELECT l.seq, l.hash INTO v_seq, v_hash FROM audit_log l ORDER BY l.seq DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    INSERT INTO audit_anchors (seq, hash, at) VALUES (v_seq, v_hash, v_at);
    RETURN QUERY SELECT v_seq, v_hash,
        to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
END
$$;

-- Rights: nobody but the owner writes these tables; the gateway's role (a member of
-- vetlife_audit_writer) reads them and appends only through the two functions above.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vetlife_audit_writer') THEN
        CREATE ROLE vetlife_audit_writer NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object THEN
    NULL;  -- roles are cluster-wide: another database's migration made it a moment ago
END
$$;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_anchors, audit_head FROM PUBLIC;
REVOKE ALL ON audit_log, audit_anchors, audit_head FROM vetlife_audit_writer;
GRANT SELECT ON audit_log, audit_anchors, audit_head TO vetlife_audit_writer;
REVOKE EXECUTE ON FUNCTION vetlife_audit_append(TEXT[]), vetlife_audit_anchor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vetlife_audit_append(TEXT[]), vetlife_audit_anchor()
    TO vetlife_audit_writer;
