-- The dataset catalog servers and workers share when they run with
-- --storage: each version's Parquet file is an object in the object store
-- (object is its key), and its number is taken here, under the dataset's
-- row, so processes on several machines never give out one number twice.
-- A dataset's row outlives its versions: next_version keeps counting after
-- a delete, so a number never names two different versions (objects and
-- caches elsewhere may still hold the old one).
-- run_id is the scoring run that wrote the version; a version is
-- registered in the transaction that records its run's success.
CREATE TABLE catalog_datasets (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	next_version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE catalog_versions (
	dataset_id INTEGER NOT NULL REFERENCES catalog_datasets (id),
	version    INTEGER NOT NULL,
	rows       INTEGER NOT NULL,
	columns    TEXT NOT NULL,
	bytes      INTEGER NOT NULL,
	object     TEXT NOT NULL,
	source     TEXT NOT NULL DEFAULT '',
	lineage    TEXT,
	run_id     INTEGER,
	created_at TEXT NOT NULL,
	PRIMARY KEY (dataset_id, version)
);

CREATE UNIQUE INDEX catalog_versions_run ON catalog_versions (run_id) WHERE run_id IS NOT NULL;
