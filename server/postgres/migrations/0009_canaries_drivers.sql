-- A model's canary: weight (0 < weight <= 1) of its alias and default
-- prediction requests go to the trained version trained_model_id. Kept
-- here, not in a server's memory, so that every server on the database
-- applies the same split and a restart keeps it.
CREATE TABLE canaries (
	model_id         BIGINT PRIMARY KEY REFERENCES models (id),
	trained_model_id BIGINT NOT NULL REFERENCES trained_models (id),
	weight           DOUBLE PRECISION NOT NULL CHECK (weight > 0 AND weight <= 1),
	updated_at       TEXT COLLATE "C" NOT NULL
);

-- The top drivers of each profile's scores, as a JSON array of
-- {"feature", "value", "contribution"} ('' when the scoring output has
-- none).
ALTER TABLE profile_attributes ADD COLUMN drivers TEXT NOT NULL DEFAULT '';
ALTER TABLE profile_history ADD COLUMN drivers TEXT NOT NULL DEFAULT '';
