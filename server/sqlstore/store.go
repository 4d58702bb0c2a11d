// Package sqlstore implements galley's server services and run queue once,
// in SQL that both database stores run: package sqlite and package
// postgres open their database, migrate it and hand this package a
// Dialect naming the few points where their SQL differs.
//
// Queries are written with SQLite's "?" and "?N" placeholders; a dialect
// whose database numbers its parameters otherwise rewrites them.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
)

// Dialect holds what differs between the SQL databases a Store runs on.
type Dialect struct {
	// Name starts the store's error messages ("sqlite", "postgres").
	Name string
	// Rebind rewrites a query's "?" and "?N" placeholders for the
	// database; nil leaves them as they are.
	Rebind func(query string) string
	// IsUnique reports whether err is a broken UNIQUE constraint.
	IsUnique func(err error) bool
	// OnNewData is a condition true for a schedule s whose timing
	// (JSON text) sets on_new_data.
	OnNewData string
	// ForUpdate ends a SELECT that locks the rows it reads until the
	// transaction ends ("" where a writing transaction locks the whole
	// database anyway).
	ForUpdate string
	// SkipLocked ends the SELECT that claims a queued run, so that
	// servers sharing the database claim different runs.
	SkipLocked string
	// Greatest names the function returning the largest of its
	// arguments.
	Greatest string
	// NewRunID is the value inserted as a new run's id.
	NewRunID string
	// KeepRunID, when set, is the statement that records a deleted
	// run's id (its one parameter) for NewRunID, so that no later run
	// takes it; a sequence needs none.
	KeepRunID string
	// PreparedPlans, when set, is run at the start of a transaction that
	// reuses prepared statements over a growing table, so that they are
	// planned for each execution rather than once, on the table as it was.
	PreparedPlans string
	// Analyze, when set, refreshes the planner's statistics of the
	// profile tables before a write of many profiles: a set filled since
	// the last automatic analysis looks empty to the planner, which then
	// reads every profile of the set for each chunk of the write.
	Analyze string
	// JSONNumber reads the number under a key (one parameter) of the JSON
	// object in the text column %s, NULL when it has none.
	JSONNumber string
}

// Store is an open galley database. The stores embed it, so its exported
// fields and methods are theirs.
type Store struct {
	pool *sql.DB
	db   conn
	d    Dialect
	// Datasets resolves dataset references for models and runs.
	Datasets server.DatasetService
	// MaxAttempts is how many times a run may be attempted (default 3).
	MaxAttempts int
	// ScorePartitionRows is the partition size recorded on new scoring
	// runs: an input of more rows is scored in parts of at most this many
	// rows across all workers (0: never split). See server.RunPart.
	ScorePartitionRows int
	// ProfileRetention bounds the attribute history profiles keep.
	ProfileRetention server.ProfileRetention
	// Now returns the current time; tests replace it.
	Now func() time.Time
}

// New returns a Store on pool, a migrated database that d describes.
func New(pool *sql.DB, d Dialect, datasets server.DatasetService) *Store {
	if d.Rebind == nil {
		d.Rebind = func(q string) string { return q }
	}
	return &Store{pool: pool, db: conn{pool, d.Rebind}, d: d, Datasets: datasets, MaxAttempts: 3, Now: time.Now}
}

func (db *Store) errorf(format string, args ...any) error {
	return fmt.Errorf(db.d.Name+": "+format, args...)
}

func (db *Store) isUnique(err error) bool { return err != nil && db.d.IsUnique(err) }

func (db *Store) tx(ctx context.Context, fn func(conn) error) error {
	tx, err := db.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(conn{tx, db.d.Rebind}); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs queries written with SQLite's placeholders through the
// dialect's rebinding.
type conn struct {
	q      querier
	rebind func(string) string
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return c.q.ExecContext(ctx, c.rebind(query), args...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.rebind(query), args...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.rebind(query), args...)
}

// PrepareContext prepares a statement on the connection or transaction.
func (c conn) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	p, ok := c.q.(interface {
		PrepareContext(context.Context, string) (*sql.Stmt, error)
	})
	if !ok {
		return nil, fmt.Errorf("sqlstore: %T cannot prepare statements", c.q)
	}
	return p.PrepareContext(ctx, c.rebind(query))
}

func (db *Store) now() time.Time { return db.Now().UTC() }

// Times are stored as text, so that text order is time order (the
// postgres store gives its time columns the "C" collation for this).
// RFC 3339 with trailing zeros dropped is not ordered as text ("05Z" sorts
// after "05.5Z"), so instants are written at a fixed width; reading
// accepts both.
const timeFormat = time.RFC3339Nano

// FormatTime writes t as the stores keep instants.
func FormatTime(t time.Time) string { return fmtFixed(t) }

// ParseTime reads an instant FormatTime wrote.
func ParseTime(s string) time.Time {
	t, _ := time.Parse(timeFormat, s)
	return t
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := ParseTime(s.String)
	return &t
}

// OrderBy turns a validated Page order into SQL.
func OrderBy(p server.Page, def string, columns map[string]string) string {
	if p.Order == "" {
		return def
	}
	name, dir := strings.TrimPrefix(p.Order, "-"), "ASC"
	if strings.HasPrefix(p.Order, "-") {
		dir = "DESC"
	}
	return columns[name] + " " + dir
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

type scanner interface{ Scan(...any) error }

// NotFound turns sql.ErrNoRows into ENOTFOUND with the message format
// and args; other errors pass through.
func NotFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return server.Errorf(server.ENOTFOUND, format, args...)
	}
	return err
}
