package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/queue"
	"github.com/galley-dev/galley/server/worker"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    "worker",
		summary: "execute training and scoring runs from a shared database, beside or instead of a server's own workers",
		usage:   "galley worker --database URL --storage URL [--home DIR] [--concurrency N] [--queues train,score] [--run-timeout D] [--memory-limit SIZE] [--cache-size SIZE] [--recipe-network on|off] [--recipe-cpus N] [--keep-run-files] [--max-log-lines N] [--lease D]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			m := &workerMain{Stdout: stdout, Stderr: stderr}
			fs := newFlagSet(commands["worker"], stderr)
			fs.StringVar(&m.Home, "home", "", "galley's state directory: run files, cached datasets, and the dataset catalog when --storage is not given (default $GALLEY_HOME or ~/.galley)")
			fs.StringVar(&m.Database, "database", "", "the servers' database: postgres://USER:PASSWORD@HOST:PORT/DATABASE or sqlite:PATH (default $GALLEY_HOME/server/galley.db)")
			fs.StringVar(&m.Storage, "storage", "", "the servers' object store: file:///DIR or s3://BUCKET/PREFIX?endpoint=URL&region=REGION (default $GALLEY_HOME/server/objects); when given, datasets come from it and the database, not from HOME/datasets")
			fs.IntVar(&m.Workers, "concurrency", 2, "runs executed at the same time")
			queues := fs.String("queues", "train,score", "the kinds of run to take: train, score or both")
			finish := executionFlags(fs, &m.execution)
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
			}
			if err := finish(); err != nil {
				return err
			}
			if m.Workers < 1 {
				return fmt.Errorf("%w: --concurrency %d: a worker runs at least 1 run at a time", errUsage, m.Workers)
			}
			var err error
			if m.Kinds, err = parseKinds(*queues); err != nil {
				return err
			}
			// As galley serve: SIGTERM or Ctrl-C stops the worker, and
			// the runs it interrupts go back to the queue.
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			defer stop()
			if err := m.Run(ctx); err != nil {
				return err
			}
			<-ctx.Done()
			return m.Close()
		},
	})
}

// workerMain is the worker program: it executes runs from the database's
// queue until Close. Tests start it in process.
type workerMain struct {
	Home     string
	Database string
	Storage  string
	execution
	Stdout io.Writer
	Stderr io.Writer

	db      store
	objects *objectstore.Store
	queue   *queue.Queue
	stop    context.CancelFunc
	done    chan error
}

// Run opens the database and the dataset catalog, starts executing runs
// and returns.
func (m *workerMain) Run(ctx context.Context) error {
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	log := slog.New(slog.NewTextHandler(m.Stderr, nil))
	if m.Home == "" {
		// As every command: $GALLEY_HOME, else ~/.galley.
		m.Home = catalog.Home()
	}
	dbURL, err := parseDatabase(m.Database, m.Home)
	if err != nil {
		return err
	}
	// As for galley serve, the object store is checked first: a
	// misconfigured one stops the worker having written nothing.
	if m.objects, err = openStorage(ctx, m.Storage, m.Home); err != nil {
		return err
	}
	var ds datasetService
	if m.db, ds, err = openStore(dbURL, "catalog", m.Storage, m.Home, m.objects, 1, m.CacheBytes); err != nil {
		m.objects.Close()
		return err
	}
	_, q, err := m.execution.start(ctx, m.db, ds, m.objects, dbURL, m.Home, log)
	if err != nil {
		m.db.Close()
		m.objects.Close()
		return err
	}
	m.queue = q
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	m.done = make(chan error, 1)
	go func() { m.done <- q.Run(runCtx) }()
	fmt.Fprintf(m.Stdout, "galley worker: taking %s runs from %s (storage %s), %d at a time, as %s\n", kinds(m.Kinds), dbURL, m.objects, m.Workers, q.Owner())
	if status, ok := worker.SandboxStatus(); !ok {
		log.Warn("sandbox: " + status)
		fmt.Fprintf(m.Stdout, "galley worker: WARNING: %s\n", status)
	}
	return nil
}

// Close stops taking runs, stops the runs under way (they go back to the
// queue without using up an attempt) and closes the database.
func (m *workerMain) Close() error {
	var errs []error
	if m.stop != nil {
		m.stop()
		errs = append(errs, <-m.done)
		m.stop = nil
	}
	if m.queue != nil {
		m.queue.Close()
		m.queue = nil
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
		m.db = nil
	}
	if m.objects != nil {
		errs = append(errs, m.objects.Close())
		m.objects = nil
	}
	return errors.Join(errs...)
}
