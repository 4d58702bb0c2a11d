package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
)

// profileChunk is how many rows one statement of an upsert carries: eleven
// parameters a row stays well below both databases' limits.
const profileChunk = 1000

// UpsertProfiles writes w into its profile set in one transaction: see
// server.ProfileWrite. FinishRun calls it for scoring runs that target a
// set; it is exported for loading profiles directly (benchmarks, tools).
func (db *Store) UpsertProfiles(ctx context.Context, w *server.ProfileWrite) (server.ProfileWriteResult, error) {
	var res server.ProfileWriteResult
	err := db.tx(ctx, func(tx conn) error {
		var err error
		res, err = db.upsertProfiles(ctx, tx, w)
		return err
	})
	return res, err
}

// checkProfileWrite validates w before anything is written.
func checkProfileWrite(w *server.ProfileWrite) error {
	if err := checkName("profile", w.Set); err != nil {
		return err
	}
	if w.Model == "" || w.RunID <= 0 || w.TrainedModel == "" {
		return server.Errorf(server.EINVALID, "profile scores must name the model, trained version and run that wrote them")
	}
	for _, n := range w.ScoreNames {
		if err := server.CheckScoreName(n); err != nil {
			return err
		}
	}
	seen := make(map[string]struct{}, len(w.Rows))
	for i, r := range w.Rows {
		if err := server.CheckProfileID(r.ID); err != nil {
			return server.Errorf(server.EINVALID, "row %d: %s", i+1, server.ErrorMessage(err))
		}
		if len(r.Scores) != len(w.ScoreNames) {
			return server.Errorf(server.EINVALID, "row %d (id %s) has %d scores for %d score names", i+1, r.ID, len(r.Scores), len(w.ScoreNames))
		}
		if err := server.CheckDrivers(r.Drivers); err != nil {
			return server.Errorf(server.EINVALID, "row %d (id %s): %s", i+1, r.ID, server.ErrorMessage(err))
		}
		if _, dup := seen[r.ID]; dup {
			return server.Errorf(server.EINVALID, "id %q appears more than once in the scores: a profile takes one row per identity; make the id column unique", r.ID)
		}
		seen[r.ID] = struct{}{}
	}
	return nil
}

// scoresJSON writes a row's scores as a JSON object; values that are not
// finite numbers are left out, as JSON has no way to say them.
func scoresJSON(buf []byte, names []string, vals []float64) []byte {
	buf = append(buf, '{')
	first := true
	for i, n := range names {
		v := vals[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, '"')
		buf = append(buf, n...) // CheckScoreName leaves nothing to escape
		buf = append(buf, '"', ':')
		buf = strconv.AppendFloat(buf, v, 'g', -1, 64)
	}
	return append(buf, '}')
}

// driversJSON writes a row's drivers as a JSON array, "" for none.
// CheckDrivers has refused what JSON cannot say.
func driversJSON(ds []server.Driver) string {
	if len(ds) == 0 {
		return ""
	}
	b, _ := json.Marshal(ds)
	return string(b)
}

func placeholders(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", cols), ", ") + ")"
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// stmts prepares the statements an upsert runs once per full chunk, so
// that a large write parses each of them once; other statements run
// unprepared.
type stmts struct {
	tx conn
	m  map[string]*sql.Stmt
}

func (s *stmts) get(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	st, err := s.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.m[query] = st
	return st, nil
}

func (s *stmts) exec(ctx context.Context, full bool, query string, args ...any) error {
	if !full {
		_, err := s.tx.ExecContext(ctx, query, args...)
		return err
	}
	st, err := s.get(ctx, query)
	if err == nil {
		_, err = st.ExecContext(ctx, args...)
	}
	return err
}

func (s *stmts) query(ctx context.Context, full bool, query string, args ...any) (*sql.Rows, error) {
	if !full {
		return s.tx.QueryContext(ctx, query, args...)
	}
	st, err := s.get(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (s *stmts) close() {
	for _, st := range s.m {
		st.Close()
	}
}

// heldAttributes is what a profile holds of one model before a write.
type heldAttributes struct {
	run                             int64
	scores, class, trained, drivers string
}

// upsertProfiles writes w through tx. A row changes a profile when the
// profile has no attributes of w.Model yet, or has other values from an
// earlier run (a lower run id). The same run written again, an earlier run
// finishing late, or a later run that computed the same values (scores,
// class, drivers and trained version) changes nothing. Each change is one history
// row.
func (db *Store) upsertProfiles(ctx context.Context, tx conn, w *server.ProfileWrite) (server.ProfileWriteResult, error) {
	var res server.ProfileWriteResult
	if err := checkProfileWrite(w); err != nil {
		return res, err
	}
	now := FormatTime(db.now())
	scoredAt := now
	if !w.ScoredAt.IsZero() {
		scoredAt = FormatTime(w.ScoredAt)
	}
	var nominal any
	if w.NominalTime != nil {
		nominal = FormatTime(*w.NominalTime)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO profile_sets (name, created_at, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`, w.Set, now, now); err != nil {
		return res, db.errorf("creating profile set %s: %w", w.Set, err)
	}
	var setID int64
	var modelsText string
	if err := tx.QueryRowContext(ctx, `SELECT id, models FROM profile_sets WHERE name = ?`+db.d.ForUpdate, w.Set).Scan(&setID, &modelsText); err != nil {
		return res, db.errorf("reading profile set %s: %w", w.Set, err)
	}
	if db.d.PreparedPlans != "" {
		if _, err := tx.ExecContext(ctx, db.d.PreparedPlans); err != nil {
			return res, db.errorf("writing profiles: %w", err)
		}
	}
	var buf []byte
	st := &stmts{tx: tx, m: map[string]*sql.Stmt{}}
	defer st.close()
	for chunk, lo := 0, 0; lo < len(w.Rows); chunk, lo = chunk+1, lo+profileChunk {
		// Statistics are refreshed before the write and again each time
		// the rows it wrote doubled, a handful of times for a large write.
		if db.d.Analyze != "" && len(w.Rows) > profileChunk && chunk&(chunk-1) == 0 && chunk != 1 {
			if _, err := tx.ExecContext(ctx, db.d.Analyze); err != nil {
				return res, db.errorf("writing profiles: %w", err)
			}
		}
		rows := w.Rows[lo:min(lo+profileChunk, len(w.Rows))]
		// What the profiles hold now: their run per model, for this model.
		args := make([]any, 0, len(rows)+1)
		args = append(args, setID)
		for _, r := range rows {
			args = append(args, r.ID)
		}
		q, err := st.query(ctx, len(rows) == profileChunk, `SELECT profile_id, model, run_id, scores, class, trained_model, drivers FROM profile_attributes WHERE set_id = ? AND profile_id IN (`+
			strings.TrimSuffix(strings.Repeat("?, ", len(rows)), ", ")+`)`, args...)
		if err != nil {
			return res, db.errorf("reading profiles: %w", err)
		}
		known := map[string]bool{}
		held := map[string]heldAttributes{}
		for q.Next() {
			var id, model string
			var h heldAttributes
			if err := q.Scan(&id, &model, &h.run, &h.scores, &h.class, &h.trained, &h.drivers); err != nil {
				q.Close()
				return res, err
			}
			known[id] = true
			if model == w.Model {
				held[id] = h
			}
		}
		q.Close()
		if err := q.Err(); err != nil {
			return res, err
		}
		changed := rows[:0:0]
		var changedScores, changedDrivers []string
		for _, r := range rows {
			buf = scoresJSON(buf[:0], w.ScoreNames, r.Scores)
			drivers := driversJSON(r.Drivers)
			if h, ok := held[r.ID]; ok && (h.run >= w.RunID || h.scores == string(buf) && h.class == r.Class && h.drivers == drivers && h.trained == w.TrainedModel) {
				// The same run again, an earlier run finishing late, or a
				// later one that found the same values: nothing changes.
				res.Unchanged++
				continue
			}
			if !known[r.ID] {
				res.Created++
			}
			changed = append(changed, r)
			changedScores = append(changedScores, string(buf))
			changedDrivers = append(changedDrivers, drivers)
		}
		res.Changed += len(changed)
		if len(changed) == 0 {
			continue
		}
		vals := make([]any, 0, len(changed)*11)
		for i, r := range changed {
			vals = append(vals, setID, r.ID, w.Model, changedScores[i], r.Class, changedDrivers[i], w.TrainedModel, w.RunID, w.Schedule, nominal, scoredAt)
		}
		const cols = `set_id, profile_id, model, scores, class, drivers, trained_model, run_id, schedule, nominal_time, scored_at`
		full := len(changed) == profileChunk
		if err := st.exec(ctx, full, `INSERT INTO profile_history (`+cols+`) VALUES `+placeholders(len(changed), 11), vals...); err != nil {
			return res, db.errorf("recording profile history: %w", err)
		}
		if err := st.exec(ctx, full, `INSERT INTO profile_attributes (`+cols+`) VALUES `+placeholders(len(changed), 11)+`
			ON CONFLICT (set_id, profile_id, model) DO UPDATE SET scores = excluded.scores, class = excluded.class, drivers = excluded.drivers,
			trained_model = excluded.trained_model, run_id = excluded.run_id, schedule = excluded.schedule,
			nominal_time = excluded.nominal_time, scored_at = excluded.scored_at
			WHERE profile_attributes.run_id < excluded.run_id`, vals...); err != nil {
			return res, db.errorf("writing profiles: %w", err)
		}
		if err := db.trimHistory(ctx, st, setID, w.Model, changed, held); err != nil {
			return res, err
		}
	}
	if age := db.ProfileRetention.MaxAge; age > 0 && res.Changed > 0 {
		// Each profile keeps its newest change per model whatever its age.
		if _, err := tx.ExecContext(ctx, `DELETE FROM profile_history WHERE set_id = ? AND scored_at < ?
			AND EXISTS (SELECT 1 FROM profile_history h WHERE h.set_id = profile_history.set_id AND h.profile_id = profile_history.profile_id
				AND h.model = profile_history.model AND h.seq > profile_history.seq)`, setID, FormatTime(db.now().Add(-age))); err != nil {
			return res, db.errorf("dropping old profile history: %w", err)
		}
	}
	var models []string
	json.Unmarshal([]byte(modelsText), &models)
	if !slices.Contains(models, w.Model) {
		models = append(models, w.Model)
		slices.Sort(models)
	}
	mb, _ := json.Marshal(models)
	if _, err := tx.ExecContext(ctx, `UPDATE profile_sets SET profiles = profiles + ?, models = ?, updated_at = ? WHERE id = ?`,
		res.Created, string(mb), now, setID); err != nil {
		return res, db.errorf("updating profile set %s: %w", w.Set, err)
	}
	return res, nil
}

// trimHistory keeps the newest MaxChanges history rows of each changed
// profile that had this model's attributes before (new ones have one row).
func (db *Store) trimHistory(ctx context.Context, st *stmts, setID int64, model string, changed []server.ProfileRow, held map[string]heldAttributes) error {
	keep := db.ProfileRetention.MaxChanges
	if keep <= 0 {
		keep = server.DefaultProfileHistory
	}
	args := []any{setID, model}
	for _, r := range changed {
		if _, had := held[r.ID]; had {
			args = append(args, r.ID)
		}
	}
	if len(args) == 2 {
		return nil
	}
	args = append(args, keep)
	err := st.exec(ctx, len(args) == profileChunk+3, `DELETE FROM profile_history WHERE seq IN (SELECT seq FROM (
		SELECT seq, row_number() OVER (PARTITION BY profile_id ORDER BY seq DESC) AS n FROM profile_history
		WHERE set_id = ? AND model = ? AND profile_id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(args)-3), ", ")+`)) t WHERE n > ?)`, args...)
	if err != nil {
		return db.errorf("trimming profile history: %w", err)
	}
	return nil
}

// SetProfileRetention sets ProfileRetention.
func (db *Store) SetProfileRetention(r server.ProfileRetention) { db.ProfileRetention = r }

// profileSet finds a set's id.
func (db *Store) profileSet(ctx context.Context, name string) (int64, error) {
	if err := checkName("profile", name); err != nil {
		return 0, err
	}
	var id int64
	err := db.db.QueryRowContext(ctx, `SELECT id FROM profile_sets WHERE name = ?`, name).Scan(&id)
	return id, NotFound(err, "profile set %s not found: scoring runs create it ('galley score MODEL --input DATASET --profile %s --id COLUMN'); list sets with 'galley profile list'", name, name)
}

// FindProfileSets implements server.ProfileService.
func (db *Store) FindProfileSets(ctx context.Context, p server.Page) ([]*server.ProfileSet, int, error) {
	if err := p.Normalize("name", "updated_at"); err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM profile_sets`).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := OrderBy(p, "name", map[string]string{"name": "name", "updated_at": "updated_at"})
	rows, err := db.db.QueryContext(ctx, `SELECT name, profiles, models, created_at, updated_at FROM profile_sets ORDER BY `+order+`, name LIMIT ? OFFSET ?`, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	list := []*server.ProfileSet{}
	for rows.Next() {
		var s server.ProfileSet
		var models, created, updated string
		if err := rows.Scan(&s.Name, &s.Profiles, &models, &created, &updated); err != nil {
			return nil, 0, err
		}
		json.Unmarshal([]byte(models), &s.Models)
		s.CreatedAt, s.UpdatedAt = ParseTime(created), ParseTime(updated)
		list = append(list, &s)
	}
	return list, total, rows.Err()
}

const attrColumns = `profile_id, model, scores, class, drivers, trained_model, run_id, schedule, nominal_time, scored_at`

func scanAttributes(s scanner) (string, server.ProfileAttributes, error) {
	var a server.ProfileAttributes
	var id, scores, drivers, scored string
	var nominal sql.NullString
	if err := s.Scan(&id, &a.Model, &scores, &a.Class, &drivers, &a.TrainedModel, &a.RunID, &a.Schedule, &nominal, &scored); err != nil {
		return "", a, err
	}
	a.Scores = map[string]float64{}
	json.Unmarshal([]byte(scores), &a.Scores)
	if drivers != "" {
		json.Unmarshal([]byte(drivers), &a.Drivers)
	}
	a.NominalTime, a.ScoredAt = parseTimePtr(nominal), ParseTime(scored)
	return id, a, nil
}

// FindProfile implements server.ProfileService.
func (db *Store) FindProfile(ctx context.Context, set, id string) (*server.Profile, error) {
	setID, err := db.profileSet(ctx, set)
	if err != nil {
		return nil, err
	}
	list, err := db.profiles(ctx, set, setID, []string{id})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, server.Errorf(server.ENOTFOUND, "profile %s not found in set %s", id, set)
	}
	return list[0], nil
}

// profiles reads the profiles of ids, in the order given, leaving out
// those that do not exist.
func (db *Store) profiles(ctx context.Context, set string, setID int64, ids []string) ([]*server.Profile, error) {
	if len(ids) == 0 {
		return []*server.Profile{}, nil
	}
	args := []any{setID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := db.db.QueryContext(ctx, `SELECT `+attrColumns+` FROM profile_attributes WHERE set_id = ? AND profile_id IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`) ORDER BY profile_id, model`, args...)
	if err != nil {
		return nil, db.errorf("reading profiles: %w", err)
	}
	defer rows.Close()
	byID := map[string]*server.Profile{}
	for rows.Next() {
		id, a, err := scanAttributes(rows)
		if err != nil {
			return nil, err
		}
		p := byID[id]
		if p == nil {
			p = &server.Profile{Name: set, ID: id}
			byID[id] = p
		}
		p.Attributes = append(p.Attributes, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]*server.Profile, 0, len(ids))
	for _, id := range ids {
		if p := byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// FindProfiles implements server.ProfileService.
func (db *Store) FindProfiles(ctx context.Context, f server.ProfileFilter) ([]*server.Profile, int, error) {
	if err := f.Page.Normalize(); err != nil {
		return nil, 0, err
	}
	setID, err := db.profileSet(ctx, f.Set)
	if err != nil {
		return nil, 0, err
	}
	where, args := ` WHERE set_id = ?`, []any{setID}
	if f.Model != "" {
		where += ` AND model = ?`
		args = append(args, f.Model)
	}
	order, count := `profile_id`, `count(DISTINCT profile_id)`
	if f.Score != "" {
		if f.Model == "" {
			return nil, 0, server.Errorf(server.EINVALID, "filtering by score %s needs the model that wrote it: give model as well", f.Score)
		}
		if err := server.CheckScoreName(f.Score); err != nil {
			return nil, 0, err
		}
		if f.After != "" {
			return nil, 0, server.Errorf(server.EINVALID, "after pages by id; a score filter orders by score: use offset")
		}
		score := strings.ReplaceAll(db.d.JSONNumber, "%s", "scores")
		where += ` AND ` + score + ` IS NOT NULL`
		args = append(args, f.Score)
		for _, b := range []struct {
			op string
			v  *float64
		}{{">=", f.Min}, {"<=", f.Max}} {
			if b.v == nil {
				continue
			}
			if math.IsNaN(*b.v) || math.IsInf(*b.v, 0) {
				return nil, 0, server.Errorf(server.EINVALID, "score bounds must be finite numbers")
			}
			where += ` AND ` + score + ` ` + b.op + ` ?`
			args = append(args, f.Score, *b.v)
		}
		order, count = score+` DESC, profile_id`, `count(*)`
	} else if f.Min != nil || f.Max != nil {
		return nil, 0, server.Errorf(server.EINVALID, "min and max bound a score: name it with score (and its model)")
	}
	var total int
	if f.Model == "" {
		// The set counts its identities as they arrive.
		if err := db.db.QueryRowContext(ctx, `SELECT profiles FROM profile_sets WHERE id = ?`, setID).Scan(&total); err != nil {
			return nil, 0, db.errorf("counting profiles: %w", err)
		}
	} else if err := db.db.QueryRowContext(ctx, `SELECT `+count+` FROM profile_attributes`+where, args...).Scan(&total); err != nil {
		return nil, 0, db.errorf("counting profiles: %w", err)
	}
	if f.After != "" {
		where += ` AND profile_id > ?`
		args = append(args, f.After)
	}
	var q string
	if f.Score != "" {
		// The order's score expression takes the score name once more.
		q = `SELECT profile_id FROM profile_attributes` + where + ` ORDER BY ` + order + ` LIMIT ? OFFSET ?`
		args = append(args, f.Score)
	} else {
		q = `SELECT DISTINCT profile_id FROM profile_attributes` + where + ` ORDER BY profile_id LIMIT ? OFFSET ?`
	}
	rows, err := db.db.QueryContext(ctx, q, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, db.errorf("listing profiles: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	list, err := db.profiles(ctx, f.Set, setID, ids)
	return list, total, err
}

// ProfileHistory implements server.ProfileService.
func (db *Store) ProfileHistory(ctx context.Context, set, id string, p server.Page) ([]*server.ProfileChange, int, error) {
	if err := p.Normalize(); err != nil {
		return nil, 0, err
	}
	setID, err := db.profileSet(ctx, set)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM profile_history WHERE set_id = ? AND profile_id = ?`, setID, id).Scan(&total); err != nil {
		return nil, 0, err
	}
	if total == 0 {
		if _, err := db.FindProfile(ctx, set, id); err != nil {
			return nil, 0, err
		}
	}
	rows, err := db.db.QueryContext(ctx, `SELECT seq, `+attrColumns+` FROM profile_history WHERE set_id = ? AND profile_id = ?
		ORDER BY seq DESC LIMIT ? OFFSET ?`, setID, id, p.Limit, p.Offset)
	if err != nil {
		return nil, 0, db.errorf("reading profile history: %w", err)
	}
	defer rows.Close()
	list := []*server.ProfileChange{}
	for rows.Next() {
		var c server.ProfileChange
		var seq int64
		_, a, err := scanAttributes(prefixed{rows, &seq})
		if err != nil {
			return nil, 0, err
		}
		c.Seq, c.ProfileAttributes = seq, a
		list = append(list, &c)
	}
	return list, total, rows.Err()
}

// prefixed scans one leading column into first before the rest.
type prefixed struct {
	s     scanner
	first any
}

func (p prefixed) Scan(dst ...any) error { return p.s.Scan(append([]any{p.first}, dst...)...) }
