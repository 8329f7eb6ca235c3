-- The report projection's daily sums (chassis/report_facts.py): the facts' deltas summed per
-- metric, day and dimensions, kept by the projection in the same transaction as the facts, so a
-- period's sums read a few thousand rows instead of every fact. Rebuildable with the facts.
CREATE TABLE IF NOT EXISTS report_sums (
    metric        TEXT NOT NULL,
    effective_on  DATE NOT NULL,
    station       TEXT,
    township      TEXT,
    category      TEXT,
    kind          TEXT,
    delta         BIGINT NOT NULL,      -- the deltas of every fact with these values, summed
    -- A fact without a station (employment's) has its own row: NULLs are one value here.
    CONSTRAINT report_sums_day UNIQUE NULLS NOT DISTINCT
        (metric, effective_on, station, township, category, kind)
);

-- The facts already kept, summed, and how far the sums go (in report_homes, which a rebuild
-- replaces with the sums): taken under the projection's feeding lock, so no batch of facts
-- lands between the sum and the mark.
SELECT pg_advisory_xact_lock(hashtext('projection:report_facts'));
INSERT INTO report_sums (metric, effective_on, station, township, category, kind, delta)
SELECT metric, effective_on, station, township, category, kind, sum(delta)
FROM report_facts GROUP BY metric, effective_on, station, township, category, kind
ON CONFLICT DO NOTHING;
INSERT INTO report_homes (key, value)
SELECT 'report_sums', jsonb_build_object('position', coalesce(
    (SELECT position FROM checkpoints WHERE name = 'projection:report_facts'), 0))
ON CONFLICT (key) DO NOTHING;
