package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/cron"
)

// fixedFormat writes instants at a fixed width, so that text order is time
// order in the schedule tables.
const fixedFormat = "2006-01-02T15:04:05.000000000Z"

func fmtFixed(t time.Time) string { return t.UTC().Format(fixedFormat) }

func fixedPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return fmtFixed(*t)
}

// Limits of schedule settings.
const (
	maxPauseAfterFailures  = 1000
	maxBackfillConcurrency = 100
	maxNextSlots           = 100
)

// checkSchedule validates the settings of s that need no lookups and fills
// in defaults.
func checkSchedule(s *server.Schedule) error {
	if s.Overlap == "" {
		s.Overlap = server.OverlapSkip
	}
	if s.CatchUp == "" {
		s.CatchUp = server.CatchUpLatest
	}
	if !slices.Contains(server.OverlapPolicies, s.Overlap) {
		return server.Errorf(server.EINVALID, "overlap policy %q: use one of %s", s.Overlap, strings.Join(server.OverlapPolicies, ", "))
	}
	if !slices.Contains(server.CatchUpPolicies, s.CatchUp) {
		return server.Errorf(server.EINVALID, "catch-up policy %q: use one of %s", s.CatchUp, strings.Join(server.CatchUpPolicies, ", "))
	}
	if s.CatchUpWindow != "" {
		if d, err := time.ParseDuration(s.CatchUpWindow); err != nil || d <= 0 {
			return server.Errorf(server.EINVALID, "catch-up window %q: use a positive duration such as 6h", s.CatchUpWindow)
		}
	}
	if s.PauseAfterFailures < 0 || s.PauseAfterFailures > maxPauseAfterFailures {
		return server.Errorf(server.EINVALID, "pause_after_failures %d: use 0 (never) to %d", s.PauseAfterFailures, maxPauseAfterFailures)
	}
	if s.BackfillConcurrency == 0 {
		s.BackfillConcurrency = 1
	}
	if s.BackfillConcurrency < 1 || s.BackfillConcurrency > maxBackfillConcurrency {
		return server.Errorf(server.EINVALID, "backfill_concurrency %d: use 1 to %d", s.BackfillConcurrency, maxBackfillConcurrency)
	}
	return nil
}

// CreateSchedule implements server.ScheduleService.
func (db *Store) CreateSchedule(ctx context.Context, s *server.Schedule) error {
	if err := checkName("schedule", s.Name); err != nil {
		return err
	}
	if err := checkSchedule(s); err != nil {
		return err
	}
	now := db.now()
	if s.Timing.Every != "" && s.Timing.StartTime == nil {
		// Intervals count from the start: default it to now, visibly.
		t := now.Truncate(time.Second)
		s.Timing.StartTime = &t
	}
	spec, err := cron.For(s.Timing, now)
	if err != nil {
		return err
	}
	modelName, _, _ := strings.Cut(s.Model, "@")
	_, modelID, err := db.findModel(ctx, modelName)
	if err != nil {
		return err
	}
	switch s.Kind {
	case server.RunTrain:
		if s.Input != "" || s.Output != "" || s.Profile != nil {
			return server.Errorf(server.EINVALID, "a train schedule takes no input, output or profile: it trains on the model's dataset")
		}
		if s.Model != modelName {
			return server.Errorf(server.EINVALID, "a train schedule names a model, not a trained version: use %s", modelName)
		}
		if p := s.Promote; p != nil {
			if err := checkAlias(p.Alias); err != nil {
				return err
			}
			if p.Metric == "" || p.Tolerance < 0 {
				return server.Errorf(server.EINVALID, "a promotion rule needs a metric (such as auc) and a tolerance of 0 or more")
			}
		}
		if _, _, err := db.prepareTrain(ctx, server.TrainRequest{Model: s.Model, Params: s.Params}); err != nil {
			return err
		}
	case server.RunScore:
		if len(s.Params) > 0 {
			return server.Errorf(server.EINVALID, "a score schedule takes no parameters: scoring uses the trained model's")
		}
		if s.Promote != nil {
			return server.Errorf(server.EINVALID, "only train schedules promote: a score schedule has no new versions to promote")
		}
		if _, err := db.FindTrainedModel(ctx, s.Model); err != nil {
			return server.Errorf(server.EINVALID, "cannot schedule scoring with %s: %s", s.Model, server.ErrorMessage(err))
		}
		if _, _, err := db.prepareScore(ctx, server.ScoreRequest{TrainedModel: s.Model, Input: s.Input, Output: s.Output,
			Profile: s.Profile, Force: s.Force}); err != nil {
			return err
		}
	default:
		return server.Errorf(server.EINVALID, "schedule kind %q: use train or score", s.Kind)
	}
	first, ok := cron.First(spec, s.Timing, now)
	if !ok && !s.Timing.OnNewData {
		return server.Errorf(server.EINVALID, "the schedule never fires between its start and end times: widen them or change its timing")
	}
	var next, due any
	if ok {
		next, due = fmtFixed(first.Time), fmtFixed(first.Time)
	}
	lastSnapshot := 0
	if s.Timing.OnNewData {
		// Only snapshots that land from now on fire.
		if lastSnapshot, err = db.latestInput(ctx, s); err != nil {
			return err
		}
	}
	jitter, _ := cron.ParseJitter(s.Timing.Jitter)
	timing, _ := json.Marshal(s.Timing)
	params, _ := json.Marshal(s.Params)
	var promote any
	if s.Promote != nil {
		b, _ := json.Marshal(s.Promote)
		promote = string(b)
	}
	var profile, profileID string
	if s.Profile != nil {
		profile, profileID = s.Profile.Name, s.Profile.ID
	}
	var id int64
	err = db.db.QueryRowContext(ctx, `INSERT INTO schedules (name, kind, model_id, target, input, output, params, timing, overlap, catch_up, catch_up_window,
		pause_after_failures, backfill_concurrency, promote, state, next_fire, next_local, next_due, last_snapshot, created_at, updated_at,
		profile, profile_id, force_output)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Name, s.Kind, modelID, s.Model, s.Input, s.Output, string(params), string(timing), s.Overlap, s.CatchUp, s.CatchUpWindow,
		s.PauseAfterFailures, s.BackfillConcurrency, promote, next, first.Local, due, lastSnapshot,
		fmtFixed(now), fmtFixed(now), profile, profileID, s.Force).Scan(&id)
	if db.isUnique(err) {
		return server.Errorf(server.ECONFLICT, "schedule %s already exists: pick another name or delete it first", s.Name)
	} else if err != nil {
		return db.errorf("creating schedule: %w", err)
	}
	if jitter > 0 && ok {
		// The delay depends on the id, known only now.
		if _, err := db.db.ExecContext(ctx, `UPDATE schedules SET next_due = ? WHERE id = ?`, fmtFixed(first.Time.Add(cron.Delay(id, first.Time, jitter))), id); err != nil {
			return db.errorf("creating schedule: %w", err)
		}
	}
	got, err := db.findScheduleByID(ctx, id)
	if err != nil {
		return err
	}
	*s = *got
	return nil
}

const scheduleSelect = `SELECT s.id, s.name, s.kind, s.target, s.input, s.output, s.params, s.timing, s.overlap, s.catch_up, s.catch_up_window,
	s.pause_after_failures, s.backfill_concurrency, s.promote, s.state, s.reason, s.next_fire, s.next_local, s.next_due, s.last_snapshot, s.fired, s.version,
	s.created_at, s.updated_at, s.profile, s.profile_id, s.force_output FROM schedules s`

func scanSchedule(sc scanner) (*server.Schedule, error) {
	var s server.Schedule
	var params, timing, created, updated string
	var next, due, promote sql.NullString
	var profile, profileID string
	if err := sc.Scan(&s.ID, &s.Name, &s.Kind, &s.Model, &s.Input, &s.Output, &params, &timing, &s.Overlap, &s.CatchUp, &s.CatchUpWindow,
		&s.PauseAfterFailures, &s.BackfillConcurrency, &promote, &s.State, &s.Reason, &next, &s.NextLocal, &due, &s.LastSnapshot, &s.Fired, &s.Version,
		&created, &updated, &profile, &profileID, &s.Force); err != nil {
		return nil, err
	}
	if profile != "" {
		s.Profile = &server.ProfileTarget{Name: profile, ID: profileID}
	}
	json.Unmarshal([]byte(params), &s.Params)
	json.Unmarshal([]byte(timing), &s.Timing)
	if promote.Valid {
		json.Unmarshal([]byte(promote.String), &s.Promote)
	}
	s.NextFire, s.NextDue = parseTimePtr(next), parseTimePtr(due)
	s.CreatedAt, s.UpdatedAt = ParseTime(created), ParseTime(updated)
	return &s, nil
}

func (db *Store) findScheduleByID(ctx context.Context, id int64) (*server.Schedule, error) {
	s, err := scanSchedule(db.db.QueryRowContext(ctx, scheduleSelect+` WHERE s.id = ?`, id))
	return s, NotFound(err, "schedule %d not found", id)
}

// FindSchedule implements server.ScheduleService.
func (db *Store) FindSchedule(ctx context.Context, name string) (*server.Schedule, error) {
	s, err := scanSchedule(db.db.QueryRowContext(ctx, scheduleSelect+` WHERE s.name = ?`, name))
	if err != nil {
		return nil, NotFound(err, "schedule %s not found: list schedules with 'galley schedule list'", name)
	}
	return s, nil
}

// FindSchedules implements server.ScheduleService.
func (db *Store) FindSchedules(ctx context.Context, f server.ScheduleFilter) ([]*server.Schedule, int, error) {
	if err := f.Page.Normalize(server.ScheduleOrders...); err != nil {
		return nil, 0, err
	}
	where, args := " WHERE 1=1", []any{}
	if f.Model != "" {
		where += " AND s.model_id = (SELECT id FROM models WHERE name = ?)"
		args = append(args, f.Model)
	}
	if f.State != "" {
		if f.State != server.ScheduleActive && f.State != server.SchedulePaused && f.State != server.ScheduleEnded {
			return nil, 0, server.Errorf(server.EINVALID, "state %q is invalid: use active, paused or ended", f.State)
		}
		where += " AND s.state = ?"
		args = append(args, f.State)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM schedules s`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(f.Page, "s.name", map[string]string{"name": "s.name", "created_at": "s.created_at"})
	rows, err := db.db.QueryContext(ctx, scheduleSelect+where+" ORDER BY "+order+", s.id LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.Schedule{}
	for rows.Next() {
		s, err := scanSchedule(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, s)
	}
	return list, total, rows.Err()
}

// UpdateSchedule implements server.ScheduleService.
func (db *Store) UpdateSchedule(ctx context.Context, name string, u server.ScheduleUpdate) (*server.Schedule, error) {
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	if u.Overlap != nil {
		s.Overlap = *u.Overlap
	}
	if u.CatchUp != nil {
		s.CatchUp = *u.CatchUp
	}
	if u.CatchUpWindow != nil {
		s.CatchUpWindow = *u.CatchUpWindow
	}
	if u.PauseAfterFailures != nil {
		s.PauseAfterFailures = *u.PauseAfterFailures
	}
	if err := checkSchedule(s); err != nil {
		return nil, err
	}
	now := db.now()
	next, local, due, state, reason := s.NextFire, s.NextLocal, s.NextDue, s.State, s.Reason
	if u.Timing != nil {
		s.Timing = *u.Timing
		if s.Timing.Every != "" && s.Timing.StartTime == nil {
			t := now.Truncate(time.Second)
			s.Timing.StartTime = &t
		}
		spec, err := cron.For(s.Timing, now)
		if err != nil {
			return nil, err
		}
		// From now on: an edit never backfills.
		first, ok := cron.First(spec, s.Timing, now)
		switch {
		case ok:
			jitter, _ := cron.ParseJitter(s.Timing.Jitter)
			d := first.Time.Add(cron.Delay(s.ID, first.Time, jitter))
			next, local, due = &first.Time, first.Local, &d
		case s.Timing.OnNewData:
			next, local, due = nil, "", nil
		default:
			return nil, server.Errorf(server.EINVALID, "the schedule never fires between its start and end times: widen them or change its timing")
		}
		if state == server.ScheduleEnded {
			state, reason = server.ScheduleActive, ""
		}
	}
	timing, _ := json.Marshal(s.Timing)
	res, err := db.db.ExecContext(ctx, `UPDATE schedules SET timing = ?, overlap = ?, catch_up = ?, catch_up_window = ?, pause_after_failures = ?,
		next_fire = ?, next_local = ?, next_due = ?, state = ?, reason = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		string(timing), s.Overlap, s.CatchUp, s.CatchUpWindow, s.PauseAfterFailures, fixedPtr(next), local, fixedPtr(due), state, reason,
		fmtFixed(now), s.ID, s.Version)
	if err != nil {
		return nil, db.errorf("updating schedule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, server.Errorf(server.ECONFLICT, "schedule %s changed while it was being updated: try again", name)
	}
	return db.findScheduleByID(ctx, s.ID)
}

// PauseSchedule implements server.ScheduleService.
func (db *Store) PauseSchedule(ctx context.Context, name, reason string) (*server.Schedule, error) {
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	switch s.State {
	case server.ScheduleEnded:
		return nil, server.Errorf(server.ECONFLICT, "schedule %s has ended (%s): there is nothing to pause", name, s.Reason)
	case server.SchedulePaused:
		return s, nil
	}
	if reason == "" {
		reason = "paused by a user"
	}
	return s, db.setState(ctx, s, server.SchedulePaused, reason, false)
}

// ResumeSchedule implements server.ScheduleService.
func (db *Store) ResumeSchedule(ctx context.Context, name string) (*server.Schedule, error) {
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	switch s.State {
	case server.ScheduleEnded:
		return nil, server.Errorf(server.ECONFLICT, "schedule %s has ended (%s): change its timing to start it again", name, s.Reason)
	case server.ScheduleActive:
		return s, nil
	}
	return s, db.setState(ctx, s, server.ScheduleActive, "", true)
}

func (db *Store) setState(ctx context.Context, s *server.Schedule, state server.ScheduleState, reason string, resumed bool) error {
	now := fmtFixed(db.now())
	q := `UPDATE schedules SET state = ?, reason = ?, version = version + 1, updated_at = ?`
	if resumed {
		// Slots before now came due while paused: they stay skipped.
		q += `, resumed_at = ?3`
	}
	res, err := db.db.ExecContext(ctx, q+` WHERE id = ? AND version = ?`, state, reason, now, s.ID, s.Version)
	if err != nil {
		return db.errorf("changing schedule state: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return server.Errorf(server.ECONFLICT, "schedule %s changed meanwhile: try again", s.Name)
	}
	got, err := db.findScheduleByID(ctx, s.ID)
	if err == nil {
		*s = *got
	}
	return err
}

// DeleteSchedule implements server.ScheduleService.
func (db *Store) DeleteSchedule(ctx context.Context, name string) error {
	res, err := db.db.ExecContext(ctx, `DELETE FROM schedules WHERE name = ?`, name)
	if err != nil {
		return db.errorf("deleting schedule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return server.Errorf(server.ENOTFOUND, "schedule %s not found: list schedules with 'galley schedule list'", name)
	}
	return nil
}

// NextSlots implements server.ScheduleService.
func (db *Store) NextSlots(ctx context.Context, name string, n int) ([]*server.Slot, error) {
	if n < 1 || n > maxNextSlots {
		return nil, server.Errorf(server.EINVALID, "n %d: ask for 1 to %d slots", n, maxNextSlots)
	}
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	out := []*server.Slot{}
	if s.NextFire == nil {
		return out, nil
	}
	spec, err := cron.For(s.Timing, s.CreatedAt)
	if err != nil {
		return nil, err
	}
	sl, now := cron.Slot{Time: *s.NextFire, Local: s.NextLocal}, db.now()
	for len(out) < n {
		if s.Timing.EndTime != nil && !sl.Time.Before(*s.Timing.EndTime) {
			break
		}
		if max := s.Timing.MaxRuns; max > 0 && s.Fired+len(out) >= max {
			break
		}
		if !sl.Time.Before(now) {
			out = append(out, &server.Slot{Schedule: s.Name, Time: sl.Time, Local: sl.Local})
		}
		var ok bool
		if sl, ok = spec.Next(sl.Time); !ok {
			break
		}
	}
	return out, nil
}

const slotSelect = `SELECT s.name, sl.time, sl.local, sl.status, sl.reason, sl.backfill, coalesce(sl.run_id, 0), coalesce(r.state, ''), sl.snapshot, sl.created_at,
	sl.earlier_runs FROM schedule_slots sl JOIN schedules s ON s.id = sl.schedule_id LEFT JOIN runs r ON r.id = sl.run_id`

func scanSlot(sc scanner) (*server.Slot, error) {
	var sl server.Slot
	var t, created, earlier string
	if err := sc.Scan(&sl.Schedule, &t, &sl.Local, &sl.Status, &sl.Reason, &sl.Backfill, &sl.RunID, &sl.RunState, &sl.Snapshot, &created, &earlier); err != nil {
		return nil, err
	}
	json.Unmarshal([]byte(earlier), &sl.EarlierRuns)
	sl.Time, sl.CreatedAt = ParseTime(t), ParseTime(created)
	return &sl, nil
}

func (db *Store) slots(ctx context.Context, q string, args ...any) ([]*server.Slot, error) {
	return db.slotsIn(ctx, db.db, q, args...)
}

func (db *Store) slotsIn(ctx context.Context, ex interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, args ...any) ([]*server.Slot, error) {
	rows, err := ex.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*server.Slot{}
	for rows.Next() {
		sl, err := scanSlot(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sl)
	}
	return out, rows.Err()
}

// ScheduleSlots implements server.ScheduleService.
func (db *Store) ScheduleSlots(ctx context.Context, name string, p server.Page) ([]*server.Slot, int, error) {
	if err := p.Normalize(server.SlotOrders...); err != nil {
		return nil, 0, err
	}
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM schedule_slots WHERE schedule_id = ?`, s.ID).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(p, "sl.time DESC", map[string]string{"time": "sl.time"})
	list, err := db.slots(ctx, slotSelect+` WHERE sl.schedule_id = ? ORDER BY `+order+` LIMIT ? OFFSET ?`, s.ID, p.Limit, p.Offset)
	return list, total, err
}

// BackfillSchedule implements server.ScheduleService.
func (db *Store) BackfillSchedule(ctx context.Context, name string, b server.Backfill) (*server.BackfillResult, error) {
	if b.From.IsZero() || b.To.IsZero() {
		return nil, server.Errorf(server.EINVALID, "a backfill needs both from and to times")
	}
	if b.To.Before(b.From) {
		return nil, server.Errorf(server.EINVALID, "backfill to %s is before from %s", b.To.Format(time.RFC3339), b.From.Format(time.RFC3339))
	}
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	if s.NextFire != nil && !b.To.Before(*s.NextFire) {
		return nil, server.Errorf(server.EINVALID, "backfill to %s reaches the schedule's next slot at %s: backfill only slots that have come due",
			b.To.Format(time.RFC3339), s.NextFire.Format(time.RFC3339))
	}
	spec, err := cron.For(s.Timing, s.CreatedAt)
	if err != nil {
		return nil, err
	}
	var want []cron.Slot
	for sl, ok := spec.Next(b.From.Add(-time.Nanosecond)); ok && !sl.Time.After(b.To); sl, ok = spec.Next(sl.Time) {
		if len(want) == server.MaxBackfillSlots {
			return nil, server.Errorf(server.EINVALID, "the range holds more than %d slots: backfill a shorter range at a time", server.MaxBackfillSlots)
		}
		want = append(want, sl)
	}
	res := &server.BackfillResult{Queued: []*server.Slot{}, Existing: []*server.Slot{}}
	now := fmtFixed(db.now())
	err = db.tx(ctx, func(tx conn) error {
		for _, w := range want {
			var status, reason string
			err := tx.QueryRowContext(ctx, `SELECT status, reason FROM schedule_slots WHERE schedule_id = ? AND time = ? AND snapshot = ''`, s.ID, fmtFixed(w.Time)).Scan(&status, &reason)
			sl := &server.Slot{Schedule: s.Name, Time: w.Time, Local: w.Local, Status: server.SlotPending, Backfill: true, Reason: "backfill"}
			switch {
			case err == sql.ErrNoRows:
				_, err = tx.ExecContext(ctx, `INSERT INTO schedule_slots (schedule_id, time, local, status, reason, backfill, created_at) VALUES (?, ?, ?, 'pending', ?, true, ?)`,
					s.ID, fmtFixed(w.Time), w.Local, sl.Reason, now)
			case err != nil:
			case status == string(server.SlotSkipped):
				sl.Reason = "backfill; first skipped: " + reason
				_, err = tx.ExecContext(ctx, `UPDATE schedule_slots SET status = 'pending', reason = ?, backfill = true WHERE schedule_id = ? AND time = ? AND snapshot = ''`,
					sl.Reason, s.ID, fmtFixed(w.Time))
			default:
				sl.Status, sl.Reason, sl.Backfill = server.SlotStatus(status), reason, false
				res.Existing = append(res.Existing, sl)
				continue
			}
			if err != nil {
				return err
			}
			res.Queued = append(res.Queued, sl)
		}
		return nil
	})
	if err != nil {
		return nil, db.errorf("backfilling: %w", err)
	}
	return res, nil
}

// RerunSlot implements server.ScheduleService.
func (db *Store) RerunSlot(ctx context.Context, name string, rr server.Rerun) (*server.Slot, error) {
	if rr.Slot.IsZero() {
		return nil, server.Errorf(server.EINVALID, "a rerun needs the slot's time: 'galley schedule history %s' lists the slots", name)
	}
	s, err := db.FindSchedule(ctx, name)
	if err != nil {
		return nil, err
	}
	var sl *server.Slot
	err = db.tx(ctx, func(tx conn) error {
		// A time slot and a snapshot slot may share an instant: the time
		// slot is the one meant.
		// History prints whole seconds; a snapshot slot's time has more.
		from, to := rr.Slot, rr.Slot.Add(time.Nanosecond)
		if rr.Slot.Nanosecond() == 0 {
			to = rr.Slot.Add(time.Second)
		}
		list, err := db.slotsIn(ctx, tx, slotSelect+` WHERE sl.schedule_id = ? AND sl.time >= ? AND sl.time < ? ORDER BY sl.time, sl.snapshot LIMIT 1`,
			s.ID, fmtFixed(from), fmtFixed(to))
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return server.Errorf(server.ENOTFOUND, "schedule %s has no slot at %s: 'galley schedule history %s' lists its slots, and 'galley schedule backfill' runs slots it never recorded",
				name, rr.Slot.UTC().Format(time.RFC3339), name)
		}
		sl = list[0]
		switch {
		case sl.Status == server.SlotPending:
			return server.Errorf(server.ECONFLICT, "slot %s of schedule %s is already waiting to run", sl.Local, name)
		case sl.RunID != 0 && !sl.RunState.Final():
			return server.Errorf(server.ECONFLICT, "slot %s of schedule %s is still running as run %d: wait for it, or cancel it with 'galley runs cancel %d'", sl.Local, name, sl.RunID, sl.RunID)
		}
		reason := "rerun; first skipped: " + sl.Reason
		if sl.RunID != 0 {
			reason = fmt.Sprintf("rerun; run %d %s", sl.RunID, sl.RunState)
			sl.EarlierRuns = append(sl.EarlierRuns, sl.RunID)
		}
		earlier, _ := json.Marshal(sl.EarlierRuns)
		if sl.EarlierRuns == nil {
			earlier = []byte("[]")
		}
		res, err := tx.ExecContext(ctx, `UPDATE schedule_slots SET status = 'pending', reason = ?, backfill = true, run_id = NULL, earlier_runs = ?
			WHERE schedule_id = ? AND time = ? AND snapshot = ? AND status != 'pending'`, reason, string(earlier), s.ID, fmtFixed(sl.Time), sl.Snapshot)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return server.Errorf(server.ECONFLICT, "slot %s of schedule %s changed meanwhile: try again", sl.Local, name)
		}
		sl.Status, sl.Reason, sl.Backfill, sl.RunID, sl.RunState = server.SlotPending, reason, true, 0, ""
		return nil
	})
	if err != nil {
		if code := server.ErrorCode(err); code == server.ENOTFOUND || code == server.ECONFLICT {
			return nil, err
		}
		return nil, db.errorf("re-running a slot: %w", err)
	}
	return sl, nil
}

// inputName is the dataset whose new snapshots fire an on-new-data
// schedule: a score schedule's input, a train schedule's model dataset.
func (db *Store) inputName(ctx context.Context, s *server.Schedule) (string, error) {
	ref := s.Input
	if s.Kind == server.RunTrain {
		m, _, err := db.findModel(ctx, s.Model)
		if err != nil {
			return "", err
		}
		ref = m.Dataset
	}
	name, version, _ := strings.Cut(ref, "@")
	if version != "" {
		return "", server.Errorf(server.EINVALID, "on new data: the input %s is pinned to one snapshot, so no new one can arrive; name the dataset without @%s", ref, version)
	}
	return name, nil
}

func (db *Store) latestInput(ctx context.Context, s *server.Schedule) (int, error) {
	name, err := db.inputName(ctx, s)
	if err != nil {
		return 0, err
	}
	d, err := db.Datasets.FindDataset(ctx, name)
	if err != nil {
		return 0, err
	}
	return d.LatestVersion, nil
}
