package worker_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/queue"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/worker"
)

func TestMain(m *testing.M) {
	if os.Getenv("GALLEY_TEST_WORKER") == "1" {
		os.Exit(worker.Child(context.Background(), os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// body behaves according to the mode parameter.
const body = `import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

type M struct{ N int }

var hog [][]byte

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	fmt.Println("training in mode", mode)
	if mode == "cores" {
		fmt.Println("cores:", runtime.GOMAXPROCS(0))
	}
	switch mode {
	case "loop":
		for {
			time.Sleep(10 * time.Millisecond)
		}
	case "oom":
		for {
			hog = append(hog, make([]byte, 1<<20))
		}
	case "retry":
		return nil, recipe.Retryable(errors.New("flaky source"))
	case "fail":
		return nil, errors.New("bad data")
	case "panic":
		var m map[string]int
		m["x"] = 1
	case "slow":
		time.Sleep(3 * time.Second)
	}
	return M{N: f.NumRows()}, nil
}

func Evaluate(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Metrics, error) {
	return recipe.Metrics{"rows": float64(m.(M).N)}, nil
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	t := f.(*recipe.Table)
	out := recipe.NewTable()
	ids, _ := t.Column("id")
	out.Add("id", ids)
	n := make([]float64, len(ids))
	for i := range n {
		n[i] = float64(m.(M).N)
	}
	out.AddFloats("n", n)
	return out, nil
}`

func notebookJSON(sample string) []byte { return notebookWith(sample, body) }

func notebookWith(sample, src string) []byte {
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": "c" + strings.Join(tags, ""), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	md := map[string]any{}
	if sample != "" {
		md["galley"] = map[string]any{"sample": sample, "sample_rows": 2}
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": md, "cells": []any{
		cell([]string{"parameters"}, `mode := "ok"`),
		cell(nil, src),
	}})
	return b
}

type env struct {
	db   *sqlite.DB
	imp  *worker.Importer
	ds   *datasets.Datasets
	pool *worker.Pool
}

func setup(t *testing.T, maxAttempts int, tweak func(p *worker.Pool)) *env {
	t.Helper()
	dir := t.TempDir()
	ds, err := datasets.Open(filepath.Join(dir, "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "galley.db"), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.MaxAttempts = maxAttempts
	objects, err := objectstore.OpenDefault(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	pool := &worker.Pool{
		Store:    db,
		Datasets: ds,
		Objects:  objects,
		Command:  []string{os.Args[0]},
		Env:      []string{"GALLEY_TEST_WORKER=1"},
		Size:     2,
		Timeout:  20 * time.Second,
		Dir:      filepath.Join(dir, "work"),
		Backoff:  func(int) time.Duration { return 10 * time.Millisecond },
	}
	if tweak != nil {
		tweak(pool)
	}
	imp := &worker.Importer{RecipeStore: db, Pool: pool, Datasets: ds}
	ctx := context.Background()
	if _, err := ds.ImportDataset(ctx, "d", strings.NewReader("id,x\n1,2\n2,3\n3,4\n")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: notebookJSON("d")}); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}); err != nil {
		t.Fatal(err)
	}
	q, err := queue.OpenSQLite(ctx, db.SQL(), queue.Config{Store: db, Executor: pool, Concurrency: pool.Size, Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- q.Run(runCtx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return &env{db: db, imp: imp, ds: ds, pool: pool}
}

func wait(t *testing.T, db *sqlite.DB, id int64, cond func(*server.Run) bool) *server.Run {
	t.Helper()
	deadline := time.Now().Add(40 * time.Second)
	for time.Now().Before(deadline) {
		r, err := db.FindRun(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if cond(r) {
			return r
		}
		time.Sleep(30 * time.Millisecond)
	}
	r, _ := db.FindRun(context.Background(), id)
	logs, _ := db.RunLogs(context.Background(), id, 0)
	t.Fatalf("run %d did not reach the expected state: %+v\nlogs: %+v", id, r, logs)
	return nil
}

func final(r *server.Run) bool { return r.State.Final() }

func train(t *testing.T, e *env, mode string) *server.Run {
	t.Helper()
	r, err := e.db.Train(context.Background(), server.TrainRequest{Model: "m", Params: map[string]string{"mode": mode}})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestTrainAndScore(t *testing.T) {
	e := setup(t, 2, nil)
	r := wait(t, e.db, train(t, e, "ok").ID, final)
	if r.State != server.RunSucceeded || r.Metrics["rows"] != 3 || r.TrainedModel != "m@1" || r.RowsIn != 3 {
		t.Fatalf("run = %+v", r)
	}
	logs, _ := e.db.RunLogs(context.Background(), r.ID, 0)
	var text strings.Builder
	for _, l := range logs {
		text.WriteString(l.Text + "\n")
	}
	if !strings.Contains(text.String(), "training in mode ok") {
		t.Errorf("logs = %+v", logs)
	}
	s, err := e.db.Score(context.Background(), server.ScoreRequest{TrainedModel: "m@1", Input: "d", Output: "scores"})
	if err != nil {
		t.Fatal(err)
	}
	s = wait(t, e.db, s.ID, final)
	if s.State != server.RunSucceeded || s.OutputSnapshot != "scores@1" || s.RowsOut != 3 {
		t.Fatalf("scoring run = %+v", s)
	}
	v, err := e.ds.FindDatasetVersion(context.Background(), "scores@1")
	if err != nil {
		t.Fatal(err)
	}
	l := v.Lineage
	if v.Rows != 3 || l == nil || l.RunID != s.ID || l.Recipe != "r" || l.RecipeVersion != 1 || l.TrainedModel != "m@1" || l.InputSnapshot != "d@1" || l.Params["mode"] != "ok" {
		t.Errorf("output = %+v, lineage %+v", v, l)
	}
	out := filepath.Join(t.TempDir(), "scores.csv")
	if err := e.ds.ExportCSV(context.Background(), "scores@1", out); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(out)
	if got := strings.ReplaceAll(string(b), ".0", ""); got != "id,n\n1,3\n2,3\n3,3\n" {
		t.Errorf("scores = %q", b)
	}
}

// TestRecipeCPUs: a pool's CPUs reaches its recipe processes as their
// GOMAXPROCS.
func TestRecipeCPUs(t *testing.T) {
	e := setup(t, 1, func(p *worker.Pool) { p.CPUs = 1 })
	r := wait(t, e.db, train(t, e, "cores").ID, final)
	if r.State != server.RunSucceeded {
		t.Fatalf("run = %+v", r)
	}
	logs, err := e.db.RunLogs(context.Background(), r.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, l := range logs {
		text.WriteString(l.Text + "\n")
	}
	if !strings.Contains(text.String(), "cores: 1\n") {
		t.Errorf("the recipe did not run on one core; its log:\n%s", text.String())
	}
}

func TestFailures(t *testing.T) {
	e := setup(t, 2, func(p *worker.Pool) {
		p.Timeout = 2 * time.Second
		// The limit counts the whole process: an idle worker process
		// is about 60 MiB resident before the recipe runs.
		p.MemoryLimit = 96 << 20
	})
	tests := []struct {
		mode     string
		state    server.RunState
		attempts int
		err      string
	}{
		{"fail", server.RunFailed, 1, "recipe Train: bad data"},
		{"retry", server.RunFailed, 2, "flaky source"},
		{"panic", server.RunFailed, 1, "cell 1 (id c) line 17 column 2: the recipe panicked: runtime.Error: assignment to entry in nil map (in Train)"},
		{"loop", server.RunFailed, 1, "timed out after 2s"},
		{"oom", server.RunFailed, 1, "exceeded the memory limit of 96 MiB"},
	}
	ids := map[string]int64{}
	for _, tt := range tests {
		ids[tt.mode] = train(t, e, tt.mode).ID
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			r := wait(t, e.db, ids[tt.mode], final)
			if r.State != tt.state || r.Attempt != tt.attempts || !strings.Contains(r.Error, tt.err) {
				t.Errorf("run = state %s attempt %d error %q; want %s, %d, %q", r.State, r.Attempt, r.Error, tt.state, tt.attempts, tt.err)
			}
		})
	}
}

func TestCancelAndKill(t *testing.T) {
	e := setup(t, 2, nil)
	// A killed worker fails its attempt; the retry succeeds.
	killed := train(t, e, "slow")
	r := wait(t, e.db, killed.ID, func(r *server.Run) bool { return r.WorkerPID != 0 })
	if err := syscall.Kill(r.WorkerPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cancelled := train(t, e, "loop")
	wait(t, e.db, cancelled.ID, func(r *server.Run) bool { return r.WorkerPID != 0 })
	if _, err := e.db.CancelRun(context.Background(), cancelled.ID); err != nil {
		t.Fatal(err)
	}
	c := wait(t, e.db, cancelled.ID, final)
	if c.State != server.RunCancelled {
		t.Errorf("cancelled run = %+v", c)
	}
	k := wait(t, e.db, killed.ID, final)
	if k.State != server.RunSucceeded || k.Attempt != 2 {
		t.Errorf("killed run = state %s attempt %d (%s); want succeeded on attempt 2", k.State, k.Attempt, k.Error)
	}
	logs, _ := e.db.RunLogs(context.Background(), killed.ID, 0)
	var all []string
	for _, l := range logs {
		all = append(all, l.Text)
	}
	if !strings.Contains(strings.Join(all, "\n"), "attempt 1 of 2 failed: the worker process died: signal: killed") {
		t.Errorf("logs do not record the kill:\n%s", strings.Join(all, "\n"))
	}
}

func TestValidation(t *testing.T) {
	e := setup(t, 1, nil)
	ctx := context.Background()
	bad := strings.Replace(string(notebookJSON("d")), "func Score(", "func Scored(", 1)
	_, _, err := e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "r2", Notebook: []byte(bad)})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "the recipe has no Score") {
		t.Errorf("missing Score: %v", err)
	}
	broken := strings.Replace(string(notebookJSON("d")), "return recipe.ReadCSV(cfg.Input(), cfg.Limit())", "return recipe.ReadCSV(cfg.Input(), cfg.Limit()) + 1", 1)
	_, _, err = e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "r2", Notebook: []byte(broken)})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "cell 1 (id c) line 10") {
		t.Errorf("compile error: %v", err)
	}
	failing := strings.Replace(string(notebookJSON("d")), `mode := \"ok\"`, `mode := \"fail\"`, 1)
	_, _, err = e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "r2", Notebook: []byte(failing)})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "dry run on the sample: recipe Train: bad data") {
		t.Errorf("dry run: %v", err)
	}
	_, _, err = e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "r2", Notebook: notebookJSON("nope")})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), `sample dataset "nope"`) {
		t.Errorf("missing sample: %v", err)
	}
}

// A recipe written against galley's data and ml packages rather than
// recipe.Table.
const mlBody = `import (
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

func Load(cfg recipe.Config) (recipe.Frame, error) { return data.ReadCSV(cfg.Input()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	m, err := ml.Train(f.(*data.Frame), nil, ml.Spec{Label: "churn", Logistic: &ml.LogisticParams{}})
	return m, err
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	out, err := m.(*ml.Model).Score(f.(*data.Frame))
	return out, err
}`

func TestRecipeUsingDataAndML(t *testing.T) {
	e := setup(t, 1, nil)
	ctx := context.Background()
	var csv strings.Builder
	csv.WriteString("x,churn\n")
	for i := 0; i < 200; i++ {
		label := "No"
		if i%10 > 6 {
			label = "Yes"
		}
		fmt.Fprintf(&csv, "%d,%s\n", i%10, label)
	}
	if _, err := e.ds.ImportDataset(ctx, "xy", strings.NewReader(csv.String())); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "mlr", Notebook: notebookWith("xy", mlBody)}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateModel(ctx, &server.Model{Name: "mlm", Recipe: "mlr", Dataset: "xy"}); err != nil {
		t.Fatal(err)
	}
	r, err := e.db.Train(ctx, server.TrainRequest{Model: "mlm"})
	if err != nil {
		t.Fatal(err)
	}
	r = wait(t, e.db, r.ID, final)
	if r.State != server.RunSucceeded {
		t.Fatalf("training run = %s: %s", r.State, r.Error)
	}
	s, err := e.db.Score(ctx, server.ScoreRequest{TrainedModel: "mlm", Input: "xy", Output: "mlscores"})
	if err != nil {
		t.Fatal(err)
	}
	s = wait(t, e.db, s.ID, final)
	if s.State != server.RunSucceeded || s.RowsOut != 200 {
		logs, _ := e.db.RunLogs(ctx, s.ID, 0)
		out := filepath.Join(t.TempDir(), "o.csv")
		e.ds.ExportCSV(ctx, "mlscores", out)
		b, _ := os.ReadFile(out)
		t.Fatalf("scoring run = %s (%d rows): %s\nlogs %+v\noutput %.300s", s.State, s.RowsOut, s.Error, logs, b)
	}
}
