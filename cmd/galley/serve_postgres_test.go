package main

import (
	"context"
	"database/sql"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// The tests here start a PostgreSQL server when the first of them asks
// for a database; TestMain stops it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func pgCount(t *testing.T, dsn, q string) int {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestServeOnPostgres runs galley serve on PostgreSQL: a training run
// survives the server being killed mid-run and succeeds on the restarted
// server, and the runs are rows in PostgreSQL, not in a SQLite file.
func TestServeOnPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	home := t.TempDir()
	cmd, url := startServeProcess(t, home, os.Stderr, "--database", dsn, "--max-attempts", "2")
	setupSleepy(t, url)
	// The server made its token under home on first start; the restarted
	// server keeps it, as it keeps the database.
	token, err := galleyhttp.ReadToken(galleyhttp.TokenPath(home))
	if err != nil {
		t.Fatal(err)
	}
	c := galleyhttp.NewClient(url, token)
	out, _ := galley(t, url, 0, "train", "nap", "-p", "naptime=1000", "--json")
	id := decodeRun(t, out).ID
	waitRun(t, c, id, func(r *server.Run) bool { return r.State == server.RunRunning && r.WorkerPID != 0 })
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	m := startServe(t, home, func(m *serveMain) { m.Database = dsn })
	if m.Token != token {
		t.Errorf("the restarted server uses token %q, want the one in its home", m.Token)
	}
	c = galleyhttp.NewClient(m.URL(), m.Token)
	r := waitRun(t, c, id, func(r *server.Run) bool { return r.State.Final() })
	if r.State != server.RunSucceeded || r.Attempt != 2 || r.TrainedModel != "nap@1" {
		t.Fatalf("run after the restart = %s attempt %d, trained %q (%s); want nap@1 on attempt 2", r.State, r.Attempt, r.TrainedModel, r.Error)
	}
	out, _ = galley(t, m.URL(), 0, "train", "nap", "--wait", "--json")
	if r := decodeRun(t, out); r.State != server.RunSucceeded || r.TrainedModel != "nap@2" {
		t.Fatalf("second training = %+v", r)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM trained_models`); n != 2 {
		t.Errorf("%d trained models in PostgreSQL, want 2", n)
	}
	// Both versions score the 50 customers into a profile set: 50 profiles
	// in PostgreSQL, each with two history entries.
	for _, ref := range []string{"nap@1", "nap@2"} {
		out, _ = galley(t, m.URL(), 0, "score", ref, "--input", "small", "--profile", "customers", "--id", "customerID", "--wait", "--json")
		if r := decodeRun(t, out); r.State != server.RunSucceeded || r.RowsOut != 50 {
			t.Fatalf("scoring %s into profile set customers = %+v", ref, r)
		}
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM profile_attributes`); n != 50 {
		t.Errorf("%d profile attribute rows in PostgreSQL, want 50", n)
	}
	if n := pgCount(t, dsn, `SELECT count(*) FROM profile_history`); n != 100 {
		t.Errorf("%d profile history rows in PostgreSQL, want 100", n)
	}
	p, err := c.FindProfile(context.Background(), "customers", "C00007")
	if err != nil || len(p.Attributes) != 1 || p.Attributes[0].TrainedModel != "nap@2" {
		t.Errorf("profile C00007 = %+v, %v; want nap@2's attributes", p, err)
	}
	if _, err := os.Stat(filepath.Join(home, "server", "galley.db")); err == nil {
		t.Errorf("a SQLite database was created beside PostgreSQL")
	}
}

// TestServeBadDatabase: a database galley serve cannot use stops it at
// start with an error naming the problem, before it listens and without
// writing to the database.
func TestServeBadDatabase(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := "postgres://galley:secret@" + closed.Addr().String() + "/galley"
	closed.Close()

	newer := pgtest.NewDatabase(t)
	cat, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(newer, cat)
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
		name, database, datasets string
		want                     []string
	}{
		{"unreachable", unreachable, "", []string{"cannot connect to database galley at 127.0.0.1", "connection refused"}},
		{"wrong password", strings.Replace(empty, pgtest.Password, "wrong", 1), "", []string{"cannot connect", "password authentication failed"}},
		{"schema newer than the binary", newer, "", []string{"newer than this galley binary", "9999_future.sql", "upgrade galley"}},
		{"unknown scheme", "mysql://galley@db/galley", "", []string{`--database "mysql://galley@db/galley"`, "use sqlite:PATH or postgres://"}},
		{"csv datasets on postgres", empty, "csv", []string{"--datasets csv", "use --datasets catalog"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			before := pgCount(t, newer, `SELECT count(*) FROM migrations`)
			m := &serveMain{Addr: "127.0.0.1:0", Home: home, Database: tt.database, Datasets: tt.datasets,
				MaxAttempts: 1, execution: execution{Workers: 1, WorkerCommand: []string{"false"}}}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			err := m.Run(ctx)
			defer m.Close()
			if err == nil {
				t.Fatalf("galley serve started on %s", postgres.Redact(tt.database))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), pgtest.Password) {
				t.Errorf("error shows a password: %v", err)
			}
			if m.listener != nil {
				t.Errorf("galley serve listens on %s despite the error", m.listener.Addr())
			}
			if _, err := os.Stat(filepath.Join(home, "server", "galley.db")); err == nil {
				t.Errorf("a SQLite database was created instead")
			}
			if after := pgCount(t, newer, `SELECT count(*) FROM migrations`); after != before {
				t.Errorf("the newer database's migrations went from %d to %d", before, after)
			}
		})
	}
	if n := pgCount(t, empty, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`); n != 0 {
		t.Errorf("%d tables written to a database galley serve refused", n)
	}
}
