package storetest

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

// scoreInto queues a scoring run of ref into profile set "customers",
// claims it and finishes it with rows, returning the finished run.
func scoreInto(t *testing.T, s Store, ref string, rows []server.ProfileRow) *server.Run {
	t.Helper()
	run, err := s.Score(ctx, server.ScoreRequest{TrainedModel: ref, Input: "d", Profile: &server.ProfileTarget{Name: "customers", ID: "customerID"}})
	must(t, err)
	if run.Profile == nil || run.Profile.Name != "customers" || run.Profile.ID != "customerID" || run.OutputName != "" {
		t.Fatalf("queued run = %+v; want it to target profile set customers by customerID, with no output dataset", run)
	}
	claim(t, s, run.ID)
	done, err := s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, RowsIn: len(rows), RowsOut: len(rows),
		Profile: &server.ProfileWrite{ScoreNames: []string{"churn_probability"}, Rows: rows}})
	must(t, err)
	if done.State != server.RunSucceeded || done.OutputSnapshot != "" {
		t.Fatalf("finished run = %+v", done)
	}
	return done
}

func rowsOf(kv ...any) []server.ProfileRow {
	var rows []server.ProfileRow
	for i := 0; i+2 < len(kv)+1; i += 3 {
		rows = append(rows, server.ProfileRow{ID: kv[i].(string), Scores: []float64{kv[i+1].(float64)}, Class: kv[i+2].(string)})
	}
	return rows
}

// trainAgain trains model m once more, returning the new version's ref.
func trainAgain(t *testing.T, s Store) string {
	t.Helper()
	run, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, run.ID)
	done, err := s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, Artifact: "y"})
	must(t, err)
	return done.TrainedModel
}

func testProfiles(t *testing.T, s Store) {
	trained(t, s)
	_, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d"})
	wantCode(t, err, server.EINVALID)
	_, err = s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Profile: &server.ProfileTarget{Name: "customers"}})
	wantCode(t, err, server.EINVALID)
	_, err = s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Profile: &server.ProfileTarget{Name: "bad name", ID: "id"}})
	wantCode(t, err, server.EINVALID)
	_, _, err = s.FindProfileSets(ctx, server.Page{Order: "colour"})
	wantCode(t, err, server.EINVALID)
	_, err = s.FindProfile(ctx, "customers", "c1")
	wantCode(t, err, server.ENOTFOUND)

	// A scoring run that reports no scores for its profile set fails to
	// finish, and writes nothing.
	run, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Profile: &server.ProfileTarget{Name: "customers", ID: "customerID"}})
	must(t, err)
	claim(t, s, run.ID)
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded})
	wantCode(t, err, server.EINTERNAL)
	// Duplicate ids are refused before anything is written.
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded,
		Profile: &server.ProfileWrite{ScoreNames: []string{"churn_probability"}, Rows: rowsOf("c1", 0.1, "No", "c1", 0.2, "No")}})
	wantCode(t, err, server.EINVALID)
	if sets, _, err := s.FindProfileSets(ctx, server.Page{}); err != nil || len(sets) != 0 {
		t.Fatalf("profile sets after failed writes = %+v, %v; want none", sets, err)
	}
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunFailed, Error: "test"})
	must(t, err)

	first := scoreInto(t, s, "m@1", rowsOf("c1", 0.1, "No", "c2", 0.8, "Yes", "c3", 0.95, "Yes"))
	sets, total, err := s.FindProfileSets(ctx, server.Page{})
	must(t, err)
	if total != 1 || sets[0].Name != "customers" || sets[0].Profiles != 3 || strings.Join(sets[0].Models, ",") != "m" {
		t.Fatalf("profile sets = %d %+v", total, sets)
	}
	p, err := s.FindProfile(ctx, "customers", "c2")
	must(t, err)
	if len(p.Attributes) != 1 {
		t.Fatalf("profile c2 = %+v", p)
	}
	a := p.Attributes[0]
	if p.Name != "customers" || p.ID != "c2" || a.Model != "m" || a.Scores["churn_probability"] != 0.8 || a.Class != "Yes" || a.TrainedModel != "m@1" ||
		a.RunID != first.ID || a.ScoredAt.IsZero() {
		t.Errorf("profile c2 = %+v, attributes %+v", p, a)
	}

	// Writing the same run again changes nothing, history included.
	again := &server.ProfileWrite{Set: "customers", Model: "m", TrainedModel: "m@1", RunID: first.ID,
		ScoreNames: []string{"churn_probability"}, Rows: rowsOf("c1", 0.5, "No", "c2", 0.5, "No", "c3", 0.5, "No")}
	res, err := s.UpsertProfiles(ctx, again)
	must(t, err)
	if res.Changed != 0 || res.Unchanged != 3 || res.Created != 0 {
		t.Errorf("re-writing run %d = %+v; want 3 unchanged", first.ID, res)
	}
	if p, _ := s.FindProfile(ctx, "customers", "c2"); p.Attributes[0].Scores["churn_probability"] != 0.8 {
		t.Errorf("re-writing the same run changed c2 to %+v", p.Attributes[0])
	}

	// A newer trained version scores c2, c3 and a new customer c4.
	v2 := trainAgain(t, s)
	second := scoreInto(t, s, v2, rowsOf("c2", 0.3, "No", "c3", 0.97, "Yes", "c4", 0.6, "Yes"))
	p, err = s.FindProfile(ctx, "customers", "c2")
	must(t, err)
	if a := p.Attributes[0]; a.TrainedModel != "m@2" || a.RunID != second.ID || a.Scores["churn_probability"] != 0.3 || a.Class != "No" {
		t.Errorf("c2 after the second run = %+v", a)
	}
	if p, _ := s.FindProfile(ctx, "customers", "c1"); p.Attributes[0].TrainedModel != "m@1" {
		t.Errorf("c1, which the second run did not score, = %+v", p.Attributes[0])
	}
	hist, total, err := s.ProfileHistory(ctx, "customers", "c2", server.Page{})
	must(t, err)
	if total != 2 || len(hist) != 2 || hist[0].RunID != second.ID || hist[1].RunID != first.ID || hist[1].Scores["churn_probability"] != 0.8 ||
		hist[0].Seq <= hist[1].Seq {
		t.Errorf("history of c2 = %d %+v; want the second run, then the first", total, hist)
	}
	if sets, _, _ := s.FindProfileSets(ctx, server.Page{}); sets[0].Profiles != 4 {
		t.Errorf("profiles = %d after c4 arrived, want 4", sets[0].Profiles)
	}
	// The first run's scores arriving late do not overwrite the newer ones.
	res, err = s.UpsertProfiles(ctx, again)
	must(t, err)
	if res.Changed != 0 {
		t.Errorf("an older run's write changed %d profiles", res.Changed)
	}
	if _, total, _ := s.ProfileHistory(ctx, "customers", "c2", server.Page{}); total != 2 {
		t.Errorf("history of c2 has %d entries after an older run's write, want 2", total)
	}
	// A later run of the same version that finds the same values, as
	// scoring the same input again does, changes nothing either.
	third := scoreInto(t, s, v2, rowsOf("c2", 0.3, "No", "c3", 0.97, "Yes", "c4", 0.6, "Yes"))
	if p, _ := s.FindProfile(ctx, "customers", "c2"); p.Attributes[0].RunID != second.ID {
		t.Errorf("run %d with the same values took over c2 from run %d: %+v", third.ID, second.ID, p.Attributes[0])
	}
	if _, total, _ := s.ProfileHistory(ctx, "customers", "c3", server.Page{}); total != 2 {
		t.Errorf("history of c3 has %d entries after a run with the same values, want 2", total)
	}
	_, _, err = s.ProfileHistory(ctx, "customers", "nobody", server.Page{})
	wantCode(t, err, server.ENOTFOUND)
	_, _, err = s.ProfileHistory(ctx, "nowhere", "c1", server.Page{})
	wantCode(t, err, server.ENOTFOUND)

	// Bad writes are refused whole.
	for _, w := range []*server.ProfileWrite{
		{Set: "customers", Model: "m", TrainedModel: "m@2", RunID: 99, ScoreNames: []string{"s"}, Rows: []server.ProfileRow{{ID: "", Scores: []float64{1}}}},
		{Set: "customers", Model: "m", TrainedModel: "m@2", RunID: 99, ScoreNames: []string{"s"}, Rows: []server.ProfileRow{{ID: "a/b", Scores: []float64{1}}}},
		{Set: "customers", Model: "m", TrainedModel: "m@2", RunID: 99, ScoreNames: []string{"bad name"}, Rows: []server.ProfileRow{{ID: "x", Scores: []float64{1}}}},
		{Set: "customers", Model: "m", TrainedModel: "m@2", RunID: 99, ScoreNames: []string{"s"}, Rows: []server.ProfileRow{{ID: "x"}}},
		{Set: "no such/set", Model: "m", TrainedModel: "m@2", RunID: 99, ScoreNames: []string{"s"}, Rows: []server.ProfileRow{{ID: "x", Scores: []float64{1}}}},
	} {
		_, err := s.UpsertProfiles(ctx, w)
		wantCode(t, err, server.EINVALID)
	}
}

func testProfileFilters(t *testing.T, s Store) {
	trained(t, s)
	var rows []server.ProfileRow
	for i := 0; i < 30; i++ {
		rows = append(rows, server.ProfileRow{ID: fmt.Sprintf("c%02d", i), Scores: []float64{float64(i) / 29}, Class: "x"})
	}
	scoreInto(t, s, "m@1", rows)
	list, total, err := s.FindProfiles(ctx, server.ProfileFilter{Set: "customers", Model: "m", Score: "churn_probability", Min: ptr(0.7), Page: server.Page{Limit: 5}})
	must(t, err)
	// i/29 >= 0.7 for i >= 21: nine profiles, highest first.
	if total != 9 || len(list) != 5 || list[0].ID != "c29" || list[4].ID != "c25" {
		t.Fatalf("churn >= 0.7 = %d: %v", total, ids(list))
	}
	list, total, err = s.FindProfiles(ctx, server.ProfileFilter{Set: "customers", Model: "m", Score: "churn_probability", Min: ptr(0.2), Max: ptr(0.3)})
	must(t, err)
	if total != 3 || strings.Join(ids(list), ",") != "c08,c07,c06" {
		t.Errorf("0.2 <= churn <= 0.3 = %d: %v", total, ids(list))
	}
	list, total, err = s.FindProfiles(ctx, server.ProfileFilter{Set: "customers", After: "c26"})
	must(t, err)
	if total != 30 || strings.Join(ids(list), ",") != "c27,c28,c29" {
		t.Errorf("after c26 = %d: %v", total, ids(list))
	}
	list, _, err = s.FindProfiles(ctx, server.ProfileFilter{Set: "customers", Page: server.Page{Offset: 10, Limit: 2}})
	must(t, err)
	if strings.Join(ids(list), ",") != "c10,c11" {
		t.Errorf("offset 10 limit 2 = %v", ids(list))
	}
	list, total, err = s.FindProfiles(ctx, server.ProfileFilter{Set: "customers", Model: "m", Score: "no_such_score", Min: ptr(0)})
	must(t, err)
	if total != 0 || len(list) != 0 {
		t.Errorf("an unknown score matched %d profiles", total)
	}
	for _, f := range []server.ProfileFilter{
		{Set: "customers", Score: "churn_probability"},
		{Set: "customers", Min: ptr(0.5)},
		{Set: "customers", Model: "m", Score: "bad score'"},
		{Set: "customers", Model: "m", Score: "churn_probability", After: "c01"},
		{Set: "customers", Page: server.Page{Order: "id"}},
	} {
		_, _, err := s.FindProfiles(ctx, f)
		wantCode(t, err, server.EINVALID)
	}
	_, _, err = s.FindProfiles(ctx, server.ProfileFilter{Set: "nowhere"})
	wantCode(t, err, server.ENOTFOUND)
}

func ptr(v float64) *float64 { return &v }

func ids(list []*server.Profile) []string {
	var out []string
	for _, p := range list {
		out = append(out, p.ID)
	}
	return out
}

func testProfileRetention(t *testing.T, s Store) {
	s.SetProfileRetention(server.ProfileRetention{MaxChanges: 2})
	for run := int64(1); run <= 5; run++ {
		_, err := s.UpsertProfiles(ctx, &server.ProfileWrite{Set: "p", Model: "m", TrainedModel: "m@1", RunID: run,
			ScoreNames: []string{"s"}, Rows: []server.ProfileRow{{ID: "a", Scores: []float64{float64(run)}}, {ID: "b", Scores: []float64{-float64(run)}}}})
		must(t, err)
	}
	for _, id := range []string{"a", "b"} {
		hist, total, err := s.ProfileHistory(ctx, "p", id, server.Page{})
		must(t, err)
		if total != 2 || hist[0].RunID != 5 || hist[1].RunID != 4 {
			t.Errorf("history of %s = %d entries %+v; want runs 5 and 4 kept", id, total, hist)
		}
	}
	p, err := s.FindProfile(ctx, "p", "a")
	must(t, err)
	if p.Attributes[0].Scores["s"] != 5 {
		t.Errorf("profile a = %+v", p.Attributes[0])
	}
}

func testScoringGuards(t *testing.T, s Store) {
	trained(t, s)
	// Model m trains on dataset d: scores must not become its next
	// training data by accident.
	_, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "d"})
	wantCode(t, err, server.ECONFLICT)
	if msg := server.ErrorMessage(err); !strings.Contains(msg, "model m") || !strings.Contains(msg, "--force") {
		t.Errorf("message %q does not name the model and the way out", msg)
	}
	_, err = s.ImportDataset(ctx, "pinned", strings.NewReader(csvData))
	must(t, err)
	must(t, s.CreateModel(ctx, &server.Model{Name: "m2", Recipe: "r", Dataset: "pinned@1"}))
	_, err = s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "pinned"})
	wantCode(t, err, server.ECONFLICT)
	run, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "d", Force: true})
	must(t, err)
	if run.OutputName != "d" {
		t.Errorf("forced run = %+v", run)
	}
	if _, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "d-scores"}); err != nil {
		t.Errorf("scoring into a dataset no model trains on: %v", err)
	}
	// A trained model records the snapshot its training read.
	tm, err := s.FindTrainedModel(ctx, "m@1")
	must(t, err)
	if tm.DatasetSnapshot != "d@1" {
		t.Errorf("trained model's dataset snapshot = %q, want d@1", tm.DatasetSnapshot)
	}
}

// testProfileBulk writes more rows than one statement carries, twice, as
// large scoring runs do: every row lands, and a rerun of the same run
// changes none.
func testProfileBulk(t *testing.T, s Store) {
	const n = 2503
	write := func(run int64, shift float64) *server.ProfileWrite {
		w := &server.ProfileWrite{Set: "bulk", Model: "m", TrainedModel: fmt.Sprintf("m@%d", run), RunID: run, ScoreNames: []string{"p", "q"}}
		for i := 0; i < n; i++ {
			w.Rows = append(w.Rows, server.ProfileRow{ID: fmt.Sprintf("id-%05d", n-i), Scores: []float64{float64(i)/n + shift, float64(i)}, Class: "c"})
		}
		return w
	}
	res, err := s.UpsertProfiles(ctx, write(1, 0))
	must(t, err)
	if res.Created != n || res.Changed != n {
		t.Fatalf("first bulk write = %+v", res)
	}
	res, err = s.UpsertProfiles(ctx, write(1, 0))
	must(t, err)
	if res.Unchanged != n || res.Changed != 0 {
		t.Fatalf("rewrite of the same run = %+v", res)
	}
	res, err = s.UpsertProfiles(ctx, write(2, 1))
	must(t, err)
	if res.Changed != n || res.Created != 0 {
		t.Fatalf("second run's bulk write = %+v", res)
	}
	sets, _, err := s.FindProfileSets(ctx, server.Page{})
	must(t, err)
	if sets[0].Profiles != n {
		t.Errorf("bulk set has %d profiles, want %d", sets[0].Profiles, n)
	}
	for _, i := range []int{0, 999, 1000, 2502} {
		id := fmt.Sprintf("id-%05d", n-i)
		p, err := s.FindProfile(ctx, "bulk", id)
		must(t, err)
		if a := p.Attributes[0]; a.RunID != 2 || a.Scores["p"] != float64(i)/n+1 || a.Scores["q"] != float64(i) {
			t.Errorf("profile %s = %+v", id, a)
		}
		if _, total, _ := s.ProfileHistory(ctx, "bulk", id, server.Page{}); total != 2 {
			t.Errorf("history of %s has %d entries, want 2", id, total)
		}
	}
}

// testProfileDrivers keeps each profile's drivers with its scores: read
// back in rank order, in history too; drivers that differ are a change of
// the profile even when the scores are the same; bad drivers are refused.
func testProfileDrivers(t *testing.T, s Store) {
	trained(t, s)
	d1 := []server.Driver{{Feature: "Contract", Value: "Month-to-month", Contribution: 0.91}, {Feature: "tenure", Value: "1", Contribution: 0.6},
		{Feature: "TechSupport", Value: "Yes", Contribution: -0.25}}
	first := scoreInto(t, s, "m@1", []server.ProfileRow{{ID: "c1", Scores: []float64{0.8}, Class: "Yes", Drivers: d1}, {ID: "c2", Scores: []float64{0.1}, Class: "No"}})
	p, err := s.FindProfile(ctx, "customers", "c1")
	must(t, err)
	if a := p.Attributes[0]; !slices.Equal(a.Drivers, d1) || a.RunID != first.ID {
		t.Errorf("c1 = %+v; want run %d's drivers %+v", a, first.ID, d1)
	}
	if p, _ := s.FindProfile(ctx, "customers", "c2"); len(p.Attributes[0].Drivers) != 0 {
		t.Errorf("c2, scored without drivers, = %+v", p.Attributes[0])
	}
	// A later run of the same version: c1's score is the same and its
	// drivers are not (a change); c2's values are all the same (none).
	d2 := []server.Driver{{Feature: "tenure", Value: "2", Contribution: 0.7}, {Feature: "Contract", Value: "Month-to-month", Contribution: 0.5}}
	second := scoreInto(t, s, "m@1", []server.ProfileRow{{ID: "c1", Scores: []float64{0.8}, Class: "Yes", Drivers: d2}, {ID: "c2", Scores: []float64{0.1}, Class: "No"}})
	hist, total, err := s.ProfileHistory(ctx, "customers", "c1", server.Page{})
	must(t, err)
	if total != 2 || hist[0].RunID != second.ID || !slices.Equal(hist[0].Drivers, d2) || hist[1].RunID != first.ID || !slices.Equal(hist[1].Drivers, d1) {
		t.Errorf("history of c1 = %d %+v; want run %d with %+v, then run %d with %+v", total, hist, second.ID, d2, first.ID, d1)
	}
	if _, total, _ := s.ProfileHistory(ctx, "customers", "c2", server.Page{}); total != 1 {
		t.Errorf("history of c2 has %d entries after a run with the same values, want 1", total)
	}
	many := make([]server.Driver, server.MaxProfileDrivers+1)
	for i := range many {
		many[i] = server.Driver{Feature: fmt.Sprintf("f%d", i), Contribution: 1}
	}
	for _, ds := range [][]server.Driver{
		many,
		{{Feature: "", Value: "x", Contribution: 1}},
		{{Feature: "f", Value: "x", Contribution: math.NaN()}},
		{{Feature: "f", Value: strings.Repeat("x", server.MaxDriverText+1), Contribution: 1}},
	} {
		_, err := s.UpsertProfiles(ctx, &server.ProfileWrite{Set: "customers", Model: "m", TrainedModel: "m@1", RunID: second.ID + 1,
			ScoreNames: []string{"churn_probability"}, Rows: []server.ProfileRow{{ID: "c3", Scores: []float64{0.5}, Drivers: ds}}})
		wantCode(t, err, server.EINVALID)
	}
	if _, err := s.FindProfile(ctx, "customers", "c3"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("a refused write created profile c3: %v", err)
	}
}
