CREATE TABLE recipes (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE recipe_versions (
	id            INTEGER PRIMARY KEY,
	recipe_id     INTEGER NOT NULL REFERENCES recipes (id),
	version       INTEGER NOT NULL,
	content_hash  TEXT NOT NULL,
	notebook_hash TEXT NOT NULL,
	source        TEXT NOT NULL,
	params        TEXT NOT NULL,
	author        TEXT NOT NULL,
	created_at    TEXT NOT NULL,
	UNIQUE (recipe_id, version),
	UNIQUE (recipe_id, content_hash)
);

CREATE TABLE models (
	id                INTEGER PRIMARY KEY,
	name              TEXT NOT NULL UNIQUE,
	recipe_version_id INTEGER NOT NULL REFERENCES recipe_versions (id),
	params            TEXT NOT NULL,
	dataset           TEXT NOT NULL,
	created_at        TEXT NOT NULL
);

CREATE TABLE runs (
	id                INTEGER PRIMARY KEY,
	kind              TEXT NOT NULL,
	state             TEXT NOT NULL,
	attempt           INTEGER NOT NULL DEFAULT 0,
	max_attempts      INTEGER NOT NULL,
	model_id          INTEGER NOT NULL REFERENCES models (id),
	recipe_version_id INTEGER NOT NULL REFERENCES recipe_versions (id),
	params            TEXT NOT NULL,
	input_snapshot    TEXT NOT NULL,
	trained_model     TEXT NOT NULL DEFAULT '',
	output_name       TEXT NOT NULL DEFAULT '',
	output_snapshot   TEXT NOT NULL DEFAULT '',
	metrics           TEXT NOT NULL DEFAULT '{}',
	rows_in           INTEGER NOT NULL DEFAULT 0,
	rows_out          INTEGER NOT NULL DEFAULT 0,
	error             TEXT NOT NULL DEFAULT '',
	worker_pid        INTEGER NOT NULL DEFAULT 0,
	cancel_requested  INTEGER NOT NULL DEFAULT 0,
	created_at        TEXT NOT NULL,
	scheduled_at      TEXT NOT NULL,
	started_at        TEXT,
	finished_at       TEXT,
	duration_ms       INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX runs_due ON runs (state, scheduled_at);

CREATE TABLE run_logs (
	run_id INTEGER NOT NULL REFERENCES runs (id),
	seq    INTEGER NOT NULL,
	time   TEXT NOT NULL,
	text   TEXT NOT NULL,
	PRIMARY KEY (run_id, seq)
);

CREATE TABLE trained_models (
	id                INTEGER PRIMARY KEY,
	model_id          INTEGER NOT NULL REFERENCES models (id),
	version           INTEGER NOT NULL,
	run_id            INTEGER NOT NULL REFERENCES runs (id),
	recipe_version_id INTEGER NOT NULL REFERENCES recipe_versions (id),
	params            TEXT NOT NULL,
	dataset_snapshot  TEXT NOT NULL,
	metrics           TEXT NOT NULL,
	artifact          TEXT NOT NULL,
	created_at        TEXT NOT NULL,
	UNIQUE (model_id, version)
);

CREATE TABLE aliases (
	model_id         INTEGER NOT NULL REFERENCES models (id),
	alias            TEXT NOT NULL,
	trained_model_id INTEGER NOT NULL REFERENCES trained_models (id),
	PRIMARY KEY (model_id, alias)
);

CREATE TABLE datasets (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);

CREATE TABLE dataset_versions (
	dataset_id INTEGER NOT NULL REFERENCES datasets (id),
	version    INTEGER NOT NULL,
	rows       INTEGER NOT NULL,
	columns    TEXT NOT NULL,
	format     TEXT NOT NULL,
	bytes      INTEGER NOT NULL,
	path       TEXT NOT NULL,
	lineage    TEXT,
	created_at TEXT NOT NULL,
	PRIMARY KEY (dataset_id, version)
);
