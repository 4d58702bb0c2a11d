package online_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/online"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/storetest"
	"github.com/galley-dev/galley/server/worker"
)

// The serving workers are this test binary, re-executed as a worker.
func TestMain(m *testing.M) {
	if os.Getenv("GALLEY_TEST_WORKER") == "1" {
		os.Exit(worker.Child(context.Background(), os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// recipeBody scores each row with the model's N; a row whose id is
// "sleep" or "crash" makes the recipe hang or exceed its memory limit
// (which ends its process).
const recipeBody = `import (
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type M struct{ N int }

var hog [][]byte

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return M{N: f.NumRows()}, nil }

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	t := f.(*recipe.Table)
	ids, err := t.Column("id")
	if err != nil {
		return nil, err
	}
	switch ids[0] {
	case "sleep":
		time.Sleep(time.Hour)
	case "crash":
		// Past the worker's memory limit: the worker process exits.
		for {
			hog = append(hog, make([]byte, 1<<20))
		}
	}
	n := make([]float64, len(ids))
	for i := range n {
		n[i] = float64(m.(M).N)
	}
	out := recipe.NewTable()
	out.Add("id", ids)
	out.AddFloats("n", n)
	return out, nil
}`

// fixture is a real SQLite store holding model m with trained versions
// 1..versions (version v scores every row v*10), and a service serving
// them with real worker processes.
func fixture(t *testing.T, versions int, tweak func(*online.Service)) *online.Service {
	t.Helper()
	dir := t.TempDir()
	db, err := sqlite.Open(filepath.Join(dir, "galley.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return fixtureOn(t, db, dir, versions, tweak)
}

// fixtureStore is what a fixture needs of a store.
type fixtureStore interface {
	online.Store
	server.RecipeStore
	ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error)
	CreateModel(ctx context.Context, m *server.Model) error
	Train(ctx context.Context, req server.TrainRequest) (*server.Run, error)
	ClaimRun(ctx context.Context) (*server.Run, error)
	FinishRun(ctx context.Context, c server.Claim, res server.RunResult) (*server.Run, error)
}

// fixtureOn is fixture on the store db, with files in dir.
func fixtureOn(t *testing.T, db fixtureStore, dir string, versions int, tweak func(*online.Service)) *online.Service {
	t.Helper()
	ctx := context.Background()
	if _, _, err := (storetest.Converter{Store: db}).ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: storetest.Notebook(recipeBody)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportDataset(ctx, "d", strings.NewReader("id\n1\n")); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= versions; v++ {
		artifact := filepath.Join(dir, fmt.Sprintf("model-%d.json", v))
		if err := os.WriteFile(artifact, []byte(fmt.Sprintf(`{"type":"main.M","json":{"N":%d}}`, v*10)), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Train(ctx, server.TrainRequest{Model: "m"}); err != nil {
			t.Fatal(err)
		}
		run, err := db.ClaimRun(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.FinishRun(ctx, run.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: artifact}); err != nil {
			t.Fatal(err)
		}
	}
	pool := &worker.Pool{Command: []string{os.Args[0]}, Env: []string{"GALLEY_TEST_WORKER=1"}, Dir: filepath.Join(dir, "work"), MemoryLimit: 256 << 20}
	s := &online.Service{Store: db, Workers: pool, Dir: filepath.Join(dir, "serving"), LoadTimeout: time.Minute}
	if tweak != nil {
		tweak(s)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(runCtx) }()
	t.Cleanup(func() { stop(); <-done })
	return s
}

func rows(ids ...string) server.Rows {
	r := server.Rows{Columns: []string{"id"}}
	for _, id := range ids {
		r.Data = append(r.Data, []string{id})
	}
	return r
}

// predict scores rows with ref and checks each row got version's score.
func predict(t *testing.T, s *online.Service, ref string, version int, ids ...string) {
	t.Helper()
	p, err := s.Predict(context.Background(), ref, rows(ids...))
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	if p.Version != version || p.Ref != fmt.Sprintf("m@%d", version) || len(p.Data) != len(ids) {
		t.Fatalf("%s: served by %s with %d rows, want m@%d with %d", ref, p.Ref, len(p.Data), version, len(ids))
	}
	for i, row := range p.Data {
		if row[0] != ids[i] || row[1] != fmt.Sprint(version*10) {
			t.Fatalf("%s row %d: %v, want [%s %d]", ref, i, row, ids[i], version*10)
		}
	}
}

func warm(s *online.Service) []string {
	var refs []string
	for _, m := range s.Serving(context.Background()) {
		refs = append(refs, m.Ref)
	}
	return refs
}

func alive(pid int) bool {
	_, err := os.Stat(fmt.Sprintf("/proc/%d", pid))
	return err == nil
}

func TestWarmVersionsAreBounded(t *testing.T) {
	s := fixture(t, 3, func(s *online.Service) { s.MaxWarm = 2 })
	predict(t, s, "m@1", 1, "a")
	predict(t, s, "m@2", 2, "b")
	first := s.Serving(context.Background())[0]
	predict(t, s, "m@2", 2, "c")
	predict(t, s, "m@3", 3, "d") // retires m@1, the least recently used
	if got := strings.Join(warm(s), " "); got != "m@2 m@3" {
		t.Fatalf("warm: %s, want m@2 m@3", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for alive(first.Pid) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if alive(first.Pid) {
		t.Errorf("the retired worker %d of m@1 still runs", first.Pid)
	}
	predict(t, s, "m", 3, "e") // the newest version
}

func TestIdleVersionsAreRetired(t *testing.T) {
	s := fixture(t, 1, func(s *online.Service) { s.IdleTimeout = time.Second })
	predict(t, s, "m@1", 1, "a")
	deadline := time.Now().Add(10 * time.Second)
	for len(warm(s)) > 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if w := warm(s); len(w) > 0 {
		t.Fatalf("still warm after the idle timeout: %v", w)
	}
	predict(t, s, "m@1", 1, "b") // loaded again
}

func TestBrokenWorkersAreReplaced(t *testing.T) {
	s := fixture(t, 1, func(s *online.Service) { s.RequestTimeout = 500 * time.Millisecond })
	predict(t, s, "m@1", 1, "a")
	_, err := s.Predict(context.Background(), "m@1", rows("sleep"))
	if server.ErrorCode(err) != server.EINTERNAL || !strings.Contains(err.Error(), "did not score the rows within 500ms") {
		t.Errorf("a hanging recipe: %v", err)
	}
	predict(t, s, "m@1", 1, "b")
	if _, err := s.Predict(context.Background(), "m@1", rows("crash")); server.ErrorCode(err) != server.EINTERNAL || !strings.Contains(server.ErrorMessage(err), "died while scoring") {
		t.Errorf("a request whose worker died: %v", err)
	}
	predict(t, s, "m@1", 1, "c")
	_, err = s.Predict(context.Background(), "m@1", server.Rows{Columns: []string{"other"}, Data: [][]string{{"x"}}})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(server.ErrorMessage(err), `no column "id"`) {
		t.Errorf("rows without the recipe's column: %v", err)
	}
	predict(t, s, "m@1", 1, "d")
}

func TestBatchedRequestsGetTheirOwnRows(t *testing.T) {
	s := fixture(t, 1, func(s *online.Service) { s.MaxBatch = 16; s.MaxWait = 20 * time.Millisecond })
	predict(t, s, "m@1", 1, "warm")
	var wg sync.WaitGroup
	for i := 0; i < 40; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids := []string{fmt.Sprintf("r%d-a", i), fmt.Sprintf("r%d-b", i)}
			if i%10 == 0 {
				// A bad request in a batch fails alone.
				if _, err := s.Predict(context.Background(), "m@1", server.Rows{Columns: []string{"x"}, Data: [][]string{{"1"}}}); server.ErrorCode(err) != server.EINVALID {
					t.Errorf("bad request %d: %v", i, err)
				}
				return
			}
			predict(t, s, "m@1", 1, ids...)
		}()
	}
	wg.Wait()
}

func TestCanary(t *testing.T) {
	s := fixture(t, 2, nil)
	ctx := context.Background()
	if _, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 1, Weight: 1.5}); server.ErrorCode(err) != server.EINVALID {
		t.Errorf("weight 1.5: %v", err)
	}
	if _, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 9, Weight: 0.5}); server.ErrorCode(err) != server.EINVALID {
		t.Errorf("unknown version: %v, want invalid (the model exists)", err)
	}
	if _, err := s.SetCanary(ctx, server.Canary{Model: "nope", Version: 1, Weight: 0.5}); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("unknown model: %v, want not found", err)
	}
	if _, err := s.SetCanary(ctx, server.Canary{Model: "m", Version: 1, Weight: 0.5}); err != nil {
		t.Fatal(err)
	}
	by := map[int]int{}
	for i := 0; i < 200; i++ {
		p, err := s.Predict(ctx, "m", rows("x"))
		if err != nil {
			t.Fatal(err)
		}
		by[p.Version]++
	}
	// Half of 200 each way: 60 to 140 fails by chance with p < 1e-8.
	if by[1] < 60 || by[2] < 60 || by[1]+by[2] != 200 {
		t.Errorf("versions served with a canary of weight 0.5: %v", by)
	}
	predict(t, s, "m@2", 2, "explicit versions never go to the canary")
	if _, err := s.SetCanary(ctx, server.Canary{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		predict(t, s, "m", 2, "no canary")
	}
}

// TestCanaryIsShared: a canary set through one service is applied by
// another on the same database within its ResolveTTL, and by a service
// started afterwards (a restarted server) at once.
func TestCanaryIsShared(t *testing.T) {
	a := fixture(t, 2, nil)
	start := func(ttl time.Duration) *online.Service {
		s := &online.Service{Store: a.Store, Workers: a.Workers, Dir: t.TempDir(), LoadTimeout: time.Minute, ResolveTTL: ttl}
		ctx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- s.Run(ctx) }()
		t.Cleanup(func() { stop(); <-done })
		return s
	}
	const ttl = 300 * time.Millisecond
	b := start(ttl)
	predict(t, b, "m", 2, "before") // the newest version, and the canaries read
	ctx := context.Background()
	set := time.Now()
	if _, err := a.SetCanary(ctx, server.Canary{Model: "m", Version: 1, Weight: 1}); err != nil {
		t.Fatal(err)
	}
	predict(t, a, "m", 1, "at once where it was set")
	for {
		p, err := b.Predict(ctx, "m", rows("x"))
		if err != nil {
			t.Fatal(err)
		}
		if p.Version == 1 {
			break
		}
		if time.Since(set) > ttl+2*time.Second {
			t.Fatalf("the other service still serves m@%d %s after the canary was set (ResolveTTL %s)", p.Version, time.Since(set), ttl)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the other service applied the canary %s after it was set", time.Since(set).Round(time.Millisecond))
	if list, err := b.Canaries(ctx); err != nil || len(list) != 1 || list[0].Version != 1 || list[0].Weight != 1 {
		t.Errorf("canaries through the other service = %+v, %v", list, err)
	}
	predict(t, start(time.Hour), "m", 1, "a service started later applies it")
	if _, err := b.SetCanary(ctx, server.Canary{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	predict(t, b, "m", 2, "removed")
}
