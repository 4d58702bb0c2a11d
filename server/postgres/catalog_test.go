package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
	"github.com/galley-dev/galley/server/storetest"
)

// sharedProcess is one process of a workspace on the shared catalog: its
// own connection pool and its own cache directory, as on its own machine.
type sharedProcess struct {
	db *postgres.DB
	ds *datasets.Shared
}

// openSharedCatalog opens n processes on one database and one object
// store.
func openSharedCatalog(t *testing.T, n int) []sharedProcess {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	objects, err := objectstore.OpenDefault(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objects.Close() })
	var out []sharedProcess
	for range n {
		ds := &datasets.Shared{Objects: objects, Cache: filepath.Join(t.TempDir(), "cache")}
		db, err := postgres.Open(dsn, ds)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		ds.Registry, ds.InUse = db, db.DatasetInUse
		out = append(out, sharedProcess{db, ds})
	}
	return out
}

// TestSharedCatalogVersions: three processes importing versions of one
// dataset at once get distinct, gapless numbers from the database, and each
// reads every version the others wrote, through the object store.
func TestSharedCatalogVersions(t *testing.T) {
	ctx := context.Background()
	procs := openSharedCatalog(t, 3)
	const each = 6
	var wg sync.WaitGroup
	versions := make(chan string, 3*each)
	for i, p := range procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				v, err := p.ds.ImportDataset(ctx, "x", strings.NewReader(fmt.Sprintf("p,j\n%d,%d\n", i, j)))
				if err != nil {
					t.Error(err)
					return
				}
				versions <- fmt.Sprintf("%d:%d,%d", v.Version, i, j)
			}
		}()
	}
	wg.Wait()
	close(versions)
	seen := map[int]string{}
	for s := range versions {
		var n int
		fmt.Sscanf(s, "%d:", &n)
		if seen[n] != "" {
			t.Errorf("version %d given twice", n)
		}
		seen[n] = s[strings.Index(s, ":")+1:]
	}
	for n := 1; n <= 3*each; n++ {
		want, ok := seen[n]
		if !ok {
			t.Errorf("version %d missing", n)
			continue
		}
		// Another process reads it through its own cache.
		reader := procs[(n+1)%3].ds
		out := filepath.Join(t.TempDir(), "x.csv")
		if err := reader.ExportCSV(ctx, fmt.Sprintf("x@%d", n), out); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(out); !strings.Contains(string(b), want) {
			t.Errorf("x@%d reads %q, want the row %s", n, b, want)
		}
	}
	d, err := procs[2].ds.FindDataset(ctx, "x")
	if err != nil || d.LatestVersion != 3*each {
		t.Errorf("latest version = %+v, %v; want %d", d, err, 3*each)
	}
	// A deleted dataset made again does not reuse a number: caches and
	// published snapshots elsewhere may still hold the old version.
	if err := procs[0].ds.DeleteDataset(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := procs[1].ds.FindDataset(ctx, "x"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("deleted dataset found: %v", err)
	}
	v, err := procs[1].ds.ImportDataset(ctx, "x", strings.NewReader("p,j\n9,9\n"))
	if err != nil || v.Version != 3*each+1 {
		t.Errorf("first version after the delete = %+v, %v; want version %d", v, err, 3*each+1)
	}
}

// TestOutputCommittedWithRun runs the store suite's check of the shared
// catalog's output commit.
func TestOutputCommittedWithRun(t *testing.T) {
	p := openSharedCatalog(t, 1)[0]
	storetest.OutputCommit(t, struct {
		*postgres.DB
		*datasets.Shared
		storetest.Converter
	}{p.db, p.ds, storetest.Converter{Store: p.db}}, p.ds)
}
