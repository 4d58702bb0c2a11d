-- Schedules and their slots. Times in these tables use a fixed-width UTC
-- format so that text order is time order.
CREATE TABLE schedules (
	id                   INTEGER PRIMARY KEY AUTOINCREMENT,
	name                 TEXT NOT NULL UNIQUE,
	kind                 TEXT NOT NULL,
	model_id             INTEGER NOT NULL REFERENCES models (id),
	target               TEXT NOT NULL,
	input                TEXT NOT NULL DEFAULT '',
	output               TEXT NOT NULL DEFAULT '',
	params               TEXT NOT NULL DEFAULT '{}',
	timing               TEXT NOT NULL,
	overlap              TEXT NOT NULL,
	catch_up             TEXT NOT NULL,
	catch_up_window      TEXT NOT NULL DEFAULT '',
	pause_after_failures INTEGER NOT NULL DEFAULT 0,
	backfill_concurrency INTEGER NOT NULL DEFAULT 1,
	promote              TEXT,
	state                TEXT NOT NULL,
	reason               TEXT NOT NULL DEFAULT '',
	next_fire            TEXT,
	next_local           TEXT NOT NULL DEFAULT '',
	next_due             TEXT,
	fired                INTEGER NOT NULL DEFAULT 0,
	-- The newest input snapshot version an on-new-data schedule has seen.
	last_snapshot        INTEGER NOT NULL DEFAULT 0,
	resumed_at           TEXT,
	-- version counts changes: a scheduler applies a step only to the
	-- version it planned from.
	version              INTEGER NOT NULL DEFAULT 1,
	created_at           TEXT NOT NULL,
	updated_at           TEXT NOT NULL
);

CREATE INDEX schedules_due ON schedules (state, next_due);

-- One row per slot, ever: the primary key (and, for snapshot slots, the
-- unique index below) is what makes a slot start at most one run.
CREATE TABLE schedule_slots (
	schedule_id INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
	time        TEXT NOT NULL,
	local       TEXT NOT NULL,
	status      TEXT NOT NULL,
	reason      TEXT NOT NULL DEFAULT '',
	backfill    INTEGER NOT NULL DEFAULT 0,
	run_id      INTEGER REFERENCES runs (id),
	-- The input snapshot whose arrival made an on-new-data slot; '' for
	-- time slots, which are unique per time.
	snapshot    TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	PRIMARY KEY (schedule_id, time, snapshot)
);

-- Once per snapshot.
CREATE UNIQUE INDEX schedule_slots_snapshot ON schedule_slots (schedule_id, snapshot) WHERE snapshot != '';

CREATE INDEX schedule_slots_pending ON schedule_slots (status, schedule_id, time);
CREATE INDEX schedule_slots_run ON schedule_slots (run_id);

-- The slot that started a run; the schedule may since have been deleted.
ALTER TABLE runs ADD COLUMN schedule_id INTEGER;
ALTER TABLE runs ADD COLUMN nominal_time TEXT;
ALTER TABLE runs ADD COLUMN promotion TEXT;
CREATE INDEX runs_schedule ON runs (schedule_id, state);
