package worker

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// Store is what the pool needs from the server's store.
type Store interface {
	server.RunQueue
	server.PartQueue
	FindRun(ctx context.Context, id int64) (*server.Run, error)
	FindTrainedModel(ctx context.Context, ref string) (*server.TrainedModel, error)
	RunLogs(ctx context.Context, id int64, after int) ([]server.LogLine, error)
}

// Datasets is what the pool needs from the dataset catalog: a run's input
// is exported as CSV into the object store, and scoring output is saved
// with its lineage.
type Datasets interface {
	FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error)
	ExportCSV(ctx context.Context, ref, path string) error
	SaveOutput(ctx context.Context, name, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error)
	// ReplaceOutput stores output in place of version ref, for a schedule
	// slot that ran again.
	ReplaceOutput(ctx context.Context, ref, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error)
	FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error)
}

// Pool runs queued runs in worker processes, at most Size at a time.
type Pool struct {
	Store    Store
	Datasets Datasets
	// Objects holds what runs read and write: input snapshots, trained
	// models and scores (see objectstore). Worker processes see only
	// local copies in their run directory.
	Objects *objectstore.Store
	// Command starts a worker process, e.g. {"/usr/bin/galley", "run-attempt"}.
	Command []string
	// Env is added to the worker's environment, which has nothing of the
	// server's own.
	Env []string
	// Network lets recipes use the network (default: off, see Sandbox).
	Network bool
	// CPUs caps the cores each worker process runs Go code on at once
	// (its GOMAXPROCS); 0 leaves it every core of the machine.
	CPUs int
	// KeepRunFiles keeps a run's exported input after the run ends; by
	// default it is removed, since the dataset version it came from stays.
	KeepRunFiles bool
	// MaxLogLines caps the lines stored per run, over all its attempts
	// (default 10,000); the rest are counted and dropped, with a line
	// saying so.
	MaxLogLines int
	// Lease is how long this process holds the parts of partitioned runs
	// it takes without renewing them (default 30s), as the queue holds
	// runs.
	Lease time.Duration
	// Size bounds concurrent runs (default 2).
	Size int
	// Timeout bounds one attempt (default 30 minutes).
	Timeout time.Duration
	// MemoryLimit bounds a worker's heap in bytes (0: none).
	MemoryLimit int64
	// Dir holds run directories: local copies of a run's input and model
	// and what its worker writes before it is uploaded.
	Dir string
	// Backoff is the delay before attempt n+1 (default 1s·2^(n-1), capped
	// at 5 minutes).
	Backoff func(attempt int) time.Duration
	Log     *slog.Logger

	once sync.Once
	// slots holds a token per worker process running, runs and
	// validations alike, so that Size bounds both.
	slots chan struct{}
}

// setup applies the defaults once, whoever uses the pool first.
func (p *Pool) setup() {
	p.once.Do(func() {
		p.defaults()
		p.slots = make(chan struct{}, p.Size)
	})
}

// exclusive runs job in a worker process once a slot is free.
func (p *Pool) exclusive(ctx context.Context, job Job, h hooks) (outcome, error) {
	p.setup()
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return outcome{}, ctx.Err()
	}
	defer func() { <-p.slots }()
	return p.spawn(ctx, job, h), nil
}

func (p *Pool) defaults() {
	if p.Size <= 0 {
		p.Size = 2
	}
	if p.Timeout <= 0 {
		p.Timeout = 30 * time.Minute
	}
	if p.Lease <= 0 {
		p.Lease = 30 * time.Second
	}
	if p.MaxLogLines <= 0 {
		p.MaxLogLines = 10000
	}
	if p.Backoff == nil {
		p.Backoff = func(n int) time.Duration {
			d := time.Second << (n - 1)
			if d > 5*time.Minute || d <= 0 {
				d = 5 * time.Minute
			}
			return d
		}
	}
	if p.Log == nil {
		p.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// TryAcquire takes a worker slot if one is free. Execute runs in it;
// Release frees it. A run is claimed only once a slot is held, so that it
// stays queued, for other processes to take, while this one is busy.
func (p *Pool) TryAcquire() bool {
	p.setup()
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release frees a slot TryAcquire took.
func (p *Pool) Release() { <-p.slots }

// Execute runs one attempt of run, which this process has claimed, in a
// worker process, and records the outcome under the run's claim. When ctx
// ends during the attempt (the process is stopping), the worker is stopped
// and the run goes back to the queue without using up the attempt.
func (p *Pool) Execute(ctx context.Context, run *server.Run) {
	p.setup()
	p.execute(ctx, run)
}

func (p *Pool) release(ctx context.Context, run *server.Run) {
	if err := p.Store.ReleaseRun(ctx, run.Claim(), fmt.Sprintf("attempt %d was interrupted by a process stopping; it runs again", run.Attempt)); err != nil {
		p.Log.Error("returning an interrupted run to the queue", "run", run.ID, "err", err)
	}
}

// outcome of one worker process.
type outcome struct {
	res      *Result
	err      error // process-level failure
	store    error // what the run produced could not be stored
	timedOut bool
	oom      bool
	cancel   bool
	stopped  bool  // the server is shutting down
	rss      int64 // resident memory when the limit stopped the worker
}

func (p *Pool) execute(ctx context.Context, run *server.Run) {
	defer p.retain(context.WithoutCancel(ctx), run.ID)
	log := p.Log.With("run", run.ID, "kind", run.Kind, "attempt", run.Attempt)
	log.Info("run started")
	if p.partitioned(ctx, run) {
		return
	}
	job, err := p.job(ctx, run)
	var out outcome
	var key string // the object the run produced
	if err != nil {
		out.res = &Result{Error: server.ErrorMessage(err)}
		if server.ErrorCode(err) == server.EINTERNAL {
			out.res.Error = err.Error()
		}
	} else {
		var logged int
		if earlier, err := p.Store.RunLogs(ctx, run.ID, 0); err == nil {
			logged = len(earlier)
		}
		out = p.spawn(ctx, job, hooks{
			logged:  logged,
			started: func(pid int) { p.Store.SetRunWorker(ctx, run.ID, pid) },
			cancelled: func() bool {
				r, err := p.Store.FindRun(ctx, run.ID)
				return err == nil && r.CancelRequested
			},
			logs: func(lines []string) { p.appendLogs(context.WithoutCancel(ctx), run.ID, lines) },
		})
		if out.res != nil && out.res.OK {
			// What the run produced is kept in the object store under the
			// run's key, replacing any earlier attempt's; a store that
			// fails now is worth another attempt.
			if key, err = p.upload(context.WithoutCancel(ctx), run, job); err != nil {
				out = outcome{store: err}
			}
		}
	}
	// Record the outcome even when the server is shutting down.
	bg := context.WithoutCancel(ctx)
	p.appendLogs(bg, run.ID, []string{p.summary(run, out)})
	switch {
	case out.stopped:
		// The server is stopping, not the recipe failing: the run goes
		// back to the queue with its attempt given back.
		p.release(bg, run)
		return
	case out.res != nil && out.res.OK:
		res := server.RunResult{State: server.RunSucceeded, Metrics: out.res.Metrics, RowsIn: out.res.RowsIn, RowsOut: out.res.RowsOut}
		if run.Kind == server.RunScore {
			p.commitScores(bg, run, job.Output, key, res)
			return
		}
		res.Artifact, res.Curves = key, out.res.Curves
		if run.Baseline != "" {
			res.BaselineMetrics, res.BaselineError = out.res.BaselineMetrics, out.res.BaselineError
			if job.ModelIn == "" {
				res.BaselineError = fmt.Sprintf("the baseline %s is gone: it was deleted after the slot fired", run.Baseline)
			}
		}
		if _, err := p.Store.FinishRun(bg, run.Claim(), res); err != nil {
			log.Error("recording success", "err", err)
			p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunFailed, Error: "recording the result failed: " + errText(err)})
		}
		return
	}
	msg, retryable := p.failure(out)
	if out.cancel {
		p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunCancelled, Error: "cancelled"})
		return
	}
	if retryable && run.Attempt < run.MaxAttempts {
		delay := p.Backoff(run.Attempt)
		if err := p.Store.RetryRun(bg, run.Claim(), time.Now().Add(delay), fmt.Sprintf("attempt %d failed: %s; retrying in %s", run.Attempt, msg, delay)); err != nil {
			log.Error("queueing a retry", "err", err)
		}
		return
	}
	if _, err := p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunFailed, Error: msg}); err != nil {
		log.Error("recording failure", "err", err)
	}
}

// commitScores commits what a successful scoring run produced: its scores
// at the local file output, kept in the object store at key, go into its
// profile set and its output dataset, and the run is finished with res.
// Unpartitioned and partitioned runs alike end here.
func (p *Pool) commitScores(bg context.Context, run *server.Run, output, key string, res server.RunResult) {
	log := p.Log.With("run", run.ID, "kind", run.Kind, "attempt", run.Attempt)
	if run.Profile != nil {
		// Read before the dataset is saved, so that bad output fails
		// the run without leaving a version behind.
		w, err := profileScores(output, run.Profile.ID)
		if err != nil {
			// Output that does not fit the profile set fails the run,
			// as a recipe's own error does: the server is fine.
			if server.ErrorCode(err) == server.EINTERNAL {
				log.Error("reading scores for the profile set", "err", err)
			} else {
				log.Info("the scores do not fit the profile set", "err", err)
			}
			p.appendLogs(bg, run.ID, []string{"writing the scores into profile set " + run.Profile.Name + " failed: " + errText(err)})
			p.Store.FinishRun(bg, run.Claim(), server.RunResult{State: server.RunFailed, Error: "writing the scores into profile set " + run.Profile.Name + " failed: " + errText(err)})
			return
		}
		res.Profile, res.RowsOut = w, len(w.Rows)
	}
	p.commitOutput(bg, run, key, res, log)
}

// retain removes a finished run's directory, unless KeepRunFiles: its
// input is a full copy of a dataset, and what the run produced is in the
// object store. A run going back to the queue keeps it, so that retries
// start from the same local input.
func (p *Pool) retain(ctx context.Context, id int64) {
	if p.KeepRunFiles {
		return
	}
	r, err := p.Store.FindRun(ctx, id)
	if err != nil || !r.State.Final() {
		return
	}
	if err := os.RemoveAll(p.runDir(id)); err != nil {
		p.Log.Error("removing a run's directory", "run", id, "err", err)
	}
}

func (p *Pool) runDir(id int64) string {
	return filepath.Join(p.Dir, "runs", strconv.FormatInt(id, 10))
}

// upload stores what a successful attempt produced and returns its key.
func (p *Pool) upload(ctx context.Context, run *server.Run, job Job) (string, error) {
	var (
		key string
		err error
	)
	switch run.Kind {
	case server.RunTrain:
		key, err = p.Objects.PutArtifact(ctx, run.ID, job.ModelOut)
	case server.RunScore:
		key, err = p.Objects.PutOutput(ctx, run.ID, job.Output)
	}
	if err != nil {
		return "", fmt.Errorf("storing what the run produced: %w", err)
	}
	return key, nil
}

// OutputStager is a dataset service whose versions are registered in the
// run store (the shared catalog, datasets.Shared): a scoring attempt's
// output is staged in the object store, and FinishRun registers it in the
// transaction that records the run's success.
type OutputStager interface {
	// StageOutput stores attempt's scores (CSV at csvPath) as an
	// unregistered version of name.
	StageOutput(ctx context.Context, name, csvPath string, run int64, attempt int, lin *server.Lineage) (*server.DatasetObject, error)
	// DropObject removes a staged or replaced version's file.
	DropObject(ctx context.Context, key string)
}

// commitOutput records a successful scoring attempt, whose scores are in
// the object store at key, together with its output dataset version, and
// is the one place that does so.
//
// On the shared catalog (Datasets is an OutputStager) the scores are staged
// as this attempt's own object and registered by FinishRun in the
// transaction that records the success: the version exists exactly when
// the run succeeded, and an attempt that lost its claim (its process was
// taken for dead, or the run was retried) registers nothing, its staged
// object removed. On a local catalog the version is saved first and then
// the run recorded; the version is keyed by the run, so a retried attempt
// replaces what an earlier attempt of the run saved instead of adding a
// second version.
//
// A schedule slot that ran again replaces its earlier run's version in
// both cases.
func (p *Pool) commitOutput(ctx context.Context, run *server.Run, key string, res server.RunResult, log *slog.Logger) {
	fail := func(what string, err error) {
		log.Error(what, "err", err)
		p.appendLogs(ctx, run.ID, []string{what + ": " + server.ErrorMessage(err)})
		if _, ferr := p.Store.FinishRun(ctx, run.Claim(), server.RunResult{State: server.RunFailed, Error: what + ": " + errText(err)}); ferr != nil {
			log.Error("recording failure", "err", ferr)
		}
	}
	if run.OutputName == "" {
		if _, err := p.Store.FinishRun(ctx, run.Claim(), res); err != nil {
			fail("recording the result failed", err)
		}
		return
	}
	csvPath, lin, earlier, err := p.prepareOutput(ctx, run, key)
	if csvPath != "" {
		defer os.Remove(csvPath)
	}
	if err != nil {
		fail("saving the scores failed", err)
		return
	}
	if earlier != nil {
		what := "the output of run %d for the same slot"
		if earlier.Lineage.RunID == run.ID {
			what = "the output an earlier attempt of run %d saved"
		}
		p.appendLogs(ctx, run.ID, []string{fmt.Sprintf("replacing %s, "+what, earlier.Snapshot(), earlier.Lineage.RunID)})
	}
	stager, shared := p.Datasets.(OutputStager)
	if !shared {
		var v *server.DatasetVersion
		if earlier == nil {
			v, err = p.Datasets.SaveOutput(ctx, run.OutputName, csvPath, lin)
		} else {
			v, err = p.Datasets.ReplaceOutput(ctx, earlier.Snapshot(), csvPath, lin)
		}
		if err != nil {
			fail("saving the scores failed", err)
			return
		}
		res.Output, res.RowsOut = v.Snapshot(), v.Rows
		if _, err := p.Store.FinishRun(ctx, run.Claim(), res); err != nil {
			fail("recording the result failed", err)
		}
		return
	}
	o, err := stager.StageOutput(ctx, run.OutputName, csvPath, run.ID, run.Attempt, lin)
	if err != nil {
		fail("saving the scores failed", err)
		return
	}
	if earlier != nil {
		o.Replaces = earlier.Version
	}
	res.OutputObject, res.RowsOut = o, o.Rows
	if _, err := p.Store.FinishRun(ctx, run.Claim(), res); err != nil {
		// A conflict rolled the registration back: the staged file is
		// nobody's. After another error the transaction may have
		// committed, so the file stays ('galley gc' removes it if not).
		if server.ErrorCode(err) == server.ECONFLICT {
			stager.DropObject(ctx, o.Object)
		}
		fail("recording the result failed", err)
		return
	}
	if earlier != nil && earlier.Object != o.Object {
		stager.DropObject(ctx, earlier.Object)
	}
}

// prepareOutput fetches a scoring run's scores back from the object store
// at key into its run directory (so the catalog gets exactly what the store
// holds, whichever machine wrote it), and returns them with their lineage
// and the version they replace, if any: one an earlier run of the same
// schedule slot, or an earlier attempt of this run, wrote.
func (p *Pool) prepareOutput(ctx context.Context, run *server.Run, key string) (string, *server.Lineage, *server.DatasetVersion, error) {
	v, err := p.Store.FindRecipeVersionByID(ctx, run.RecipeVersionID)
	if err != nil {
		return "", nil, nil, err
	}
	dir := p.runDir(run.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, nil, err
	}
	csvPath := filepath.Join(dir, "output.csv")
	if err := p.Objects.Fetch(ctx, key, csvPath); err != nil {
		return "", nil, nil, err
	}
	lin := &server.Lineage{RunID: run.ID, Recipe: v.Recipe, RecipeVersion: v.Version, RecipeVersionID: v.ID,
		TrainedModel: run.TrainedModel, Params: run.Params, InputSnapshot: run.InputSnapshot, Schedule: run.Schedule, NominalTime: run.NominalTime}
	earlier, err := p.earlierOutput(ctx, run.OutputName, lin)
	if err != nil || earlier == nil {
		return csvPath, lin, nil, err
	}
	lin.ReplacedRuns = append(append([]int64(nil), earlier.Lineage.ReplacedRuns...), earlier.Lineage.RunID)
	if earlier.Lineage.RunID == run.ID {
		lin.ReplacedRuns = earlier.Lineage.ReplacedRuns
	}
	return csvPath, lin, earlier, nil
}

// earlierOutput finds the version of dataset name that an earlier attempt of
// lin's run, or an earlier run of lin's schedule slot, wrote; nil when
// there is none.
func (p *Pool) earlierOutput(ctx context.Context, name string, lin *server.Lineage) (*server.DatasetVersion, error) {
	for page := (server.Page{Limit: 100}); ; page.Offset += page.Limit {
		vs, total, err := p.Datasets.FindDatasetVersions(ctx, name, page)
		if server.ErrorCode(err) == server.ENOTFOUND {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		for _, v := range vs {
			if v.Lineage.SameSlot(lin) || (v.Lineage != nil && v.Lineage.RunID == lin.RunID) {
				return v, nil
			}
		}
		if len(vs) == 0 || page.Offset+len(vs) >= total {
			return nil, nil
		}
	}
}

func errText(err error) string {
	if server.ErrorCode(err) == server.EINTERNAL {
		return err.Error()
	}
	return server.ErrorMessage(err)
}

func (p *Pool) failure(out outcome) (msg string, retryable bool) {
	switch {
	case out.cancel:
		return "cancelled", false
	case out.timedOut:
		return fmt.Sprintf("timed out after %s: raise the server's --run-timeout or make the recipe faster", p.Timeout), false
	case out.oom && out.rss > 0:
		return fmt.Sprintf("exceeded the memory limit of %d MiB (the worker process used %d MiB, goroutine stacks included): raise the server's --memory-limit, read less data or start fewer goroutines", p.MemoryLimit>>20, out.rss>>20), false
	case out.oom:
		return fmt.Sprintf("exceeded the memory limit of %d MiB: raise the server's --memory-limit or read less data", p.MemoryLimit>>20), false
	case out.store != nil:
		return errText(out.store), true
	case out.res != nil:
		return out.res.Error, out.res.Retryable
	case out.err != nil:
		// A crash of the worker process is not the recipe's doing as far
		// as we can tell, so it is worth another attempt.
		return "the worker process died: " + out.err.Error(), true
	}
	return "the worker process ended without a result", true
}

func (p *Pool) summary(run *server.Run, out outcome) string {
	if out.res != nil && out.res.OK {
		return fmt.Sprintf("attempt %d of %d succeeded", run.Attempt, run.MaxAttempts)
	}
	if out.stopped {
		return fmt.Sprintf("attempt %d interrupted: the process running it is stopping", run.Attempt)
	}
	msg, _ := p.failure(out)
	return fmt.Sprintf("attempt %d of %d failed: %s", run.Attempt, run.MaxAttempts, msg)
}

// job prepares the worker's instructions for run.
func (p *Pool) job(ctx context.Context, run *server.Run) (Job, error) {
	v, err := p.Store.FindRecipeVersionByID(ctx, run.RecipeVersionID)
	if err != nil {
		return Job{}, err
	}
	values, err := recipe.Resolve(v.Params, run.Params)
	if err != nil {
		return Job{}, server.Errorf(server.EINVALID, "%v", err)
	}
	if p.Objects == nil {
		return Job{}, errors.New("the pool has no object store")
	}
	dir := p.runDir(run.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Job{}, err
	}
	input := filepath.Join(dir, "input.csv")
	if _, err := os.Stat(input); err != nil {
		// The snapshot goes to the object store once per dataset version
		// (versions never change, so retries read exactly the same rows),
		// and comes back from it as any worker would fetch it.
		// A snapshot 'galley gc' removed between the two steps is
		// published again.
		for try := 1; ; try++ {
			if _, err := p.Objects.PublishSnapshot(ctx, run.InputSnapshot, dir, p.Datasets.ExportCSV); err != nil {
				return Job{}, fmt.Errorf("exporting %s for the recipe: %w", run.InputSnapshot, err)
			}
			err := p.Objects.FetchSnapshot(ctx, run.InputSnapshot, input)
			if err == nil {
				break
			}
			if try == 2 || server.ErrorCode(err) != server.ENOTFOUND {
				return Job{}, fmt.Errorf("fetching %s for the recipe: %w", run.InputSnapshot, err)
			}
		}
	}
	job := Job{Kind: string(run.Kind), Source: v.Source, Values: values, Input: input, MemoryLimit: p.MemoryLimit,
		NominalTime: run.NominalTime}
	switch run.Kind {
	case server.RunTrain:
		job.ModelOut = filepath.Join(dir, fmt.Sprintf("model-%d.json", run.Attempt))
		if run.Baseline != "" {
			// A missing baseline leaves nothing to compare; the run still
			// trains, and its result says why.
			if tm, err := p.Store.FindTrainedModel(ctx, run.Baseline); err == nil {
				if job.ModelIn, err = p.modelFile(ctx, tm, filepath.Join(dir, "baseline.json")); err != nil {
					return Job{}, err
				}
			}
		}
	case server.RunScore:
		tm, err := p.Store.FindTrainedModel(ctx, run.TrainedModel)
		if err != nil {
			return Job{}, err
		}
		if job.ModelIn, err = p.modelFile(ctx, tm, filepath.Join(dir, "model.json")); err != nil {
			return Job{}, err
		}
		job.Output = filepath.Join(dir, fmt.Sprintf("output-%d.csv", run.Attempt))
	}
	return job, nil
}

// modelFile returns a local file holding tm's saved model, fetched from the
// object store to path. Trained models made before object storage name a
// file of their own, which is used as it is.
func (p *Pool) modelFile(ctx context.Context, tm *server.TrainedModel, path string) (string, error) {
	if !objectstore.IsKey(tm.Artifact) {
		return tm.Artifact, nil
	}
	if err := p.Objects.Fetch(ctx, tm.Artifact, path); err != nil {
		return "", fmt.Errorf("fetching the model of %s: %w", tm.Ref(), err)
	}
	return path, nil
}

// hooks connect a worker process to what it works for.
type hooks struct {
	started   func(pid int)
	cancelled func() bool
	logs      func(lines []string)
	// logged is how many lines earlier attempts of the run stored: the
	// cap on log lines holds for the run as a whole.
	logged int
}

// spawn runs job in a worker process and collects its events.
func (p *Pool) spawn(ctx context.Context, job Job, h hooks) outcome {
	if len(p.Command) == 0 {
		return outcome{err: errors.New("no worker command configured")}
	}
	dir := workDir(job)
	if dir == "" {
		// A job without files of its own still gets a directory of its own.
		base := p.Dir
		if base == "" {
			base = os.TempDir()
		}
		os.MkdirAll(base, 0o755)
		d, err := os.MkdirTemp(base, "job-")
		if err != nil {
			return outcome{err: fmt.Errorf("making the worker's directory: %w", err)}
		}
		defer os.RemoveAll(d)
		dir = d
	}
	job.Sandbox = &Sandbox{Dir: dir, Network: p.Network}
	for _, f := range []string{job.Input, job.ModelIn} {
		if f != "" {
			job.Sandbox.Read = append(job.Sandbox.Read, f)
		}
	}
	cmd, stdin, stdout, stderr, err := p.startConfined(dir, func(line string) {
		if h.logs != nil {
			h.logs([]string{line})
		}
	})
	if err != nil {
		return outcome{err: fmt.Errorf("starting the worker: %w", err)}
	}
	if h.started != nil {
		h.started(cmd.Process.Pid)
	}
	b, _ := json.Marshal(job)
	stdin.Write(append(b, '\n'))

	var (
		out      outcome
		mu       sync.Mutex
		stopOnce sync.Once
	)
	kill := func(mark func()) {
		stopOnce.Do(func() {
			mu.Lock()
			mark()
			mu.Unlock()
			cmd.Process.Kill()
		})
	}
	done := make(chan struct{})
	go func() {
		timer := time.NewTimer(p.Timeout)
		defer timer.Stop()
		check := time.NewTicker(250 * time.Millisecond)
		defer check.Stop()
		// The whole process counts against the memory limit, as the
		// kernel sees it: goroutine stacks and runtime overhead too, which
		// the worker's own heap watchdog cannot see all of.
		var memory <-chan time.Time
		if p.MemoryLimit > 0 {
			t := time.NewTicker(50 * time.Millisecond)
			defer t.Stop()
			memory = t.C
		}
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				kill(func() { out.stopped = true })
				return
			case <-timer.C:
				kill(func() { out.timedOut = true })
				return
			case <-memory:
				if rss, ok := processRSS(cmd.Process.Pid); ok && rss > p.MemoryLimit {
					kill(func() { out.oom, out.rss = true, rss })
					return
				}
			case <-check.C:
				if h.cancelled != nil && h.cancelled() {
					kill(func() { out.cancel = true })
					return
				}
			}
		}
	}()

	// Stream log lines to the store in small batches, at least every
	// 200ms while lines are waiting.
	lines := make(chan []byte, 256)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 4<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	var batch []string
	kept, dropped := h.logged, 0
	keep := func(line string) {
		if kept >= p.MaxLogLines {
			dropped++
			return
		}
		kept++
		batch = append(batch, line)
	}
	flush := func() {
		if len(batch) > 0 && h.logs != nil {
			h.logs(batch)
		}
		batch = nil
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	var res *Result
	for open := true; open; {
		select {
		case line, ok := <-lines:
			if !ok {
				open = false
				break
			}
			var ev Event
			if err := json.Unmarshal(line, &ev); err != nil {
				keep(string(line))
			} else if ev.Result != nil {
				res = ev.Result
			} else {
				keep(ev.Log)
			}
			if len(batch) >= 100 {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
	if dropped > 0 {
		batch = append(batch, fmt.Sprintf("[log truncated: %d more lines dropped; the server keeps at most %d lines per run (--max-log-lines)]", dropped, p.MaxLogLines))
	}
	flush()
	stdin.Close()
	werr := cmd.Wait()
	close(done)
	if s := stderr.String(); s != "" && h.logs != nil {
		h.logs([]string{"worker stderr: " + s})
	}
	mu.Lock()
	defer mu.Unlock()
	out.res = res
	if ee, ok := werr.(*exec.ExitError); ok && ee.ExitCode() == exitOOM {
		out.oom = true
		out.res = nil
	} else if res == nil && werr == nil {
		out.err = errors.New("it exited without reporting a result")
	} else if res == nil {
		out.err = werr
	}
	if out.cancel || out.timedOut || out.stopped || out.oom {
		out.res = nil
	}
	return out
}

// start starts a worker process in dir with attr.
func (p *Pool) start(dir string, attr *syscall.SysProcAttr) (*exec.Cmd, io.WriteCloser, io.ReadCloser, *tail, error) {
	cmd := exec.Command(p.Command[0], p.Command[1:]...)
	extra := p.Env
	if p.CPUs > 0 {
		extra = append(slices.Clip(extra), "GOMAXPROCS="+strconv.Itoa(p.CPUs))
	}
	cmd.Env = workerEnv(dir, extra)
	cmd.Dir = dir
	cmd.SysProcAttr = attr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return cmd, nil, nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return cmd, nil, nil, nil, err
	}
	stderr := &tail{max: 4096}
	cmd.Stderr = stderr
	return cmd, stdin, stdout, stderr, cmd.Start()
}

// workDir is the run directory a job writes in, "" when it has none.
func workDir(job Job) string {
	for _, f := range []string{job.ModelOut, job.Output, job.Input} {
		if f != "" {
			return filepath.Dir(f)
		}
	}
	return ""
}

func (p *Pool) appendLogs(ctx context.Context, id int64, lines []string) {
	if err := p.Store.AppendRunLogs(ctx, id, lines); err != nil {
		p.Log.Error("storing run logs", "run", id, "err", err)
	}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
