package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/scheduler"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/worker"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the companion server: recipes, models, schedules, training and scoring runs",
		usage:   "galley serve [--addr HOST:PORT] [--home DIR] [--database URL] [--token TOKEN] [--datasets catalog|csv] [--workers N] [--run-timeout D] [--memory-limit SIZE] [--max-attempts N] [--max-upload SIZE] [--max-body SIZE]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			m := &serveMain{Stdout: stdout, Stderr: stderr}
			fs := newFlagSet(commands["serve"], stderr)
			fs.StringVar(&m.Addr, "addr", "127.0.0.1:8780", "address to listen on; a non-loopback address requires a token")
			fs.StringVar(&m.Home, "home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			fs.StringVar(&m.Database, "database", "", "the server's database: sqlite:PATH (default $GALLEY_HOME/server/galley.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
			fs.StringVar(&m.Token, "token", os.Getenv("GALLEY_TOKEN"), "bearer token clients must send (default $GALLEY_TOKEN)")
			fs.StringVar(&m.Datasets, "datasets", "catalog", "where datasets live: catalog (the Parquet catalog notebooks share, $GALLEY_HOME/datasets) or csv (files beside the server database)")
			fs.IntVar(&m.Workers, "workers", 2, "runs executed at the same time")
			fs.DurationVar(&m.RunTimeout, "run-timeout", 30*time.Minute, "longest a run attempt may take")
			memory := fs.String("memory-limit", "2GiB", "most heap a worker may use (e.g. 512MiB, 2GiB; 0 for no limit)")
			fs.IntVar(&m.MaxAttempts, "max-attempts", 3, "attempts per run for failures worth retrying")
			upload := fs.String("max-upload", "1GiB", "largest dataset upload")
			body := fs.String("max-body", "16MiB", "largest JSON request body, notebooks included")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
			}
			var err error
			for _, f := range []struct {
				s   string
				dst *int64
			}{{*memory, &m.MemoryLimit}, {*upload, &m.MaxUpload}, {*body, &m.MaxBody}} {
				if *f.dst, err = parseSize(f.s); err != nil {
					return fmt.Errorf("%w: %v", errUsage, err)
				}
			}
			if err := m.Run(ctx); err != nil {
				return err
			}
			<-ctx.Done()
			return m.Close()
		},
	})
}

// serveMain is the server program: tests start it on port 0 with a
// temporary home and stop it with Close.
type serveMain struct {
	Addr     string
	Home     string
	Datasets string // "catalog" (default) or "csv"
	// Database is --database: "" (SQLite in Home), sqlite:PATH or a
	// postgres:// URL.
	Database    string
	Token       string
	Workers     int
	RunTimeout  time.Duration
	MemoryLimit int64
	MaxAttempts int
	MaxUpload   int64
	MaxBody     int64
	// WorkerCommand starts a worker process; default: this executable with
	// the "worker" subcommand.
	WorkerCommand []string
	Stdout        io.Writer
	Stderr        io.Writer

	db       store
	listener net.Listener
	http     *http.Server
	stop     context.CancelFunc
	poolDone chan error
	// schedDone reports the end of the scheduler, which fires schedules
	// into the same run queue the pool drains.
	schedDone chan error
}

// URL is the address the server listens on, once Run has returned.
func (m *serveMain) URL() string { return "http://" + m.listener.Addr().String() }

// Run opens the database, starts the worker pool and the HTTP server, and
// returns; the server runs until Close.
func (m *serveMain) Run(ctx context.Context) error {
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	log := slog.New(slog.NewTextHandler(m.Stderr, nil))
	if m.Home == "" {
		m.Home = os.Getenv("GALLEY_HOME")
	}
	if m.Home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return fmt.Errorf("finding a home directory: %w: pass --home", err)
		}
		m.Home = filepath.Join(h, ".galley")
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("%w: --addr %q: %v", errUsage, m.Addr, err)
	}
	if !loopback(host) && m.Token == "" {
		return fmt.Errorf("%w: listening on %s exposes the server beyond this machine: set a token with --token or GALLEY_TOKEN", errUsage, m.Addr)
	}
	dir := filepath.Join(m.Home, "server")
	dbURL, err := parseDatabase(m.Database, m.Home)
	if err != nil {
		return err
	}
	var ds interface {
		server.DatasetService
		worker.Datasets
	}
	switch m.Datasets {
	case "csv":
		if m.db, err = dbURL.open(nil, m.MaxAttempts); err == nil {
			ds = m.db.(*sqlite.DB)
		}
	case "", "catalog":
		// The Parquet catalog notebooks share.
		var cat *datasets.Datasets
		if cat, err = datasets.Open(filepath.Join(m.Home, "datasets")); err == nil {
			m.db, err = dbURL.open(cat, m.MaxAttempts)
			ds = cat
		}
	default:
		return fmt.Errorf("%w: --datasets %q: use csv or catalog", errUsage, m.Datasets)
	}
	if err != nil {
		return err
	}
	cmd := m.WorkerCommand
	if len(cmd) == 0 {
		exe, err := os.Executable()
		if err != nil {
			m.db.Close()
			return fmt.Errorf("finding the galley executable for workers: %w", err)
		}
		cmd = []string{exe, "worker"}
	}
	pool := &worker.Pool{Store: m.db, Datasets: ds, Command: cmd, Size: m.Workers, Timeout: m.RunTimeout, MemoryLimit: m.MemoryLimit,
		Dir: filepath.Join(dir, "work"), Log: log}
	setCompiler(m.db, &worker.Compiler{Pool: pool, Datasets: ds})
	m.listener, err = net.Listen("tcp", m.Addr)
	if err != nil {
		m.db.Close()
		return fmt.Errorf("listening on %s: %w", m.Addr, err)
	}
	api := &galleyhttp.Server{Recipes: m.db, Models: m.db, TrainedModels: m.db, Runs: m.db, Datasets: ds, Schedules: m.db,
		Token: m.Token, MaxBodyBytes: m.MaxBody, MaxDatasetBytes: m.MaxUpload, Log: log}
	m.http = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}
	poolCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	m.stop = stop
	m.poolDone = make(chan error, 1)
	go func() { m.poolDone <- pool.Run(poolCtx) }()
	m.schedDone = make(chan error, 1)
	sched := &scheduler.Scheduler{Store: m.db, Log: log}
	go func() { m.schedDone <- sched.Run(poolCtx) }()
	go func() {
		if err := m.http.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving", "err", err)
		}
	}()
	fmt.Fprintf(m.Stdout, "galley serve: listening on %s (home %s, database %s, %d workers)\n", m.URL(), m.Home, dbURL, pool.Size)
	return nil
}

// Close stops accepting requests, stops the workers (their runs are
// retried on the next start) and closes the database.
func (m *serveMain) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var errs []error
	if m.http != nil {
		errs = append(errs, m.http.Shutdown(ctx))
	}
	if m.stop != nil {
		m.stop()
		errs = append(errs, <-m.poolDone, <-m.schedDone)
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	return errors.Join(errs...)
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// parseSize reads sizes such as 512MiB, 2GiB, 1048576 or 0.
func parseSize(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q: use a number of bytes or a size such as 512MiB or 2GiB", s)
	}
	return n * mult, nil
}
