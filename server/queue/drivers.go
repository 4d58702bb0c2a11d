package queue

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
)

// OpenSQLite opens the queue on the SQLite database db (galley's own
// connection: SQLite takes one writer at a time, so River shares it).
func OpenSQLite(ctx context.Context, db *sql.DB, cfg Config) (*Queue, error) {
	driver := riversqlite.New(db)
	migrate := func(ctx context.Context) error {
		m, err := rivermigrate.New(driver, nil)
		if err != nil {
			return err
		}
		// River applies each version in a transaction of its own, which
		// SQLite serialises with other processes' writers.
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	return open(ctx, driver, migrate, cfg)
}

// migrateLock keeps processes starting together from migrating River's
// tables at once.
const migrateLock = 0x67616c6c6572 // "galler"

// OpenPostgres opens the queue on the PostgreSQL database at dsn, with a
// pool of its own (pgx's, which River's LISTEN/NOTIFY needs). Close
// releases it.
func OpenPostgres(ctx context.Context, dsn string, cfg Config) (*Queue, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("queue: connecting to PostgreSQL: %w", err)
	}
	driver := riverpgxv5.New(pool)
	migrate := func(ctx context.Context) error {
		m, err := rivermigrate.New(driver, nil)
		if err != nil {
			return err
		}
		// River's migrations cannot all run in one transaction (one adds
		// an enum value a later one uses), so a session lock on a
		// connection of its own keeps other processes out meanwhile.
		conn, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
			return err
		}
		defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
		_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		return err
	}
	q, err := open(ctx, driver, migrate, cfg)
	if err != nil {
		pool.Close()
		return nil, err
	}
	q.closers = append(q.closers, pool.Close)
	return q, nil
}

// Close releases what the queue opened; call it after Run has returned.
func (q *Queue) Close() {
	for _, c := range q.closers {
		c()
	}
}
