package online_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/online"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
)

// pgStore is the postgres store with its datasets in a catalog, as galley
// serve wires them.
type pgStore struct {
	*postgres.DB
	ds *datasets.Datasets
}

func (s pgStore) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	return s.ds.ImportDataset(ctx, name, r)
}

type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServesThroughDatabaseOutage stops a real PostgreSQL under a serving
// service: requests go on with the alias target and canary split read
// last, the log says so once, /metrics shows the names as stale, and
// once PostgreSQL is back the service reads them again and applies what
// changed meanwhile.
func TestServesThroughDatabaseOutage(t *testing.T) {
	pg, err := pgtest.Start()
	if err != nil {
		pgtest.Missing(t, err)
		return
	}
	t.Cleanup(func() { pg.Stop() })
	dir := t.TempDir()
	ds, err := datasets.Open(filepath.Join(dir, "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(pg.NewDatabase(t), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	var log logBuffer
	const ttl = 200 * time.Millisecond
	s := fixtureOn(t, pgStore{DB: db, ds: ds}, dir, 2, func(s *online.Service) {
		s.ResolveTTL = ttl
		s.Log = slog.New(slog.NewTextHandler(&log, nil))
	})
	ctx := context.Background()
	if _, err := db.SetAlias(ctx, "m", "prod", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 2, Weight: 0.5}); err != nil {
		t.Fatal(err)
	}
	// m@prod is m@1 and half its requests go to the canary, m@2.
	split := func(n int) map[int]int {
		t.Helper()
		by := map[int]int{}
		for i := 0; i < n; i++ {
			p, err := s.Predict(ctx, "m@prod", rows("x"))
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			by[p.Version]++
		}
		return by
	}
	if by := split(20); by[1]+by[2] != 20 || by[1] == 0 || by[2] == 0 {
		t.Fatalf("before the outage: %v", by)
	}
	metric := func(name string) string {
		rec := httptest.NewRecorder()
		s.Metrics().Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return v
			}
		}
		return ""
	}
	if v := metric("galley_predict_config_stale"); v != "0" {
		t.Fatalf("galley_predict_config_stale = %q before the outage", v)
	}

	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15s; log:\n%s", what, log.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("the names are stale once PostgreSQL stopped", func() bool { return metric("galley_predict_config_stale") == "1" })
	// Several rounds of reads fail while requests are served.
	by := split(200)
	time.Sleep(3 * ttl)
	// Half of 200 each way: 60 to 140 fails by chance with p < 1e-8.
	if by[1] < 60 || by[2] < 60 {
		t.Errorf("during the outage m@prod was served by %v; want the alias's m@1 and the canary's m@2 about half each", by)
	}
	if n := strings.Count(log.String(), "cannot read aliases and canaries"); n != 1 {
		t.Errorf("the outage is logged %d times, want once:\n%s", n, log.String())
	}
	if v := metric("galley_predict_config_read_errors_total"); v == "" || v == "0" {
		t.Errorf("galley_predict_config_read_errors_total = %q during the outage", v)
	}
	// A worker that ends is started again, with the recipe version read
	// when it was first loaded.
	for _, m := range s.Serving(ctx) {
		if m.Ref == "m@1" {
			if err := syscall.Kill(m.Pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			waitFor("the worker of m@1 ended", func() bool { return !alive(m.Pid) })
		}
	}
	if by := split(40); by[1] == 0 {
		t.Errorf("after its worker ended, m@1 served none of 40 requests: %v", by)
	}
	// A name nobody asked for cannot be resolved without the database.
	if p, err := s.Predict(ctx, "m", rows("x")); err == nil {
		t.Errorf("m, never resolved, was served by %s during the outage", p.Ref)
	} else {
		t.Logf("a name never resolved, during the outage: %v", err)
	}

	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	waitFor("the names are fresh again once PostgreSQL is back", func() bool { return metric("galley_predict_config_stale") == "0" })
	if !strings.Contains(log.String(), "the database answers again") {
		t.Errorf("the end of the outage is not logged:\n%s", log.String())
	}
	// What changes in the database now is applied within ResolveTTL.
	if _, err := db.SetCanary(ctx, server.Canary{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(ttl + ttl/2)
	if by := split(20); by[1] != 20 {
		t.Errorf("after the canary was removed in the database, m@prod was served by %v; want m@1 only", by)
	}
}

// slowStore makes reads of names and canaries take delay, as a database
// far away or overloaded does.
type slowStore struct {
	online.Store
	delay atomic.Int64 // nanoseconds
}

func (s *slowStore) wait(ctx context.Context) error {
	select {
	case <-time.After(time.Duration(s.delay.Load())):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *slowStore) FindTrainedModel(ctx context.Context, ref string) (*server.TrainedModel, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.FindTrainedModel(ctx, ref)
}

func (s *slowStore) FindCanaries(ctx context.Context) ([]server.Canary, error) {
	if err := s.wait(ctx); err != nil {
		return nil, err
	}
	return s.Store.FindCanaries(ctx)
}

// TestRequestsDoNotWaitForTheStore: once a name and the canaries were
// read, requests are answered from memory while Run reads them again, so
// a slow database does not slow them down.
func TestRequestsDoNotWaitForTheStore(t *testing.T) {
	var slow *slowStore
	const ttl = 50 * time.Millisecond
	s := fixture(t, 2, func(s *online.Service) {
		slow = &slowStore{Store: s.Store}
		s.Store = slow
		s.ResolveTTL = ttl
	})
	predict(t, s, "m", 2, "first")
	slow.delay.Store(int64(2 * time.Second))
	var worst time.Duration
	for end := time.Now().Add(20 * ttl); time.Now().Before(end); {
		start := time.Now()
		predict(t, s, "m", 2, "again")
		worst = max(worst, time.Since(start))
	}
	// A request that read the store would take 2s.
	if worst > time.Second {
		t.Errorf("with reads of the store taking 2s, the slowest request took %s", worst)
	}
	t.Logf("slowest request while the store took 2s a read: %s", worst)
}
