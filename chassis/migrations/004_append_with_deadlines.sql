-- Deadlines travel with an append. The store calls this in the same statement as vetlife_append
-- (002, unchanged), fed its outcome, so events and deadlines commit together or not at all and
-- an append with deadlines is still one round trip. Runs after vetlife_append took the store's
-- head lock: the same lock order as the deadline runner, so the two never deadlock.
CREATE OR REPLACE FUNCTION vetlife_apply_deadlines(
    p_outcome TEXT, p_stream_id TEXT, p_correlation_id TEXT,
    p_set_names TEXT[], p_set_due TIMESTAMPTZ[], p_set_types TEXT[], p_set_payloads JSONB[],
    p_met TEXT[], p_cancelled TEXT[], p_at TIMESTAMPTZ)
RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    v_generation INTEGER;
    v_set INTEGER := coalesce(array_length(p_set_names, 1), 0);
BEGIN
    -- A replay wrote nothing the first time round either; a refusal is raised by the caller.
    IF p_outcome <> 'appended' THEN
        RETURN 0;
    END IF;
    -- Cancelled and met before set, so one append can replace a clock (an extension).
    UPDATE deadlines SET state = 'cancelled', cancelled_at = coalesce(p_at, now()),
                         claimed_by = NULL, claimed_until = NULL
        WHERE stream_id = p_stream_id AND name = ANY(p_cancelled) AND state = 'pending';
    -- A fired deadline met afterwards is met late: fired_at stays, so reads can say so.
    UPDATE deadlines SET state = 'met', met_at = coalesce(p_at, now()), claimed_by = NULL, claimed_until = NULL
        WHERE stream_id = p_stream_id AND name = ANY(p_met) AND state IN ('pending', 'fired');
    FOR i IN 1 .. v_set LOOP
        SELECT coalesce(max(d.generation), 0) + 1 INTO v_generation FROM deadlines d
            WHERE d.stream_id = p_stream_id AND d.name = p_set_names[i];
        -- A second pending clock of this name violates deadlines_one_pending_per_name, which
        -- aborts the statement: the events are not appended either.
        INSERT INTO deadlines (deadline_id, stream_id, name, generation, due_at, fire_type,
                               fire_payload, correlation_id)
        VALUES (md5(p_stream_id || chr(31) || p_set_names[i] || chr(31) || v_generation)::uuid,
                p_stream_id, p_set_names[i], v_generation, p_set_due[i], p_set_types[i],
                p_set_payloads[i], p_correlation_id);
    END LOOP;
    RETURN v_set;
END
$$;
