-- The staff workbench's relief queues: since when an application has been in its state (days
-- waiting), and who handled and reviewed it (the decision's four eyes keep them out of the
-- approver's own queue). Subjects only, never a name; this table is never published.
ALTER TABLE relief_list ADD COLUMN IF NOT EXISTS state_since DATE;
ALTER TABLE relief_list ADD COLUMN IF NOT EXISTS handled_by TEXT;
ALTER TABLE relief_list ADD COLUMN IF NOT EXISTS reviewed_by TEXT;
CREATE INDEX IF NOT EXISTS relief_list_state ON relief_list (state, state_since);
-- The rows written before know neither: the list is built again from the store on its next read.
TRUNCATE relief_list;
DELETE FROM checkpoints WHERE name = 'projection:relief_list';
