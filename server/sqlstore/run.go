package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"time"

	"github.com/galley-dev/galley/server"
)

// Train implements server.RunService.
func (db *Store) Train(ctx context.Context, req server.TrainRequest) (*server.Run, error) {
	r, modelID, err := db.prepareTrain(ctx, req)
	if err != nil {
		return nil, err
	}
	return db.insertRun(ctx, r, modelID)
}

// prepareTrain resolves a training run's model, parameters and dataset
// snapshot as they are now, without storing anything.
func (db *Store) prepareTrain(ctx context.Context, req server.TrainRequest) (*server.Run, int64, error) {
	m, rvID, err := db.findModel(ctx, req.Model)
	if err != nil {
		return nil, 0, err
	}
	v, err := db.FindRecipeVersionByID(ctx, rvID)
	if err != nil {
		return nil, 0, err
	}
	over, err := checkParams(v, req.Params)
	if err != nil {
		return nil, 0, err
	}
	params := map[string]string{}
	for k, x := range m.Params {
		params[k] = x
	}
	for k, x := range over {
		params[k] = x
	}
	ds, err := db.Datasets.FindDatasetVersion(ctx, m.Dataset)
	if err != nil {
		return nil, 0, err
	}
	return &server.Run{Kind: server.RunTrain, Model: m.Name, RecipeVersionID: rvID, Params: params, InputSnapshot: ds.Snapshot()}, m.ID, nil
}

// Score implements server.RunService.
func (db *Store) Score(ctx context.Context, req server.ScoreRequest) (*server.Run, error) {
	r, modelID, err := db.prepareScore(ctx, req)
	if err != nil {
		return nil, err
	}
	return db.insertRun(ctx, r, modelID)
}

// prepareScore resolves a scoring run's trained model and input snapshot
// as they are now, without storing anything.
func (db *Store) prepareScore(ctx context.Context, req server.ScoreRequest) (*server.Run, int64, error) {
	if req.TrainedModel == "" {
		return nil, 0, server.Errorf(server.EINVALID, "no trained model given: name one as MODEL, MODEL@VERSION or MODEL@ALIAS")
	}
	if req.Output != "" {
		if err := checkName("output dataset", req.Output); err != nil {
			return nil, 0, err
		}
	}
	if req.Output == "" && req.Profile == nil {
		return nil, 0, server.Errorf(server.EINVALID, "no output given: name a dataset to save the scores as (--output NAME), a profile set to write them into (--profile NAME --id COLUMN), or both")
	}
	if p := req.Profile; p != nil {
		if err := checkName("profile", p.Name); err != nil {
			return nil, 0, err
		}
		if p.ID == "" || len(p.ID) > 200 {
			return nil, 0, server.Errorf(server.EINVALID, "profile set %s needs the scoring output's identity column, of 1 to 200 characters: give it with --id COLUMN (such as customerID)", p.Name)
		}
	}
	if req.Input == "" {
		return nil, 0, server.Errorf(server.EINVALID, "no input dataset given: pass --input DATASET")
	}
	t, err := db.FindTrainedModel(ctx, req.TrainedModel)
	if err != nil {
		return nil, 0, err
	}
	m, _, err := db.findModel(ctx, t.Model)
	if err != nil {
		return nil, 0, err
	}
	ds, err := db.Datasets.FindDatasetVersion(ctx, req.Input)
	if err != nil {
		return nil, 0, err
	}
	if req.Output != "" && !req.Force {
		if err := db.checkNotTrainingData(ctx, req.Output); err != nil {
			return nil, 0, err
		}
	}
	return &server.Run{Kind: server.RunScore, Model: t.Model, RecipeVersionID: t.RecipeVersionID, Params: t.Params,
		InputSnapshot: ds.Snapshot(), TrainedModel: t.Ref(), OutputName: req.Output, Profile: req.Profile}, m.ID, nil
}

// checkNotTrainingData refuses output, the dataset a scoring run would add
// a version to, when a model trains on it: its next training would read
// scores instead of data.
func (db *Store) checkNotTrainingData(ctx context.Context, output string) error {
	var model string
	err := db.db.QueryRowContext(ctx, `SELECT name FROM models WHERE dataset = ? OR substr(dataset, 1, ?) = ? ORDER BY name LIMIT 1`, output, len(output)+1, output+"@").Scan(&model)
	if err == sql.ErrNoRows {
		return nil
	} else if err != nil {
		return db.errorf("checking the output dataset: %w", err)
	}
	return server.Errorf(server.ECONFLICT, "dataset %s is the training dataset of model %s: scores saved there would replace what its next training reads; choose another output name, or pass --force (\"force\": true) to write there on purpose", output, model)
}

func (db *Store) insertRun(ctx context.Context, r *server.Run, modelID int64) (*server.Run, error) {
	id, err := db.insertRunWith(ctx, db.db, r, modelID, 0)
	if err != nil {
		return nil, err
	}
	return db.FindRun(ctx, id)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// insertRunWith queues r through ex, inside a transaction when ex is one;
// scheduleID is the schedule whose slot (r.NominalTime) started it, or 0.
func (db *Store) insertRunWith(ctx context.Context, ex execer, r *server.Run, modelID, scheduleID int64) (int64, error) {
	now := db.now()
	params, _ := json.Marshal(r.Params)
	max := db.MaxAttempts
	if max < 1 {
		max = 1
	}
	var sched, nominal any
	if scheduleID != 0 {
		sched = scheduleID
	}
	if r.NominalTime != nil {
		nominal = fmtFixed(*r.NominalTime)
	}
	var profile, profileID string
	if r.Profile != nil {
		profile, profileID = r.Profile.Name, r.Profile.ID
	}
	partitionRows := 0
	if r.Kind == server.RunScore && db.ScorePartitionRows > 0 {
		partitionRows = db.ScorePartitionRows
	}
	var id int64
	err := ex.QueryRowContext(ctx, `INSERT INTO runs (id, kind, state, max_attempts, model_id, recipe_version_id, params, input_snapshot, trained_model, output_name, created_at, scheduled_at, schedule_id, nominal_time, baseline, profile, profile_id, partition_rows)
		VALUES (`+db.d.NewRunID+`, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, r.Kind, max, modelID, r.RecipeVersionID, string(params), r.InputSnapshot, r.TrainedModel, r.OutputName, FormatTime(now), FormatTime(now), sched, nominal, r.Baseline, profile, profileID, partitionRows).Scan(&id)
	if err != nil {
		return 0, db.errorf("queueing run: %w", err)
	}
	return id, nil
}

const runSelect = `SELECT r.id, r.kind, r.state, r.attempt, r.max_attempts, m.name, r.recipe_version_id, r.params, r.input_snapshot, r.trained_model,
	r.output_name, r.output_snapshot, r.metrics, r.rows_in, r.rows_out, r.error, r.worker_pid, r.cancel_requested, r.created_at, r.scheduled_at,
	r.started_at, r.finished_at, r.duration_ms, coalesce((SELECT name FROM schedules WHERE id = r.schedule_id), ''), r.nominal_time,
	r.promotion, r.baseline, r.baseline_metrics, r.curves, r.owner, r.dispatch, r.profile, r.profile_id, r.partition_rows, r.parts FROM runs r JOIN models m ON m.id = r.model_id`

// baselineResult is how runs.baseline_metrics holds a baseline evaluation.
type baselineResult struct {
	Metrics map[string]float64 `json:"metrics,omitempty"`
	Error   string             `json:"error,omitempty"`
}

func scanRun(s scanner) (*server.Run, error) {
	var r server.Run
	var params, metrics, created, scheduled, curves string
	var started, finished, nominal, promotion, baseline sql.NullString
	var profile, profileID string
	var parts int
	if err := s.Scan(&r.ID, &r.Kind, &r.State, &r.Attempt, &r.MaxAttempts, &r.Model, &r.RecipeVersionID, &params, &r.InputSnapshot, &r.TrainedModel,
		&r.OutputName, &r.OutputSnapshot, &metrics, &r.RowsIn, &r.RowsOut, &r.Error, &r.WorkerPID, &r.CancelRequested, &created, &scheduled,
		&started, &finished, &r.DurationMS, &r.Schedule, &nominal, &promotion, &r.Baseline, &baseline, &curves, &r.Owner, &r.Dispatch, &profile, &profileID, &r.PartitionRows, &parts); err != nil {
		return nil, err
	}
	if baseline.Valid {
		var b baselineResult
		json.Unmarshal([]byte(baseline.String), &b)
		r.BaselineMetrics, r.BaselineError = b.Metrics, b.Error
	}
	json.Unmarshal([]byte(curves), &r.Curves)
	json.Unmarshal([]byte(params), &r.Params)
	json.Unmarshal([]byte(metrics), &r.Metrics)
	r.CreatedAt, r.ScheduledAt = ParseTime(created), ParseTime(scheduled)
	r.StartedAt, r.FinishedAt, r.NominalTime = parseTimePtr(started), parseTimePtr(finished), parseTimePtr(nominal)
	if promotion.Valid {
		json.Unmarshal([]byte(promotion.String), &r.Promotion)
	}
	if profile != "" {
		r.Profile = &server.ProfileTarget{Name: profile, ID: profileID}
	}
	if parts > 0 {
		// Counted by state by the caller (countParts).
		r.Parts = &server.PartsProgress{Total: parts}
	}
	return &r, nil
}

// FindRun implements server.RunService.
func (db *Store) FindRun(ctx context.Context, id int64) (*server.Run, error) {
	r, err := scanRun(db.db.QueryRowContext(ctx, runSelect+` WHERE r.id = ?`, id))
	if err != nil {
		return nil, NotFound(err, "run %d not found: list runs with 'galley runs list'", id)
	}
	if r.Parts != nil {
		if err := db.countParts(ctx, r.ID, r.Parts); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// FindRuns implements server.RunService.
func (db *Store) FindRuns(ctx context.Context, f server.RunFilter) ([]*server.Run, int, error) {
	if err := f.Page.Normalize(server.RunOrders...); err != nil {
		return nil, 0, err
	}
	where, args := " WHERE 1=1", []any{}
	if f.Kind != "" {
		if f.Kind != server.RunTrain && f.Kind != server.RunScore {
			return nil, 0, server.Errorf(server.EINVALID, "kind %q is invalid: use train or score", f.Kind)
		}
		where += " AND r.kind = ?"
		args = append(args, f.Kind)
	}
	if f.State != "" {
		switch f.State {
		case server.RunQueued, server.RunRunning, server.RunSucceeded, server.RunFailed, server.RunCancelled:
		default:
			return nil, 0, server.Errorf(server.EINVALID, "state %q is invalid: use queued, running, succeeded, failed or cancelled", f.State)
		}
		where += " AND r.state = ?"
		args = append(args, f.State)
	}
	if f.Model != "" {
		where += " AND m.name = ?"
		args = append(args, f.Model)
	}
	if f.Schedule != "" {
		where += " AND r.schedule_id = (SELECT id FROM schedules WHERE name = ?)"
		args = append(args, f.Schedule)
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM runs r JOIN models m ON m.id = r.model_id`+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(f.Page, "r.id DESC", map[string]string{"id": "r.id", "created_at": "r.created_at", "state": "r.state"})
	rows, err := db.db.QueryContext(ctx, runSelect+where+" ORDER BY "+order+", r.id DESC LIMIT ? OFFSET ?", append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, 0, err
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	for _, r := range list {
		if r.Parts != nil {
			if err := db.countParts(ctx, r.ID, r.Parts); err != nil {
				return nil, 0, err
			}
		}
	}
	return list, total, nil
}

// CancelRun implements server.RunService.
func (db *Store) CancelRun(ctx context.Context, id int64) (*server.Run, error) {
	r, err := db.FindRun(ctx, id)
	if err != nil {
		return nil, err
	}
	now := FormatTime(db.now())
	switch r.State {
	case server.RunQueued:
		_, err = db.db.ExecContext(ctx, `UPDATE runs SET state = 'cancelled', finished_at = ?, error = 'cancelled before it started' WHERE id = ? AND state = 'queued'`, now, id)
	case server.RunRunning:
		_, err = db.db.ExecContext(ctx, `UPDATE runs SET cancel_requested = true WHERE id = ?`, id)
	default:
		return nil, server.Errorf(server.ECONFLICT, "run %d already %s: only queued or running runs can be cancelled", id, r.State)
	}
	if err != nil {
		return nil, db.errorf("cancelling run: %w", err)
	}
	return db.FindRun(ctx, id)
}

// RunLogs implements server.RunService.
func (db *Store) RunLogs(ctx context.Context, id int64, after int) ([]server.LogLine, error) {
	if _, err := db.FindRun(ctx, id); err != nil {
		return nil, err
	}
	rows, err := db.db.QueryContext(ctx, `SELECT seq, time, text FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT 10000`, id, after)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []server.LogLine{}
	for rows.Next() {
		var l server.LogLine
		var t string
		if err := rows.Scan(&l.Seq, &t, &l.Text); err != nil {
			return nil, err
		}
		l.Time = ParseTime(t)
		out = append(out, l)
	}
	return out, rows.Err()
}

// ClaimRun implements server.RunQueue.
func (db *Store) ClaimRun(ctx context.Context) (*server.Run, error) {
	now := FormatTime(db.now())
	var id int64
	err := db.db.QueryRowContext(ctx, `UPDATE runs SET state = 'running', attempt = attempt + 1, started_at = ?, worker_pid = 0
		WHERE id = (SELECT id FROM runs WHERE state = 'queued' AND scheduled_at <= ? ORDER BY scheduled_at, id LIMIT 1`+db.d.SkipLocked+`)
		AND state = 'queued'
		RETURNING id`, now, now).Scan(&id)
	if err == sql.ErrNoRows {
		return nil, nil
	} else if err != nil {
		return nil, db.errorf("claiming a run: %w", err)
	}
	return db.FindRun(ctx, id)
}

// SetRunWorker implements server.RunQueue.
func (db *Store) SetRunWorker(ctx context.Context, id int64, pid int) error {
	_, err := db.db.ExecContext(ctx, `UPDATE runs SET worker_pid = ? WHERE id = ?`, pid, id)
	return err
}

// AppendRunLogs implements server.RunQueue.
func (db *Store) AppendRunLogs(ctx context.Context, id int64, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	now := FormatTime(db.now())
	return db.tx(ctx, func(tx conn) error {
		// The parts of a partitioned run append from several processes
		// at once: the run's row orders them.
		if db.d.ForUpdate != "" {
			if _, err := tx.ExecContext(ctx, `SELECT id FROM runs WHERE id = ?`+db.d.ForUpdate, id); err != nil {
				return err
			}
		}
		var seq int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM run_logs WHERE run_id = ?`, id).Scan(&seq); err != nil {
			return err
		}
		for _, l := range lines {
			seq++
			if _, err := tx.ExecContext(ctx, `INSERT INTO run_logs (run_id, seq, time, text) VALUES (?, ?, ?, ?)`, id, seq, now, l); err != nil {
				return err
			}
		}
		return nil
	})
}

// FinishRun implements server.RunQueue.
func (db *Store) FinishRun(ctx context.Context, c server.Claim, res server.RunResult) (*server.Run, error) {
	id := c.Run
	r, err := db.FindRun(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != server.RunRunning {
		return nil, server.Errorf(server.ECONFLICT, "run %d is %s, not running", id, r.State)
	}
	if r.Attempt != c.Attempt || r.Owner != c.Owner {
		return nil, lostClaim(c)
	}
	if !res.State.Final() {
		return nil, server.Errorf(server.EINVALID, "run state %q is not final", res.State)
	}
	if r.CancelRequested && res.State != server.RunSucceeded {
		res.State = server.RunCancelled
		if res.Error == "" {
			res.Error = "cancelled"
		}
	}
	now := db.now()
	var dur int64
	if r.StartedAt != nil {
		dur = now.Sub(*r.StartedAt).Milliseconds()
	}
	metrics, _ := json.Marshal(res.Metrics)
	curves := []byte("{}")
	if len(res.Curves) > 0 {
		curves, _ = json.Marshal(res.Curves)
	}
	var baseline any
	if res.BaselineMetrics != nil || res.BaselineError != "" {
		b, _ := json.Marshal(baselineResult{Metrics: res.BaselineMetrics, Error: res.BaselineError})
		baseline = string(b)
	}
	err = db.tx(ctx, func(tx conn) error {
		trained, output := r.TrainedModel, ""
		if res.State == server.RunSucceeded {
			switch r.Kind {
			case server.RunTrain:
				var modelID int64
				var next int
				if err := tx.QueryRowContext(ctx, `SELECT model_id FROM runs WHERE id = ?`, id).Scan(&modelID); err != nil {
					return err
				}
				// Runs of one model finishing at once take versions in turn.
				if _, err := tx.ExecContext(ctx, `SELECT id FROM models WHERE id = ?`+db.d.ForUpdate, modelID); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, `SELECT `+db.d.Greatest+`(coalesce((SELECT max(version) FROM trained_models WHERE model_id = ?1), 0),
					coalesce((SELECT max(version) FROM deleted_trained_models WHERE model_id = ?1), 0)) + 1`, modelID).Scan(&next); err != nil {
					return err
				}
				params, _ := json.Marshal(r.Params)
				if _, err := tx.ExecContext(ctx, `INSERT INTO trained_models (model_id, version, run_id, recipe_version_id, params, dataset_snapshot, metrics, artifact, created_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, modelID, next, id, r.RecipeVersionID, string(params), r.InputSnapshot, string(metrics), res.Artifact, FormatTime(now)); err != nil {
					return err
				}
				trained = fmt.Sprintf("%s@%d", r.Model, next)
			case server.RunScore:
				if o := res.OutputObject; o != nil {
					// The shared catalog's version is registered here, so
					// that it exists exactly when the run succeeded.
					if o.Name != r.OutputName {
						return fmt.Errorf("run %d writes dataset %s, not %s", id, r.OutputName, o.Name)
					}
					v, err := db.putCatalogVersion(ctx, tx, o, id)
					if err != nil {
						return err
					}
					res.Output = v.Snapshot()
				}
				if r.OutputName != "" && res.Output == "" {
					return fmt.Errorf("a successful scoring run must name the dataset version it wrote")
				}
				output = res.Output
				if r.Profile != nil {
					if res.Profile == nil {
						return fmt.Errorf("a successful scoring run into profile set %s must carry its scores", r.Profile.Name)
					}
					w := *res.Profile
					w.Set, w.Model, w.TrainedModel, w.RunID, w.Schedule, w.NominalTime = r.Profile.Name, r.Model, r.TrainedModel, r.ID, r.Schedule, r.NominalTime
					if w.ScoredAt.IsZero() {
						w.ScoredAt = now
					}
					if _, err := db.upsertProfiles(ctx, tx, &w); err != nil {
						return err
					}
				}
			}
		}
		// Only the claim's attempt finishes, once: a second finish (a
		// repeated delivery, or a process that lost the run) changes no
		// row and rolls back the trained model it would have added.
		u, err := tx.ExecContext(ctx, `UPDATE runs SET state = ?, error = ?, metrics = ?, rows_in = ?, rows_out = ?, trained_model = ?, output_snapshot = ?,
			finished_at = ?, duration_ms = ?, worker_pid = 0, owner = '', lease_until = NULL, curves = ?, baseline_metrics = ?
			WHERE id = ? AND state = 'running' AND attempt = ? AND owner = ?`,
			res.State, res.Error, string(metrics), res.RowsIn, res.RowsOut, trained, output, FormatTime(now), dur, string(curves), baseline, id, c.Attempt, c.Owner)
		if err != nil {
			return err
		}
		if n, _ := u.RowsAffected(); n == 0 {
			return lostClaim(c)
		}
		return nil
	})
	if server.ErrorCode(err) == server.ECONFLICT {
		return nil, err
	}
	if err != nil {
		return nil, db.errorf("finishing run %d: %w", id, err)
	}
	return db.FindRun(ctx, id)
}

// RetryRun implements server.RunQueue.
func (db *Store) RetryRun(ctx context.Context, c server.Claim, at time.Time, reason string) error {
	res, err := db.db.ExecContext(ctx, `UPDATE runs SET state = 'queued', scheduled_at = ?, error = ?, `+requeued+`
		WHERE id = ? AND state = 'running' AND attempt = ? AND owner = ?`,
		FormatTime(at), reason, c.Run, c.Attempt, c.Owner)
	if err != nil {
		return db.errorf("retrying run %d: %w", c.Run, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lostClaim(c)
	}
	return nil
}

// requeued is what a run going back to the queue sets besides its state:
// no process holds it, and it makes a new trip through the job queue.
const requeued = `worker_pid = 0, owner = '', lease_until = NULL, dispatch = dispatch + 1`

// lostClaim is the error for a write whose claim no longer holds.
func lostClaim(c server.Claim) error {
	return server.Errorf(server.ECONFLICT, "run %d is no longer running as attempt %d of this process: another process took it over or it ended", c.Run, c.Attempt)
}

// ReleaseRun implements server.RunQueue.
func (db *Store) ReleaseRun(ctx context.Context, c server.Claim, reason string) error {
	id := c.Run
	now := FormatTime(db.now())
	var n int64
	err := db.tx(ctx, func(tx conn) error {
		// PostgreSQL refuses arguments a statement does not use, so each
		// statement takes its own.
		for _, stmt := range []struct {
			query string
			args  []any
		}{
			{`UPDATE runs SET state = 'cancelled', finished_at = ?, error = 'cancelled', worker_pid = 0, owner = '', lease_until = NULL
				WHERE id = ? AND state = 'running' AND cancel_requested = true AND attempt = ? AND owner = ?`, []any{now, id, c.Attempt, c.Owner}},
			{`UPDATE runs SET state = 'queued', scheduled_at = ?, error = ?, ` + requeued + `, attempt = ` + db.d.Greatest + `(attempt - 1, 0)
				WHERE id = ? AND state = 'running' AND attempt = ? AND owner = ?`, []any{now, reason, id, c.Attempt, c.Owner}},
		} {
			res, err := tx.ExecContext(ctx, stmt.query, stmt.args...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return db.errorf("releasing run %d: %w", id, err)
	}
	if n == 0 {
		return lostClaim(c)
	}
	return nil
}

// RecoverRuns implements server.RunQueue.
func (db *Store) RecoverRuns(ctx context.Context, dead []string) (int, error) {
	now := FormatTime(db.now())
	// A run is gone when its lease ran out (or it never had one: a row
	// from before leases) or its owner is known to be dead.
	gone := `state = 'running' AND (lease_until IS NULL OR lease_until < ?`
	args := []any{now}
	for _, o := range dead {
		gone += ` OR owner = ?`
		args = append(args, o)
	}
	gone += `)`
	var n int64
	err := db.tx(ctx, func(tx conn) error {
		stmts := []string{
			`UPDATE runs SET state = 'cancelled', finished_at = ?, error = 'cancelled; the process running it stopped', worker_pid = 0, owner = '', lease_until = NULL
				WHERE cancel_requested = true AND ` + gone,
			`UPDATE runs SET state = 'queued', scheduled_at = ?, error = 'the process running attempt ' || attempt || ' stopped; retrying', ` + requeued + `
				WHERE attempt < max_attempts AND ` + gone,
			`UPDATE runs SET state = 'failed', finished_at = ?, error = 'the process running attempt ' || attempt || ' of ' || max_attempts || ' stopped; no attempts left', worker_pid = 0, owner = '', lease_until = NULL
				WHERE ` + gone,
			// Parts of partitioned runs, each on its own.
			`UPDATE run_parts SET state = 'cancelled', finished_at = ?, error = 'cancelled; the process running it stopped', worker_pid = 0, owner = '', lease_until = NULL
				WHERE run_id IN (SELECT id FROM runs WHERE cancel_requested = true OR state IN ('failed', 'cancelled')) AND ` + gone,
			`UPDATE run_parts SET state = 'queued', scheduled_at = ?, error = 'the process running attempt ' || attempt || ' of this part stopped; retrying', ` + requeued + `
				WHERE attempt < max_attempts AND ` + gone,
			`UPDATE run_parts SET state = 'failed', finished_at = ?, error = 'the process running attempt ' || attempt || ' of ' || max_attempts || ' of this part stopped; no attempts left', worker_pid = 0, owner = '', lease_until = NULL
				WHERE ` + gone,
		}
		for _, s := range stmts {
			res, err := tx.ExecContext(ctx, s, append([]any{now}, args...)...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			n += k
		}
		return nil
	})
	if err != nil {
		return 0, db.errorf("recovering runs: %w", err)
	}
	return int(n), nil
}
