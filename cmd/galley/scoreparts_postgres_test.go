package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/objectstore/s3test"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// TestPartitionedScoringPostgres is TestPartitionedScoring's multi-process
// case on PostgreSQL and a real S3 server: one server splits a scoring run
// of 200,000 rows into four parts, two galley worker processes (with homes
// of their own) run them, one part's worker process is killed mid-part
// (that part alone runs again), and the assembled output is byte for byte
// the unpartitioned run's.
func TestPartitionedScoringPostgres(t *testing.T) {
	const rows, partRows = 200000, 50000
	galleyBinary(t) // built once for the package: not this test's time
	start := time.Now()
	s3 := s3test.New(t)
	s3.SetEnv(t)
	storage := s3.NewBucket(t)
	dsn := pgtest.NewDatabase(t)
	token := "parts-token"
	t.Setenv("GALLEY_TOKEN", token)
	procs := map[string]*syncBuffer{}
	buf := func(name string) *syncBuffer { procs[name] = &syncBuffer{}; return procs[name] }
	t.Cleanup(func() {
		if t.Failed() {
			for name, b := range procs {
				t.Logf("--- %s ---\n%s", name, b.String())
			}
		}
	})
	common := []string{"--database", dsn, "--storage", storage, "--token", token, "--workers", "0", "--lease", "3s", "--max-attempts", "3"}
	// Server A splits scoring runs; server B, on the same database, never
	// does, for the reference output.
	_, urlA := startServeProcess(t, t.TempDir(), buf("server A"), append(common, "--score-partition-rows", strconv.Itoa(partRows))...)
	_, urlB := startServeProcess(t, t.TempDir(), buf("server B"), append(common, "--score-partition-rows", "0")...)
	for i := range 2 {
		startWorkerProcess(t, t.TempDir(), dsn, buf(fmt.Sprintf("worker %d", i)), "--storage", storage, "--concurrency", "1", "--lease", "3s")
	}
	dir := t.TempDir()
	writeLinearCSV(t, filepath.Join(dir, "train.csv"), 2000, 1, true, -1)
	writeLinearCSV(t, filepath.Join(dir, "big.csv"), rows, 2, false, -1)
	galley(t, urlA, 0, "dataset", "import", filepath.Join(dir, "train.csv"), "--name", "train")
	galley(t, urlA, 0, "dataset", "import", filepath.Join(dir, "big.csv"), "--name", "big")
	galley(t, urlA, 0, "recipe", "create", "linear", linearNotebook(t))
	galley(t, urlA, 0, "model", "create", "lin", "--recipe", "linear", "--dataset", "train")
	galley(t, urlA, 0, "train", "lin", "--wait")
	c := galleyhttp.ClientFromEnv(urlA)
	ctx := context.Background()
	t.Logf("PostgreSQL, S3, 2 servers and 2 workers started, %d rows imported, model trained in %s", rows, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, _ := galley(t, urlB, 0, "score", "lin@1", "--input", "big", "--output", "whole", "--json")
	whole := waitRunUntil(t, c, decodeRun(t, out).ID, time.Now().Add(3*time.Minute))
	if whole.State != server.RunSucceeded || whole.Parts != nil || whole.RowsOut != rows {
		t.Fatalf("unpartitioned run = %s, parts %+v, %d rows out: %s", whole.State, whole.Parts, whole.RowsOut, whole.Error)
	}

	t.Logf("unpartitioned: %d rows scored in %s", rows, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	out, _ = galley(t, urlA, 0, "score", "lin@1", "--input", "big", "--output", "parted", "--json")
	id := decodeRun(t, out).ID
	// Kill the worker process of the first part seen running, through
	// what the API says of the parts.
	var killed *server.RunPart
	for deadline := time.Now().Add(2 * time.Minute); killed == nil; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			ps, err := c.FindParts(ctx, id)
			t.Fatalf("no part was seen running (%v): %+v", err, ps)
		}
		ps, err := c.FindParts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if p.State == server.RunRunning && p.WorkerPID != 0 && p.Attempt == 1 && syscall.Kill(p.WorkerPID, syscall.SIGKILL) == nil {
				killed = p
				break
			}
		}
	}
	parted := waitRunUntil(t, c, id, time.Now().Add(3*time.Minute))
	t.Logf("partitioned: %d rows scored in %s, one part's worker process killed", rows, time.Since(start).Round(time.Millisecond))
	if parted.State != server.RunSucceeded {
		t.Fatalf("partitioned run = %s: %s", parted.State, parted.Error)
	}
	if p := parted.Parts; p == nil || p.Total != 4 || p.Succeeded != 4 || parted.RowsIn != rows || parted.RowsOut != rows {
		t.Errorf("partitioned run: parts %+v, %d rows in, %d out", parted.Parts, parted.RowsIn, parted.RowsOut)
	}
	ps, err := c.FindParts(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	ranBy := map[string]bool{}
	for _, p := range ps {
		want := 1
		if p.Part == killed.Part {
			want = 2
		}
		if p.State != server.RunSucceeded || p.Attempt != want || p.RowsOut != partRows || p.RanBy == "" || p.FinishedAt == nil {
			t.Errorf("part %d = %s on attempt %d (want succeeded on attempt %d), %d rows out, ran by %q, finished %v", p.Part, p.State, p.Attempt, want, p.RowsOut, p.RanBy, p.FinishedAt)
		}
		ranBy[p.RanBy] = true
	}
	t.Logf("4 parts ran in %d processes; part %d's worker process (pid %d) was killed", len(ranBy), killed.Part, killed.WorkerPID)
	logs, _ := galley(t, urlA, 0, "runs", "logs", strconv.FormatInt(id, 10))
	if !strings.Contains(logs, "parts: 4 of 4 succeeded") || !strings.Contains(logs, "retrying this part alone") {
		t.Errorf("log of the partitioned run:\n%s", logs)
	}

	// The assembled output is the unpartitioned one, byte for byte, in
	// the bucket.
	objects, err := objectstore.Open(ctx, storage)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	sum := func(id int64) string {
		r, err := objects.Reader(ctx, objectstore.OutputKey(id))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return readerSum(t, r)
	}
	if a, b := sum(whole.ID), sum(id); a != b {
		t.Errorf("partitioned output %s differs from the unpartitioned %s", b, a)
	}
	if parted.OutputSnapshot != "parted@1" {
		t.Errorf("output %q", parted.OutputSnapshot)
	}
	if left, err := objects.List(ctx, objectstore.PartsPrefix(id), 10); err != nil || len(left) > 0 {
		t.Errorf("the parts' scores stay after the run: %v (%v)", left, err)
	}
}
