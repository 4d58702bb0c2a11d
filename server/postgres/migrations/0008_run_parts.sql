-- Partitioned scoring. A scoring run records the partition size it was
-- created with (partition_rows, 0: never split) and, once split, how many
-- parts it has. Each part scores a range of the input snapshot's rows
-- (first_row, rows), read from the snapshot's bytes [byte_start, byte_end)
-- after its header [0, header_end). Parts are claimed, leased, dispatched,
-- retried and recovered as runs are (see 0004_run_leases.sql).
ALTER TABLE runs ADD COLUMN partition_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN parts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE run_parts (
	run_id        BIGINT NOT NULL REFERENCES runs (id),
	part          INTEGER NOT NULL,
	first_row     BIGINT NOT NULL,
	rows          BIGINT NOT NULL,
	header_end    BIGINT NOT NULL,
	byte_start    BIGINT NOT NULL,
	byte_end      BIGINT NOT NULL,
	state         TEXT COLLATE "C" NOT NULL,
	attempt       INTEGER NOT NULL DEFAULT 0,
	max_attempts  INTEGER NOT NULL,
	owner         TEXT NOT NULL DEFAULT '',
	lease_until   TEXT COLLATE "C",
	worker_pid    INTEGER NOT NULL DEFAULT 0,
	dispatch      INTEGER NOT NULL DEFAULT 0,
	dispatched    INTEGER NOT NULL DEFAULT -1,
	dispatched_at TEXT COLLATE "C",
	scheduled_at  TEXT COLLATE "C" NOT NULL,
	started_at    TEXT COLLATE "C",
	finished_at   TEXT COLLATE "C",
	rows_out      BIGINT NOT NULL DEFAULT 0,
	error         TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, part)
);
CREATE INDEX run_parts_undispatched ON run_parts (state, dispatched, dispatch);
