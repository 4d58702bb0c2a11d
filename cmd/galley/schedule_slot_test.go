package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// rankerSource is a recipe whose model ranks customers by a weighted sum
// of two columns, so that the test can compute every metric it reports.
// Split keeps the first 70% of rows for training; Evaluate returns an
// *recipe.Evaluation with ROC and lift curves.
const rankerSource = `import (
	"math"

	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

type Model struct{ W float64 }

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Split(cfg recipe.Config, f recipe.Frame) (recipe.Frame, recipe.Frame, error) {
	t := f.(*recipe.Table)
	cut := t.NumRows() * 7 / 10
	var a, b []int
	for i := range t.NumRows() {
		if i < cut {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	return t.Rows(a), t.Rows(b), nil
}

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return Model{W: w}, nil }

func scores(m Model, t *recipe.Table) ([]float64, []float64, error) {
	tenure, err := t.Floats("tenure")
	if err != nil {
		return nil, nil, err
	}
	monthly, err := t.Floats("MonthlyCharges")
	if err != nil {
		return nil, nil, err
	}
	churn, err := t.Column("Churn")
	if err != nil {
		return nil, nil, err
	}
	y, p := make([]float64, len(churn)), make([]float64, len(churn))
	for i := range churn {
		if churn[i] == "Yes" {
			y[i] = 1
		}
		p[i] = 1 / (1 + math.Exp(tenure[i]/24-m.W*monthly[i]/50))
	}
	return y, p, nil
}

func Evaluate(cfg recipe.Config, mm recipe.Model, f recipe.Frame) (*recipe.Evaluation, error) {
	y, p, err := scores(mm.(Model), f.(*recipe.Table))
	if err != nil {
		return nil, err
	}
	roc, lift := ml.ROC(y, p), ml.Lift(y, p, 10)
	share := make([]float64, len(lift.Bucket))
	for i, b := range lift.Bucket {
		share[i] = float64(b) / 10
	}
	return &recipe.Evaluation{
		Metrics: recipe.Metrics{"auc": ml.AUC(y, p)},
		Curves:  recipe.Curves{"roc": {X: roc.FPR, Y: roc.TPR}, "lift": {X: share, Y: lift.CumLift}},
	}, nil
}

func Score(cfg recipe.Config, mm recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	t := f.(*recipe.Table)
	_, p, err := scores(mm.(Model), t)
	if err != nil {
		return nil, err
	}
	ids, err := t.Column("customerID")
	if err != nil {
		return nil, err
	}
	out := recipe.NewTable()
	out.Add("customerID", ids)
	out.AddFloats("p", p)
	return out, nil
}`

func rankerNotebook(t testing.TB) string {
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": "c" + strings.Join(tags, ""), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "metadata": map[string]any{}, "cells": []any{
		cell([]string{"parameters"}, "w := 0.0 // weight of the monthly charges"),
		cell(nil, rankerSource),
	}})
	p := filepath.Join(t.TempDir(), "ranker.ipynb")
	os.WriteFile(p, b, 0o644)
	return p
}

// rankerAUC is the ranker's auc with weight w on the test part (the last
// 30%) of csv, computed here as the recipe does.
func rankerAUC(t testing.TB, csv []byte, w float64) float64 {
	t.Helper()
	tab, err := recipe.ReadCSVFrom(bytes.NewReader(csv), 0)
	if err != nil {
		t.Fatal(err)
	}
	tenure, _ := tab.Floats("tenure")
	monthly, _ := tab.Floats("MonthlyCharges")
	churn, _ := tab.Column("Churn")
	var y, p []float64
	for i := len(churn) * 7 / 10; i < len(churn); i++ {
		y = append(y, map[bool]float64{true: 1}[churn[i] == "Yes"])
		p = append(p, 1/(1+math.Exp(tenure[i]/24-w*monthly[i]/50)))
	}
	return ml.AUC(y, p)
}

// waitPromotion waits for the first slot of a one-run train schedule to
// finish and be decided.
func waitPromotion(t *testing.T, c *galleyhttp.Client, schedule string) *server.Run {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		slots, _, err := c.ScheduleSlots(context.Background(), schedule, server.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) == 0 || slots[0].RunID == 0 {
			continue
		}
		r, err := c.FindRun(context.Background(), slots[0].RunID)
		if err != nil {
			t.Fatal(err)
		}
		if r.State == server.RunFailed || r.State == server.RunCancelled {
			t.Fatalf("run %d of %s: %s: %s", r.ID, schedule, r.State, r.Error)
		}
		if r.Promotion != nil {
			return r
		}
	}
	t.Fatalf("schedule %s: no promotion decision in time", schedule)
	return nil
}

// TestSchedulePromotionOnSameSplit: a train schedule's promotion rule
// compares the new version with the one its alias points at on the new
// run's evaluation split, which the run re-evaluates the current version
// on with the recipe's own Evaluate.
func TestSchedulePromotionOnSameSplit(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	c := galleyhttp.ClientFromEnv(url)
	dir := t.TempDir()
	first, second := syntheticChurn(200, 2), syntheticChurn(300, 5)
	os.WriteFile(filepath.Join(dir, "a.csv"), first, 0o644)
	os.WriteFile(filepath.Join(dir, "b.csv"), second, 0o644)
	galley(t, url, 0, "dataset", "import", filepath.Join(dir, "a.csv"), "--name", "customers")
	galley(t, url, 0, "recipe", "create", "ranker", rankerNotebook(t))
	galley(t, url, 0, "model", "create", "rk", "--recipe", "ranker", "--dataset", "customers")
	galley(t, url, 0, "train", "rk", "--wait")
	galley(t, url, 0, "model", "alias", "rk", "production", "1")
	v1, err := c.FindTrainedModel(context.Background(), "rk@1")
	if err != nil {
		t.Fatal(err)
	}
	if want := rankerAUC(t, first, 0); math.Abs(v1.Metrics["auc"]-want) > 1e-12 {
		t.Fatalf("rk@1 auc = %v; want %v on its own split", v1.Metrics["auc"], want)
	}
	// New data: the next training splits other rows.
	galley(t, url, 0, "dataset", "import", filepath.Join(dir, "b.csv"), "--name", "customers")

	// The same weight as production: on one split the two are equal, so
	// the new version is promoted, although rk@1's own auc (on the old
	// split) differs by more than the tolerance.
	same, current := rankerAUC(t, second, 0), v1.Metrics["auc"]
	if math.Abs(same-current) <= 0.002 {
		t.Fatalf("the two splits give auc %v and %v: the test needs them more than 0.002 apart", same, current)
	}
	galley(t, url, 0, "schedule", "create", "retrain", "--train", "rk", "--every", "1s", "--max-runs", "1",
		"--promote", "production", "--metric", "auc", "--tolerance", "0.002")
	r := waitPromotion(t, c, "retrain")
	d := r.Promotion
	if r.Baseline != "rk@1" || d.Current != "rk@1" || d.Candidate != "rk@2" || !d.Promoted || d.CurrentValue == nil || d.CandidateValue == nil ||
		math.Abs(*d.CurrentValue-same) > 1e-12 || math.Abs(*d.CandidateValue-same) > 1e-12 || math.Abs(r.BaselineMetrics["auc"]-same) > 1e-12 {
		t.Errorf("run %d: baseline %s %v, decision %+v; want rk@1 re-evaluated on the new split (auc %v) and rk@2 promoted", r.ID, r.Baseline, r.BaselineMetrics, d, same)
	}
	if !strings.Contains(d.Reason, "both on the evaluation split of run") {
		t.Errorf("reason %q", d.Reason)
	}
	if tm, err := c.FindTrainedModel(context.Background(), "rk@production"); err != nil || tm.Version != 2 {
		t.Errorf("rk@production = %+v, %v; want version 2", tm, err)
	}
	if roc := r.Curves["roc"]; len(roc.X) < 3 || roc.X[0] != 0 || roc.Y[len(roc.Y)-1] != 1 || len(r.Curves["lift"].Y) != 10 {
		t.Errorf("curves = %+v; want a ROC curve from (0,0) to (1,1) and ten lift points", r.Curves)
	}
	out, _ := galley(t, url, 0, "runs", "show", fmt.Sprint(r.ID))
	if !strings.Contains(out, "promoted") || !strings.Contains(out, "rk@1") {
		t.Errorf("runs show %d printed %q; want the decision with both versions", r.ID, out)
	}

	// A worse weight: compared on its own split with rk@2, not promoted.
	worse := rankerAUC(t, second, -3)
	galley(t, url, 0, "schedule", "create", "retrain-worse", "--train", "rk", "--every", "1s", "--max-runs", "1", "-p", "w=-3",
		"--promote", "production", "--metric", "auc", "--tolerance", "0.002")
	r = waitPromotion(t, c, "retrain-worse")
	d = r.Promotion
	if r.Baseline != "rk@2" || d.Promoted || d.CurrentValue == nil || math.Abs(*d.CurrentValue-same) > 1e-12 || math.Abs(*d.CandidateValue-worse) > 1e-12 {
		t.Errorf("run %d: baseline %s, decision %+v; want rk@3 (auc %v) not promoted over rk@2 (auc %v)", r.ID, r.Baseline, d, worse, same)
	}
	if tm, err := c.FindTrainedModel(context.Background(), "rk@production"); err != nil || tm.Version != 2 {
		t.Errorf("rk@production = %+v, %v; want it left at version 2", tm, err)
	}
}

// TestScheduleRerunReplacesOutput: re-running a scoring slot from the CLI
// starts a run with the same nominal time whose output replaces the
// slot's earlier snapshot instead of adding one, and the slot's history
// lists the earlier run.
func TestScheduleRerunReplacesOutput(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	c := galleyhttp.ClientFromEnv(url)
	data := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(data, syntheticChurn(60, 2), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "customers")
	galley(t, url, 0, "recipe", "create", "ranker", rankerNotebook(t))
	galley(t, url, 0, "model", "create", "rk", "--recipe", "ranker", "--dataset", "customers")
	galley(t, url, 0, "train", "rk", "--wait")
	galley(t, url, 0, "train", "rk", "-p", "w=-3", "--wait")
	galley(t, url, 0, "model", "alias", "rk", "production", "1")
	galley(t, url, 0, "schedule", "create", "scoring", "--score", "rk@production", "--input", "customers", "--output", "scores",
		"--every", "1s", "--max-runs", "1")
	var slot *server.Slot
	for deadline := time.Now().Add(60 * time.Second); slot == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		slots, _, err := c.ScheduleSlots(context.Background(), "scoring", server.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(slots) > 0 && slots[0].RunID != 0 {
			slot = slots[0]
		}
	}
	if slot == nil {
		t.Fatal("the scoring schedule did not fire")
	}
	first := waitRun(t, c, slot.RunID, func(r *server.Run) bool { return r.State.Final() })
	if first.State != server.RunSucceeded || first.OutputSnapshot != "scores@1" {
		t.Fatalf("first run = %+v", first)
	}
	// The slot runs again with another production version.
	galley(t, url, 0, "model", "alias", "rk", "production", "2")
	when := slot.Time.UTC().Format(time.RFC3339)
	out, _ := galley(t, url, 0, "schedule", "rerun", "scoring", "--slot", when)
	if !strings.Contains(out, "queued to run again") || !strings.Contains(out, "rerun; run "+fmt.Sprint(first.ID)+" succeeded") {
		t.Errorf("rerun printed %q", out)
	}
	_, errOut := galley(t, url, 1, "schedule", "rerun", "scoring", "--slot", "2020-01-01T00:00:00Z")
	if !strings.Contains(errOut, "has no slot at 2020-01-01T00:00:00Z") {
		t.Errorf("rerun of an unknown slot: %q", errOut)
	}
	var again *server.Run
	for deadline := time.Now().Add(60 * time.Second); again == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		slots, _, err := c.ScheduleSlots(context.Background(), "scoring", server.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if id := slots[0].RunID; id != 0 && id != first.ID {
			again = waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
		}
	}
	if again == nil || again.State != server.RunSucceeded || again.NominalTime == nil || !again.NominalTime.Equal(slot.Time) || again.OutputSnapshot != "scores@1" {
		t.Fatalf("re-run = %+v; want a succeeded run of the same slot writing scores@1 again", again)
	}
	d, err := c.FindDataset(context.Background(), "scores")
	if err != nil || d.LatestVersion != 1 {
		t.Errorf("scores = %+v, %v; want one version: the re-run replaces the slot's output", d, err)
	}
	v, err := c.FindDatasetVersion(context.Background(), "scores@1")
	if err != nil || v.Lineage == nil || v.Lineage.RunID != again.ID || v.Lineage.TrainedModel != "rk@2" ||
		len(v.Lineage.ReplacedRuns) != 1 || v.Lineage.ReplacedRuns[0] != first.ID {
		t.Errorf("scores@1 = %+v, %v; want the re-run's output (run %d, rk@2) replacing run %d's", v, err, again.ID, first.ID)
	}
	out, _ = galley(t, url, 0, "runs", "list", "--schedule", "scoring", "--json")
	if runs := decodeJSON[[]server.Run](t, out); len(runs) != 2 || runs[0].ID != again.ID || runs[1].ID != first.ID {
		t.Errorf("runs list --schedule scoring = %+v; want runs %d and %d", runs, again.ID, first.ID)
	}
	out, _ = galley(t, url, 0, "schedule", "history", "scoring")
	if !strings.Contains(out, fmt.Sprintf("%d succeeded (earlier %d)", again.ID, first.ID)) {
		t.Errorf("history printed %q; want the slot's run and its earlier one", out)
	}
}
