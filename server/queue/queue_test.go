package queue_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
	"github.com/galley-dev/galley/server/queue"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// db is what the tests need of a store.
type db interface {
	queue.Store
	server.RunService
	server.RecipeStore
	server.ModelService
	FinishRun(ctx context.Context, c server.Claim, res server.RunResult) (*server.Run, error)
}

// opened is a store with one model to train, and the queue on it.
type opened struct {
	db   db
	open func(cfg queue.Config) (*queue.Queue, error)
}

func prepare(tb testing.TB, s db, ds *datasets.Datasets) {
	tb.Helper()
	ctx := context.Background()
	if _, err := ds.ImportDataset(ctx, "d", strings.NewReader("id,x\n1,2\n")); err != nil {
		tb.Fatal(err)
	}
	if _, _, err := (storetest.Converter{Store: s}).ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: storetest.Notebook("x := 1")}); err != nil {
		tb.Fatal(err)
	}
	if err := s.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}); err != nil {
		tb.Fatal(err)
	}
}

func openSQLite(tb testing.TB) opened {
	dir := tb.TempDir()
	ds, err := datasets.Open(filepath.Join(dir, "datasets"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := sqlite.Open(filepath.Join(dir, "galley.db"), ds)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	prepare(tb, s, ds)
	return opened{s, func(cfg queue.Config) (*queue.Queue, error) {
		cfg.Store = s
		return queue.OpenSQLite(context.Background(), s.SQL(), cfg)
	}}
}

func openPostgres(tb testing.TB) opened {
	dsn := pgtest.NewDatabase(tb)
	ds, err := datasets.Open(filepath.Join(tb.TempDir(), "datasets"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := postgres.Open(dsn, ds)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	prepare(tb, s, ds)
	return opened{s, func(cfg queue.Config) (*queue.Queue, error) {
		cfg.Store = s
		return queue.OpenPostgres(context.Background(), dsn, cfg)
	}}
}

// recorder executes runs by recording when each started and finishing it.
type recorder struct {
	db      db
	mu      sync.Mutex
	started map[int64][]time.Time
	ch      chan int64
}

func (r *recorder) TryAcquire() bool { return true }
func (r *recorder) Release()         {}

func (r *recorder) Execute(ctx context.Context, run *server.Run) {
	now := time.Now()
	r.mu.Lock()
	r.started[run.ID] = append(r.started[run.ID], now)
	r.mu.Unlock()
	r.db.FinishRun(context.WithoutCancel(ctx), run.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"})
	r.ch <- run.ID
}

func start(tb testing.TB, o opened, ex *recorder, poll time.Duration) *queue.Queue {
	tb.Helper()
	cfg := queue.Config{Poll: poll, Lease: 3 * time.Second}
	if ex != nil {
		cfg.Executor, cfg.Concurrency = ex, 2
	}
	q, err := o.open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		q.Close()
	})
	return q
}

// TestDeliveredOnce: with two processes' queues on one database, each
// dispatching and executing, every run is started exactly once.
func TestDeliveredOnce(t *testing.T) {
	for name, open := range map[string]func(testing.TB) opened{"sqlite": openSQLite, "postgres": openPostgres} {
		t.Run(name, func(t *testing.T) {
			o := open(t)
			ex := &recorder{db: o.db, started: map[int64][]time.Time{}, ch: make(chan int64, 100)}
			q1 := start(t, o, ex, 20*time.Millisecond)
			q2 := start(t, o, ex, 20*time.Millisecond)
			var ids []int64
			for range 20 {
				r, err := o.db.Train(context.Background(), server.TrainRequest{Model: "m"})
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, r.ID)
				q1.Kick()
				q2.Kick()
			}
			timeout := time.After(30 * time.Second)
			for range ids {
				select {
				case <-ex.ch:
				case <-timeout:
					t.Fatalf("runs started: %d of %d", len(ex.started), len(ids))
				}
			}
			// Give a second delivery, if there were one, time to show.
			time.Sleep(200 * time.Millisecond)
			ex.mu.Lock()
			defer ex.mu.Unlock()
			for _, id := range ids {
				if n := len(ex.started[id]); n != 1 {
					t.Errorf("run %d started %d times", id, n)
				}
				r, _ := o.db.FindRun(context.Background(), id)
				if r.State != server.RunSucceeded {
					t.Errorf("run %d is %s", id, r.State)
				}
			}
		})
	}
}

// BenchmarkQueueLatency measures the time from queueing a run to its
// attempt starting (claimed, handed to the executor), one run at a time,
// in a process that dispatches what it queues at once, as galley serve
// does. It reports the 50th and 99th percentiles.
func BenchmarkQueueLatency(b *testing.B) {
	for _, c := range []struct {
		name string
		open func(testing.TB) opened
		poll time.Duration
	}{{"sqlite", openSQLite, 100 * time.Millisecond}, {"postgres", openPostgres, 250 * time.Millisecond}} {
		b.Run(c.name, func(b *testing.B) {
			o := c.open(b)
			ex := &recorder{db: o.db, started: map[int64][]time.Time{}, ch: make(chan int64, 1)}
			q := start(b, o, ex, c.poll)
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				r, err := o.db.Train(context.Background(), server.TrainRequest{Model: "m"})
				if err != nil {
					b.Fatal(err)
				}
				q.Kick()
				if id := <-ex.ch; id != r.ID {
					b.Fatalf("started run %d, want %d", id, r.ID)
				}
				ex.mu.Lock()
				lat = append(lat, ex.started[r.ID][0].Sub(t0))
				ex.mu.Unlock()
			}
			b.StopTimer()
			slices.Sort(lat)
			pct := func(p float64) float64 {
				return float64(lat[min(len(lat)-1, int(p*float64(len(lat))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(0.50), "p50-ms")
			b.ReportMetric(pct(0.99), "p99-ms")
			b.ReportMetric(0, "ns/op")
			if testing.Verbose() {
				fmt.Fprintf(os.Stderr, "%s: %d runs, p50 %.1f ms, p99 %.1f ms\n", c.name, len(lat), pct(0.5), pct(0.99))
			}
		})
	}
}
