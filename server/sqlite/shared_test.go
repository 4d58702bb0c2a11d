package sqlite_test

import (
	"context"
	"io"
	"path/filepath"
	"testing"

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
