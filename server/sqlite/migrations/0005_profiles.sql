-- Profile sets: profiles keyed by identity, written by scoring runs.
CREATE TABLE profile_sets (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT NOT NULL UNIQUE,
	profiles   INTEGER NOT NULL DEFAULT 0,
	-- The models that wrote into the set, a JSON array of names.
	models     TEXT NOT NULL DEFAULT '[]',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

-- The latest attributes each model wrote into each profile. Scores are a
-- JSON object of numbers by name. set_id names a profile_sets row; sets are
-- never deleted, and a foreign key would check every one of the millions of
-- rows a scoring run writes.
CREATE TABLE profile_attributes (
	set_id        INTEGER NOT NULL,
	profile_id    TEXT NOT NULL,
	model         TEXT NOT NULL,
	scores        TEXT NOT NULL,
	class         TEXT NOT NULL DEFAULT '',
	trained_model TEXT NOT NULL,
	run_id        INTEGER NOT NULL,
	schedule      TEXT NOT NULL DEFAULT '',
	nominal_time  TEXT,
	scored_at     TEXT NOT NULL,
	PRIMARY KEY (set_id, profile_id, model)
);

-- Every change of a profile's attributes, within the retention setting.
CREATE TABLE profile_history (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	set_id        INTEGER NOT NULL,
	profile_id    TEXT NOT NULL,
	model         TEXT NOT NULL,
	scores        TEXT NOT NULL,
	class         TEXT NOT NULL DEFAULT '',
	trained_model TEXT NOT NULL,
	run_id        INTEGER NOT NULL,
	schedule      TEXT NOT NULL DEFAULT '',
	nominal_time  TEXT,
	scored_at     TEXT NOT NULL
);

CREATE INDEX profile_history_profile ON profile_history (set_id, profile_id, model, seq);
CREATE INDEX profile_history_age ON profile_history (set_id, scored_at);

-- Scoring runs and schedules that target a profile set.
ALTER TABLE runs ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN profile_id TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN profile_id TEXT NOT NULL DEFAULT '';
ALTER TABLE schedules ADD COLUMN force_output INTEGER NOT NULL DEFAULT 0;
