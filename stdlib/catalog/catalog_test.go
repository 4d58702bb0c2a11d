package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
)

func frame(t *testing.T, n int) *data.Frame {
	t.Helper()
	xs := make([]int, n)
	for i := range xs {
		xs[i] = i
	}
	f, err := data.New(data.Ints("x", xs))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSaveOpenVersions(t *testing.T) {
	cat, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= 3; n++ {
		v, err := cat.Save("demo", frame(t, n), "test")
		if err != nil {
			t.Fatal(err)
		}
		if v.Version != n || v.Rows != int64(n) || v.Source != "test" || v.Created.IsZero() {
			t.Errorf("save %d: %+v", n, v)
		}
	}
	f, err := cat.Open("demo")
	if err != nil || f.NumRows() != 3 {
		t.Fatalf("open latest: %v", err)
	}
	f1, err := cat.OpenVersion("demo", 1)
	if err != nil || f1.NumRows() != 1 {
		t.Fatalf("open v1: %v", err)
	}
	names, _ := cat.List()
	vs, _ := cat.Versions("demo")
	if len(names) != 1 || len(vs) != 3 || vs[2].Schema.String() != "x: int64" {
		t.Errorf("list %v versions %+v", names, vs)
	}
	if _, err := cat.Open("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing dataset: %v", err)
	}
	if _, err := cat.OpenVersion("demo", 9); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing version: %v", err)
	}
	if _, err := cat.Save("../evil", frame(t, 1), ""); !errors.Is(err, ErrInvalidName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestConcurrentSaves(t *testing.T) {
	cat, _ := Open(t.TempDir())
	var wg sync.WaitGroup
	seen := make(chan int, 8)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := cat.Save("c", frame(t, 10), "")
			if err != nil {
				t.Error(err)
				return
			}
			seen <- v.Version
		}()
	}
	wg.Wait()
	close(seen)
	got := map[int]bool{}
	for v := range seen {
		if got[v] {
			t.Errorf("version %d handed out twice", v)
		}
		got[v] = true
	}
	ents, _ := os.ReadDir(filepath.Join(cat.Dir(), "c"))
	if len(ents) != 8 {
		t.Errorf("%d files left, want 8 (no temp files)", len(ents))
	}
}

func TestImportCSVAndHome(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("GALLEY_HOME", dir)
	cat, err := Default()
	if err != nil || cat.Dir() != filepath.Join(dir, "datasets") {
		t.Fatalf("default: %v %s", err, cat.Dir())
	}
	csv := filepath.Join(dir, "in.csv")
	os.WriteFile(csv, []byte("a;b\n1;x\n2;y\n"), 0o644)
	v, err := cat.ImportCSV("in", csv)
	if err != nil || v.Rows != 2 || v.Schema.String() != "a: int64, b: string" {
		t.Fatalf("import: %+v %v", v, err)
	}
}
