-- A training run of a schedule with a promotion rule re-evaluates the
-- version its alias pointed at (baseline, "model@N") on the run's own
-- evaluation split: baseline_metrics holds what that gave, or why it could
-- not ({"metrics": {...}} or {"error": "..."}).
ALTER TABLE runs ADD COLUMN baseline TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN baseline_metrics TEXT;

-- Curves a training run's evaluation drew (ROC, lift, ...), as JSON:
-- {"roc": {"x": [...], "y": [...]}, ...}.
ALTER TABLE runs ADD COLUMN curves TEXT NOT NULL DEFAULT '{}';

-- The runs a slot started before it was re-run, oldest first, as a JSON
-- array of run ids: the slot's run_id is always its newest.
ALTER TABLE schedule_slots ADD COLUMN earlier_runs TEXT NOT NULL DEFAULT '[]';
