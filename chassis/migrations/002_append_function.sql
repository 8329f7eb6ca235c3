-- The whole append in one server-side call: one round trip per command instead of eight.
-- Outcomes: appended | replayed | key_reused | conflict | claim_taken; the caller raises on the
-- refusals and rolls back, so a refused append writes nothing.
CREATE OR REPLACE FUNCTION vetlife_append(
    p_stream_id TEXT, p_expected_version INTEGER, p_command_id TEXT, p_request_digest TEXT,
    p_claim_kinds TEXT[], p_claim_digests TEXT[],
    p_event_ids UUID[], p_event_types TEXT[], p_schema_versions INTEGER[], p_data JSONB[],
    p_occurred_at TIMESTAMPTZ[], p_correlation_id TEXT, p_causation_id TEXT, p_actor TEXT,
    p_notify_channel TEXT)
RETURNS TABLE (outcome TEXT, stream_id TEXT, stream_version INTEGER, last_position BIGINT,
               detail TEXT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_head BIGINT;
    v_actual INTEGER;
    v_seen handled_commands%ROWTYPE;
    v_count INTEGER := coalesce(array_length(p_event_ids, 1), 0);
    v_owner TEXT;
BEGIN
    -- The head lock serialises appenders, so positions commit in order (no gaps for readers)
    -- and the command, version and claim checks below cannot race.
    SELECT position INTO v_head FROM store_head WHERE only_row FOR UPDATE;
    IF p_command_id IS NOT NULL THEN
        SELECT * INTO v_seen FROM handled_commands WHERE command_id = p_command_id;
        IF FOUND THEN
            RETURN QUERY SELECT
                CASE WHEN p_request_digest IS NOT NULL AND v_seen.request_digest IS NOT NULL
                          AND v_seen.request_digest <> p_request_digest
                     THEN 'key_reused' ELSE 'replayed' END,
                v_seen.stream_id, v_seen.stream_version, v_seen.last_position, NULL::TEXT;
            RETURN;
        END IF;
    END IF;
    SELECT coalesce(max(e.stream_version), 0) INTO v_actual
        FROM stored_events e WHERE e.stream_id = p_stream_id;
    IF v_actual <> p_expected_version THEN
        RETURN QUERY SELECT 'conflict', p_stream_id, v_actual, NULL::BIGINT, NULL::TEXT;
        RETURN;
    END IF;
    -- Every claim is checked before any is written: the call may be its own transaction
    -- (autocommit), so a refusal must leave nothing behind. The head lock keeps this race-free.
    FOR i IN 1 .. coalesce(array_length(p_claim_kinds, 1), 0) LOOP
        SELECT c.stream_id INTO v_owner FROM unique_claims c
            WHERE c.kind = p_claim_kinds[i] AND c.digest = p_claim_digests[i];
        IF FOUND THEN
            RETURN QUERY SELECT 'claim_taken', v_owner, NULL::INTEGER, NULL::BIGINT,
                                p_claim_kinds[i];
            RETURN;
        END IF;
    END LOOP;
    INSERT INTO unique_claims (kind, digest, stream_id)
        SELECT p_claim_kinds[i], p_claim_digests[i], p_stream_id
        FROM generate_series(1, coalesce(array_length(p_claim_kinds, 1), 0)) AS i;
    IF v_count > 0 THEN
        INSERT INTO stored_events (position, event_id, stream_id, stream_version, event_type,
                                   schema_version, data, occurred_at, recorded_at,
                                   correlation_id, causation_id, actor)
        SELECT v_head + i, p_event_ids[i], p_stream_id, p_expected_version + i,
               p_event_types[i], p_schema_versions[i], p_data[i], p_occurred_at[i], now(),
               p_correlation_id, p_causation_id, p_actor
        FROM generate_series(1, v_count) AS i;
        UPDATE store_head SET position = v_head + v_count;
        -- Delivered at commit, so the relay wakes for committed events only.
        PERFORM pg_notify(p_notify_channel, '');
    END IF;
    IF p_command_id IS NOT NULL THEN
        INSERT INTO handled_commands (command_id, request_digest, stream_id, stream_version,
                                      last_position)
        VALUES (p_command_id, p_request_digest, p_stream_id, p_expected_version + v_count,
                CASE WHEN v_count > 0 THEN v_head + v_count END);
    END IF;
    RETURN QUERY SELECT 'appended', p_stream_id, p_expected_version + v_count,
                        CASE WHEN v_count > 0 THEN v_head + v_count END, NULL::TEXT;
END
$$;
