package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/scheduler"
	"github.com/galley-dev/galley/server/sqlite"
	"github.com/galley-dev/galley/server/web"
	"github.com/galley-dev/galley/server/worker"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the companion server: recipes, models, schedules, training and scoring runs",
		usage:   "galley serve [--addr HOST:PORT] [--home DIR] [--database URL] [--token TOKEN | --no-token] [--allow-host NAME,...] [--allow-origin URL,...] [--datasets catalog|csv] [--workers N] [--run-timeout D] [--memory-limit SIZE] [--recipe-network on|off] [--max-attempts N] [--max-upload SIZE] [--max-body SIZE] [--read-timeout D] [--keep-run-files] [--max-log-lines N]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			m := &serveMain{Stdout: stdout, Stderr: stderr}
			fs := newFlagSet(commands["serve"], stderr)
			fs.StringVar(&m.Addr, "addr", "127.0.0.1:8780", "address to listen on; a non-loopback address requires a token")
			fs.StringVar(&m.Home, "home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			fs.StringVar(&m.Database, "database", "", "the server's database: sqlite:PATH (default $GALLEY_HOME/server/galley.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
			fs.StringVar(&m.Token, "token", os.Getenv("GALLEY_TOKEN"), "bearer token clients must send (default $GALLEY_TOKEN, else a random token kept in HOME/server/token)")
			fs.BoolVar(&m.NoToken, "no-token", false, "accept requests without a token (loopback addresses only; any local program or user can then run code)")
			allowHosts := fs.String("allow-host", "", "comma-separated host names clients may use besides IP addresses and localhost")
			allowOrigins := fs.String("allow-origin", "", "comma-separated web origins (https://app.example) allowed to call the API from a browser")
			fs.StringVar(&m.Datasets, "datasets", "catalog", "where datasets live: catalog (the Parquet catalog notebooks share, $GALLEY_HOME/datasets) or csv (files beside the server database)")
			fs.IntVar(&m.Workers, "workers", 2, "runs executed at the same time")
			fs.DurationVar(&m.RunTimeout, "run-timeout", 30*time.Minute, "longest a run attempt may take")
			memory := fs.String("memory-limit", "2GiB", "most heap a worker may use (e.g. 512MiB, 2GiB; 0 for no limit)")
			fs.IntVar(&m.MaxAttempts, "max-attempts", 3, "attempts per run for failures worth retrying")
			network := fs.String("recipe-network", "off", "whether recipes may use the network: on or off (off: a network namespace of their own and Landlock, on Linux)")
			fs.DurationVar(&m.ReadTimeout, "read-timeout", 15*time.Minute, "longest a client may take to send a request, upload included")
			fs.BoolVar(&m.KeepRunFiles, "keep-run-files", false, "keep each run's exported input in its run directory after the run ends")
			fs.IntVar(&m.MaxLogLines, "max-log-lines", 10000, "log lines kept per run, over all its attempts; later lines are dropped with a marker")
			fs.IntVar(&m.ProfileHistory, "profile-history", server.DefaultProfileHistory, "attribute changes each profile keeps per model; older ones are dropped")
			fs.DurationVar(&m.ProfileHistoryAge, "profile-history-age", 0, "drop profile attribute changes older than this (e.g. 2160h), keeping each profile's newest; 0 keeps them")
			upload := fs.String("max-upload", "1GiB", "largest dataset upload")
			body := fs.String("max-body", "16MiB", "largest JSON request body, notebooks included")
			if err := fs.Parse(args); err != nil {
				return err
			}
			if fs.NArg() > 0 {
				return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
			}
			switch *network {
			case "on", "off":
				m.RecipeNetwork = *network == "on"
			default:
				return fmt.Errorf("%w: --recipe-network %q: use on or off", errUsage, *network)
			}
			fs.Visit(func(f *flag.Flag) { m.tokenGiven = m.tokenGiven || f.Name == "token" })
			m.AllowHosts, m.AllowOrigins = splitList(*allowHosts), splitList(*allowOrigins)
			var err error
			for _, f := range []struct {
				s   string
				dst *int64
			}{{*memory, &m.MemoryLimit}, {*upload, &m.MaxUpload}, {*body, &m.MaxBody}} {
				if *f.dst, err = parseSize(f.s); err != nil {
					return fmt.Errorf("%w: %v", errUsage, err)
				}
			}
			// Ctrl-C in the terminal stops the server as gracefully as
			// SIGTERM does: interrupted runs go back to the queue without
			// using up an attempt.
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

// serveMain is the server program: tests start it on port 0 with a
// temporary home and stop it with Close.
type serveMain struct {
	Addr     string
	Home     string
	Datasets string // "catalog" (default) or "csv"
	// Database is --database: "" (SQLite in Home), sqlite:PATH or a
	// postgres:// URL.
	Database string
	// Token is the token clients must send; when empty (and NoToken is
	// not set) the server uses the one in its token file, creating it on
	// first start. After Run it holds the token in effect.
	Token   string
	NoToken bool
	// AllowHosts and AllowOrigins extend the Host allow-list and open CORS
	// to the origins named.
	AllowHosts   []string
	AllowOrigins []string
	Workers      int
	RunTimeout   time.Duration
	MemoryLimit  int64
	MaxAttempts  int
	// RecipeNetwork lets recipes use the network.
	RecipeNetwork bool
	// HeaderTimeout and ReadTimeout bound how long a client may take to
	// send its request headers and its whole request (default 10s, 15m).
	HeaderTimeout time.Duration
	ReadTimeout   time.Duration
	// KeepRunFiles keeps runs' exported inputs; MaxLogLines caps logs.
	KeepRunFiles bool
	MaxLogLines  int
	// ProfileHistory and ProfileHistoryAge bound profile history.
	ProfileHistory    int
	ProfileHistoryAge time.Duration
	MaxUpload         int64
	MaxBody           int64
	// WorkerCommand starts a worker process; default: this executable with
	// the "worker" subcommand.
	WorkerCommand []string
	Stdout        io.Writer
	Stderr        io.Writer

	closeOnce  sync.Once
	closeErr   error
	tokenGiven bool // --token was given, even empty
	tokenFile  string

	db       store
	listener net.Listener
	http     *http.Server
	stop     context.CancelFunc
	poolDone chan error
	// schedDone reports the end of the scheduler, which fires schedules
	// into the same run queue the pool drains.
	schedDone chan error
}

// URL is the address the server listens on, once Run has returned. A
// server on all interfaces (0.0.0.0, ::) is reached from this machine at
// the loopback address: "http://[::]:8780" is no URL a browser can open.
func (m *serveMain) URL() string {
	addr := m.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(addr.Port))
}

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
	if err := m.setupToken(host); err != nil {
		return err
	}
	// Uploads a killed server left half-written would otherwise stay
	// forever; nothing is using them before the server starts.
	leftover := &garbage{Home: m.Home}
	if err := leftover.collect(ctx, false); err == nil && leftover.count() > 0 {
		log.Info("removed leftover upload files", "files", leftover.count(), "bytes", leftover.total())
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
			if err == nil {
				// Models and runs that use a dataset live in the database.
				cat.InUse = m.db.DatasetInUse
			}
		}
	default:
		return fmt.Errorf("%w: --datasets %q: use csv or catalog", errUsage, m.Datasets)
	}
	if err != nil {
		return err
	}
	if m.ProfileHistory < 0 || m.ProfileHistoryAge < 0 {
		m.db.Close()
		return fmt.Errorf("%w: --profile-history and --profile-history-age must be 0 or more", errUsage)
	}
	m.db.SetProfileRetention(server.ProfileRetention{MaxChanges: m.ProfileHistory, MaxAge: m.ProfileHistoryAge})
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
		Dir: filepath.Join(dir, "work"), Network: m.RecipeNetwork, KeepRunFiles: m.KeepRunFiles, MaxLogLines: m.MaxLogLines, Log: log}
	// Importing a notebook validates it in the pool, then the store keeps it.
	recipes := &worker.Importer{RecipeStore: m.db, Pool: pool, Datasets: ds}
	m.listener, err = net.Listen("tcp", m.Addr)
	if err != nil {
		m.db.Close()
		return fmt.Errorf("listening on %s: %w", m.Addr, err)
	}
	api := &galleyhttp.Server{Recipes: recipes, Models: m.db, TrainedModels: m.db, Runs: m.db, Datasets: ds, Schedules: m.db, Profiles: m.db,
		Token: m.Token, TokenFile: m.tokenFile, AllowedHosts: m.AllowHosts, AllowedOrigins: m.AllowOrigins, MaxBodyBytes: m.MaxBody, MaxDatasetBytes: m.MaxUpload, Log: log,
		// The pages sit beside the API, behind the same guard, and act only through it.
		Pages: &web.Handler{Recipes: recipes, Models: m.db, TrainedModels: m.db, Runs: m.db, Datasets: ds, Schedules: m.db, Profiles: m.db, Log: log}}
	if m.HeaderTimeout <= 0 {
		m.HeaderTimeout = 10 * time.Second
	}
	if m.ReadTimeout <= 0 {
		m.ReadTimeout = 15 * time.Minute
	}
	// A client that sends its request slowly, or not at all, is cut off:
	// a few such clients must not hold the server's connections forever.
	m.http = &http.Server{Handler: api.Handler(), ReadHeaderTimeout: m.HeaderTimeout, ReadTimeout: m.ReadTimeout,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
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
	where := ""
	if ip := m.listener.Addr().(*net.TCPAddr).IP; ip.IsUnspecified() {
		where = " on all interfaces"
	}
	fmt.Fprintf(m.Stdout, "galley serve: listening on %s%s (home %s, database %s, %d workers)\n", m.URL(), where, m.Home, dbURL, pool.Size)
	if status, ok := worker.SandboxStatus(); ok {
		log.Info("sandbox: " + status)
	} else {
		log.Warn("sandbox: " + status)
		fmt.Fprintf(m.Stdout, "galley serve: WARNING: %s\n", status)
	}
	switch {
	case m.NoToken:
		fmt.Fprintf(m.Stdout, "galley serve: no token: any program or user on this machine can run code through the server\n")
	case m.tokenFile != "":
		fmt.Fprintf(m.Stdout, "galley serve: clients authenticate with the token in %s ('galley token show')\n", m.tokenFile)
	}
	// As JupyterLab does, the link to the pages carries the token once; the
	// page keeps it in a cookie and drops it from the address.
	pages := m.URL() + "/ui/runs"
	if m.Token != "" {
		pages += "?token=" + url.QueryEscape(m.Token)
	}
	fmt.Fprintf(m.Stdout, "galley serve: open %s in a browser\n", pages)
	return nil
}

// setupToken settles which token clients must send: the one given, none
// when asked for on a loopback address, else the token file's, created on
// first start as JupyterLab does.
func (m *serveMain) setupToken(host string) error {
	if m.NoToken {
		if m.Token != "" && m.tokenGiven {
			return fmt.Errorf("%w: --no-token and --token exclude each other", errUsage)
		}
		if !loopback(host) {
			return fmt.Errorf("%w: --no-token is only allowed on a loopback address (127.0.0.1, ::1, localhost); listening on %s would let anyone on the network run code", errUsage, m.Addr)
		}
		m.Token = ""
		return nil
	}
	if m.tokenGiven || m.Token != "" {
		if strings.TrimSpace(m.Token) == "" {
			return fmt.Errorf("%w: the token is blank: give a real one, or leave --token and GALLEY_TOKEN out to use the token file", errUsage)
		}
		m.Token = strings.TrimSpace(m.Token)
		return nil
	}
	m.tokenFile = galleyhttp.TokenPath(m.Home)
	t, _, err := galleyhttp.LoadToken(m.tokenFile)
	if err != nil {
		return fmt.Errorf("reading the server token: %w", err)
	}
	m.Token = t
	return nil
}

// splitList reads a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Close stops accepting requests, stops the workers (their runs are
// retried on the next start) and closes the database.
func (m *serveMain) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *serveMain) close() error {
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
