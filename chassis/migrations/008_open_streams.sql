-- Many new streams of one event each in one server-side call (an import of existing files):
-- the same rows vetlife_append writes (events at version 1, unique claims, NOTIFY at commit),
-- under the same head lock, for a whole chunk at once instead of one round trip per stream.
-- Each stream's outcome is its own: 'appended', or 'claim_taken' with the stream that holds the
-- claim (already on file, or an earlier stream of the same call). One claim kind per call,
-- NULL digest: no claim for that stream.
CREATE OR REPLACE FUNCTION vetlife_open_streams(
    p_stream_ids TEXT[], p_claim_kind TEXT, p_claim_digests TEXT[],
    p_event_ids UUID[], p_event_types TEXT[], p_schema_versions INTEGER[], p_data JSONB[],
    p_occurred_at TIMESTAMPTZ[], p_correlation_id TEXT, p_causation_id TEXT, p_actor TEXT,
    p_notify_channel TEXT)
RETURNS TABLE (item INTEGER, outcome TEXT, stream_id TEXT, stream_position BIGINT)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_head BIGINT;
    v_count INTEGER := coalesce(array_length(p_stream_ids, 1), 0);
    v_accepted BOOLEAN[];
    v_owner TEXT[];
    v_added INTEGER;
BEGIN
    SELECT position INTO v_head FROM store_head WHERE only_row FOR UPDATE;
    -- Claims are decided first, set-based: one held already is refused (its holder named); of
    -- one digest twice in this call the first wins. The head lock keeps this race-free, as in
    -- vetlife_append: every appender takes it before it looks at a claim.
    SELECT array_agg(c.stream_id IS NULL AND (d.first_item IS NULL OR d.first_item = i)
                     ORDER BY i),
           array_agg(coalesce(c.stream_id, CASE WHEN d.first_item <> i
                                                THEN p_stream_ids[d.first_item] END) ORDER BY i)
      INTO v_accepted, v_owner
    FROM generate_series(1, v_count) AS i
    -- LATERAL: one index probe per stream, never a scan of every claim of the kind.
    LEFT JOIN LATERAL (SELECT u.stream_id FROM unique_claims u
                       WHERE p_claim_digests[i] IS NOT NULL AND u.kind = p_claim_kind
                         AND u.digest = p_claim_digests[i]) c ON TRUE
    LEFT JOIN (SELECT p_claim_digests[j] AS digest, min(j) AS first_item
               FROM generate_series(1, v_count) AS j
               WHERE p_claim_digests[j] IS NOT NULL GROUP BY 1) d
           ON d.digest = p_claim_digests[i];
    INSERT INTO unique_claims (kind, digest, stream_id)
    SELECT p_claim_kind, p_claim_digests[i], p_stream_ids[i]
    FROM generate_series(1, v_count) AS i
    WHERE v_accepted[i] AND p_claim_digests[i] IS NOT NULL;
    -- Positions gap-free, in item order among the accepted ones.
    INSERT INTO stored_events (position, event_id, stream_id, stream_version, event_type,
                               schema_version, data, occurred_at, recorded_at,
                               correlation_id, causation_id, actor)
    SELECT v_head + row_number() OVER (ORDER BY i), p_event_ids[i], p_stream_ids[i], 1,
           p_event_types[i], p_schema_versions[i], p_data[i], p_occurred_at[i], now(),
           p_correlation_id, p_causation_id, p_actor
    FROM generate_series(1, v_count) AS i
    WHERE v_accepted[i];
    GET DIAGNOSTICS v_added = ROW_COUNT;
    IF v_added > 0 THEN
        UPDATE store_head SET position = v_head + v_added;
        -- Delivered at commit, so the relay wakes for committed events only.
        PERFORM pg_notify(p_notify_channel, '');
    END IF;
    RETURN QUERY
    SELECT i,
           CASE WHEN v_accepted[i] THEN 'appended' ELSE 'claim_taken' END,
           CASE WHEN v_accepted[i] THEN p_stream_ids[i] ELSE v_owner[i] END,
           CASE WHEN v_accepted[i]
                THEN v_head + sum(CASE WHEN v_accepted[i] THEN 1 ELSE 0 END)
                                  OVER (ORDER BY i) END
    FROM generate_series(1, v_count) AS i ORDER BY i;
END
$$;
