// Package storetest is the conformance suite for galley server stores.
// Every store implementation runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Exercise(t, func(t *testing.T) storetest.Store { ... })
//	}
package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/notebook"
)

// Store is everything a server store provides.
type Store interface {
	server.RecipeService
	server.ModelService
	server.TrainedModelService
	server.RunService
	server.DatasetService
	server.RunQueue
	server.ProfileService
	server.CanaryService
	// UpsertProfiles writes profile scores directly, as FinishRun does.
	UpsertProfiles(ctx context.Context, w *server.ProfileWrite) (server.ProfileWriteResult, error)
	SetProfileRetention(server.ProfileRetention)
}

// NewStore returns an empty store which allows 2 attempts per run. A store
// proper has no ImportNotebook: give it a Converter.
type NewStore func(t *testing.T) Store

// Converter imports notebooks into Store by converting them, without the
// validation run galley serve does (worker.Importer): enough for the tests
// of stores and transports. Embedded beside a store, it completes the
// store's server.RecipeStore to a server.RecipeService.
type Converter struct{ Store server.RecipeStore }

// ImportNotebook implements server.RecipeService.
func (c Converter) ImportNotebook(ctx context.Context, imp server.NotebookImport) (*server.RecipeVersion, bool, error) {
	r, err := notebook.ConvertBytes(imp.Notebook)
	if err != nil {
		return nil, false, server.Errorf(server.EINVALID, "%v", err)
	}
	v := &server.RecipeVersion{Recipe: imp.Recipe, Author: imp.Author, Source: r.Source, Params: r.Params, ContentHash: r.ContentHash, NotebookHash: r.NotebookHash}
	created, err := c.Store.CreateRecipeVersion(ctx, v)
	if err != nil {
		return nil, false, err
	}
	return v, created, nil
}

// Notebook returns a small notebook with a parameters cell and body as its
// second cell.
func Notebook(body string) []byte {
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": "c" + strings.Repeat("x", len(tags)), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": []any{
		cell([]string{"parameters"}, "epochs := 10\nrate := 0.5\nlabel := \"y\""),
		cell(nil, body),
	}})
	return b
}

// Exercise runs every conformance test against stores from newStore.
func Exercise(t *testing.T, newStore NewStore) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Recipes", testRecipes},
		{"Datasets", testDatasets},
		{"Models", testModels},
		{"TrainingLifecycle", testTraining},
		{"Scoring", testScoring},
		{"Cancel", testCancel},
		{"RetryAndRecover", testRetryRecover},
		{"Leases", testLeases},
		{"Parts", testParts},
		{"RunLists", testRunLists},
		{"Deletes", testDeletes},
		{"DeletedNumbers", testDeletedNumbers},
		{"Profiles", testProfiles},
		{"ProfileFilters", testProfileFilters},
		{"ProfileRetention", testProfileRetention},
		{"ProfileBulk", testProfileBulk},
		{"ScoringGuards", testScoringGuards},
		{"Canaries", testCanaries},
		{"ProfileDrivers", testProfileDrivers},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newStore(t))
		})
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := server.ErrorCode(err); got != code {
		t.Fatalf("error = %v (code %q), want code %q", err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var ctx = context.Background()

func testRecipes(t *testing.T, s Store) {
	v1, created, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "churn", Author: "ana", Notebook: Notebook("x := 1")})
	must(t, err)
	if !created || v1.Version != 1 || v1.Recipe != "churn" || v1.Author != "ana" || len(v1.Params) != 3 || v1.ContentHash == "" || v1.NotebookHash == "" {
		t.Fatalf("first import = %+v, created %v", v1, created)
	}
	again, created, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "churn", Author: "bo", Notebook: Notebook("x := 1")})
	must(t, err)
	if created || again.ID != v1.ID || again.Version != 1 || again.Author != "ana" {
		t.Fatalf("re-import = %+v, created %v; want version 1 unchanged", again, created)
	}
	v2, created, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "churn", Notebook: Notebook("x := 2")})
	must(t, err)
	if !created || v2.Version != 2 {
		t.Fatalf("changed import = %+v", v2)
	}
	r, err := s.FindRecipe(ctx, "churn")
	must(t, err)
	if r.LatestVersion != 2 {
		t.Errorf("latest version = %d, want 2", r.LatestVersion)
	}
	latest, err := s.FindRecipeVersion(ctx, "churn", 0)
	must(t, err)
	if latest.ID != v2.ID || latest.Source != v2.Source {
		t.Errorf("latest = %+v", latest)
	}
	_, err = s.FindRecipeVersion(ctx, "churn", 9)
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.FindRecipe(ctx, "nope")
	wantCode(t, err, server.ENOTFOUND)
	_, _, err = s.ImportNotebook(ctx, server.NotebookImport{Recipe: "bad name!", Notebook: Notebook("")})
	wantCode(t, err, server.EINVALID)
	_, _, err = s.ImportNotebook(ctx, server.NotebookImport{Recipe: "broken", Notebook: []byte("{")})
	wantCode(t, err, server.EINVALID)
	if _, err := s.FindRecipe(ctx, "broken"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("a failed import created the recipe")
	}
	for _, n := range []string{"b", "a", "c"} {
		_, _, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: n, Notebook: Notebook("x := 1")})
		must(t, err)
	}
	list, total, err := s.FindRecipes(ctx, server.RecipeFilter{Page: server.Page{Limit: 2, Offset: 1}})
	must(t, err)
	if total != 4 || len(list) != 2 || list[0].Name != "b" || list[1].Name != "c" {
		t.Errorf("page = %d items of %d: %v", len(list), total, list)
	}
	list, _, err = s.FindRecipes(ctx, server.RecipeFilter{Page: server.Page{Order: "-name", Limit: 1}})
	must(t, err)
	if list[0].Name != "churn" {
		t.Errorf("-name first = %s", list[0].Name)
	}
	_, _, err = s.FindRecipes(ctx, server.RecipeFilter{Page: server.Page{Order: "colour"}})
	wantCode(t, err, server.EINVALID)
	_, _, err = s.FindRecipes(ctx, server.RecipeFilter{Page: server.Page{Limit: -1}})
	wantCode(t, err, server.EINVALID)
	vs, total, err := s.FindRecipeVersions(ctx, "churn", server.Page{})
	must(t, err)
	if total != 2 || vs[0].Version != 2 {
		t.Errorf("versions = %d, first %d", total, vs[0].Version)
	}
}

const csvData = "id,x,y\n1,0.5,1\n2,0.1,0\n3,0.9,1\n"

func testDatasets(t *testing.T, s Store) {
	v, err := s.ImportDataset(ctx, "points", strings.NewReader(csvData))
	must(t, err)
	if v.Version != 1 || v.Rows != 3 || strings.Join(v.Columns, ",") != "id,x,y" || v.Snapshot() != "points@1" {
		t.Fatalf("import = %+v", v)
	}
	v2, err := s.ImportDataset(ctx, "points", strings.NewReader("id,x,y\n4,1,1\n"))
	must(t, err)
	if v2.Version != 2 || v2.Rows != 1 {
		t.Errorf("second import = %+v", v2)
	}
	got, err := s.FindDatasetVersion(ctx, "points@1")
	must(t, err)
	if got.Rows != 3 {
		t.Errorf("points@1 = %+v", got)
	}
	got, err = s.FindDatasetVersion(ctx, "points")
	must(t, err)
	if got.Version != 2 {
		t.Errorf("points = version %d, want 2", got.Version)
	}
	_, err = s.FindDatasetVersion(ctx, "points@7")
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.FindDatasetVersion(ctx, "points@x")
	wantCode(t, err, server.EINVALID)
	_, err = s.ImportDataset(ctx, "bad", strings.NewReader("a,b\n1,2,3\n"))
	wantCode(t, err, server.EINVALID)
	_, err = s.ImportDataset(ctx, "empty", strings.NewReader(""))
	wantCode(t, err, server.EINVALID)
	_, err = s.ImportDataset(ctx, "../etc", strings.NewReader(csvData))
	wantCode(t, err, server.EINVALID)
	list, total, err := s.FindDatasets(ctx, server.DatasetFilter{})
	must(t, err)
	if total != 1 || list[0].Name != "points" || list[0].LatestVersion != 2 {
		t.Errorf("datasets = %d %+v", total, list)
	}
	vs, n, err := s.FindDatasetVersions(ctx, "points", server.Page{})
	must(t, err)
	if n != 2 || vs[0].Version != 2 {
		t.Errorf("versions = %d %+v", n, vs)
	}
}

// setup creates recipe "r", dataset "d" and model "m".
func setup(t *testing.T, s Store) *server.Model {
	t.Helper()
	_, _, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: Notebook("x := 1")})
	must(t, err)
	_, err = s.ImportDataset(ctx, "d", strings.NewReader(csvData))
	must(t, err)
	m := &server.Model{Name: "m", Recipe: "r", Dataset: "d", Params: map[string]string{"epochs": "20"}}
	must(t, s.CreateModel(ctx, m))
	return m
}

func testModels(t *testing.T, s Store) {
	m := setup(t, s)
	if m.ID == 0 || m.RecipeVersion != 1 || m.Params["epochs"] != "20" {
		t.Fatalf("model = %+v", m)
	}
	got, err := s.FindModel(ctx, "m")
	must(t, err)
	if got.Recipe != "r" || got.Dataset != "d" || got.Params["epochs"] != "20" {
		t.Errorf("found = %+v", got)
	}
	wantCode(t, s.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}), server.ECONFLICT)
	wantCode(t, s.CreateModel(ctx, &server.Model{Name: "m2", Recipe: "nope", Dataset: "d"}), server.ENOTFOUND)
	wantCode(t, s.CreateModel(ctx, &server.Model{Name: "m2", Recipe: "r", Dataset: "nope"}), server.ENOTFOUND)
	err = s.CreateModel(ctx, &server.Model{Name: "m2", Recipe: "r", Dataset: "d", Params: map[string]string{"epochs": "many"}})
	wantCode(t, err, server.EINVALID)
	if !strings.Contains(server.ErrorMessage(err), "epochs") {
		t.Errorf("message %q does not name the parameter", server.ErrorMessage(err))
	}
	wantCode(t, s.CreateModel(ctx, &server.Model{Name: "m2", Recipe: "r", Dataset: "d", Params: map[string]string{"colour": "1"}}), server.EINVALID)
	wantCode(t, s.CreateModel(ctx, &server.Model{Name: "", Recipe: "r", Dataset: "d"}), server.EINVALID)
	_, err = s.FindModel(ctx, "zzz")
	wantCode(t, err, server.ENOTFOUND)
	list, total, err := s.FindModels(ctx, server.ModelFilter{Recipe: "r"})
	must(t, err)
	if total != 1 || list[0].Name != "m" {
		t.Errorf("models = %d %+v", total, list)
	}
}

func claim(t *testing.T, s Store, id int64) *server.Run {
	t.Helper()
	r, err := s.ClaimRun(ctx)
	must(t, err)
	if r == nil || r.ID != id || r.State != server.RunRunning {
		t.Fatalf("claimed %+v, want run %d running", r, id)
	}
	return r
}

// held is the claim of the process holding run id, as the store has it.
func held(t *testing.T, s Store, id int64) server.Claim {
	t.Helper()
	r, err := s.FindRun(ctx, id)
	must(t, err)
	return r.Claim()
}

func testTraining(t *testing.T, s Store) {
	setup(t, s)
	_, err := s.Train(ctx, server.TrainRequest{Model: "m", Params: map[string]string{"rate": "fast"}})
	wantCode(t, err, server.EINVALID)
	_, err = s.Train(ctx, server.TrainRequest{Model: "nope"})
	wantCode(t, err, server.ENOTFOUND)
	run, err := s.Train(ctx, server.TrainRequest{Model: "m", Params: map[string]string{"rate": "0.1"}})
	must(t, err)
	if run.State != server.RunQueued || run.Kind != server.RunTrain || run.InputSnapshot != "d@1" || run.Params["epochs"] != "20" || run.Params["rate"] != "0.1" {
		t.Fatalf("queued run = %+v", run)
	}
	r := claim(t, s, run.ID)
	if r.Attempt != 1 || r.StartedAt == nil {
		t.Errorf("claimed run = %+v", r)
	}
	if again, err := s.ClaimRun(ctx); err != nil || again != nil {
		t.Fatalf("second claim = %+v, %v; want nothing", again, err)
	}
	must(t, s.SetRunWorker(ctx, run.ID, 4242))
	must(t, s.AppendRunLogs(ctx, run.ID, []string{"one", "two"}))
	must(t, s.AppendRunLogs(ctx, run.ID, []string{"three"}))
	logs, err := s.RunLogs(ctx, run.ID, 1)
	must(t, err)
	if len(logs) != 2 || logs[0].Text != "two" || logs[1].Seq != 3 {
		t.Errorf("logs after 1 = %+v", logs)
	}
	_, err = s.FindTrainedModel(ctx, "m")
	wantCode(t, err, server.ENOTFOUND)
	done, err := s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, Metrics: map[string]float64{"auc": 0.8}, RowsIn: 3, Artifact: "/tmp/a.json"})
	must(t, err)
	if done.State != server.RunSucceeded || done.TrainedModel != "m@1" || done.Metrics["auc"] != 0.8 || done.FinishedAt == nil || done.WorkerPID != 0 {
		t.Fatalf("finished run = %+v", done)
	}
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunFailed})
	wantCode(t, err, server.ECONFLICT)
	tm, err := s.FindTrainedModel(ctx, "m")
	must(t, err)
	if tm.Version != 1 || tm.RunID != run.ID || tm.DatasetSnapshot != "d@1" || tm.Metrics["auc"] != 0.8 || (tm.Artifact != "" && tm.Artifact != "/tmp/a.json") || tm.Params["rate"] != "0.1" {
		t.Errorf("trained model = %+v", tm)
	}
	tm, err = s.SetAlias(ctx, "m", "production", 1)
	must(t, err)
	if len(tm.Aliases) != 1 || tm.Aliases[0] != "production" {
		t.Errorf("aliases = %v", tm.Aliases)
	}
	byAlias, err := s.FindTrainedModel(ctx, "m@production")
	must(t, err)
	if byAlias.ID != tm.ID {
		t.Errorf("m@production = %+v", byAlias)
	}
	_, err = s.SetAlias(ctx, "m", "production", 5)
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.SetAlias(ctx, "m", "7up", 1)
	wantCode(t, err, server.EINVALID)
	// m@v2 means version 2, so v2 cannot be an alias.
	_, err = s.SetAlias(ctx, "m", "v2", 1)
	wantCode(t, err, server.EINVALID)
	_, err = s.FindTrainedModel(ctx, "m@staging")
	wantCode(t, err, server.ENOTFOUND)
	list, total, err := s.FindTrainedModels(ctx, server.TrainedModelFilter{Model: "m"})
	must(t, err)
	if total != 1 || list[0].Ref() != "m@1" {
		t.Errorf("trained models = %d %+v", total, list)
	}
}

func trained(t *testing.T, s Store) *server.TrainedModel {
	t.Helper()
	setup(t, s)
	run, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, run.ID)
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, Artifact: "x"})
	must(t, err)
	tm, err := s.FindTrainedModel(ctx, "m@1")
	must(t, err)
	// A model trained without metrics has none, not a missing map: the API
	// documents metrics as an object.
	if tm.Metrics == nil || tm.Params == nil {
		t.Errorf("trained model without metrics = %+v; want empty metrics and params, not nil", tm)
	}
	return tm
}

func testScoring(t *testing.T, s Store) {
	trained(t, s)
	_, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m@9", Input: "d", Output: "out"})
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "nope", Output: "out"})
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "a/b"})
	wantCode(t, err, server.EINVALID)
	run, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d@1", Output: "scores"})
	must(t, err)
	if run.Kind != server.RunScore || run.TrainedModel != "m@1" || run.InputSnapshot != "d@1" || run.OutputName != "scores" || run.Params["epochs"] != "20" {
		t.Fatalf("scoring run = %+v", run)
	}
	claim(t, s, run.ID)
	// The worker saves the output before it reports.
	out, err := s.ImportDataset(ctx, "scores", strings.NewReader("id,score\n1,0.3\n2,0.6\n3,0.9\n"))
	must(t, err)
	_, err = s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, RowsIn: 3})
	wantCode(t, err, server.EINTERNAL)
	done, err := s.FinishRun(ctx, held(t, s, run.ID), server.RunResult{State: server.RunSucceeded, RowsIn: 3, RowsOut: 3, Output: out.Snapshot()})
	must(t, err)
	if done.OutputSnapshot != "scores@1" || done.RowsIn != 3 || done.RowsOut != 3 || done.TrainedModel != "m@1" {
		t.Fatalf("finished scoring run = %+v", done)
	}
}

func testCancel(t *testing.T, s Store) {
	setup(t, s)
	a, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	b, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, a.ID)
	c, err := s.CancelRun(ctx, b.ID)
	must(t, err)
	if c.State != server.RunCancelled {
		t.Errorf("cancelled queued run is %s", c.State)
	}
	if r, _ := s.ClaimRun(ctx); r != nil {
		t.Errorf("claimed cancelled run %d", r.ID)
	}
	c, err = s.CancelRun(ctx, a.ID)
	must(t, err)
	if c.State != server.RunRunning || !c.CancelRequested {
		t.Errorf("cancel of running run = %+v", c)
	}
	done, err := s.FinishRun(ctx, held(t, s, a.ID), server.RunResult{State: server.RunFailed, Error: "killed"})
	must(t, err)
	if done.State != server.RunCancelled {
		t.Errorf("finished cancelled run is %s", done.State)
	}
	_, err = s.CancelRun(ctx, a.ID)
	wantCode(t, err, server.ECONFLICT)
	_, err = s.CancelRun(ctx, 999)
	wantCode(t, err, server.ENOTFOUND)
}

func testRetryRecover(t *testing.T, s Store) {
	setup(t, s)
	run, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	if run.MaxAttempts != 2 {
		t.Fatalf("max attempts = %d; the suite needs stores allowing 2", run.MaxAttempts)
	}
	first := claim(t, s, run.ID)
	must(t, s.RetryRun(ctx, first.Claim(), time.Now().Add(time.Hour), "flaky"))
	if r, _ := s.ClaimRun(ctx); r != nil {
		t.Fatalf("claimed run %d before it was due", r.ID)
	}
	got, _ := s.FindRun(ctx, run.ID)
	if got.State != server.RunQueued || got.Error != "flaky" {
		t.Errorf("retried run = %+v", got)
	}
	wantCode(t, s.RetryRun(ctx, first.Claim(), time.Now(), "x"), server.ECONFLICT)

	// Two runs left running by a server that died: one with an attempt
	// left, one without.
	a, _ := s.Train(ctx, server.TrainRequest{Model: "m"})
	claim(t, s, a.ID)
	b, _ := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, s.RetryRun(ctx, claim(t, s, b.ID).Claim(), time.Now(), "first attempt failed"))
	claim(t, s, b.ID)
	// Runs claimed without a lease count as left over.
	n, err := s.RecoverRuns(ctx, nil)
	must(t, err)
	if n != 2 {
		t.Errorf("recovered %d runs, want 2", n)
	}
	ra, _ := s.FindRun(ctx, a.ID)
	rb, _ := s.FindRun(ctx, b.ID)
	if ra.State != server.RunQueued || rb.State != server.RunFailed || !strings.Contains(rb.Error, "stopped; no attempts left") {
		t.Errorf("after recovery: a %s (%s), b %s (%s)", ra.State, ra.Error, rb.State, rb.Error)
	}
	r2 := claim(t, s, a.ID)
	if r2.Attempt != 2 {
		t.Errorf("attempt = %d, want 2", r2.Attempt)
	}

	// A graceful stop gives the attempt back.
	c, _ := s.Train(ctx, server.TrainRequest{Model: "m"})
	held := claim(t, s, c.ID)
	must(t, s.ReleaseRun(ctx, held.Claim(), "the server stopped"))
	rc, _ := s.FindRun(ctx, c.ID)
	if rc.State != server.RunQueued || rc.Attempt != 0 {
		t.Errorf("released run = %s attempt %d, want queued attempt 0", rc.State, rc.Attempt)
	}
	wantCode(t, s.ReleaseRun(ctx, held.Claim(), "again"), server.ECONFLICT)
	if r3 := claim(t, s, c.ID); r3.Attempt != 1 {
		t.Errorf("attempt after release = %d, want 1", r3.Attempt)
	}
}

// testLeases drives runs through the job queue's side of the store: each
// trip into the queue is listed once for dispatch, a delivery claims only
// the trip it was made for, a run is held by its owner while the lease
// lasts, and a process that lost its run cannot finish it.
func testLeases(t *testing.T, s Store) {
	setup(t, s)
	run, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	pending, err := s.PendingDispatches(ctx, 10)
	must(t, err)
	if len(pending) != 1 || pending[0].Run != run.ID || pending[0].Kind != server.RunTrain {
		t.Fatalf("pending dispatches = %+v, want run %d", pending, run.ID)
	}
	d := pending[0]
	must(t, s.MarkDispatched(ctx, pending))
	if again, _ := s.PendingDispatches(ctx, 10); len(again) != 0 {
		t.Errorf("dispatched run listed again: %+v", again)
	}
	if r, err := s.ClaimQueuedRun(ctx, run.ID, d.Seq+1, "w1", time.Minute); err != nil || r != nil {
		t.Fatalf("claim for a later trip = %+v, %v; want nothing", r, err)
	}
	a, err := s.ClaimQueuedRun(ctx, run.ID, d.Seq, "w1", time.Minute)
	must(t, err)
	if a == nil || a.State != server.RunRunning || a.Owner != "w1" || a.Attempt != 1 {
		t.Fatalf("claimed = %+v", a)
	}
	// The same delivery again (at-least-once) claims nothing.
	if r, err := s.ClaimQueuedRun(ctx, run.ID, d.Seq, "w2", time.Minute); err != nil || r != nil {
		t.Fatalf("repeated delivery claimed %+v, %v", r, err)
	}
	owners, err := s.RunOwners(ctx)
	must(t, err)
	if len(owners) != 1 || owners[0] != "w1" {
		t.Errorf("owners = %v", owners)
	}
	// A live lease is not recovered; an owner named dead is.
	must(t, s.RenewLeases(ctx, "w1", time.Minute))
	if n, err := s.RecoverRuns(ctx, []string{"w9"}); err != nil || n != 0 {
		t.Fatalf("recovered %d (%v) with the owner alive", n, err)
	}
	if n, err := s.RecoverRuns(ctx, []string{"w1"}); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want the dead owner's run", n, err)
	}
	r, _ := s.FindRun(ctx, run.ID)
	if r.State != server.RunQueued || r.Owner != "" {
		t.Fatalf("recovered run = %s owner %q", r.State, r.Owner)
	}
	pending, _ = s.PendingDispatches(ctx, 10)
	if len(pending) != 1 || pending[0].Seq != d.Seq+1 {
		t.Fatalf("pending after recovery = %+v, want the next trip", pending)
	}
	b, err := s.ClaimQueuedRun(ctx, run.ID, pending[0].Seq, "w2", 0)
	must(t, err)
	if b == nil || b.Attempt != 2 {
		t.Fatalf("second claim = %+v", b)
	}
	// The first owner lost the run: it can neither finish nor retry it.
	_, err = s.FinishRun(ctx, a.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"})
	wantCode(t, err, server.ECONFLICT)
	wantCode(t, s.RetryRun(ctx, a.Claim(), time.Now(), "x"), server.ECONFLICT)
	// A lease of 0 has run out at once; the suite's stores allow 2
	// attempts, so the run fails.
	time.Sleep(2 * time.Millisecond)
	if n, err := s.RecoverRuns(ctx, nil); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want the run whose lease ran out", n, err)
	}
	if r, _ := s.FindRun(ctx, run.ID); r.State != server.RunFailed || !strings.Contains(r.Error, "no attempts left") {
		t.Fatalf("run recovered with no attempts left = %s (%s)", r.State, r.Error)
	}
	// An attempt finishes once, however often it is reported.
	next, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	pending, _ = s.PendingDispatches(ctx, 10)
	if len(pending) != 1 || pending[0].Run != next.ID {
		t.Fatalf("pending = %+v, want run %d", pending, next.ID)
	}
	c, err := s.ClaimQueuedRun(ctx, next.ID, pending[0].Seq, "w3", time.Minute)
	must(t, err)
	done, err := s.FinishRun(ctx, c.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"})
	must(t, err)
	if done.State != server.RunSucceeded || done.TrainedModel != "m@1" || done.Owner != "" {
		t.Fatalf("finished = %+v", done)
	}
	_, err = s.FinishRun(ctx, c.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"})
	wantCode(t, err, server.ECONFLICT)

	// A run dispatched long ago and never claimed gets a new trip; the
	// old job claims nothing.
	stale, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	pending, _ = s.PendingDispatches(ctx, 10)
	must(t, s.MarkDispatched(ctx, pending))
	if n, err := s.RedispatchStale(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("dispatched again %d (%v) runs dispatched just now", n, err)
	}
	if n, err := s.RedispatchStale(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("dispatched again %d (%v), want the stale run", n, err)
	}
	again, _ := s.PendingDispatches(ctx, 10)
	if len(again) != 1 || again[0].Run != stale.ID || again[0].Seq != pending[0].Seq+1 {
		t.Fatalf("pending = %+v, want run %d's next trip", again, stale.ID)
	}
	if r, err := s.ClaimQueuedRun(ctx, stale.ID, pending[0].Seq, "w4", time.Minute); err != nil || r != nil {
		t.Fatalf("the stale job claimed %+v (%v)", r, err)
	}
	_, total, err := s.FindTrainedModels(ctx, server.TrainedModelFilter{Model: "m"})
	must(t, err)
	if total != 1 {
		t.Errorf("%d trained models, want 1", total)
	}
}

func testRunLists(t *testing.T, s Store) {
	setup(t, s)
	var ids []int64
	for i := 0; i < 5; i++ {
		r, err := s.Train(ctx, server.TrainRequest{Model: "m"})
		must(t, err)
		ids = append(ids, r.ID)
	}
	claim(t, s, ids[0])
	list, total, err := s.FindRuns(ctx, server.RunFilter{State: server.RunQueued, Page: server.Page{Limit: 2}})
	must(t, err)
	if total != 4 || len(list) != 2 || list[0].ID != ids[4] {
		t.Errorf("queued runs: %d total, first %+v", total, list)
	}
	list, _, err = s.FindRuns(ctx, server.RunFilter{Model: "m", Page: server.Page{Order: "id"}})
	must(t, err)
	if len(list) != 5 || list[0].ID != ids[0] {
		t.Errorf("runs by id ascending: %d, first %d", len(list), list[0].ID)
	}
	_, _, err = s.FindRuns(ctx, server.RunFilter{State: "sleeping"})
	wantCode(t, err, server.EINVALID)
	_, _, err = s.FindRuns(ctx, server.RunFilter{Kind: "dance"})
	wantCode(t, err, server.EINVALID)
	_, err = s.RunLogs(ctx, 12345, 0)
	wantCode(t, err, server.ENOTFOUND)
}
