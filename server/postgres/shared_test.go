package postgres_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
	"github.com/galley-dev/galley/server/scheduler"
	"github.com/galley-dev/galley/server/storetest"
)

// openShared opens n stores on one database, as n servers would, sharing
// one dataset catalog and one clock.
func openShared(t *testing.T, n int, clock *storetest.Clock) []store {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ds, err := datasets.Open(filepath.Join(t.TempDir(), "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	var out []store
	for range n {
		db, err := postgres.Open(dsn, ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Now = clock.Now
		out = append(out, newStore(db, ds))
	}
	ctx := context.Background()
	s := out[0]
	if _, _, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: storetest.Notebook("x := 1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ImportDataset(ctx, "d", strings.NewReader("a,y\n1,0\n2,1\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSharedScheduling runs three schedulers, each on its own connection
// pool, stepping at the same instants: every slot starts exactly one run.
func TestSharedScheduling(t *testing.T) {
	ctx := context.Background()
	clock := &storetest.Clock{T: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	stores := openShared(t, 3, clock)
	for _, name := range []string{"a", "b"} {
		sc := &server.Schedule{Name: name, Kind: server.RunTrain, Model: "m", Timing: server.Timing{Every: "1m"}, Overlap: server.OverlapAllow}
		if err := stores[0].CreateSchedule(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	const minutes = 10
	for range minutes {
		clock.Add(time.Minute)
		var wg sync.WaitGroup
		for _, s := range stores {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := (&scheduler.Scheduler{Store: s, Now: clock.Now}).Step(ctx); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
	}
	runs, total, err := stores[1].FindRuns(ctx, server.RunFilter{Page: server.Page{Limit: server.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2*minutes {
		t.Errorf("%d runs for %d slots", total, 2*minutes)
	}
	seen := map[string]bool{}
	for _, r := range runs {
		key := r.Schedule + " " + r.NominalTime.Format(time.RFC3339)
		if seen[key] {
			t.Errorf("slot %s started two runs", key)
		}
		seen[key] = true
	}
	for _, name := range []string{"a", "b"} {
		slots, _, err := stores[2].ScheduleSlots(ctx, name, server.Page{Limit: server.MaxLimit})
		if err != nil {
			t.Fatal(err)
		}
		fired := 0
		for _, sl := range slots {
			switch {
			case sl.Status == server.SlotFired && sl.RunID != 0:
				fired++
			case sl.Status == server.SlotFired || sl.RunID != 0:
				t.Errorf("slot %s of %s: %s with run %d", sl.Local, name, sl.Status, sl.RunID)
			}
		}
		// The slot at creation time came due before the first step and
		// is skipped by the default catch-up policy; each later minute
		// fires once.
		if fired != minutes {
			t.Errorf("schedule %s fired %d slots in %d minutes: %v", name, fired, minutes, slots)
		}
	}
}

// TestSharedClaims has workers of three servers claim queued runs at once:
// each run is claimed exactly once.
func TestSharedClaims(t *testing.T) {
	ctx := context.Background()
	clock := &storetest.Clock{T: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	stores := openShared(t, 3, clock)
	const runs = 30
	for i := range runs {
		if _, err := stores[i%3].Train(ctx, server.TrainRequest{Model: "m"}); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 9 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := stores[w%3]
			for {
				r, err := s.ClaimRun(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if r == nil {
					return
				}
				mu.Lock()
				claimed[r.ID]++
				mu.Unlock()
				if _, err := s.FinishRun(ctx, r.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: "a"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(claimed) != runs {
		t.Errorf("%d runs claimed, want %d", len(claimed), runs)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("run %d claimed %d times", id, n)
		}
	}
	// Versions of one model trained at once are numbered without gaps.
	tms, total, err := stores[0].FindTrainedModels(ctx, server.TrainedModelFilter{Model: "m", Page: server.Page{Limit: server.MaxLimit}})
	if err != nil {
		t.Fatal(err)
	}
	if total != runs {
		t.Fatalf("%d trained versions, want %d", total, runs)
	}
	for i, tm := range tms {
		if tm.Version != runs-i {
			t.Errorf("trained version %d at position %d, want %d", tm.Version, i, runs-i)
			break
		}
	}
}
