-- Deleted runs and trained versions keep their numbers: a client that held
-- run 93 or model@4 must never find something else under that name. New
-- ids and versions count up from the highest ever used, deleted or not.
CREATE TABLE deleted_runs (
	id INTEGER PRIMARY KEY
);

CREATE TABLE deleted_trained_models (
	model_id INTEGER NOT NULL,
	version  INTEGER NOT NULL,
	PRIMARY KEY (model_id, version)
);
