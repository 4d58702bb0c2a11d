package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/postgres"
	"github.com/galley-dev/galley/server/postgres/pgtest"
	"github.com/galley-dev/galley/server/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// store is the postgres store with its datasets in a catalog, as galley
// serve wires them, and notebooks imported by conversion alone.
type store struct {
	*postgres.DB
	*datasets.Datasets
	storetest.Converter
}

// newStore wires db and ds together: the catalog asks the database before
// deleting a dataset that models or runs use.
func newStore(db *postgres.DB, ds *datasets.Datasets) store {
	ds.InUse = db.DatasetInUse
	return store{db, ds, storetest.Converter{Store: db}}
}

func open(t testing.TB) store {
	t.Helper()
	dsn := pgtest.NewDatabase(t)
	ds, err := datasets.Open(filepath.Join(t.TempDir(), "datasets"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(dsn, ds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return newStore(db, ds)
}

func TestConformance(t *testing.T) {
	storetest.Exercise(t, func(t *testing.T) storetest.Store {
		s := open(t)
		s.DB.MaxAttempts = 2
		return s
	})
}

// TestReopen opens a migrated database again: migrations are applied once.
func TestReopen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		db, err := postgres.Open(dsn, ds)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if _, _, err := db.FindRecipes(context.Background(), server.RecipeFilter{}); err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
	n := count(t, dsn, `SELECT count(*) FROM migrations`)
	if want := migrationFiles(t); n != want {
		t.Errorf("migrations table holds %d rows after two opens, want %d", n, want)
	}
}

// migrationFiles counts the migrations the package embeds: one row each.
func migrationFiles(t *testing.T) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations found beside the test: %v", err)
	}
	return len(names)
}

func count(t *testing.T, dsn, q string) int {
	t.Helper()
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.QueryRow(q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSchemaTooNew refuses a database a newer binary migrated, and writes
// nothing to it.
func TestSchemaTooNew(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(dsn, ds)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	sdb, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`INSERT INTO migrations (name) VALUES ('migrations/9999_future.sql')`); err != nil {
		t.Fatal(err)
	}
	before := count(t, dsn, `SELECT count(*) FROM migrations`)
	_, err = postgres.Open(dsn, ds)
	if !errors.Is(err, postgres.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999_future.sql") {
		t.Fatalf("opening a newer schema: got %v, want an error naming the unknown migration", err)
	}
	if after := count(t, dsn, `SELECT count(*) FROM migrations`); after != before {
		t.Errorf("migrations table went from %d to %d rows", before, after)
	}
}

// TestBadConfiguration: each mistake is a clear error that names the
// problem and not the password, and leaves nothing written.
func TestBadConfiguration(t *testing.T) {
	srv := pgtest.Shared(t)
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.NewDatabase(t)
	tests := []struct {
		name, dsn, want string
	}{
		{"wrong password", strings.Replace(dsn, pgtest.Password, "wrong", 1), "password authentication failed"},
		{"unknown user", srv.URL("nobody_here", "x", "postgres"), "cannot connect"},
		{"unknown database", srv.URL(srv.User, pgtest.Password, "no_such_db"), `database "no_such_db" does not exist`},
		{"unreachable", "postgres://galley:secret@127.0.0.1:1/galley?connect_timeout=5", "cannot connect to database galley at 127.0.0.1:1"},
		{"not a url", "postgres://galley:secret@[::1/galley", "is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := postgres.Open(tt.dsn, ds)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), pgtest.Password) {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
	// None of the failures wrote to the database they named.
	if n := count(t, dsn, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'`); n != 0 {
		t.Errorf("%d tables in a database no store opened", n)
	}
}

// TestConcurrentOpen starts four stores on a fresh database at once, as
// servers starting together would: one migrates, the others wait for it
// and find nothing left to do.
func TestConcurrentOpen(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	ds, err := datasets.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := postgres.Open(dsn, ds)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n, want := count(t, dsn, `SELECT count(*) FROM migrations`), migrationFiles(t); n != want {
		t.Errorf("migrations table holds %d rows, want %d", n, want)
	}
}
