// Package sqlitetest opens a SQLite store for tests: a database and a
// dataset catalog in a new temporary directory, closed when the test ends.
//
//	db, cat := sqlitetest.Open(t)
//	cat.InUse = db.DatasetInUse // as galley serve wires them, where a test needs it
package sqlitetest

import (
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/sqlite"
)

// Open opens galley.db, with its datasets in a catalog beside it, in a new
// temporary directory of tb's; the database is closed when tb ends.
func Open(tb testing.TB) (*sqlite.DB, *datasets.Datasets) {
	tb.Helper()
	dir := tb.TempDir()
	cat, err := datasets.Open(filepath.Join(dir, "datasets"))
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(filepath.Join(dir, "galley.db"), cat)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, cat
}
