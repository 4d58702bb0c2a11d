// Package postgres stores galley's server state in PostgreSQL through
// github.com/jackc/pgx/v5 (pure Go), with migrations embedded in the
// binary. *DB implements the same services and run queue as package
// sqlite, through package sqlstore given PostgreSQL's dialect, so that
// several server processes can share one registry.
//
// Datasets are not kept in the database: Open takes the
// server.DatasetService that resolves them (the Parquet catalog).
//
//	db, err := postgres.Open("postgres://galley:secret@db:5432/galley", catalog)
//
// Package sqlstore writes its queries with SQLite's "?" and "?N"
// placeholders, which rebind rewrites to PostgreSQL's "$N".
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is an open galley database on PostgreSQL. Its Datasets, MaxAttempts
// and Now fields and its services come from the embedded sqlstore.Store.
type DB struct {
	*sqlstore.Store
	pool *sql.DB
}

// dialect is where PostgreSQL's SQL differs from SQLite's.
var dialect = sqlstore.Dialect{
	Name:       "postgres",
	Rebind:     rebind,
	IsUnique:   isUnique,
	OnNewData:  `(s.timing::jsonb ->> 'on_new_data') = 'true'`,
	ForUpdate:  " FOR UPDATE",
	SkipLocked: " FOR UPDATE SKIP LOCKED",
	Greatest:   "greatest",
	NewRunID:   "DEFAULT",
	JSONNumber: `(%s::jsonb ->> ?)::float8`,
	// A generic plan made while a profile set is small scans it whole
	// once it is large.
	PreparedPlans: `SET LOCAL plan_cache_mode = force_custom_plan`,
	Analyze:       `ANALYZE profile_attributes, profile_history`,
}

// connectTimeout bounds how long Open waits for an unreachable server.
const connectTimeout = 15 * time.Second

// Open connects to the database at dsn (a postgres:// URL or key=value
// string as libpq takes), checks that its schema is not newer than this
// binary and migrates it. Models and runs resolve datasets through
// datasets, which is required.
func Open(dsn string, datasets server.DatasetService) (*DB, error) {
	if datasets == nil {
		return nil, fmt.Errorf("postgres: no dataset service: the postgres store keeps no datasets of its own")
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		// pgconn's message may quote the URL, password included.
		return nil, fmt.Errorf("postgres: the database URL %s is invalid: use postgres://USER:PASSWORD@HOST:PORT/DATABASE", Redact(dsn))
	}
	where := fmt.Sprintf("database %s at %s:%d as %s", cfg.Database, cfg.Host, cfg.Port, cfg.User)
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: opening %s: %w", where, err)
	}
	pool.SetMaxOpenConns(10)
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot connect to %s: %w", where, err)
	}
	db := &DB{Store: sqlstore.New(pool, dialect, datasets), pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %s: %w", where, err)
	}
	return db, nil
}

var (
	// Greedy up to the last "@": a password may hold an unescaped
	// "@", and hiding too much is safe.
	urlPassword = regexp.MustCompile(`(://[^:/@]*):.*@`)
	kvPassword  = regexp.MustCompile(`password=('[^']*'|\S*)`)
)

// Redact returns dsn with its password replaced, for messages.
func Redact(dsn string) string {
	dsn = urlPassword.ReplaceAllString(dsn, "${1}:xxxxx@")
	return kvPassword.ReplaceAllString(dsn, "password=xxxxx")
}

// Close closes the database.
func (db *DB) Close() error { return db.pool.Close() }

// migrateLock is the advisory lock that keeps servers starting at once from
// migrating together: the second waits, then finds nothing left to do.
const migrateLock = 0x67616c6c6579 // "galley"

// migrate applies the embedded migrations the database lacks, all in one
// transaction, after checking that the database holds none this binary
// does not know.
func (db *DB) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := migrateTx(ctx, tx, names); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// migrateTx applies the migrations named in names that tx lacks.
func migrateTx(ctx context.Context, tx *sql.Tx, names []string) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrateLock); err != nil {
		return fmt.Errorf("locking the schema: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (name TEXT COLLATE "C" PRIMARY KEY)`); err != nil {
		return fmt.Errorf("creating the migrations table: %w", err)
	}
	applied, err := sqlstore.AppliedMigrations(ctx, tx)
	if err != nil {
		return err
	}
	if err := sqlstore.CheckSchema(applied, names); err != nil {
		return err
	}
	for _, name := range names {
		if applied[name] {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (name) VALUES ($1)`, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// ErrSchemaTooNew reports a database migrated by a newer galley binary.
var ErrSchemaTooNew = sqlstore.ErrSchemaTooNew

// rebind rewrites "?" and "?N" placeholders outside string literals to
// "$N", numbering a bare "?" one past the largest number so far, as SQLite
// does.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 16)
	quoted, max := false, 0
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			n := max + 1
			if j > i+1 {
				n, _ = strconv.Atoi(q[i+1 : j])
			}
			if n > max {
				max = n
			}
			b.WriteString("$" + strconv.Itoa(n))
			i = j - 1
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// uniqueViolation is PostgreSQL's SQLSTATE for a broken UNIQUE constraint.
const uniqueViolation = "23505"

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == uniqueViolation
}
