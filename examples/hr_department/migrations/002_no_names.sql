-- Databases made by the first 001 kept each veteran's name from the bus; the bus no longer
-- carries it, and HR has no use for a copy: drop it (a no-op on databases made since).
ALTER TABLE hr_veterans DROP COLUMN IF EXISTS name;
