package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/worker"
)

// datasetService is what galley serve and galley worker use of datasets.
type datasetService interface {
	server.DatasetService
	worker.Datasets
}

// openStore opens the database with the dataset service that --datasets
// and --storage call for:
//   - csv: CSV files beside a SQLite database;
//   - catalog without --storage: the Parquet catalog under HOME/datasets,
//     which notebooks on this machine share;
//   - catalog with --storage: the shared catalog (datasets.Shared), whose
//     versions are objects in the store, numbered in the database, with
//     local copies under HOME/server/cache (at most cacheBytes of them
//     besides those in use); every server and worker on the
//     same database and store sees the same datasets, whatever its home.
//
// A database that cannot be opened leaves nothing behind under home.
func openStore(dbURL databaseURL, kind, storage, home string, objects *objectstore.Store, maxAttempts int, cacheBytes int64) (store, datasetService, error) {
	switch kind {
	case "csv":
		db, err := dbURL.open(nil, maxAttempts)
		if err != nil {
			return nil, nil, err
		}
		return db, db.(*sqlite.DB), nil
	case "", "catalog":
	default:
		return nil, nil, fmt.Errorf("%w: --datasets %q: use csv or catalog", errUsage, kind)
	}
	if storage != "" {
		shared := &datasets.Shared{Objects: objects, Cache: filepath.Join(home, "server", "cache"), CacheBytes: cacheBytes}
		db, err := dbURL.open(shared, maxAttempts)
		if err != nil {
			return nil, nil, err
		}
		reg, ok := db.(datasets.Registry)
		if !ok {
			db.Close()
			return nil, nil, errors.New("the database keeps no dataset registry")
		}
		shared.Registry, shared.InUse = reg, db.DatasetInUse
		return db, shared, nil
	}
	dir := filepath.Join(home, "datasets")
	_, statErr := os.Stat(dir)
	cat, err := datasets.Open(dir)
	if err != nil {
		return nil, nil, err
	}
	db, err := dbURL.open(cat, maxAttempts)
	if err != nil {
		if os.IsNotExist(statErr) {
			os.RemoveAll(dir) // made just now, empty
		}
		return nil, nil, err
	}
	// Models and runs that use a dataset live in the database.
	cat.InUse = db.DatasetInUse
	return db, cat, nil
}
