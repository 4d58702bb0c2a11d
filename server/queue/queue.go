// Package queue delivers galley's runs to the processes that execute them,
// through River (github.com/riverqueue/river): riverpgxv5 on PostgreSQL,
// riversqlite on SQLite, one code path for both. River's tables live in the
// same database as galley's and are migrated by River's migrator at start.
//
// The run's row stays the truth about its state; River only delivers work.
// Every trip of a run into the queue (created, retried, released,
// recovered) has a dispatch number. A dispatcher in every process lists the
// trips that have no job yet and inserts one River job per (run, dispatch),
// unique by those arguments, so two dispatchers racing insert one job. A
// job's delivery claims the run only if it is still queued at that
// dispatch (server.RunQueue.ClaimQueuedRun); a repeated or stale delivery
// (River executes at least once) claims nothing and completes.
//
// A claimed run is held by its process (the owner) under a lease that the
// process renews; everything it writes about the run is checked against its
// claim, so a run is finished at most once. Every process also takes back
// runs whose owner is gone: the lease ran out, or the owner was a process
// on this machine that no longer exists.
//
//	q, err := queue.OpenSQLite(ctx, db, queue.Config{Store: store, Executor: pool, Concurrency: 2})
//	go q.Run(ctx)
//	q.Kick() // after queueing a run, to dispatch it at once
package queue

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"

	"github.com/galley-dev/galley/server"
)

// Store is what the queue needs of galley's database.
type Store interface {
	PendingDispatches(ctx context.Context, limit int) ([]server.Dispatch, error)
	MarkDispatched(ctx context.Context, ds []server.Dispatch) error
	ClaimQueuedRun(ctx context.Context, id int64, seq int, owner string, lease time.Duration) (*server.Run, error)
	RenewLeases(ctx context.Context, owner string, lease time.Duration) error
	RedispatchStale(ctx context.Context, before time.Time) (int, error)
	RunOwners(ctx context.Context) ([]string, error)
	RecoverRuns(ctx context.Context, dead []string) (int, error)
}

// Executor executes runs in slots: a run is claimed only once a slot is
// held, so that a busy process leaves it queued for others.
type Executor interface {
	// TryAcquire takes a slot if one is free; Release frees it.
	TryAcquire() bool
	Release()
	// Execute runs a claimed attempt and records its outcome under the
	// run's claim; when ctx ends first, the run goes back to the queue.
	Execute(ctx context.Context, run *server.Run)
}

// Config configures a Queue.
type Config struct {
	Store Store
	// Executor runs the runs this process takes; nil (or Concurrency 0)
	// makes a process that only dispatches and recovers runs.
	Executor Executor
	// Concurrency is how many runs this process executes at once.
	Concurrency int
	// Kinds are the kinds of run this process takes (default: all).
	Kinds []server.RunKind
	// Lease is how long a run's owner may go without renewing its hold
	// before other processes take the run back (default 30s). Owners
	// renew every third of it.
	Lease time.Duration
	// Poll is how often the dispatcher looks for runs without a job and
	// how often River looks for jobs when no notification arrives
	// (default 1s).
	Poll time.Duration
	// JobTimeout bounds a River job, which lasts as long as its run's
	// attempt: set it above the run timeout (default 1h).
	JobTimeout time.Duration
	// Owner names this process on the runs it holds (default
	// ProcessOwner()).
	Owner string
	Log   *slog.Logger
}

// RunArgs is the job that delivers one trip of a run into the queue.
type RunArgs struct {
	Run      int64 `json:"run" river:"unique"`
	Dispatch int   `json:"dispatch" river:"unique"`
}

// Kind implements river.JobArgs. It is stored with every job: never change it.
func (RunArgs) Kind() string { return "galley.run" }

// Queue is an open run queue. Run it with Run.
type Queue struct {
	cfg    Config
	client interface {
		insert(ctx context.Context, ds []server.Dispatch) error
		insertParts(ctx context.Context, ds []server.PartDispatch) error
		start(ctx context.Context) error
		stop(ctx context.Context) error
	}
	kick    chan struct{}
	closers []func()
	// runCtx ends when Run's context does; jobs run under it, so that
	// stopping the process stops the runs (which go back to the queue).
	mu     sync.Mutex
	runCtx context.Context
}

// Limits of the dispatcher and of River jobs.
const (
	jobMaxAttempts = 10
	dispatchBatch  = 200
)

// open builds the queue over a River driver once River's tables are
// migrated (migrate).
func open[TTx any](ctx context.Context, driver riverdriver.Driver[TTx], migrate func(ctx context.Context) error, cfg Config) (*Queue, error) {
	if cfg.Store == nil {
		return nil, errors.New("queue: no store")
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Hour
	}
	if len(cfg.Kinds) == 0 {
		cfg.Kinds = []server.RunKind{server.RunTrain, server.RunScore}
	}
	if cfg.Owner == "" {
		cfg.Owner = ProcessOwner()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Executor == nil {
		cfg.Concurrency = 0
	}
	if err := migrate(ctx); err != nil {
		return nil, fmt.Errorf("queue: migrating River's tables: %w", err)
	}
	q := &Queue{cfg: cfg, kick: make(chan struct{}, 1), runCtx: context.Background()}
	rc := &river.Config{
		// River says what goes wrong; its routine news stays out of the
		// server's log.
		Logger: slog.New(atLeast{cfg.Log.Handler(), slog.LevelWarn}),
		// New jobs wake fetchers through River's notifications (LISTEN
		// on PostgreSQL, an outbox River polls every 50 ms on SQLite), so
		// the fetch poll is only a fallback, and a slow one: each poll of
		// each queue is a query (about a millisecond of CPU on SQLite),
		// which an idle server and a request it serves would otherwise
		// pay for ten times a second.
		FetchPollInterval: max(cfg.Poll, time.Second),
		FetchCooldown:     min(cfg.Poll, 10*time.Millisecond),
		// A run's time limit is galley's (--run-timeout), enforced on the
		// worker process; River's, longer, only lets its rescuer clear
		// the jobs of processes that died (delivered again, they claim
		// nothing). The job's context is not the run's (see Work).
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.JobTimeout + cfg.Lease,
		MaxAttempts:          jobMaxAttempts,
	}
	if cfg.Concurrency > 0 {
		workers := river.NewWorkers()
		river.AddWorker(workers, &runWorker{q: q})
		_, parts := cfg.Executor.(PartExecutor)
		if _, ok := cfg.Store.(PartStore); ok && parts && slices.Contains(cfg.Kinds, server.RunScore) {
			river.AddWorker(workers, &partWorker{q: q})
		}
		rc.Workers = workers
		rc.Queues = map[string]river.QueueConfig{}
		for _, k := range cfg.Kinds {
			rc.Queues[string(k)] = river.QueueConfig{MaxWorkers: cfg.Concurrency}
		}
	}
	c, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	q.client = riverClient[TTx]{c}
	return q, nil
}

// riverClient hides the driver's transaction type from the Queue.
type riverClient[TTx any] struct{ c *river.Client[TTx] }

func (r riverClient[TTx]) insert(ctx context.Context, ds []server.Dispatch) error {
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: RunArgs{Run: d.Run, Dispatch: d.Seq}, InsertOpts: &river.InsertOpts{
			Queue: string(d.Kind), UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	_, err := r.c.InsertMany(ctx, params)
	return err
}

func (r riverClient[TTx]) start(ctx context.Context) error { return r.c.Start(ctx) }
func (r riverClient[TTx]) stop(ctx context.Context) error  { return r.c.Stop(ctx) }

// Owner is the name this process holds runs under.
func (q *Queue) Owner() string { return q.cfg.Owner }

// Kick asks the dispatcher to look for runs without a job now rather than
// at its next poll: a process that has just queued a run calls it.
func (q *Queue) Kick() {
	select {
	case q.kick <- struct{}{}:
	default:
	}
}

// Run dispatches runs, renews this process's leases, recovers runs whose
// owner is gone and, with an Executor, executes runs until ctx ends. Runs
// executing then are stopped and go back to the queue.
func (q *Queue) Run(ctx context.Context) error {
	q.mu.Lock()
	q.runCtx = ctx
	q.mu.Unlock()
	if q.cfg.Concurrency > 0 {
		// River's own start and stop outlive ctx: stopping waits for the
		// jobs, which return once ctx has stopped their runs.
		if err := q.client.start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("queue: starting River: %w", err)
		}
		defer func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := q.client.stop(stopCtx); err != nil {
				q.cfg.Log.Error("stopping River", "err", err)
			}
		}()
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); q.dispatchLoop(ctx) }()
	go func() { defer wg.Done(); q.leaseLoop(ctx) }()
	wg.Wait()
	return nil
}

func (q *Queue) dispatchLoop(ctx context.Context) {
	t := time.NewTicker(q.cfg.Poll)
	defer t.Stop()
	for {
		if err := q.Dispatch(ctx); err != nil && ctx.Err() == nil {
			q.cfg.Log.Error("dispatching runs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-q.kick:
		}
	}
}

// Dispatch inserts a job for every due queued run, and every due queued
// part of a partitioned run, that has none yet. Runs due later (retries
// backing off) are dispatched when they fall due.
func (q *Queue) Dispatch(ctx context.Context) error {
	for {
		ds, err := q.cfg.Store.PendingDispatches(ctx, dispatchBatch)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return q.dispatchParts(ctx)
		}
		if err := q.client.insert(ctx, ds); err != nil {
			return err
		}
		if err := q.cfg.Store.MarkDispatched(ctx, ds); err != nil {
			return err
		}
		if len(ds) < dispatchBatch {
			return q.dispatchParts(ctx)
		}
	}
}

func (q *Queue) leaseLoop(ctx context.Context) {
	t := time.NewTicker(q.cfg.Lease / 3)
	defer t.Stop()
	for {
		if err := q.Recover(ctx); err != nil && ctx.Err() == nil {
			q.cfg.Log.Error("renewing leases and recovering runs", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Recover renews this process's leases, then takes back the runs whose
// owner is gone.
func (q *Queue) Recover(ctx context.Context) error {
	if err := q.cfg.Store.RenewLeases(ctx, q.cfg.Owner, q.cfg.Lease); err != nil {
		return err
	}
	owners, err := q.cfg.Store.RunOwners(ctx)
	if err != nil {
		return err
	}
	var dead []string
	for _, o := range owners {
		if o != q.cfg.Owner && ownerGone(o) {
			dead = append(dead, o)
		}
	}
	n, err := q.cfg.Store.RecoverRuns(ctx, dead)
	if err != nil {
		return err
	}
	if n > 0 {
		q.cfg.Log.Info("took back runs whose process is gone", "count", n, "owners", dead)
	}
	// A job is delivered and its run claimed within moments, unless every
	// process is busy (the job waits, snoozed) or the process it went to
	// died first (the job is stuck with it): either way a new job for the
	// run after a lease's time costs little and fixes the second case.
	k, err := q.cfg.Store.RedispatchStale(ctx, time.Now().Add(-q.cfg.Lease))
	if err != nil {
		return err
	}
	if n+k > 0 {
		q.Kick()
	}
	return nil
}

// workContext returns the context a job's work runs in, which ends when
// the process stops (runCtx, also returned), not when River gives up on
// the job, and the function releasing it.
func (q *Queue) workContext(jobCtx context.Context) (ctx, runCtx context.Context, done func()) {
	q.mu.Lock()
	runCtx = q.runCtx
	q.mu.Unlock()
	ctx, cancel := context.WithCancel(context.WithoutCancel(jobCtx))
	stop := context.AfterFunc(runCtx, cancel)
	return ctx, runCtx, func() { stop(); cancel() }
}

// runWorker works RunArgs jobs.
type runWorker struct {
	river.WorkerDefaults[RunArgs]
	q *Queue
}

func (w *runWorker) Work(jobCtx context.Context, job *river.Job[RunArgs]) error {
	q := w.q
	ctx, runCtx, done := q.workContext(jobCtx)
	defer done()
	if !slices.Contains(q.cfg.Kinds, server.RunKind(job.Queue)) {
		return fmt.Errorf("queue: job for queue %q in a process that takes %v", job.Queue, q.cfg.Kinds)
	}
	if runCtx.Err() != nil {
		// Stopping: leave the job to another process.
		return river.JobSnooze(q.cfg.Poll)
	}
	ex := q.cfg.Executor
	if !ex.TryAcquire() {
		// Busy (a job of another kind, or a notebook being validated,
		// holds the slots): the job goes back for any process to take.
		return river.JobSnooze(q.cfg.Poll)
	}
	defer ex.Release()
	run, err := q.cfg.Store.ClaimQueuedRun(ctx, job.Args.Run, job.Args.Dispatch, q.cfg.Owner, q.cfg.Lease)
	if err != nil || run == nil {
		// nil: a stale or repeated delivery; the job is done.
		return err
	}
	ex.Execute(ctx, run)
	return nil
}

// atLeast passes on records at or above a level.
type atLeast struct {
	slog.Handler
	level slog.Level
}

func (h atLeast) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}

func (h atLeast) WithAttrs(a []slog.Attr) slog.Handler {
	return atLeast{h.Handler.WithAttrs(a), h.level}
}

func (h atLeast) WithGroup(name string) slog.Handler {
	return atLeast{h.Handler.WithGroup(name), h.level}
}
