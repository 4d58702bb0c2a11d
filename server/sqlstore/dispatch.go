package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/galley-dev/galley/server"
)

// PendingDispatches implements server.RunQueue.
func (db *Store) PendingDispatches(ctx context.Context, limit int) ([]server.Dispatch, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT id, kind, dispatch, scheduled_at FROM runs
		WHERE state = 'queued' AND dispatched <> dispatch AND scheduled_at <= ? ORDER BY scheduled_at, id LIMIT ?`, FormatTime(db.now()), limit)
	if err != nil {
		return nil, db.errorf("listing runs to dispatch: %w", err)
	}
	defer rows.Close()
	var out []server.Dispatch
	for rows.Next() {
		var d server.Dispatch
		var at string
		if err := rows.Scan(&d.Run, &d.Kind, &d.Seq, &at); err != nil {
			return nil, err
		}
		d.At = ParseTime(at)
		out = append(out, d)
	}
	return out, rows.Err()
}

// MarkDispatched implements server.RunQueue.
func (db *Store) MarkDispatched(ctx context.Context, ds []server.Dispatch) error {
	if len(ds) == 0 {
		return nil
	}
	now := FormatTime(db.now())
	err := db.tx(ctx, func(tx conn) error {
		for _, d := range ds {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET dispatched = ?1, dispatched_at = ?3 WHERE id = ?2 AND dispatched < ?1`, d.Seq, d.Run, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return db.errorf("marking runs dispatched: %w", err)
	}
	return nil
}

// ClaimQueuedRun implements server.RunQueue.
func (db *Store) ClaimQueuedRun(ctx context.Context, id int64, seq int, owner string, lease time.Duration) (*server.Run, error) {
	now := db.now()
	var got int64
	err := db.db.QueryRowContext(ctx, `UPDATE runs SET state = 'running', attempt = attempt + 1, started_at = ?, worker_pid = 0, owner = ?, lease_until = ?
		WHERE id = ? AND state = 'queued' AND dispatch = ? RETURNING id`, FormatTime(now), owner, FormatTime(now.Add(lease)), id, seq).Scan(&got)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, db.errorf("claiming run %d: %w", id, err)
	}
	return db.FindRun(ctx, id)
}

// RenewLeases implements server.RunQueue.
func (db *Store) RenewLeases(ctx context.Context, owner string, lease time.Duration) error {
	until := FormatTime(db.now().Add(lease))
	for _, table := range []string{"runs", "run_parts"} {
		if _, err := db.db.ExecContext(ctx, `UPDATE `+table+` SET lease_until = ? WHERE owner = ? AND state = 'running'`, until, owner); err != nil {
			return db.errorf("renewing leases: %w", err)
		}
	}
	return nil
}

// RunOwners implements server.RunQueue.
func (db *Store) RunOwners(ctx context.Context) ([]string, error) {
	rows, err := db.db.QueryContext(ctx, `SELECT owner FROM runs WHERE state = 'running' AND owner <> ''
		UNION SELECT owner FROM run_parts WHERE state = 'running' AND owner <> ''`)
	if err != nil {
		return nil, db.errorf("listing run owners: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// RedispatchStale implements server.RunQueue.
func (db *Store) RedispatchStale(ctx context.Context, before time.Time) (int, error) {
	var n int64
	for _, table := range []string{"runs", "run_parts"} {
		res, err := db.db.ExecContext(ctx, `UPDATE `+table+` SET dispatch = dispatch + 1
			WHERE state = 'queued' AND dispatched = dispatch AND dispatched_at < ?`, FormatTime(before))
		if err != nil {
			return 0, db.errorf("dispatching runs again: %w", err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	return int(n), nil
}
