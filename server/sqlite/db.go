// Package sqlite stores galley's server state in SQLite (modernc.org/sqlite,
// pure Go) in WAL mode, with migrations embedded in the binary. *DB
// implements the server's services and its run queue through package
// sqlstore, which this package gives SQLite's dialect. Datasets come from
// the server.DatasetService it is opened with, or, given none, from the DB
// itself, which keeps them as CSV files beside the database.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open galley database. Its Datasets, MaxAttempts and Now
// fields and its services come from the embedded sqlstore.Store.
type DB struct {
	*sqlstore.Store
	db *sql.DB
	// Path is the database file.
	Path string
	// DatasetsDir holds the CSV files of datasets the DB keeps itself.
	DatasetsDir string
}

// dialect is where SQLite's SQL differs from PostgreSQL's.
var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	IsUnique:  isUnique,
	OnNewData: `json_extract(s.timing, '$.on_new_data') = 1`,
	// Writing transactions lock the whole database (_txlock=immediate).
	ForUpdate:  "",
	SkipLocked: "",
	Greatest:   "max",
	// A deleted run's id is never given to another run.
	NewRunID:   `max(coalesce((SELECT max(id) FROM runs), 0), coalesce((SELECT max(id) FROM deleted_runs), 0)) + 1`,
	KeepRunID:  `INSERT OR IGNORE INTO deleted_runs (id) VALUES (?)`,
	JSONNumber: `json_extract(%s, '$."' || ? || '"')`,
}

// Open opens (creating if needed) the database at path and migrates it.
// Models and runs resolve datasets through datasets; nil means the DB's own
// CSV datasets in a "datasets" directory beside the database.
func Open(path string, datasets server.DatasetService) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-65536)&_txlock=immediate"
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	// One connection serialises writers, which SQLite needs anyway, and
	// keeps transactions from waiting on each other's locks.
	sdb.SetMaxOpenConns(1)
	db := &DB{Store: sqlstore.New(sdb, dialect, datasets), db: sdb, Path: path, DatasetsDir: filepath.Join(filepath.Dir(path), "datasets")}
	if datasets == nil {
		db.Datasets = db
		if err := os.MkdirAll(db.DatasetsDir, 0o755); err != nil {
			sdb.Close()
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	if err := db.migrate(context.Background()); err != nil {
		sdb.Close()
		return nil, err
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error { return db.db.Close() }

// SQL is the database's one connection, which the job queue shares: SQLite
// takes one writer at a time.
func (db *DB) SQL() *sql.DB { return db.db }

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlite: creating migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := db.checkSchema(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		var n int
		if err := db.db.QueryRowContext(ctx, `SELECT count(*) FROM migrations WHERE name = ?`, name).Scan(&n); err != nil {
			return fmt.Errorf("sqlite: %w", err)
		}
		if n > 0 {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = db.tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES (?)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
	}
	return nil
}

// ErrSchemaTooNew reports a database migrated by a newer galley binary.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// checkSchema refuses a database migrated by a newer binary.
func (db *DB) checkSchema(ctx context.Context, embedded []string) error {
	applied, err := sqlstore.AppliedMigrations(ctx, db.db)
	if err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	if err := sqlstore.CheckSchema(applied, embedded); err != nil {
		return fmt.Errorf("sqlite: %s: %w", db.Path, err)
	}
	return nil
}

func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
