-- A running run is held by one process (owner) for as long as it renews
-- its lease; any process may take back a run whose lease ran out. dispatch
-- counts the run's trips into the queue: the job queue delivers each trip
-- once (a job unique per run and dispatch), and dispatched is the trip a
-- job was last enqueued for, at dispatched_at.
ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN lease_until TEXT COLLATE "C";
ALTER TABLE runs ADD COLUMN dispatch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN dispatched INTEGER NOT NULL DEFAULT -1;
ALTER TABLE runs ADD COLUMN dispatched_at TEXT COLLATE "C";
CREATE INDEX runs_undispatched ON runs (state, dispatched, dispatch);
