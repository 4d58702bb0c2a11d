-- The process that took a part's latest attempt (owner is cleared when the
-- attempt ends; ran_by stays, so a finished part still says where it ran).
ALTER TABLE run_parts ADD COLUMN ran_by TEXT NOT NULL DEFAULT '';
