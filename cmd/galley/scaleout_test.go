package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/objectstore/s3test"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// syncBuffer collects a process's log for the test to show on failure.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startWorkerProcess starts 'galley worker' on database with home as its
// home and returns it once it has said it is taking runs.
func startWorkerProcess(t testing.TB, home, database string, stderr *syncBuffer, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(galleyBinary(t), append([]string{"worker", "--home", home, "--database", database}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "galley worker: taking train,score runs") {
		t.Fatalf("galley worker printed %q (%v)\n%s", line, err, stderr.String())
	}
	return cmd
}

// heldBy reports whether a running run is held by the process pid: owners
// are written HOST/PID/MACHINE/NONCE.
func heldBy(r *server.Run, pid int) bool {
	f := strings.Split(r.Owner, "/")
	return r.State == server.RunRunning && r.WorkerPID != 0 && len(f) == 4 && f[1] == fmt.Sprint(pid)
}

// waitHeld waits until some run is running in a worker process of the
// process pid and returns it.
func waitHeld(t *testing.T, c *galleyhttp.Client, pid int) *server.Run {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		runs, _, err := c.FindRuns(context.Background(), server.RunFilter{State: server.RunRunning, Page: server.Page{Limit: 100}})
		if err == nil {
			for _, r := range runs {
				if heldBy(r, pid) {
					return r
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no run ran in process %d", pid)
	return nil
}

// TestScaleOutPostgres runs two servers and three workers, each with a
// home of its own (as on five machines), on one PostgreSQL database and
// one S3 bucket: the dataset uploaded through one server is read by runs
// on every worker, and 40 training and scoring runs submitted through both
// servers each finish exactly once, with one trained model or one output
// version each, though a worker and a server are killed with SIGKILL while
// running runs.
func TestScaleOutPostgres(t *testing.T) {
	s3 := s3test.New(t)
	s3.SetEnv(t)
	storage := s3.NewBucket(t)
	dsn := pgtest.NewDatabase(t)
	// Servers with homes of their own share a token only when given one.
	token := "scale-out-token"
	t.Setenv("GALLEY_TOKEN", token)
	logs := map[string]*syncBuffer{}
	buf := func(name string) *syncBuffer { logs[name] = &syncBuffer{}; return logs[name] }
	t.Cleanup(func() {
		if t.Failed() {
			for name, b := range logs {
				t.Logf("--- %s ---\n%s", name, b.String())
			}
			t.Logf("--- River jobs not completed ---\n%s", pgRows(t, dsn, `SELECT id, state, attempt, args::text, attempted_by::text, errors::text FROM river_job WHERE state <> 'completed'`))
		}
	})
	var homes []string
	home := func() string { h := t.TempDir(); homes = append(homes, h); return h }
	common := []string{"--database", dsn, "--storage", storage, "--token", token, "--lease", "3s", "--max-attempts", "3"}
	serverA, urlA := startServeProcess(t, home(), buf("server A"), append(common, "--workers", "1")...)
	_, urlB := startServeProcess(t, home(), buf("server B"), append(common, "--workers", "0")...)
	var workers []*exec.Cmd
	for i := range 3 {
		workers = append(workers, startWorkerProcess(t, home(), dsn, buf(fmt.Sprintf("worker %d", i)), "--storage", storage, "--concurrency", "2", "--lease", "3s"))
	}
	// Uploaded through A, trained through B: B and the workers see the
	// dataset through the database and the bucket.
	setupSleepy(t, urlA)
	galley(t, urlB, 0, "train", "nap", "--wait")
	b := galleyhttp.ClientFromEnv(urlB)

	var ids []int64
	for i := range 40 {
		url := []string{urlA, urlB}[i%2]
		var out string
		if i%4 < 2 {
			out, _ = galley(t, url, 0, "train", "nap", "-p", "naptime=700", "--json")
		} else {
			out, _ = galley(t, url, 0, "score", "nap@1", "--input", "small", "--output", "scores", "--json")
		}
		ids = append(ids, decodeRun(t, out).ID)
	}

	// Kill a worker, then server A, each while it runs a run.
	victim := waitHeld(t, b, workers[0].Process.Pid)
	if err := workers[0].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	workers[0].Wait()
	victimA := waitHeld(t, b, serverA.Process.Pid)
	if err := serverA.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	serverA.Wait()

	deadline := time.Now().Add(90 * time.Second)
	var runs []*server.Run
	for _, id := range ids {
		runs = append(runs, waitRunUntil(t, b, id, deadline))
	}
	outputs := map[string]bool{}
	unrecorded := 0
	for _, r := range runs {
		if r.State != server.RunSucceeded {
			t.Errorf("run %d (%s) ended %s on attempt %d: %s", r.ID, r.Kind, r.State, r.Attempt, r.Error)
		}
		lines, err := b.RunLogs(context.Background(), r.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		// Each attempt's last line says how it ended. An attempt whose
		// process was killed after it logged its success, before it
		// recorded it, was not completed; the run's last attempt is.
		final := fmt.Sprintf("attempt %d of 3 succeeded", r.Attempt)
		succeeded, last := 0, ""
		for _, l := range lines {
			if strings.HasPrefix(l.Text, "attempt ") && strings.Contains(l.Text, " succeeded") {
				succeeded++
				last = l.Text
			}
		}
		if last != final {
			var text []string
			for _, l := range lines {
				text = append(text, l.Time.Format("15:04:05.000")+" "+l.Text)
			}
			t.Errorf("run %d on attempt %d: last success logged %q, want %q:\n%s", r.ID, r.Attempt, last, final, strings.Join(text, "\n"))
		}
		if succeeded > 1 {
			unrecorded++
		}
		if r.Kind == server.RunScore {
			if outputs[r.OutputSnapshot] {
				t.Errorf("two runs wrote %s", r.OutputSnapshot)
			}
			outputs[r.OutputSnapshot] = true
		}
	}
	for _, v := range []*server.Run{victim, victimA} {
		r, _ := b.FindRun(context.Background(), v.ID)
		if r.State != server.RunSucceeded || r.Attempt < 2 {
			t.Errorf("run %d, running when its process was killed, = %s on attempt %d; want succeeded on a later attempt", v.ID, r.State, r.Attempt)
		}
	}
	running, total, _ := b.FindRuns(context.Background(), server.RunFilter{State: server.RunRunning})
	if total != 0 {
		t.Errorf("%d runs still running: %+v", total, running)
	}

	// Exactly once, in the database: one trained model per training run,
	// one version of scores per scoring run, each naming its own run.
	if n := pgCount(t, dsn, `SELECT count(*) FROM runs WHERE state = 'succeeded' AND finished_at IS NOT NULL AND owner = ''`); n != 41 {
		t.Errorf("%d runs recorded as finished, want 41", n)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM trained_models`); n != 21 {
		t.Errorf("%d trained models, want 21 (one per successful training)", n)
	}
	if n := pgCount(t, dsn, `SELECT count(DISTINCT run_id) FROM trained_models`); n != 21 {
		t.Errorf("trained models came from %d runs, want 21", n)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM catalog_versions v JOIN catalog_datasets d ON d.id = v.dataset_id WHERE d.name = 'scores'`); n != 20 {
		t.Errorf("%d versions of scores, want 20 (one per scoring run)", n)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM runs r JOIN catalog_versions v ON v.run_id = r.id JOIN catalog_datasets d ON d.id = v.dataset_id
		WHERE r.kind = 'score' AND r.output_snapshot = d.name || '@' || v.version`); n != 20 {
		t.Errorf("%d scoring runs name the version registered for them, want 20", n)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM river_job WHERE kind = 'galley.run'`); n < 41 {
		t.Errorf("%d River jobs for 41 runs and their retries: the runs did not go through the queue", n)
	}
	if _, versions, err := b.FindDatasetVersions(context.Background(), "scores", server.Page{Limit: 1}); err != nil || versions != 20 {
		t.Errorf("server B lists %d versions of scores (%v), want 20", versions, err)
	}
	// A version a worker wrote downloads through server B, which fetches
	// it from the bucket into its own cache.
	if data, _ := galley(t, urlB, 0, "dataset", "show", "scores@20", "--data"); strings.Count(data, "\n") != 51 {
		t.Errorf("scores@20 through server B has %d lines, want a header and 50 rows", strings.Count(data, "\n"))
	}

	// Exactly once, in the bucket: a model per trained version and scores
	// per scoring run, keyed by run; every registered version's file, and
	// of files staged by attempts that did not finish, only those that an
	// attempt killed between staging and recording its run left.
	objects, err := objectstore.Open(context.Background(), storage)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	count := func(prefix, suffix string) int {
		list, err := objects.List(context.Background(), prefix, 10000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, o := range list {
			if strings.HasSuffix(o.Key, suffix) {
				n++
			}
		}
		return n
	}
	if n := count("runs/", "/model.json"); n != 21 {
		t.Errorf("%d models in the bucket, want 21", n)
	}
	if n := count("runs/", "/output.csv"); n != 20 {
		t.Errorf("%d scoring outputs in the bucket, want 20", n)
	}
	registered := pgCount(t, dsn, `SELECT count(*) FROM catalog_versions`)
	files := count("datasets/", ".parquet")
	// A killed process may leave the staged output of each attempt it was
	// running: two in the worker, one in server A.
	if files < registered || files > registered+3 {
		t.Errorf("%d dataset files in the bucket for %d registered versions; only the 3 attempts the killed processes ran may leave one each", files, registered)
	}
	var missing []string
	for _, key := range strings.Fields(pgRows(t, dsn, `SELECT object FROM catalog_versions`)) {
		if ok, err := objects.Exists(context.Background(), key); err != nil || !ok {
			missing = append(missing, key)
		}
	}
	if len(missing) > 0 {
		t.Errorf("registered versions without their file: %v", missing)
	}
	// No process kept datasets in a catalog of its own.
	for _, h := range homes {
		if _, err := os.Stat(filepath.Join(h, "datasets")); err == nil {
			t.Errorf("%s has a local dataset catalog", h)
		}
	}
	t.Logf("40 runs through 2 servers and 3 workers with homes of their own; runs %d and %d were taken back after their processes were killed; %d attempts were killed after logging success and before recording it; %d dataset files for %d versions",
		victim.ID, victimA.ID, unrecorded, files, registered)
}

// pgRows prints the rows q selects, one a line.
func pgRows(t *testing.T, dsn, q string) string {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		rows.Scan(ptrs...)
		fmt.Fprintln(&b, vals...)
	}
	return b.String()
}

// waitRunUntil waits until run id is final or the deadline passes.
func waitRunUntil(t testing.TB, c *galleyhttp.Client, id int64, deadline time.Time) *server.Run {
	t.Helper()
	for {
		r, err := c.FindRun(context.Background(), id)
		if err == nil && r.State.Final() {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d never finished; last: %+v (%v)", id, r, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestScaleOutSQLite runs the same queue on SQLite: a server without
// workers of its own and two worker processes on its database file; a
// worker killed mid-run loses nothing.
func TestScaleOutSQLite(t *testing.T) {
	home := t.TempDir()
	procs := map[string]*syncBuffer{"server": {}, "worker 0": {}, "worker 1": {}}
	t.Cleanup(func() {
		if t.Failed() {
			for name, b := range procs {
				t.Logf("--- %s ---\n%s", name, b.String())
			}
		}
	})
	_, url := startServeProcess(t, home, procs["server"], "--workers", "0", "--lease", "3s", "--max-attempts", "3")
	db := "sqlite:" + filepath.Join(home, "server", "galley.db")
	w0 := startWorkerProcess(t, home, db, procs["worker 0"], "--concurrency", "2", "--lease", "3s")
	startWorkerProcess(t, home, db, procs["worker 1"], "--concurrency", "2", "--lease", "3s")
	setupSleepy(t, url)
	c := galleyhttp.ClientFromEnv(url)
	var ids []int64
	for range 10 {
		out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=500", "--json")
		ids = append(ids, decodeRun(t, out).ID)
	}
	victim := waitHeld(t, c, w0.Process.Pid)
	if err := w0.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	w0.Wait()
	// Cancelling through the server stops a run in a worker process.
	out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=60000", "--json")
	long := decodeRun(t, out).ID
	waitRun(t, c, long, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	galley(t, url, 0, "runs", "cancel", fmt.Sprint(long))
	if r := waitRun(t, c, long, func(r *server.Run) bool { return r.State.Final() }); r.State != server.RunCancelled {
		t.Errorf("cancelled run on a worker = %s (%s)", r.State, r.Error)
	}
	deadline := time.Now().Add(90 * time.Second)
	models := map[string]bool{}
	for _, id := range ids {
		r := waitRunUntil(t, c, id, deadline)
		if r.State != server.RunSucceeded || models[r.TrainedModel] {
			t.Errorf("run %d = %s %q (%s)", r.ID, r.State, r.TrainedModel, r.Error)
		}
		models[r.TrainedModel] = true
	}
	if r, _ := c.FindRun(context.Background(), victim.ID); r.Attempt < 2 {
		t.Errorf("run %d, running when its worker was killed, succeeded on attempt %d", r.ID, r.Attempt)
	}
	// The workers' recipe output reaches the server's log of the run.
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(ids[0]))
	if !strings.Contains(logs, "napping 500 ms") {
		t.Errorf("log of a run on a worker:\n%s", logs)
	}
	_, total, err := c.FindTrainedModels(context.Background(), server.TrainedModelFilter{Model: "nap"})
	if err != nil || total != 10 {
		t.Errorf("%d trained models (%v), want 10", total, err)
	}
}

// TestWorkerBadConfiguration: a worker given bad flags or a database it
// cannot use says so and stops before taking anything.
func TestWorkerBadConfiguration(t *testing.T) {
	home := t.TempDir()
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--queues", "train,bake"}, 2, "--queues \"train,bake\": the queues are train and score"},
		{[]string{"--queues", ""}, 2, "--queues names no queue"},
		{[]string{"--concurrency", "0"}, 2, "--concurrency 0: a worker runs at least 1 run at a time"},
		{[]string{"--lease", "10ms"}, 2, "--lease 10ms is too short"},
		{[]string{"--database", "mysql://x"}, 2, "use sqlite:PATH or postgres://"},
		{[]string{"--database", "postgres://galley:secret@127.0.0.1:1/galley"}, 1, "postgres:"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), append([]string{"worker", "--home", home}, tt.args...), &out, &errb)
		if code != tt.code || !strings.Contains(errb.String(), tt.stderr) || strings.Contains(errb.String(), "secret") {
			t.Errorf("galley worker %v: exit %d, stderr %q; want %d and %q, no password", tt.args, code, errb.String(), tt.code, tt.stderr)
		}
	}
}
