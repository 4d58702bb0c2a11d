package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrSchemaTooNew reports a database migrated by a newer galley binary.
var ErrSchemaTooNew = errors.New("the database schema is newer than this galley binary")

// CheckSchema refuses a database that has applied migrations this binary
// does not embed: a newer binary wrote it, and an older one would read and
// write tables it does not understand.
func CheckSchema(applied map[string]bool, embedded []string) error {
	known := map[string]bool{}
	for _, n := range embedded {
		known[n] = true
	}
	var unknown []string
	for n := range applied {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	sort.Strings(unknown)
	return fmt.Errorf("%w (it has migration %s, which this binary lacks): upgrade galley to the version that migrated it", ErrSchemaTooNew, strings.Join(unknown, ", "))
}

// AppliedMigrations reads the names in the migrations table.
func AppliedMigrations(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) (map[string]bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT name FROM migrations`)
	if err != nil {
		return nil, fmt.Errorf("reading the migrations table: %w", err)
	}
	defer rows.Close()
	applied := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		applied[name] = true
	}
	return applied, rows.Err()
}
