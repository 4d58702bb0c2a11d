package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/sqlite/sqlitetest"
	"github.com/galley-dev/galley/server/storetest"
)

// store is the sqlite store with its datasets in a catalog, as galley
// serve wires them.
type store struct {
	*sqlite.DB
	*datasets.Datasets
}

// The catalog answers for datasets, not the DB's own CSV store.
func (s store) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	return s.Datasets.ImportDataset(ctx, name, r)
}

func (s store) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	return s.Datasets.FindDataset(ctx, name)
}

func (s store) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	return s.Datasets.FindDatasets(ctx, f)
}

func (s store) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	return s.Datasets.FindDatasetVersion(ctx, ref)
}

func (s store) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	return s.Datasets.FindDatasetVersions(ctx, name, p)
}

func (s store) DeleteDataset(ctx context.Context, name string) error {
	return s.Datasets.DeleteDataset(ctx, name)
}

func open(t testing.TB) store {
	t.Helper()
	db, ds := sqlitetest.Open(t)
	ds.InUse = db.DatasetInUse
	return store{db, ds}
}

// TestConformance runs the suite with datasets in the Parquet catalog and
// with the DB's own CSV datasets.
func TestConformance(t *testing.T) {
	t.Run("catalog", func(t *testing.T) {
		storetest.Exercise(t, func(t *testing.T) storetest.Store {
			s := open(t)
			s.DB.MaxAttempts = 2
			return struct {
				store
				storetest.Converter
			}{s, storetest.Converter{Store: s.DB}}
		})
	})
	t.Run("csv", func(t *testing.T) {
		storetest.Exercise(t, func(t *testing.T) storetest.Store {
			db, err := sqlite.Open(filepath.Join(t.TempDir(), "galley.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			db.MaxAttempts = 2
			return struct {
				*sqlite.DB
				storetest.Converter
			}{db, storetest.Converter{Store: db}}
		})
	})
}

func TestWALAndReopen(t *testing.T) {
	s := open(t)
	path := s.DB.Path
	s.DB.Close()
	// Migrations must be idempotent.
	db, err := sqlite.Open(path, s.Datasets)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, _, err := db.FindRecipes(context.Background(), server.RecipeFilter{Name: strings.Repeat("x", 3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log beside the database: %v", err)
	}
}

// TestSchemaTooNew refuses a database a newer binary migrated, and leaves
// it as it was.
func TestSchemaTooNew(t *testing.T) {
	s := open(t)
	path := s.DB.Path
	s.DB.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var before int
	if err := raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`INSERT INTO migrations (name) VALUES ('migrations/9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	_, err = sqlite.Open(path, s.Datasets)
	if !errors.Is(err, sqlite.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Fatalf("opening a newer schema: got %v, want an error naming the unknown migration", err)
	}
	var n int
	if err := raw.QueryRow(`SELECT count(*) FROM migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != before+1 {
		t.Errorf("migrations table holds %d rows, want the %d it had", n, before+1)
	}
}

// TestReplaceOutputCSV: with datasets as CSV beside the database, a
// re-run schedule slot's output replaces its version's file and lineage.
func TestReplaceOutputCSV(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "galley.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	dir := t.TempDir()
	first, second := filepath.Join(dir, "1.csv"), filepath.Join(dir, "2.csv")
	os.WriteFile(first, []byte("id,p\nA,0.1\n"), 0o644)
	os.WriteFile(second, []byte("id,p\nA,0.3\nB,0.4\n"), 0o644)
	if _, err := db.SaveOutput(ctx, "scores", first, &server.Lineage{RunID: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ReplaceOutput(ctx, "scores@1", second, &server.Lineage{RunID: 2, ReplacedRuns: []int64{1}}); err != nil {
		t.Fatal(err)
	}
	v, err := db.FindDatasetVersion(ctx, "scores")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(v.Path)
	if v.Version != 1 || v.Rows != 2 || v.Lineage == nil || v.Lineage.RunID != 2 || string(b) != "id,p\nA,0.3\nB,0.4\n" {
		t.Errorf("after replacing: %+v holding %q; want scores@1 with run 2's rows", v, b)
	}
}
