package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/galley-dev/galley/server"
)

// DueSchedules implements server.ScheduleQueue. An ended schedule is due
// while it has pending slots: a backfill or re-run of its past slots.
func (db *Store) DueSchedules(ctx context.Context, now time.Time) ([]*server.Schedule, error) {
	rows, err := db.db.QueryContext(ctx, scheduleSelect+` WHERE s.state != 'ended' AND (s.next_due <= ? OR `+db.d.OnNewData+`)
		OR EXISTS (SELECT 1 FROM schedule_slots sl WHERE sl.status = 'pending' AND sl.schedule_id = s.id)
		OR s.promote IS NOT NULL AND EXISTS (SELECT 1 FROM runs r WHERE r.schedule_id = s.id AND r.kind = 'train' AND r.state = 'succeeded' AND r.promotion IS NULL)
		ORDER BY s.next_due NULLS FIRST, s.id`, fmtFixed(now))
	if err != nil {
		return nil, db.errorf("finding due schedules: %w", err)
	}
	defer rows.Close()
	var list []*server.Schedule
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, s)
	}
	return list, rows.Err()
}

// ScheduleActivity implements server.ScheduleQueue.
func (db *Store) ScheduleActivity(ctx context.Context, s *server.Schedule) (*server.ScheduleActivity, error) {
	act := &server.ScheduleActivity{}
	rows, err := db.db.QueryContext(ctx, `SELECT r.id, coalesce(sl.backfill, false) FROM runs r LEFT JOIN schedule_slots sl ON sl.run_id = r.id
		WHERE r.schedule_id = ? AND r.state IN ('queued', 'running') ORDER BY r.id`, s.ID)
	if err != nil {
		return nil, db.errorf("reading schedule activity: %w", err)
	}
	for rows.Next() {
		var id int64
		var backfill bool
		if err := rows.Scan(&id, &backfill); err != nil {
			rows.Close()
			return nil, err
		}
		if backfill {
			act.ActiveBackfill++
		} else {
			act.Active = append(act.Active, id)
		}
	}
	rows.Close()
	if act.Pending, err = db.slots(ctx, slotSelect+` WHERE sl.schedule_id = ? AND sl.status = 'pending' ORDER BY sl.time`, s.ID); err != nil {
		return nil, err
	}
	var resumed sql.NullString
	if err := db.db.QueryRowContext(ctx, `SELECT resumed_at FROM schedules WHERE id = ?`, s.ID).Scan(&resumed); err != nil {
		return nil, NotFound(err, "schedule %s was deleted", s.Name)
	}
	act.ResumedAt = parseTimePtr(resumed)
	if s.Timing.OnNewData {
		if act.NewSnapshots, err = db.newSnapshots(ctx, s); err != nil {
			return nil, err
		}
	}
	if s.Promote != nil {
		rows, err := db.db.QueryContext(ctx, runSelect+` WHERE r.schedule_id = ? AND r.kind = 'train' AND r.state = 'succeeded' AND r.promotion IS NULL ORDER BY r.id`, s.ID)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			r, err := scanRun(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			act.Unpromoted = append(act.Unpromoted, r)
		}
		rows.Close()
	}
	if n := s.PauseAfterFailures; n > 0 {
		rows, err := db.db.QueryContext(ctx, `SELECT state, finished_at FROM runs WHERE schedule_id = ? AND state IN ('succeeded', 'failed', 'cancelled')
			ORDER BY id DESC LIMIT ?`, s.ID, n)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var st server.RunState
			var finished sql.NullString
			if err := rows.Scan(&st, &finished); err != nil {
				return nil, err
			}
			// Runs that finished before the last resume do not count again.
			if f := parseTimePtr(finished); act.ResumedAt != nil && f != nil && !f.After(*act.ResumedAt) {
				break
			}
			act.Recent = append(act.Recent, st)
		}
	}
	return act, nil
}

// PrepareRun implements server.ScheduleQueue.
func (db *Store) PrepareRun(ctx context.Context, s *server.Schedule, snapshot string) (*server.Run, error) {
	var r *server.Run
	var err error
	if s.Kind == server.RunTrain {
		r, _, err = db.prepareTrain(ctx, server.TrainRequest{Model: s.Model, Params: s.Params})
		if err == nil && s.Promote != nil {
			// The run evaluates what the alias points at now on its own
			// split, so that the promotion compares like for like.
			tm, ferr := db.FindTrainedModel(ctx, s.Model+"@"+s.Promote.Alias)
			switch {
			case ferr == nil:
				r.Baseline = tm.Ref()
			case server.ErrorCode(ferr) != server.ENOTFOUND:
				return nil, ferr
			}
		}
	} else {
		input := s.Input
		if snapshot != "" {
			input = snapshot
		}
		r, _, err = db.prepareScore(ctx, server.ScoreRequest{TrainedModel: s.Model, Input: input, Output: s.Output,
			Profile: s.Profile, Force: s.Force})
	}
	if err == nil && snapshot != "" {
		// The snapshot that fired the slot, not whatever is latest now.
		r.InputSnapshot = snapshot
	}
	return r, err
}

// maxNewSnapshots bounds the snapshots one step turns into slots.
const maxNewSnapshots = 100

// newSnapshots lists the input snapshots an on-new-data schedule has not
// seen, oldest first.
func (db *Store) newSnapshots(ctx context.Context, s *server.Schedule) ([]*server.DatasetVersion, error) {
	name, err := db.inputName(ctx, s)
	if err != nil {
		return nil, err
	}
	d, err := db.Datasets.FindDataset(ctx, name)
	if server.ErrorCode(err) == server.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	var out []*server.DatasetVersion
	for v := s.LastSnapshot + 1; v <= d.LatestVersion && len(out) < maxNewSnapshots; v++ {
		dv, err := db.Datasets.FindDatasetVersion(ctx, fmt.Sprintf("%s@%d", name, v))
		if server.ErrorCode(err) == server.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, dv)
	}
	return out, nil
}

// AdvanceSchedule implements server.ScheduleQueue.
func (db *Store) AdvanceSchedule(ctx context.Context, a *server.Advance) error {
	now := db.now()
	fired := 0
	for _, c := range a.Changes {
		if c.Run != nil && !c.Slot.Backfill {
			fired++
		}
	}
	conflict := server.Errorf(server.ECONFLICT, "schedule %d changed since the step was planned", a.ScheduleID)
	err := db.tx(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE schedules SET next_fire = ?, next_local = ?, next_due = ?, state = ?, reason = ?, fired = fired + ?,
			last_snapshot = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
			fixedPtr(a.NextFire), a.NextLocal, fixedPtr(a.NextDue), a.State, a.Reason, fired, a.LastSnapshot, fmtFixed(now), a.ScheduleID, a.Version)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return conflict
		}
		var modelID int64
		if err := tx.QueryRowContext(ctx, `SELECT model_id FROM schedules WHERE id = ?`, a.ScheduleID).Scan(&modelID); err != nil {
			return err
		}
		for _, c := range a.Changes {
			var runID any
			if c.Run != nil {
				t := c.Slot.Time
				c.Run.NominalTime = &t
				id, err := db.insertRunWith(ctx, tx, c.Run, modelID, a.ScheduleID)
				if err != nil {
					return err
				}
				runID, c.Slot.RunID = id, id
			}
			if c.New {
				_, err = tx.ExecContext(ctx, `INSERT INTO schedule_slots (schedule_id, time, local, status, reason, backfill, run_id, snapshot, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, a.ScheduleID, fmtFixed(c.Slot.Time), c.Slot.Local, c.Slot.Status, c.Slot.Reason, c.Slot.Backfill, runID, c.Slot.Snapshot, fmtFixed(now))
				if db.isUnique(err) {
					return conflict
				}
			} else {
				res, err = tx.ExecContext(ctx, `UPDATE schedule_slots SET status = ?, reason = ?, run_id = ? WHERE schedule_id = ? AND time = ? AND snapshot = ? AND status = 'pending'`,
					c.Slot.Status, c.Slot.Reason, runID, a.ScheduleID, fmtFixed(c.Slot.Time), c.Slot.Snapshot)
				if err == nil {
					if n, _ := res.RowsAffected(); n == 0 {
						return conflict
					}
				}
			}
			if err != nil {
				return err
			}
		}
		for _, id := range a.Cancel {
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = 'cancelled', finished_at = ?, error = 'cancelled: a later slot of its schedule started (overlap cancel-other)'
				WHERE id = ? AND state = 'queued'`, FormatTime(now), id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE runs SET cancel_requested = true WHERE id = ? AND state = 'running'`, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && server.ErrorCode(err) != server.ECONFLICT {
		return db.errorf("advancing schedule %d: %w", a.ScheduleID, err)
	}
	return err
}

// RecordPromotion implements server.ScheduleQueue.
func (db *Store) RecordPromotion(ctx context.Context, id int64, d *server.PromotionDecision) error {
	b, _ := json.Marshal(d)
	err := db.tx(ctx, func(tx conn) error {
		res, err := tx.ExecContext(ctx, `UPDATE runs SET promotion = ? WHERE id = ? AND promotion IS NULL`, string(b), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return server.Errorf(server.ECONFLICT, "run %d has a promotion decision already", id)
		}
		if !d.Promoted {
			return nil
		}
		var model string
		var trained int64
		if err := tx.QueryRowContext(ctx, `SELECT m.name, t.id FROM trained_models t JOIN models m ON m.id = t.model_id WHERE t.run_id = ?`, id).Scan(&model, &trained); err != nil {
			return err
		}
		return setAlias(ctx, tx, model, d.Alias, trained)
	})
	if err != nil && server.ErrorCode(err) != server.ECONFLICT {
		return db.errorf("recording promotion of run %d: %w", id, err)
	}
	return err
}
