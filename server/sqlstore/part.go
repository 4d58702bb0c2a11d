package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/galley-dev/galley/server"
)

// Parts of partitioned scoring runs (server.PartQueue). They follow the
// run's own claim rules: a part's writes count only under its claim
// (attempt and owner), and the queue's dispatch number makes a repeated
// or stale job delivery claim nothing.

// SetScorePartitionRows sets the partition size recorded on new scoring
// runs (see ScorePartitionRows).
func (db *Store) SetScorePartitionRows(n int) { db.ScorePartitionRows = n }

const partSelect = `SELECT run_id, part, first_row, rows, header_end, byte_start, byte_end, state, attempt, max_attempts,
	owner, worker_pid, rows_out, error, dispatch, ran_by, started_at, finished_at FROM run_parts`

func scanPart(s scanner) (*server.RunPart, error) {
	var p server.RunPart
	var started, finished sql.NullString
	err := s.Scan(&p.Run, &p.Part, &p.FirstRow, &p.Rows, &p.HeaderEnd, &p.ByteStart, &p.ByteEnd, &p.State, &p.Attempt, &p.MaxAttempts,
		&p.Owner, &p.WorkerPID, &p.RowsOut, &p.Error, &p.Dispatch, &p.RanBy, &started, &finished)
	if err != nil {
		return nil, err
	}
	p.StartedAt, p.FinishedAt = parseTimePtr(started), parseTimePtr(finished)
	if p.FinishedAt != nil && p.StartedAt != nil && p.FinishedAt.Before(*p.StartedAt) {
		p.FinishedAt = nil // an earlier attempt's end; the latest is running or queued
	}
	return &p, nil
}

// PlanParts implements server.PartQueue.
func (db *Store) PlanParts(ctx context.Context, c server.Claim, parts []server.RunPart) ([]*server.RunPart, error) {
	if len(parts) == 0 {
		return nil, server.Errorf(server.EINVALID, "a partitioned run needs at least one part")
	}
	now := FormatTime(db.now())
	err := db.tx(ctx, func(tx conn) error {
		// Each part may take as many attempts as its run.
		var n, max int
		err := tx.QueryRowContext(ctx, `SELECT parts, max_attempts FROM runs WHERE id = ? AND state = 'running' AND attempt = ? AND owner = ?`+db.d.ForUpdate, c.Run, c.Attempt, c.Owner).Scan(&n, &max)
		if err == sql.ErrNoRows {
			return lostClaim(c)
		} else if err != nil {
			return err
		}
		if n > 0 {
			// An earlier coordinator split the run: its parts stand, done
			// or not (the split depends only on the run).
			return nil
		}
		for _, p := range parts {
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_parts (run_id, part, first_row, rows, header_end, byte_start, byte_end, state, max_attempts, scheduled_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`, c.Run, p.Part, p.FirstRow, p.Rows, p.HeaderEnd, p.ByteStart, p.ByteEnd, max, now); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE runs SET parts = ? WHERE id = ?`, len(parts), c.Run)
		return err
	})
	if server.ErrorCode(err) == server.ECONFLICT {
		return nil, err
	}
	if err != nil {
		return nil, db.errorf("splitting run %d into parts: %w", c.Run, err)
	}
	return db.FindParts(ctx, c.Run)
}

// FindParts implements server.PartQueue.
func (db *Store) FindParts(ctx context.Context, run int64) ([]*server.RunPart, error) {
	rows, err := db.db.QueryContext(ctx, partSelect+` WHERE run_id = ? ORDER BY part`, run)
	if err != nil {
		return nil, db.errorf("listing the parts of run %d: %w", run, err)
	}
	defer rows.Close()
	var out []*server.RunPart
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// countParts fills pr with the counts of run's parts by state.
func (db *Store) countParts(ctx context.Context, run int64, pr *server.PartsProgress) error {
	rows, err := db.db.QueryContext(ctx, `SELECT state, count(*) FROM run_parts WHERE run_id = ? GROUP BY state`, run)
	if err != nil {
		return db.errorf("counting the parts of run %d: %w", run, err)
	}
	defer rows.Close()
	for rows.Next() {
		var state server.RunState
		var n int
		if err := rows.Scan(&state, &n); err != nil {
			return err
		}
		switch state {
		case server.RunQueued:
			pr.Queued = n
		case server.RunRunning:
			pr.Running = n
		case server.RunSucceeded:
			pr.Succeeded = n
		case server.RunFailed:
			pr.Failed = n
		case server.RunCancelled:
			pr.Cancelled = n
		}
	}
	return rows.Err()
}

// PendingPartDispatches implements server.PartQueue.
func (db *Store) PendingPartDispatches(ctx context.Context, limit int) ([]server.PartDispatch, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT run_id, part, dispatch FROM run_parts
		WHERE state = 'queued' AND dispatched <> dispatch AND scheduled_at <= ? ORDER BY scheduled_at, run_id, part LIMIT ?`, FormatTime(db.now()), limit)
	if err != nil {
		return nil, db.errorf("listing parts to dispatch: %w", err)
	}
	defer rows.Close()
	var out []server.PartDispatch
	for rows.Next() {
		var d server.PartDispatch
		if err := rows.Scan(&d.Run, &d.Part, &d.Seq); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkPartsDispatched implements server.PartQueue.
func (db *Store) MarkPartsDispatched(ctx context.Context, ds []server.PartDispatch) error {
	if len(ds) == 0 {
		return nil
	}
	now := FormatTime(db.now())
	err := db.tx(ctx, func(tx conn) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `UPDATE run_parts SET dispatched = ?1, dispatched_at = ?4 WHERE run_id = ?2 AND part = ?3 AND dispatched < ?1`, d.Seq, d.Run, d.Part, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.errorf("marking parts dispatched: %w", err)
	}
	return nil
}

// partClaimable is the condition under which a queued part may be taken:
// its run is not over (a run between coordinators is queued).
const partClaimable = ` AND state = 'queued' AND scheduled_at <= ? AND EXISTS (SELECT 1 FROM runs WHERE runs.id = run_parts.run_id AND runs.state IN ('queued', 'running') AND runs.cancel_requested = false)`

// ClaimQueuedPart implements server.PartQueue.
func (db *Store) ClaimQueuedPart(ctx context.Context, run int64, part, seq int, owner string, lease time.Duration) (*server.RunPart, error) {
	now := db.now()
	res, err := db.db.ExecContext(ctx, `UPDATE run_parts SET state = 'running', attempt = attempt + 1, started_at = ?, worker_pid = 0, owner = ?, ran_by = ?, lease_until = ?
		WHERE run_id = ? AND part = ? AND dispatch = ?`+partClaimable, FormatTime(now), owner, owner, FormatTime(now.Add(lease)), run, part, seq, FormatTime(now))
	if err != nil {
		return nil, db.errorf("claiming part %d of run %d: %w", part, run, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, nil
	}
	return db.findPart(ctx, run, part)
}

// ClaimNextPart implements server.PartQueue.
func (db *Store) ClaimNextPart(ctx context.Context, run int64, owner string, lease time.Duration) (*server.RunPart, error) {
	for {
		var part int
		err := db.db.QueryRowContext(ctx, `SELECT part FROM run_parts WHERE run_id = ?`+partClaimable+` ORDER BY part LIMIT 1`, run, FormatTime(db.now())).Scan(&part)
		if err == sql.ErrNoRows {
			return nil, nil
		} else if err != nil {
			return nil, db.errorf("finding a queued part of run %d: %w", run, err)
		}
		now := db.now()
		res, err := db.db.ExecContext(ctx, `UPDATE run_parts SET state = 'running', attempt = attempt + 1, started_at = ?, worker_pid = 0, owner = ?, ran_by = ?, lease_until = ?
			WHERE run_id = ? AND part = ?`+partClaimable, FormatTime(now), owner, owner, FormatTime(now.Add(lease)), run, part, FormatTime(now))
		if err != nil {
			return nil, db.errorf("claiming part %d of run %d: %w", part, run, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return db.findPart(ctx, run, part)
		}
		// Another process took it first: look again.
	}
}

func (db *Store) findPart(ctx context.Context, run int64, part int) (*server.RunPart, error) {
	p, err := scanPart(db.db.QueryRowContext(ctx, partSelect+` WHERE run_id = ? AND part = ?`, run, part))
	if err != nil {
		return nil, NotFound(err, "run %d has no part %d", run, part)
	}
	return p, nil
}

// SetPartWorker implements server.PartQueue.
func (db *Store) SetPartWorker(ctx context.Context, c server.PartClaim, pid int) error {
	_, err := db.db.ExecContext(ctx, `UPDATE run_parts SET worker_pid = ? WHERE run_id = ? AND part = ? AND attempt = ? AND owner = ?`, pid, c.Run, c.Part, c.Attempt, c.Owner)
	return err
}

// partHeld is the condition under which a part is still running under a
// claim.
const partHeld = ` WHERE run_id = ? AND part = ? AND state = 'running' AND attempt = ? AND owner = ?`

func (db *Store) updatePart(ctx context.Context, c server.PartClaim, what, set string, args ...any) error {
	res, err := db.db.ExecContext(ctx, `UPDATE run_parts SET `+set+partHeld, append(args, c.Run, c.Part, c.Attempt, c.Owner)...)
	if err != nil {
		return db.errorf("%s part %d of run %d: %w", what, c.Part, c.Run, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return server.Errorf(server.ECONFLICT, "part %d of run %d is no longer running as attempt %d of this process: another process took it over or it ended", c.Part, c.Run, c.Attempt)
	}
	return nil
}

// FinishPart implements server.PartQueue.
func (db *Store) FinishPart(ctx context.Context, c server.PartClaim, state server.RunState, rowsOut int64, msg string) error {
	if !state.Final() {
		return server.Errorf(server.EINVALID, "part state %q is not final", state)
	}
	return db.updatePart(ctx, c, "finishing", `state = ?, rows_out = ?, error = ?, finished_at = ?, worker_pid = 0, owner = '', lease_until = NULL`,
		state, rowsOut, msg, FormatTime(db.now()))
}

// RetryPart implements server.PartQueue.
func (db *Store) RetryPart(ctx context.Context, c server.PartClaim, at time.Time, reason string) error {
	return db.updatePart(ctx, c, "retrying", `state = 'queued', scheduled_at = ?, error = ?, `+requeued, FormatTime(at), reason)
}

// ReleasePart implements server.PartQueue.
func (db *Store) ReleasePart(ctx context.Context, c server.PartClaim, reason string) error {
	return db.updatePart(ctx, c, "releasing", `state = 'queued', scheduled_at = ?, error = ?, `+requeued+`, attempt = `+db.d.Greatest+`(attempt - 1, 0)`,
		FormatTime(db.now()), reason)
}

// CancelParts implements server.PartQueue.
func (db *Store) CancelParts(ctx context.Context, run int64, reason string) error {
	_, err := db.db.ExecContext(ctx, `UPDATE run_parts SET state = 'cancelled', error = ?, finished_at = ? WHERE run_id = ? AND state = 'queued'`, reason, FormatTime(db.now()), run)
	if err != nil {
		return db.errorf("cancelling the parts of run %d: %w", run, err)
	}
	return nil
}
