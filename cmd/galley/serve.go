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
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/server/online"
	"github.com/galley-dev/galley/server/queue"
	"github.com/galley-dev/galley/server/scheduler"
	"github.com/galley-dev/galley/server/web"
	"github.com/galley-dev/galley/server/worker"
	"github.com/galley-dev/galley/stdlib/catalog"
)

func init() {
	register(&command{
		name:    "serve",
		summary: "run the companion server: recipes, models, schedules, training and scoring runs",
		usage:   "galley serve [--addr HOST:PORT] [--home DIR] [--database URL] [--storage URL] [--token TOKEN | --no-token] [--allow-host NAME,...] [--allow-origin URL,...] [--datasets catalog|csv] [--workers N] [--run-timeout D] [--memory-limit SIZE] [--cache-size SIZE] [--recipe-network on|off] [--recipe-cpus N] [--max-attempts N] [--score-partition-rows N] [--max-upload SIZE] [--max-body SIZE] [--read-timeout D] [--keep-run-files] [--max-log-lines N] [--lease D] [--serve-versions N] [--serve-idle D] [--predict-timeout D] [--predict-batch N] [--predict-wait D] [--max-predict-body SIZE]",
		run: func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			m := &serveMain{Stdout: stdout, Stderr: stderr}
			fs := newFlagSet(commands["serve"], stderr)
			fs.StringVar(&m.Addr, "addr", "127.0.0.1:8780", "address to listen on; a non-loopback address requires a token")
			fs.StringVar(&m.Home, "home", "", "galley's state directory (default $GALLEY_HOME or ~/.galley)")
			fs.StringVar(&m.Database, "database", "", "the server's database: sqlite:PATH (default $GALLEY_HOME/server/galley.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE")
			fs.StringVar(&m.Storage, "storage", "", "where runs keep dataset snapshots, trained models and scores: file:///DIR (default $GALLEY_HOME/server/objects) or s3://BUCKET/PREFIX?endpoint=URL&region=REGION (credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY); when given, datasets live there too, numbered in the database, shared by every server and worker on both")
			fs.StringVar(&m.Token, "token", os.Getenv("GALLEY_TOKEN"), "bearer token clients must send (default $GALLEY_TOKEN, else a random token kept in HOME/server/token)")
			fs.BoolVar(&m.NoToken, "no-token", false, "accept requests without a token (loopback addresses only; any local program or user can then run code)")
			allowHosts := fs.String("allow-host", "", "comma-separated host names clients may use besides IP addresses and localhost")
			allowOrigins := fs.String("allow-origin", "", "comma-separated web origins (https://app.example) allowed to call the API from a browser")
			fs.StringVar(&m.Datasets, "datasets", "catalog", "where datasets live: catalog (the Parquet catalog notebooks share, $GALLEY_HOME/datasets) or csv (files beside the server database)")
			fs.IntVar(&m.Workers, "workers", 2, "runs this server executes at the same time (0: none; 'galley worker' processes run them)")
			finish := executionFlags(fs, &m.execution)
			fs.IntVar(&m.MaxAttempts, "max-attempts", 3, "attempts per run for failures worth retrying")
			fs.IntVar(&m.ScorePartitionRows, "score-partition-rows", DefaultScorePartitionRows, "score inputs of more rows than this in parts of at most this many rows, one job each across all workers (0: never split)")
			fs.DurationVar(&m.ReadTimeout, "read-timeout", 15*time.Minute, "longest a client may take to send a request, upload included")
			fs.IntVar(&m.ServeVersions, "serve-versions", online.DefaultMaxWarm, "trained versions kept warm for online scoring, one worker process each")
			fs.DurationVar(&m.ServeIdle, "serve-idle", online.DefaultIdleTimeout, "retire a warm version nobody asked for in this long")
			fs.DurationVar(&m.PredictTimeout, "predict-timeout", online.DefaultRequestTimeout, "longest the recipe may take to score one online request")
			fs.IntVar(&m.PredictBatch, "predict-batch", online.DefaultMaxBatch, "score online requests that queued while the worker was busy together, up to N rows (1: one request at a time)")
			fs.DurationVar(&m.PredictWait, "predict-wait", 0, "longest a request waits for others to batch with (0: it never waits; batches form only under load)")
			predictBody := fs.String("max-predict-body", "4MiB", "largest online prediction request body")
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
			if err := finish(); err != nil {
				return err
			}
			if m.Workers < 0 {
				return fmt.Errorf("%w: --workers %d: use 0 or more", errUsage, m.Workers)
			}
			if m.ScorePartitionRows < 0 {
				return fmt.Errorf("%w: --score-partition-rows %d: use 0 (never split) or more", errUsage, m.ScorePartitionRows)
			}
			fs.Visit(func(f *flag.Flag) { m.tokenGiven = m.tokenGiven || f.Name == "token" })
			m.AllowHosts, m.AllowOrigins = splitList(*allowHosts), splitList(*allowOrigins)
			var err error
			for _, f := range []struct {
				s   string
				dst *int64
			}{{*upload, &m.MaxUpload}, {*body, &m.MaxBody}, {*predictBody, &m.MaxPredictBody}} {
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

// DefaultScorePartitionRows is the partition size of scoring runs unless
// --score-partition-rows says otherwise: large enough that starting a
// part's worker process (about a tenth of a second) is small beside
// scoring its rows, small enough that a 5-million-row input spreads over
// ten workers.
const DefaultScorePartitionRows = 500000

// serveMain is the server program: tests start it on port 0 with a
// temporary home and stop it with Close.
type serveMain struct {
	Addr     string
	Home     string
	Datasets string // "catalog" (default) or "csv"
	// Database is --database: "" (SQLite in Home), sqlite:PATH or a
	// postgres:// URL.
	Database string
	// Storage is --storage: "" (a directory in Home), file:///DIR or an
	// s3:// URL (see objectstore.Open).
	Storage string
	// Token is the token clients must send; when empty (and NoToken is
	// not set) the server uses the one in its token file, creating it on
	// first start. After Run it holds the token in effect.
	Token   string
	NoToken bool
	// AllowHosts and AllowOrigins extend the Host allow-list and open CORS
	// to the origins named.
	AllowHosts   []string
	AllowOrigins []string
	MaxAttempts  int
	// ScorePartitionRows is the partition size recorded on new scoring
	// runs: inputs of more rows are scored in parts (0: never split).
	ScorePartitionRows int
	// execution is how the server's own workers execute runs.
	execution
	// HeaderTimeout and ReadTimeout bound how long a client may take to
	// send its request headers and its whole request (default 10s, 15m).
	HeaderTimeout time.Duration
	ReadTimeout   time.Duration
	// ProfileHistory and ProfileHistoryAge bound profile history.
	ProfileHistory    int
	ProfileHistoryAge time.Duration
	MaxUpload         int64
	MaxBody           int64
	// Online scoring: warm versions kept, idle retention, the time one
	// request may take, micro-batching and the request body limit.
	ServeVersions  int
	ServeIdle      time.Duration
	PredictTimeout time.Duration
	PredictBatch   int
	PredictWait    time.Duration
	MaxPredictBody int64
	Stdout         io.Writer
	Stderr         io.Writer

	closeOnce  sync.Once
	closeErr   error
	tokenGiven bool // --token was given, even empty
	tokenFile  string

	db       store
	objects  *objectstore.Store
	listener net.Listener
	http     *http.Server
	queue    *queue.Queue
	stop     context.CancelFunc
	// poolDone reports the end of the queue, which feeds the workers.
	poolDone chan error
	// schedDone reports the end of the scheduler, which fires schedules
	// into the same run queue the pool drains.
	schedDone chan error
	// onlineDone reports the end of the online scoring service.
	onlineDone chan error
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
		// As every command: $GALLEY_HOME, else ~/.galley.
		m.Home = catalog.Home()
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
	dbURL, err := parseDatabase(m.Database, m.Home)
	if err != nil {
		return err
	}
	// The object store is checked before the database is opened (and
	// migrated): a misconfigured store stops the server having written
	// nothing.
	if m.objects, err = openStorage(ctx, m.Storage, m.Home); err != nil {
		return err
	}
	defer func() {
		if m.listener == nil {
			m.objects.Close()
			m.objects = nil
		}
	}()
	var ds datasetService
	if m.db, ds, err = openStore(dbURL, m.Datasets, m.Storage, m.Home, m.objects, m.MaxAttempts, m.CacheBytes); err != nil {
		return err
	}
	if err := m.loadToken(); err != nil {
		m.db.Close()
		return err
	}
	if m.ProfileHistory < 0 || m.ProfileHistoryAge < 0 {
		m.db.Close()
		return fmt.Errorf("%w: --profile-history and --profile-history-age must be 0 or more", errUsage)
	}
	m.db.SetProfileRetention(server.ProfileRetention{MaxChanges: m.ProfileHistory, MaxAge: m.ProfileHistoryAge})
	m.db.SetScorePartitionRows(m.ScorePartitionRows)
	pool, q, err := m.execution.start(ctx, m.db, ds, m.objects, dbURL, m.Home, log)
	if err != nil {
		m.db.Close()
		return err
	}
	m.queue = q
	// Importing a notebook validates it in the pool, then the store keeps it.
	recipes := &worker.Importer{RecipeStore: m.db, Pool: pool, Datasets: ds}
	m.listener, err = net.Listen("tcp", m.Addr)
	if err != nil {
		q.Close()
		m.db.Close()
		return fmt.Errorf("listening on %s: %w", m.Addr, err)
	}
	// Deleting a trained version or a run removes its objects too.
	trained := &worker.TrainedModels{TrainedModelService: m.db, Objects: m.objects, Log: log}
	// Runs queued through this server have their input snapshot published
	// for workers elsewhere, then are dispatched at once.
	runs := queue.Dispatching(&worker.Runs{RunService: m.db, Objects: m.objects, Datasets: ds, Dir: filepath.Join(m.Home, "server", "work"), Log: log}, q)
	// Online scoring runs the recipes in warm worker processes of the
	// same pool settings (sandbox, memory limit), outside its run slots.
	predict := &online.Service{Store: m.db, Workers: pool, Dir: filepath.Join(m.Home, "server", "work", "serving"), MaxWarm: m.ServeVersions,
		IdleTimeout: m.ServeIdle, RequestTimeout: m.PredictTimeout, MaxBatch: m.PredictBatch, MaxWait: m.PredictWait, Log: log}
	api := &galleyhttp.Server{Recipes: recipes, Models: m.db, TrainedModels: trained, Runs: runs, Datasets: ds, Schedules: m.db, Profiles: m.db,
		Predict: predict, Metrics: predict.Metrics().Handler(), MaxPredictBytes: m.MaxPredictBody,
		Token: m.Token, TokenFile: m.tokenFile, AllowedHosts: m.AllowHosts, AllowedOrigins: m.AllowOrigins, MaxBodyBytes: m.MaxBody, MaxDatasetBytes: m.MaxUpload, Log: log,
		// The pages sit beside the API, behind the same guard, and act only through it.
		Pages: &web.Handler{Recipes: recipes, Models: m.db, TrainedModels: trained, Runs: runs, Datasets: ds, Schedules: m.db, Profiles: m.db, Predict: predict, Log: log}}
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
	go func() { m.poolDone <- q.Run(poolCtx) }()
	m.schedDone = make(chan error, 1)
	sched := &scheduler.Scheduler{Store: m.db, Log: log}
	go func() { m.schedDone <- sched.Run(poolCtx) }()
	m.onlineDone = make(chan error, 1)
	go func() { m.onlineDone <- predict.Run(poolCtx) }()
	go func() {
		if err := m.http.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serving", "err", err)
		}
	}()
	where := ""
	if ip := m.listener.Addr().(*net.TCPAddr).IP; ip.IsUnspecified() {
		where = " on all interfaces"
	}
	fmt.Fprintf(m.Stdout, "galley serve: listening on %s%s (home %s, database %s, storage %s, %d workers)\n", m.URL(), where, m.Home, dbURL, m.objects, m.Workers)
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
	// The token file is read, or made, once the database has opened
	// (loadToken): a server that cannot start writes nothing.
	m.tokenFile = galleyhttp.TokenPath(m.Home)
	return nil
}

// loadToken reads the token file setupToken chose, creating it on first
// start.
func (m *serveMain) loadToken() error {
	if m.tokenFile == "" {
		return nil
	}
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
		errs = append(errs, <-m.poolDone, <-m.schedDone, <-m.onlineDone)
	}
	if m.queue != nil {
		m.queue.Close()
	}
	if m.db != nil {
		errs = append(errs, m.db.Close())
	}
	if m.objects != nil {
		errs = append(errs, m.objects.Close())
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

// openStorage opens --storage: the file store under home when it is empty.
func openStorage(ctx context.Context, storage, home string) (*objectstore.Store, error) {
	if storage == "" {
		return objectstore.OpenDefault(ctx, home)
	}
	s, err := objectstore.Open(ctx, storage)
	if server.ErrorCode(err) == server.EINVALID {
		return nil, fmt.Errorf("%w: --storage: %s", errUsage, server.ErrorMessage(err))
	}
	if err != nil {
		return nil, fmt.Errorf("--storage: %w", err)
	}
	return s, nil
}
