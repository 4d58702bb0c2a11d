-- Deleted trained versions keep their numbers: a client that held model@4
-- must never find something else under that name, so new versions count
-- up from the highest ever used, deleted or not. Run ids need no such
-- table here: they come from an identity sequence, which never hands out
-- a number twice.
CREATE TABLE deleted_trained_models (
	model_id BIGINT NOT NULL,
	version  INTEGER NOT NULL,
	PRIMARY KEY (model_id, version)
);
