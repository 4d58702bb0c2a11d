package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/objectstore/s3test"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// TestServeOnS3 runs a real galley serve process with --storage s3://… on
// a real S3-compatible server and --database on a real PostgreSQL, the
// pair several machines share: training and scoring keep their input
// snapshot, the trained model and the scores in the bucket, under the
// URL's prefix, and none on the server's disk; galley gc then removes
// exactly the objects nothing needs once their runs and versions are
// deleted, and runs still work afterwards.
func TestServeOnS3(t *testing.T) {
	srv := s3test.New(t)
	srv.SetEnv(t)
	storage := srv.NewBucket(t)
	u, _ := url.Parse(storage)
	object := func(key string) string { return srv.ObjectPath(u.Host, "galley/"+key) }
	exists := func(key string) bool {
		_, err := os.Stat(object(key))
		return err == nil
	}
	dsn := pgtest.NewDatabase(t)
	home := t.TempDir()
	var log bytes.Buffer
	_, addr := startServeProcess(t, home, &log, "--database", dsn, "--storage", storage, "--workers", "1")
	setupSleepy(t, addr)

	train := decodeRun(t, first(galley(t, addr, 0, "train", "nap", "--wait", "--json")))
	if train.State != server.RunSucceeded || train.TrainedModel != "nap@1" {
		t.Fatalf("training = %+v\nserver log:\n%s", train, log.String())
	}
	score := decodeRun(t, first(galley(t, addr, 0, "score", "nap@1", "--input", "small", "--output", "scored", "--wait", "--json")))
	if score.State != server.RunSucceeded || score.OutputSnapshot != "scored@1" || score.RowsOut != 50 {
		t.Fatalf("scoring = %+v\nserver log:\n%s", score, log.String())
	}
	for _, key := range []string{"snapshots/small/v1.csv", "runs/1/model.json", "runs/2/output.csv"} {
		if !exists(key) {
			t.Errorf("the bucket has no %s", key)
		}
	}
	if b, err := os.ReadFile(object("runs/2/output.csv")); err != nil || strings.Count(string(b), "\n") != 51 {
		t.Errorf("the scores in the bucket have %d lines, want a header and 50 rows (%v)", strings.Count(string(b), "\n"), err)
	}
	// Nothing of the runs stays on the server's disk: no file store, no
	// run directories.
	for _, dir := range []string{filepath.Join(home, "server", "objects"), filepath.Join(home, "server", "work", "runs", "1"), filepath.Join(home, "server", "work", "runs", "2")} {
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s exists on the server's disk", dir)
		}
	}

	// Retention: deleting the scores' run and the trained version removes
	// their objects at once.
	galley(t, addr, 0, "dataset", "delete", "scored")
	galley(t, addr, 0, "runs", "delete", "2")
	galley(t, addr, 0, "model", "delete", "nap@1")
	for _, key := range []string{"runs/1/model.json", "runs/2/output.csv"} {
		if exists(key) {
			t.Errorf("%s outlived its delete", key)
		}
	}
	// What a failed removal would leave, gc removes, with the snapshot no
	// run reads any more.
	objects, err := objectstore.Open(context.Background(), storage)
	if err != nil {
		t.Fatal(err)
	}
	defer objects.Close()
	for _, key := range []string{"runs/1/model.json", "runs/2/output.csv"} {
		if err := objects.Put(context.Background(), key, strings.NewReader("left behind")); err != nil {
			t.Fatal(err)
		}
	}
	gc := []string{"gc", "--home", home, "--database", dsn, "--storage", storage}
	out := cli(t, 0, append(gc, "--dry-run")...)
	for _, want := range []string{"objects of deleted runs: 1 file(s)", "models of deleted trained versions: 1 file(s)", "snapshots no queued or running run reads: 1 file(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("gc --dry-run does not say %q:\n%s", want, out)
		}
	}
	if !exists("runs/2/output.csv") {
		t.Errorf("gc --dry-run removed an object")
	}
	out = cli(t, 0, gc...)
	if !strings.Contains(out, "in 3 file(s)") {
		t.Errorf("gc: %s", out)
	}
	for _, key := range []string{"snapshots/small/v1.csv", "runs/1/model.json", "runs/2/output.csv"} {
		if exists(key) {
			t.Errorf("gc left %s", key)
		}
	}
	if out := cli(t, 0, gc...); !strings.Contains(out, "reclaimed 0 bytes in 0 file(s)") {
		t.Errorf("a second gc found more: %s", out)
	}
	// The snapshot gc took is published again by the next run.
	again := decodeRun(t, first(galley(t, addr, 0, "train", "nap", "--wait", "--json")))
	if again.State != server.RunSucceeded || !exists("runs/3/model.json") || !exists("snapshots/small/v1.csv") {
		t.Errorf("training after gc = %+v", again)
	}
}

// TestServeBadStorage: an object store galley serve cannot use stops it at
// start with an error naming the problem, before it listens and before it
// creates or migrates its database.
func TestServeBadStorage(t *testing.T) {
	srv := s3test.New(t)
	srv.SetEnv(t)
	good := srv.NewBucket(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "s3://galley?region=us-east-1&endpoint=http://" + closed.Addr().String()
	closed.Close()
	tests := []struct {
		name, storage string
		usage         bool
		want          []string
	}{
		{"unknown scheme", "ftp://files/galley", true, []string{"--storage", `unknown scheme "ftp"`, "use file:///DIR or s3://"}},
		{"missing directory", "file:///no/such/galley/objects", true, []string{"directory /no/such/galley/objects does not exist"}},
		{"missing bucket", srv.URL("no-such-bucket", "galley"), true, []string{`bucket "no-such-bucket" does not exist`, "create it first"}},
		{"wrong credentials", good, false, []string{"access denied", "AWS_SECRET_ACCESS_KEY"}},
		{"unreachable endpoint", unreachable, false, []string{"cannot reach the store", "check the endpoint"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "wrong credentials" {
				t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
			}
			home := t.TempDir()
			m := &serveMain{Addr: "127.0.0.1:0", Home: home, Storage: tt.storage, MaxAttempts: 1, execution: execution{Workers: 1, WorkerCommand: []string{"false"}}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := m.Run(ctx)
			defer m.Close()
			if err == nil {
				t.Fatalf("galley serve started with --storage %s", tt.storage)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if got := errors.Is(err, errUsage); got != tt.usage {
				t.Errorf("usage error (exit status 2) = %v, want %v: %v", got, tt.usage, err)
			}
			if m.listener != nil {
				t.Errorf("galley serve listens on %s despite the error", m.listener.Addr())
			}
			for _, p := range []string{filepath.Join(home, "server", "galley.db"), filepath.Join(home, "server", "objects")} {
				if _, err := os.Stat(p); err == nil {
					t.Errorf("%s was created", p)
				}
			}
		})
	}
}

// TestRefusalsWriteNothing: galley serve and galley worker set up for
// several machines (PostgreSQL and an S3 bucket, the shared dataset
// catalog) refuse a database or a store they cannot use at start, saying
// what to change, and write nothing: not under their home, not in the
// bucket, not in the database.
func TestRefusalsWriteNothing(t *testing.T) {
	srv := s3test.New(t)
	srv.SetEnv(t)
	good := srv.NewBucket(t)
	u, _ := url.Parse(good)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "postgres://galley:secret@" + closed.Addr().String() + "/galley"
	closed.Close()
	newer := pgtest.NewDatabase(t)
	db, err := postgres.Open(newer, &datasets.Shared{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("pgx", newer)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO migrations (name) VALUES ('migrations/9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	empty := pgtest.NewDatabase(t)
	tests := []struct {
		name, database, storage, secret string
		want                            []string
	}{
		{"unreachable database", unreachable, good, "", []string{"cannot connect to database galley", "connection refused"}},
		{"wrong database password", strings.Replace(empty, pgtest.Password, "wrong", 1), good, "", []string{"cannot connect", "password authentication failed"}},
		{"schema newer than the binary", newer, good, "", []string{"newer than this galley binary", "9999_future.sql", "upgrade galley"}},
		{"missing bucket", empty, srv.URL("no-such-bucket", "galley"), "", []string{`bucket "no-such-bucket" does not exist`, "create it first"}},
		{"wrong store credentials", empty, good, "not-the-secret", []string{"access denied", "AWS_SECRET_ACCESS_KEY"}},
	}
	for _, tt := range tests {
		for _, process := range []string{"serve", "worker"} {
			t.Run(tt.name+"/"+process, func(t *testing.T) {
				if tt.secret != "" {
					t.Setenv("AWS_SECRET_ACCESS_KEY", tt.secret)
				}
				home := t.TempDir()
				before := pgCount(t, newer, `SELECT count(*) FROM migrations`)
				ex := execution{Workers: 1, WorkerCommand: []string{"false"}, Lease: 3 * time.Second}
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				var err error
				if process == "serve" {
					m := &serveMain{Addr: "127.0.0.1:0", Home: home, Database: tt.database, Storage: tt.storage, MaxAttempts: 1, execution: ex}
					err = m.Run(ctx)
					m.Close()
				} else {
					m := &workerMain{Home: home, Database: tt.database, Storage: tt.storage, execution: ex}
					err = m.Run(ctx)
					m.Close()
				}
				if err == nil {
					t.Fatalf("galley %s started", process)
				}
				for _, w := range tt.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not say %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), pgtest.Password) {
					t.Errorf("error shows a password: %v", err)
				}
				filepath.WalkDir(home, func(path string, d fs.DirEntry, err error) error {
					if path != home {
						t.Errorf("galley %s wrote %s", process, path)
					}
					return nil
				})
				filepath.WalkDir(srv.ObjectPath(u.Host, ""), func(path string, d fs.DirEntry, err error) error {
					if err == nil && !d.IsDir() {
						t.Errorf("galley %s wrote %s to the bucket", process, path)
					}
					return nil
				})
				if after := pgCount(t, newer, `SELECT count(*) FROM migrations`); after != before {
					t.Errorf("the newer database's migrations went from %d to %d", before, after)
				}
			})
		}
	}
	if n := pgCount(t, empty, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`); n != 0 {
		t.Errorf("%d tables written to a database that galley refused", n)
	}
}

// TestGCSharedCatalog: on the shared catalog (SQLite and a file store
// here), galley gc removes dataset files no version names once they are an
// hour old, and keeps registered versions and recent files, which may be
// uploads under way.
func TestGCSharedCatalog(t *testing.T) {
	home, store := t.TempDir(), t.TempDir()
	storage := "file://" + store
	m := startServe(t, home, func(m *serveMain) { m.Storage = storage; m.Workers = 0 })
	data := filepath.Join(t.TempDir(), "small.csv")
	os.WriteFile(data, []byte("a,b\n1,2\n3,4\n"), 0o644)
	galley(t, m.URL(), 0, "dataset", "import", data, "--name", "small")
	registered, err := filepath.Glob(filepath.Join(store, "datasets", "small", "*.parquet"))
	if err != nil || len(registered) != 1 {
		t.Fatalf("the store holds %v (%v), want the one version's file", registered, err)
	}
	old, recent := filepath.Join(store, "datasets", "small", "run-9-1.parquet"), filepath.Join(store, "datasets", "small", "run-9-2.parquet")
	for _, p := range []string{old, recent} {
		os.WriteFile(p, []byte("staged by an attempt that lost its run"), 0o644)
	}
	earlier := time.Now().Add(-2 * time.Hour)
	for _, p := range append([]string{old}, registered...) {
		os.Chtimes(p, earlier, earlier)
	}
	out := cli(t, 0, "gc", "--home", home, "--storage", storage)
	if !strings.Contains(out, "dataset files no version names: 1 file(s)") {
		t.Errorf("gc: %s", out)
	}
	for p, want := range map[string]bool{old: false, recent: true, registered[0]: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("after gc, %s exists = %v, want %v", p, err == nil, want)
		}
	}
	if v, _ := galley(t, m.URL(), 0, "dataset", "show", "small", "--data"); !strings.Contains(v, "3,4") {
		t.Errorf("small after gc: %s", v)
	}
}
