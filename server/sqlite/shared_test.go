package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/storetest"
)

// sharedStore is the sqlite store with its datasets in the shared catalog
// (the database and an object store), as galley serve --storage wires
// them.
type sharedStore struct {
	*sqlite.DB
	ds *datasets.Shared
	storetest.Converter
}

func (s sharedStore) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	return s.ds.ImportDataset(ctx, name, r)
}

func (s sharedStore) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	return s.ds.FindDataset(ctx, name)
}

func (s sharedStore) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	return s.ds.FindDatasets(ctx, f)
}

func (s sharedStore) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	return s.ds.FindDatasetVersion(ctx, ref)
}

func (s sharedStore) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	return s.ds.FindDatasetVersions(ctx, name, p)
}

func (s sharedStore) DeleteDataset(ctx context.Context, name string) error {
	return s.ds.DeleteDataset(ctx, name)
}

func openSharedStore(t *testing.T) sharedStore {
	t.Helper()
	dir := t.TempDir()
	objects, err := objectstore.OpenDefault(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	ds := &datasets.Shared{Objects: objects, Cache: filepath.Join(dir, "cache")}
	db, err := sqlite.Open(filepath.Join(dir, "galley.db"), ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ds.Registry, ds.InUse = db, db.DatasetInUse
	db.MaxAttempts = 2
	return sharedStore{db, ds, storetest.Converter{Store: db}}
}

// TestSharedCatalog runs the store suite with the shared dataset catalog,
// and its check that a scoring run's output is committed with the run.
func TestSharedCatalog(t *testing.T) {
	t.Run("conformance", func(t *testing.T) {
		storetest.Exercise(t, func(t *testing.T) storetest.Store { return openSharedStore(t) })
	})
	t.Run("output commit", func(t *testing.T) {
		s := openSharedStore(t)
		storetest.OutputCommit(t, s, s.ds)
	})
}

// TestSharedCache checks the bound on the shared catalog's local copies:
// the least recently used go first once the copies pass CacheBytes, a copy
// in use is never removed, and a bound of 0 keeps only the copies in use.
func TestSharedCache(t *testing.T) {
	ctx := context.Background()
	s := openSharedStore(t)
	csv := func(seed int) io.Reader {
		var b strings.Builder
		b.WriteString("id,x\n")
		for i := range 2000 {
			fmt.Fprintf(&b, "%d,%d\n", i, (i*7919+seed)%1000)
		}
		return strings.NewReader(b.String())
	}
	var vs []*server.DatasetVersion
	for i, name := range []string{"a", "b", "c"} {
		v, err := s.ds.ImportDataset(ctx, name, csv(i))
		if err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	exists := func(v *server.DatasetVersion) bool {
		_, err := os.Stat(filepath.Join(s.ds.Cache, filepath.FromSlash(v.Object)))
		return err == nil
	}
	check := func(step string, want ...bool) {
		t.Helper()
		for i, v := range vs {
			if got := exists(v); got != want[i] {
				t.Errorf("%s: local copy of %s there = %v, want %v", step, v.Snapshot(), got, want[i])
			}
		}
	}
	// The bound is 0 (the zero value): an upload keeps no copy.
	check("after the uploads, bound 0", false, false, false)

	use := func(v *server.DatasetVersion) func() {
		t.Helper()
		release, err := s.ds.Use(ctx, v)
		if err != nil {
			t.Fatal(err)
		}
		if !exists(v) {
			t.Fatalf("Use(%s): no local copy at %s", v.Snapshot(), v.Path)
		}
		return release
	}
	ra, rb := use(vs[0]), use(vs[1])
	check("a and b in use, bound 0", true, true, false)
	ra()
	check("a released, bound 0", false, true, false)
	rb()
	check("both released, bound 0", false, false, false)

	// Room for two copies: the third evicts the least recently used.
	size := vs[0].Bytes
	for _, v := range vs[1:] {
		size = max(size, v.Bytes)
	}
	s.ds.CacheBytes = 2*size + size/2
	use(vs[0])()
	time.Sleep(10 * time.Millisecond) // distinct modification times
	use(vs[1])()
	check("a and b read, room for two", true, true, false)
	time.Sleep(10 * time.Millisecond)
	use(vs[0])() // a is now the most recently used
	time.Sleep(10 * time.Millisecond)
	use(vs[2])()
	check("c read after a, room for two", true, false, true)

	// A copy in use stays even when the bound cannot hold it.
	s.ds.CacheBytes = size / 2
	rc := use(vs[2])
	check("c in use, room for none", false, false, true)
	rc()
	check("c released, room for none", false, false, false)

	// ExportCSV reads through the cache too, and leaves within the bound.
	s.ds.CacheBytes = 0
	out := filepath.Join(t.TempDir(), "b.csv")
	if err := s.ds.ExportCSV(ctx, vs[1].Snapshot(), out); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "id,x\n0,1\n") {
		t.Errorf("exported CSV = %.20q, %v", b, err)
	}
	check("after an export, bound 0", false, false, false)
}
