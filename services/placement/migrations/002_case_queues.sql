-- The staff workbench's placement queues: since when a case has been in its status (days
-- waiting, from the day of the step that put it there) and the on-post clock's last day (the
-- clock that runs after the referral letter), so the list can sort and mark them in SQL.
ALTER TABLE placement_cases ADD COLUMN IF NOT EXISTS state_since DATE;
ALTER TABLE placement_cases ADD COLUMN IF NOT EXISTS on_post_due_on DATE;
CREATE INDEX IF NOT EXISTS placement_cases_state_since ON placement_cases (status, state_since);
-- The rows written before know neither: the list is built again from the store on its next read.
TRUNCATE placement_cases;
DELETE FROM checkpoints WHERE name = 'projection:placement_cases';
