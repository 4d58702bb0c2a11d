package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T, c server.RecipeCompiler) storetest.Store {
		dir := t.TempDir()
		db, err := sqlite.Open(filepath.Join(dir, "galley.db"), filepath.Join(dir, "datasets"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		db.Compiler = c
		db.MaxAttempts = 2
		return db
	})
}

func TestWALAndReopen(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "galley.db")
	db, err := sqlite.Open(path, filepath.Join(dir, "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Migrations must be idempotent.
	db, err = sqlite.Open(path, filepath.Join(dir, "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ImportDataset(context.Background(), "d", strings.NewReader("a\n1\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no write-ahead log beside the database: %v", err)
	}
}
