package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/queue"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/worker"
)

// execution is how a process executes runs: galley serve with its local
// workers and galley worker set it from the same flags.
type execution struct {
	// Workers is how many runs the process executes at once; 0 leaves
	// runs to other processes.
	Workers     int
	RunTimeout  time.Duration
	MemoryLimit int64
	// CacheBytes bounds the local copies of shared dataset versions kept
	// besides those in use (--cache-size; 0 keeps none).
	CacheBytes    int64
	RecipeNetwork bool
	// RecipeCPUs caps the cores each recipe process uses (0: all).
	RecipeCPUs   int
	KeepRunFiles bool
	MaxLogLines  int
	// Lease is how long a process may go silent before others take its
	// runs back; Kinds are the kinds of run it takes (default all).
	Lease time.Duration
	Kinds []server.RunKind
	// WorkerCommand starts a worker process; default: this executable's
	// run-attempt subcommand.
	WorkerCommand []string
}

// executionFlags registers the flags galley serve and galley worker share
// and returns a function that finishes reading them into e.
func executionFlags(fs *flag.FlagSet, e *execution) func() error {
	fs.DurationVar(&e.RunTimeout, "run-timeout", 30*time.Minute, "longest a run attempt may take")
	memory := fs.String("memory-limit", "2GiB", "most heap a worker may use (e.g. 512MiB, 2GiB; 0 for no limit)")
	cache := fs.String("cache-size", "10GiB", "with --storage, most disk the local copies of dataset versions may take in HOME/server/cache, least recently used removed first (e.g. 500MB, 10GiB; 0: keep a copy only while a run or request reads it)")
	network := fs.String("recipe-network", "off", "whether recipes may use the network: on or off (off: a network namespace of their own and Landlock, on Linux)")
	fs.IntVar(&e.RecipeCPUs, "recipe-cpus", 0, "most cores each recipe process runs on at once (its GOMAXPROCS); 0: every core of the machine")
	fs.BoolVar(&e.KeepRunFiles, "keep-run-files", false, "keep each run's exported input in its run directory after the run ends")
	fs.IntVar(&e.MaxLogLines, "max-log-lines", 10000, "log lines kept per run, over all its attempts; later lines are dropped with a marker")
	fs.DurationVar(&e.Lease, "lease", 30*time.Second, "how long a process may go without renewing its hold on its runs before other processes take them back")
	return func() error {
		switch *network {
		case "on", "off":
			e.RecipeNetwork = *network == "on"
		default:
			return fmt.Errorf("%w: --recipe-network %q: use on or off", errUsage, *network)
		}
		var err error
		if e.MemoryLimit, err = parseSize(*memory); err != nil {
			return fmt.Errorf("%w: --memory-limit: %v", errUsage, err)
		}
		if e.CacheBytes, err = parseSize(*cache); err != nil {
			return fmt.Errorf("%w: --cache-size: %v", errUsage, err)
		}
		if e.RecipeCPUs < 0 {
			return fmt.Errorf("%w: --recipe-cpus %d: use 0 (every core) or a number of cores", errUsage, e.RecipeCPUs)
		}
		if e.Lease < time.Second {
			return fmt.Errorf("%w: --lease %s is too short: use 1s or more", errUsage, e.Lease)
		}
		return nil
	}
}

// parseKinds reads --queues: the kinds of run a worker takes.
func parseKinds(s string) ([]server.RunKind, error) {
	var kinds []server.RunKind
	for _, f := range splitList(s) {
		k := server.RunKind(f)
		if k != server.RunTrain && k != server.RunScore {
			return nil, fmt.Errorf("%w: --queues %q: the queues are train and score", errUsage, s)
		}
		kinds = append(kinds, k)
	}
	if len(kinds) == 0 {
		return nil, fmt.Errorf("%w: --queues names no queue: use train, score or train,score", errUsage)
	}
	return kinds, nil
}

// start builds the pool of worker processes under home and the queue that
// feeds it, on the database db opened from dbURL.
func (e execution) start(ctx context.Context, db store, ds worker.Datasets, objects *objectstore.Store, dbURL databaseURL, home string, log *slog.Logger) (*worker.Pool, *queue.Queue, error) {
	cmd := e.WorkerCommand
	if len(cmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, nil, fmt.Errorf("finding the galley executable for workers: %w", err)
		}
		cmd = []string{exe, "run-attempt"}
	}
	// Notebooks imported through a server are validated in its own
	// worker processes, so a server without workers for runs keeps one
	// slot for that.
	pool := &worker.Pool{Store: db, Datasets: ds, Objects: objects, Command: cmd, Size: max(e.Workers, 1), Timeout: e.RunTimeout, MemoryLimit: e.MemoryLimit,
		Dir: filepath.Join(home, "server", "work"), Network: e.RecipeNetwork, CPUs: e.RecipeCPUs, KeepRunFiles: e.KeepRunFiles, MaxLogLines: e.MaxLogLines, Lease: e.Lease, Log: log}
	cfg := queue.Config{Store: db, Concurrency: e.Workers, Kinds: e.Kinds, Lease: e.Lease, Log: log,
		JobTimeout: e.RunTimeout + 5*time.Minute}
	if e.Workers > 0 {
		cfg.Executor = pool
	}
	var q *queue.Queue
	var err error
	if dbURL.postgresDSN != "" {
		cfg.Poll = 250 * time.Millisecond
		q, err = queue.OpenPostgres(ctx, dbURL.postgresDSN, cfg)
	} else {
		sdb, ok := db.(*sqlite.DB)
		if !ok {
			return nil, nil, fmt.Errorf("the job queue needs the SQLite store, not %T", db)
		}
		cfg.Poll = 100 * time.Millisecond
		q, err = queue.OpenSQLite(ctx, sdb.SQL(), cfg)
	}
	if err != nil {
		return nil, nil, err
	}
	return pool, q, nil
}

// kinds names the kinds of run for messages.
func kinds(ks []server.RunKind) string {
	if len(ks) == 0 {
		return "train,score"
	}
	var s []string
	for _, k := range ks {
		s = append(s, string(k))
	}
	return strings.Join(s, ",")
}
