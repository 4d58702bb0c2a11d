package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/sqlite"
)

// linearNotebook is a fast recipe for scoring at scale: a logistic model
// on three numeric columns, scored row by row by stdlib/ml. Score refuses
// an input holding the id "poison", which lets a test fail one part.
func linearNotebook(t testing.TB) string {
	cell := func(tags []string, src string) map[string]any {
		return map[string]any{"cell_type": "code", "id": fmt.Sprintf("c%d", len(src)), "metadata": map[string]any{"tags": tags}, "source": src, "outputs": []any{}}
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 4, "metadata": map[string]any{}, "cells": []any{
		cell(nil, `import (
	"errors"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

func Load(cfg recipe.Config) (recipe.Frame, error) {
	f, err := data.ReadCSV(cfg.Input(), data.CSVOptions{Types: map[string]data.DType{"id": data.String, "x1": data.Float64, "x2": data.Float64, "x3": data.Float64}})
	if err != nil {
		return nil, err
	}
	if n := cfg.Limit(); n > 0 && n < f.NumRows() {
		h := f.Head(n)
		f.Release()
		return h, nil
	}
	return f, nil
}

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	return ml.Train(f.(*data.Frame), nil, ml.Spec{Label: "y", Pipeline: ml.LinearPipeline("id"), Logistic: &ml.LogisticParams{C: 1}})
}

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	df := f.(*data.Frame)
	bad, err := df.Filter(data.Col("id").Eq("poison"))
	if err != nil {
		return nil, err
	}
	n := bad.NumRows()
	bad.Release()
	if n > 0 {
		return nil, errors.New("the input holds a poisoned row")
	}
	scored, err := m.(*ml.Model).ScoreWith(df, ml.ScoreOptions{Column: "p"})
	if err != nil {
		return nil, err
	}
	defer scored.Release()
	return scored.Select("id", "p")
}`),
	}})
	p := filepath.Join(t.TempDir(), "linear.ipynb")
	os.WriteFile(p, b, 0o644)
	return p
}

// writeLinearCSV writes n synthetic rows (id, x1, x2, x3 and, with label,
// y drawn from a logistic model of them) to path; poison names a row
// whose id is "poison" (-1: none).
func writeLinearCSV(t testing.TB, path string, n int, seed int64, label bool, poison int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewSource(seed))
	w.WriteString("id,x1,x2,x3")
	if label {
		w.WriteString(",y")
	}
	w.WriteString("\n")
	var buf []byte
	for i := range n {
		x1, x2, x3 := rng.NormFloat64(), rng.NormFloat64()*2, rng.Float64()*10
		buf = buf[:0]
		if i == poison {
			buf = append(buf, "poison"...)
		} else {
			buf = append(buf, 'r')
			buf = strconv.AppendInt(buf, int64(i), 10)
		}
		for _, x := range []float64{x1, x2, x3} {
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, x, 'f', 3, 64)
		}
		if label {
			y := "No"
			if rng.Float64() < 1/(1+math.Exp(-(0.8*x1-0.5*x2+0.1*x3-0.5))) {
				y = "Yes"
			}
			buf = append(append(buf, ','), y...)
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// scorePartsRows is the size of the input TestPartitionedScoring scores:
// five million rows, as the scale-out goal states; 500,000 with -short;
// GALLEY_SCORE_PARTS_ROWS overrides both.
func scorePartsRows(t testing.TB) int {
	if s := os.Getenv("GALLEY_SCORE_PARTS_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 6 {
			t.Fatalf("GALLEY_SCORE_PARTS_ROWS=%q: give a number of rows, at least 6", s)
		}
		return n
	}
	if testing.Short() {
		return 500000
	}
	return 5000000
}

// TestPartitionedScoring scores a large input in parts across three
// worker processes and compares the output byte for byte with the same
// input scored unpartitioned in one worker process. Meanwhile one part's
// worker process is killed (that part alone runs again) and a worker
// holding a part is killed (another worker finishes the part). A run
// with a part that fails for good fails, with no output.
func TestPartitionedScoring(t *testing.T) {
	rows := scorePartsRows(t)
	partRows := (rows + 5) / 6
	home := t.TempDir()
	procs := map[string]*syncBuffer{}
	buf := func(name string) *syncBuffer { procs[name] = &syncBuffer{}; return procs[name] }
	t.Cleanup(func() {
		if t.Failed() {
			for name, b := range procs {
				t.Logf("--- %s ---\n%s", name, b.String())
			}
		}
	})
	common := []string{"--workers", "0", "--lease", "3s", "--max-attempts", "3"}
	// Server A splits scoring runs into six parts; server B, on the same
	// database, never splits them; server C splits small inputs.
	_, urlA := startServeProcess(t, home, buf("server A"), append(common, "--score-partition-rows", strconv.Itoa(partRows))...)
	_, urlB := startServeProcess(t, home, buf("server B"), append(common, "--score-partition-rows", "0")...)
	_, urlC := startServeProcess(t, home, buf("server C"), append(common, "--score-partition-rows", "1000")...)
	dbPath := filepath.Join(home, "server", "galley.db")
	var workers []*os.Process
	for i := range 3 {
		w := startWorkerProcess(t, home, "sqlite:"+dbPath, buf(fmt.Sprintf("worker %d", i)), "--concurrency", "1", "--lease", "3s")
		workers = append(workers, w.Process)
	}
	dir := t.TempDir()
	start := time.Now()
	writeLinearCSV(t, filepath.Join(dir, "train.csv"), 5000, 1, true, -1)
	writeLinearCSV(t, filepath.Join(dir, "big.csv"), rows, 2, false, -1)
	writeLinearCSV(t, filepath.Join(dir, "bad.csv"), 3000, 3, false, 1500)
	galley(t, urlA, 0, "dataset", "import", filepath.Join(dir, "train.csv"), "--name", "train")
	galley(t, urlA, 0, "dataset", "import", filepath.Join(dir, "big.csv"), "--name", "big")
	galley(t, urlA, 0, "dataset", "import", filepath.Join(dir, "bad.csv"), "--name", "bad")
	galley(t, urlA, 0, "recipe", "create", "linear", linearNotebook(t))
	galley(t, urlA, 0, "model", "create", "lin", "--recipe", "linear", "--dataset", "train")
	galley(t, urlA, 0, "train", "lin", "--wait")
	t.Logf("%d rows generated and imported, model trained in %s", rows, time.Since(start).Round(time.Millisecond))
	c := galleyhttp.ClientFromEnv(urlA)
	ctx := context.Background()

	// The same input scored unpartitioned, in one worker process.
	start = time.Now()
	out, _ := galley(t, urlB, 0, "score", "lin@1", "--input", "big", "--output", "whole", "--json")
	whole := waitRunUntil(t, c, decodeRun(t, out).ID, time.Now().Add(10*time.Minute))
	if whole.State != server.RunSucceeded || whole.Parts != nil || whole.RowsOut != rows {
		t.Fatalf("unpartitioned run = %s, parts %+v, %d rows out: %s", whole.State, whole.Parts, whole.RowsOut, whole.Error)
	}
	t.Logf("unpartitioned: %d rows scored in %s (run %s)", rows, time.Since(start).Round(time.Millisecond), time.Duration(whole.DurationMS)*time.Millisecond)

	db, err := sqlite.Open(dbPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start = time.Now()
	out, _ = galley(t, urlA, 0, "score", "lin@1", "--input", "big", "--output", "parted", "--json")
	id := decodeRun(t, out).ID
	// Wait for three parts running at once, one in each worker.
	var running []*server.RunPart
	var coordinator string
	for deadline := time.Now().Add(5 * time.Minute); len(running) < 3; {
		if time.Now().After(deadline) {
			t.Fatalf("three parts never ran at once; parts: %s", partsText(db, id))
		}
		time.Sleep(20 * time.Millisecond)
		running = running[:0]
		ps, _ := db.FindParts(ctx, id)
		for _, p := range ps {
			if p.State == server.RunRunning && p.WorkerPID != 0 {
				running = append(running, p)
			}
		}
		if r, err := db.FindRun(ctx, id); err == nil {
			coordinator = r.Owner
		}
	}
	// The worker process of a part run by the coordinator dies: that part
	// alone runs again. A worker that is not the coordinator dies holding
	// a part: another worker finishes it.
	var crashed, orphaned *server.RunPart
	for _, p := range running {
		if p.Owner == coordinator && crashed == nil {
			crashed = p
		} else if p.Owner != coordinator && orphaned == nil {
			orphaned = p
		}
	}
	if crashed == nil || orphaned == nil {
		t.Fatalf("running parts %+v, coordinator %s", running, coordinator)
	}
	if err := syscall.Kill(crashed.WorkerPID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var victim *os.Process
	for _, w := range workers {
		if strings.Split(orphaned.Owner, "/")[1] == strconv.Itoa(w.Pid) {
			victim = w
		}
	}
	if victim == nil {
		t.Fatalf("no worker process owns part %+v", orphaned)
	}
	victim.Signal(syscall.SIGKILL)
	victim.Wait()

	parted := waitRunUntil(t, c, id, time.Now().Add(10*time.Minute))
	t.Logf("partitioned: %d rows scored in %s across 3 workers, two of them disturbed", rows, time.Since(start).Round(time.Millisecond))
	if parted.State != server.RunSucceeded {
		t.Fatalf("partitioned run = %s: %s\nparts: %s", parted.State, parted.Error, partsText(db, id))
	}
	if p := parted.Parts; p == nil || p.Total != 6 || p.Succeeded != 6 || parted.PartitionRows != partRows || parted.RowsIn != rows || parted.RowsOut != rows {
		t.Errorf("partitioned run: parts %+v of %d rows, %d rows in, %d out", parted.Parts, parted.PartitionRows, parted.RowsIn, parted.RowsOut)
	}
	ps, err := db.FindParts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		want := 1
		if p.Part == crashed.Part || p.Part == orphaned.Part {
			want = 2
		}
		if p.State != server.RunSucceeded || p.Attempt != want {
			t.Errorf("part %d = %s on attempt %d, want succeeded on attempt %d", p.Part, p.State, p.Attempt, want)
		}
	}
	logs, _ := galley(t, urlA, 0, "runs", "logs", strconv.FormatInt(id, 10))
	for k := 1; k <= 6; k++ {
		succeeded := 0
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, fmt.Sprintf("part %d of 6 (input rows ", k)) && strings.Contains(l, " succeeded: ") {
				succeeded++
			}
		}
		if succeeded != 1 {
			t.Errorf("the log says part %d succeeded %d times, want once", k, succeeded)
		}
	}
	if !strings.Contains(logs, "parts: 6 of 6 succeeded") || !strings.Contains(logs, "retrying this part alone") {
		t.Errorf("log of the partitioned run:\n%s", logs)
	}
	show, _ := galley(t, urlA, 0, "runs", "show", strconv.FormatInt(id, 10))
	if !strings.Contains(show, fmt.Sprintf("parts    6 of 6 succeeded, 0 running, 0 queued (partition rows %d)", partRows)) {
		t.Errorf("runs show:\n%s", show)
	}
	// The assembled output is the unpartitioned one, byte for byte, in
	// the object store and in the dataset saved from it.
	objects := filepath.Join(home, "server", "objects", "runs")
	a, b := fileSum(t, filepath.Join(objects, fmt.Sprint(whole.ID), "output.csv")), fileSum(t, filepath.Join(objects, fmt.Sprint(id), "output.csv"))
	if a != b {
		t.Errorf("partitioned output %s differs from the unpartitioned %s", b, a)
	}
	if parted.OutputSnapshot != "parted@1" {
		t.Errorf("output %q", parted.OutputSnapshot)
	}
	if left, _ := filepath.Glob(filepath.Join(objects, fmt.Sprint(id), "parts", "*")); len(left) > 0 {
		t.Errorf("the parts' scores stay after the run: %v", left)
	}

	// A part that fails for good fails the run: no output is saved.
	out, _ = galley(t, urlC, 0, "score", "lin@1", "--input", "bad", "--output", "poisoned", "--json")
	bad := waitRunUntil(t, c, decodeRun(t, out).ID, time.Now().Add(2*time.Minute))
	if bad.State != server.RunFailed || !strings.Contains(bad.Error, "part 2 of 3 (input rows 1001 to 2000) failed") || !strings.Contains(bad.Error, "poisoned row") || bad.OutputSnapshot != "" {
		t.Errorf("run with a poisoned part = %s, output %q: %s", bad.State, bad.OutputSnapshot, bad.Error)
	}
	if _, err := c.FindDatasetVersion(ctx, "poisoned"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("a failed partitioned run left dataset poisoned (%v)", err)
	}
}

func partsText(db *sqlite.DB, id int64) string {
	ps, err := db.FindParts(context.Background(), id)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "\n%+v", *p)
	}
	return b.String()
}

func fileSum(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return readerSum(t, f)
}

// readerSum is the sha256 and length of what r holds, as fileSum gives
// them for a file.
func readerSum(t testing.TB, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x (%d bytes)", h.Sum(nil), n)
}

// BenchmarkScoringThroughput measures scoring throughput of one large
// input (GALLEY_BENCH_SCORE_ROWS rows, default 4,000,000, in
// GALLEY_BENCH_SCORE_PARTS parts, default 16) on SQLite: unpartitioned,
// then partitioned with one worker process and with two, each
// GALLEY_BENCH_SCORE_ROUNDS times (default 3; medians reported). The
// rounds alternate one, two, two, one, one, two ..., starting and stopping
// the second worker between them, so that a machine that slows down or
// speeds up during the benchmark weighs on both sides alike. Each run's
// scoring time runs from its start to the log line saying its attempt
// succeeded (before the output is saved as a dataset, which is the same
// for all three); the run's whole duration is reported too.
// GALLEY_BENCH_SCORE_LOGS names a directory to write each run's log into,
// every line at its offset from the run's start (whole.log, and the last
// one.log and two.log). Run it with -benchtime 1x (suite scoring of make
// bench).
func BenchmarkScoringThroughput(b *testing.B) {
	rows, parts := 4000000, 16
	for name, v := range map[string]*int{"GALLEY_BENCH_SCORE_ROWS": &rows, "GALLEY_BENCH_SCORE_PARTS": &parts} {
		if s := os.Getenv(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				b.Fatalf("%s=%q: want a positive number", name, s)
			}
			*v = n
		}
	}
	partRows := (rows + parts - 1) / parts
	// GALLEY_BENCH_SCORE_CPUS caps each worker's recipe processes at that
	// many cores (--recipe-cpus), so that each worker stands for a machine
	// of its own.
	workerArgs := []string{"--concurrency", "1"}
	if s := os.Getenv("GALLEY_BENCH_SCORE_CPUS"); s != "" {
		workerArgs = append(workerArgs, "--recipe-cpus", s)
	}
	home := b.TempDir()
	logs := &syncBuffer{}
	common := []string{"--workers", "0", "--max-attempts", "1"}
	_, urlA := startServeProcess(b, home, logs, append(common, "--score-partition-rows", strconv.Itoa(partRows))...)
	_, urlB := startServeProcess(b, home, logs, append(common, "--score-partition-rows", "0")...)
	db := "sqlite:" + filepath.Join(home, "server", "galley.db")
	startWorkerProcess(b, home, db, logs, workerArgs...)
	dir := b.TempDir()
	writeLinearCSV(b, filepath.Join(dir, "train.csv"), 5000, 1, true, -1)
	writeLinearCSV(b, filepath.Join(dir, "big.csv"), rows, 2, false, -1)
	galley(b, urlA, 0, "dataset", "import", filepath.Join(dir, "train.csv"), "--name", "train")
	galley(b, urlA, 0, "dataset", "import", filepath.Join(dir, "big.csv"), "--name", "big")
	galley(b, urlA, 0, "recipe", "create", "linear", linearNotebook(b))
	galley(b, urlA, 0, "model", "create", "lin", "--recipe", "linear", "--dataset", "train")
	galley(b, urlA, 0, "train", "lin", "--wait")
	// The input is published to the object store before the clock runs,
	// or the first run measured would export it for all of them.
	cat, err := datasets.Open(filepath.Join(home, "datasets"))
	if err != nil {
		b.Fatal(err)
	}
	objects, err := objectstore.OpenDefault(context.Background(), home)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := objects.PublishSnapshot(context.Background(), "big@1", b.TempDir(), cat.ExportCSV); err != nil {
		b.Fatal(err)
	}
	objects.Close()
	c := galleyhttp.ClientFromEnv(urlA)
	score := func(url, output string) (scoring, total time.Duration) {
		out, _ := galley(b, url, 0, "score", "lin@1", "--input", "big", "--output", output, "--json")
		r := waitRunUntil(b, c, decodeRun(b, out).ID, time.Now().Add(30*time.Minute))
		if r.State != server.RunSucceeded || r.RowsOut != rows {
			b.Fatalf("run %d = %s, %d rows: %s\n%s", r.ID, r.State, r.RowsOut, r.Error, logs.String())
		}
		lines, err := c.RunLogs(context.Background(), r.ID, 0)
		if err != nil {
			b.Fatal(err)
		}
		if d := os.Getenv("GALLEY_BENCH_SCORE_LOGS"); d != "" {
			// The run's timeline: each log line at its offset from the
			// run's start (lines are stored in batches, so to about 0.2 s).
			var sb strings.Builder
			for _, l := range lines {
				fmt.Fprintf(&sb, "%8.3f %s\n", l.Time.Sub(*r.StartedAt).Seconds(), l.Text)
			}
			if err := os.WriteFile(filepath.Join(d, output+".log"), []byte(sb.String()), 0o644); err != nil {
				b.Fatal(err)
			}
		}
		for _, l := range lines {
			if l.Text == fmt.Sprintf("attempt %d of %d succeeded", r.Attempt, r.MaxAttempts) {
				scoring = l.Time.Sub(*r.StartedAt)
			}
		}
		if scoring == 0 {
			b.Fatalf("run %d logged no success", r.ID)
		}
		return scoring, time.Duration(r.DurationMS) * time.Millisecond
	}
	perSec := func(d time.Duration) float64 { return float64(rows) / d.Seconds() }
	// One worker and then two workers are each measured rounds times and
	// reported by their medians: a single run of two seconds on a shared
	// machine is too noisy to compare.
	rounds := 3
	if s := os.Getenv("GALLEY_BENCH_SCORE_ROUNDS"); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil || rounds < 1 {
			b.Fatalf("GALLEY_BENCH_SCORE_ROUNDS=%q: want a positive number", s)
		}
	}
	var one, oneTotal, two, twoTotal []time.Duration
	var second *exec.Cmd // the second worker, while it runs
	measure := func(workers int) {
		switch {
		case workers == 2 && second == nil:
			second = startWorkerProcess(b, home, db, logs, workerArgs...)
		case workers == 1 && second != nil:
			// Stopped as an operator would stop it: it finishes nothing
			// here, since no run is in flight between two measurements.
			second.Process.Signal(os.Interrupt)
			if err := second.Wait(); err != nil {
				b.Fatalf("stopping the second worker: %v\n%s", err, logs.String())
			}
			second = nil
		}
		if workers == 1 {
			d, t := score(urlA, "one")
			one, oneTotal = append(one, d), append(oneTotal, t)
		} else {
			d, t := score(urlA, "two")
			two, twoTotal = append(two, d), append(twoTotal, t)
		}
	}
	b.ResetTimer()
	whole, wholeTotal := score(urlB, "whole")
	for i := range rounds {
		if i%2 == 0 {
			measure(1)
			measure(2)
		} else {
			measure(2)
			measure(1)
		}
	}
	for i := range rounds {
		b.Logf("round %d: one worker %.0f rows/s, two workers %.0f rows/s", i+1, perSec(one[i]), perSec(two[i]))
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	b.ReportMetric(perSec(whole), "unpartitioned-rows/s")
	b.ReportMetric(perSec(median(one)), "1worker-rows/s")
	b.ReportMetric(perSec(median(two)), "2workers-rows/s")
	b.ReportMetric(perSec(wholeTotal), "unpartitioned-total-rows/s")
	b.ReportMetric(perSec(median(oneTotal)), "1worker-total-rows/s")
	b.ReportMetric(perSec(median(twoTotal)), "2workers-total-rows/s")
	b.ReportMetric(float64(rounds), "rounds")
	b.ReportMetric(float64(rows), "rows")
	b.ReportMetric(float64((rows+partRows-1)/partRows), "parts")
}
