package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/sqlite"
)

// store is what galley serve needs of its database: the services it
// serves, the recipe versions worker.Importer keeps, the run queue its
// workers drain and the schedule queue its scheduler steps.
type store interface {
	server.RecipeStore
	server.ModelService
	server.TrainedModelService
	server.RunService
	server.RunQueue
	server.PartQueue
	server.ScheduleService
	server.ScheduleQueue
	server.ProfileService
	server.CanaryService
	// SetProfileRetention bounds the attribute history profiles keep.
	SetProfileRetention(server.ProfileRetention)
	// SetScorePartitionRows sets the partition size new scoring runs
	// record (--score-partition-rows).
	SetScorePartitionRows(int)
	// DatasetInUse says which models and runs still use a dataset, so the
	// catalog refuses to delete it.
	DatasetInUse(ctx context.Context, name string) error
	Close() error
}

// databaseURL is what --database names: SQLite at a path, or PostgreSQL.
type databaseURL struct {
	sqlitePath  string
	postgresDSN string
}

// parseDatabase reads --database: "" (SQLite under home), "sqlite:PATH" or
// a postgres:// (or postgresql://) URL.
func parseDatabase(s, home string) (databaseURL, error) {
	switch {
	case s == "":
		return databaseURL{sqlitePath: filepath.Join(home, "server", "galley.db")}, nil
	case strings.HasPrefix(s, "sqlite:"):
		p := strings.TrimPrefix(strings.TrimPrefix(s, "sqlite:"), "//")
		if p == "" {
			return databaseURL{}, fmt.Errorf("%w: --database %q names no file: use sqlite:PATH", errUsage, s)
		}
		return databaseURL{sqlitePath: p}, nil
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		return databaseURL{postgresDSN: s}, nil
	}
	return databaseURL{}, fmt.Errorf("%w: --database %q: use sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE", errUsage, postgres.Redact(s))
}

// String names the database for the log, without a password.
func (d databaseURL) String() string {
	if d.postgresDSN != "" {
		return postgres.Redact(d.postgresDSN)
	}
	return "sqlite:" + d.sqlitePath
}

// open opens the database. Datasets come from datasets; nil keeps them as
// CSV files beside a SQLite database, which PostgreSQL cannot do.
func (d databaseURL) open(datasets server.DatasetService, maxAttempts int) (store, error) {
	if d.postgresDSN != "" {
		if datasets == nil {
			return nil, fmt.Errorf("%w: --datasets csv keeps datasets beside a SQLite database: with --database postgres://… use --datasets catalog", errUsage)
		}
		db, err := postgres.Open(d.postgresDSN, datasets)
		if err != nil {
			return nil, err
		}
		db.MaxAttempts = maxAttempts
		return db, nil
	}
	db, err := sqlite.Open(d.sqlitePath, datasets)
	if err != nil {
		return nil, err
	}
	db.MaxAttempts = maxAttempts
	return db, nil
}
