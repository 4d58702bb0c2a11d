-- Partitioned scoring. A scoring run records the partition size it was
-- created with (partition_rows, 0: never split) and, once split, how many
-- parts it has. Each part scores a range of the input snapshot's rows
-- (first_row, rows), read from the snapshot's bytes [byte_start, byte_end)
-- after its header [0, header_end). Parts are claimed, leased, dispatched,
-- retried and recovered as runs are (see 0004_run_leases.sql).
ALTER TABLE runs ADD COLUMN partition_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE run_parts (
	run_id        INTEGER NOT NULL REFERENCES runs (id),
	part          INTEGER NOT NULL,
	first_row     INTEGER NOT NULL,
	rows          INTEGER NOT NULL,
	header_end    INTEGER NOT NULL,
	byte_start    INTEGER NOT NULL,
	byte_end      INTEGER NOT NULL,
	state         TEXT NOT NULL,
	attempt       INTEGER NOT NULL DEFAULT 0,
	max_attempts  INTEGER NOT NULL,
	owner         TEXT NOT NULL DEFAULT '',
	lease_until   TEXT,
	worker_pid    INTEGER NOT NULL DEFAULT 0,
	dispatch      INTEGER NOT NULL DEFAULT 0,
	dispatched    INTEGER NOT NULL DEFAULT -1,
	dispatched_at TEXT,
	scheduled_at  TEXT NOT NULL,
	started_at    TEXT,
	finished_at   TEXT,
	rows_out      INTEGER NOT NULL DEFAULT 0,
	error         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, part)
);
CREATE INDEX run_parts_undispatched ON run_parts (state, dispatched, dispatch);
