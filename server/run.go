package server

import (
	"context"
	"strconv"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// RunKind is what a run does; kinds are stable strings stored with runs.
type RunKind string

const (
	// RunTrain is a TrainingRun: Load, Split, Train and Evaluate a model
	// on its dataset, producing a TrainedModel.
	RunTrain RunKind = "train"
	// RunScore is a ScoringRun: Load an input dataset and Score it with a
	// TrainedModel, producing an output dataset version with lineage.
	RunScore RunKind = "score"
)

// RunState is where a run is in its life.
type RunState string

const (
	RunQueued    RunState = "queued"
	RunRunning   RunState = "running"
	RunSucceeded RunState = "succeeded"
	RunFailed    RunState = "failed"
	RunCancelled RunState = "cancelled"
)

// Final reports whether s is a state a run never leaves.
func (s RunState) Final() bool {
	return s == RunSucceeded || s == RunFailed || s == RunCancelled
}

// Run is one training or scoring run, executed by a worker process.
type Run struct {
	ID          int64    `json:"id"`
	Kind        RunKind  `json:"kind"`
	State       RunState `json:"state"`
	Attempt     int      `json:"attempt"`
	MaxAttempts int      `json:"max_attempts"`

	Model           string            `json:"model"`
	RecipeVersionID int64             `json:"recipe_version_id"`
	Params          map[string]string `json:"params"`
	// InputSnapshot is the dataset version read ("name@N"), fixed when the
	// run is created so retries read the same data.
	InputSnapshot string `json:"input_snapshot"`
	// TrainedModel is the trained model a scoring run uses, or the one a
	// training run produced ("model@N").
	TrainedModel string `json:"trained_model,omitempty"`
	// OutputName and OutputSnapshot are the dataset a scoring run writes.
	OutputName     string `json:"output_name,omitempty"`
	OutputSnapshot string `json:"output_snapshot,omitempty"`
	// Profile is the profile set a scoring run writes its scores into.
	Profile *ProfileTarget `json:"profile,omitempty"`
	// PartitionRows is the most input rows one part of a scoring run
	// scores, fixed when the run is created (0: the run is never split);
	// Parts counts its parts by state once it is split (see RunPart).
	PartitionRows int            `json:"partition_rows,omitempty"`
	Parts         *PartsProgress `json:"parts,omitempty"`
	// Schedule and NominalTime name the schedule slot that started the
	// run: NominalTime is the slot's time, not when the run started.
	Schedule    string     `json:"schedule,omitempty"`
	NominalTime *time.Time `json:"nominal_time,omitempty"`
	// Promotion is the decision of the schedule's promotion rule on a
	// training run's trained version.
	Promotion *PromotionDecision `json:"promotion,omitempty"`
	// Baseline, on a training run of a schedule with a promotion rule, is
	// the trained version the rule's alias pointed at when the slot fired
	// ("model@N"). The run evaluates it on its own evaluation split beside
	// the new model: BaselineMetrics, or BaselineError saying why not.
	Baseline        string         `json:"baseline,omitempty"`
	BaselineMetrics recipe.Metrics `json:"baseline_metrics,omitempty"`
	BaselineError   string         `json:"baseline_error,omitempty"`
	Metrics         recipe.Metrics `json:"metrics,omitempty"`
	// Curves are what a training run's evaluation drew (ROC, lift).
	Curves  recipe.Curves `json:"curves,omitempty"`
	RowsIn  int           `json:"rows_in"`
	RowsOut int           `json:"rows_out"`
	Error   string        `json:"error,omitempty"`
	// WorkerPID is the worker process of a running run, on the machine
	// of Owner, the process (a server or a galley worker) that holds it.
	WorkerPID int    `json:"worker_pid,omitempty"`
	Owner     string `json:"owner,omitempty"`
	// Dispatch counts the run's trips into the job queue (see
	// RunQueue.ClaimQueuedRun).
	Dispatch        int        `json:"-"`
	CancelRequested bool       `json:"cancel_requested,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	ScheduledAt     time.Time  `json:"scheduled_at"`
	StartedAt       *time.Time `json:"started_at,omitempty"`
	FinishedAt      *time.Time `json:"finished_at,omitempty"`
	// DurationMS is the time the last attempt ran.
	DurationMS int64 `json:"duration_ms"`
}

// LogLine is one line a run printed.
type LogLine struct {
	Seq  int       `json:"seq"`
	Time time.Time `json:"time"`
	Text string    `json:"text"`
}

// TrainRequest asks for a model to be trained.
type TrainRequest struct {
	Model string `json:"model"`
	// Params override the model's values for this run only.
	Params map[string]string `json:"params,omitempty"`
}

// ScoreRequest asks for a dataset to be scored.
type ScoreRequest struct {
	// TrainedModel is "model", "model@N" or "model@alias".
	TrainedModel string `json:"trained_model"`
	Input        string `json:"input"`
	// Output is the dataset the scores are saved as, a new version each
	// run; it may be left out when Profile is given.
	Output string `json:"output,omitempty"`
	// OutputObject is, on the shared catalog, the output a successful
	// scoring run wrote to the object store, instead of Output: FinishRun
	// registers it as a dataset version in the transaction that records
	// the success, so a run succeeds with its output or leaves none.
	OutputObject *DatasetObject `json:"-"`
	// Profile upserts the scores into a profile set when the run
	// succeeds.
	Profile *ProfileTarget `json:"profile,omitempty"`
	// Force lets Output be a dataset a model trains on, which is refused
	// otherwise: scores would become the next training's data.
	Force bool `json:"force,omitempty"`
}

// RunFilter selects runs. Lists order by "id" (default, newest first as
// "-id"), "created_at" or "state".
type RunFilter struct {
	Kind  RunKind
	State RunState
	Model string
	// Schedule selects the runs a schedule started, by its name.
	Schedule string
	Page
}

// RunService queues and inspects runs.
type RunService interface {
	// Train queues a training run of a model. EINVALID for parameter
	// values of the wrong type, ENOTFOUND for an unknown model or dataset.
	Train(ctx context.Context, req TrainRequest) (*Run, error)
	// Score queues a scoring run. ENOTFOUND for an unknown trained model
	// or input dataset, EINVALID for a bad output or profile name or
	// neither given, ECONFLICT when Output is a model's training dataset
	// and Force is not set.
	Score(ctx context.Context, req ScoreRequest) (*Run, error)
	FindRun(ctx context.Context, id int64) (*Run, error)
	FindRuns(ctx context.Context, f RunFilter) ([]*Run, int, error)
	// CancelRun cancels a queued run at once and asks a running one's
	// worker to stop. Cancelling a finished run is ECONFLICT.
	CancelRun(ctx context.Context, id int64) (*Run, error)
	// RunLogs returns log lines with Seq greater than after.
	RunLogs(ctx context.Context, id int64, after int) ([]LogLine, error)
	// FindParts lists a partitioned scoring run's parts in order (none
	// for a run that is not split, or not yet).
	FindParts(ctx context.Context, run int64) ([]*RunPart, error)
	// DeleteRun deletes a finished run and its log. ECONFLICT while it is
	// queued or running, when a trained model or dataset came from it, or
	// while a schedule's history records it (deleting the schedule frees it).
	DeleteRun(ctx context.Context, id int64) error
}

func itoa(n int) string { return strconv.Itoa(n) }

// RunResult is the outcome of one attempt of a run, as a worker reports it.
type RunResult struct {
	State   RunState       `json:"state"`
	Error   string         `json:"error,omitempty"`
	Metrics recipe.Metrics `json:"metrics,omitempty"`
	Curves  recipe.Curves  `json:"curves,omitempty"`
	// BaselineMetrics and BaselineError: see Run.
	BaselineMetrics recipe.Metrics `json:"baseline_metrics,omitempty"`
	BaselineError   string         `json:"baseline_error,omitempty"`
	RowsIn          int            `json:"rows_in"`
	RowsOut         int            `json:"rows_out"`
	// Artifact is the object key of the model a successful training run
	// saved (objectstore.ArtifactKey).
	Artifact string `json:"artifact,omitempty"`
	// Output is the dataset version ("name@N") a successful scoring run
	// saved, with its lineage, before reporting.
	Output string `json:"output,omitempty"`
	// OutputObject is, on the shared catalog, the output a successful
	// scoring run wrote to the object store, instead of Output: FinishRun
	// registers it as a dataset version in the transaction that records
	// the success, so a run succeeds with its output or leaves none.
	OutputObject *DatasetObject `json:"-"`
	// Profile is the scores a successful scoring run that targets a
	// profile set writes there, in the transaction that finishes the run.
	Profile *ProfileWrite `json:"-"`
}

// Claim names one attempt of a run held by one process: what it writes
// about the run counts only while the run is still that attempt of that
// owner, so a process that lost its run (its lease ran out and another
// took the run) cannot finish it a second time.
type Claim struct {
	Run     int64
	Attempt int
	Owner   string
}

// Claim is the claim the process that holds r writes with.
func (r *Run) Claim() Claim { return Claim{Run: r.ID, Attempt: r.Attempt, Owner: r.Owner} }

// Dispatch is one trip of a queued run into the job queue: the queue
// delivers a job per (Run, Seq). At is when the run became due.
type Dispatch struct {
	Run  int64
	Kind RunKind
	Seq  int
	At   time.Time
}

// RunQueue is the worker pool's side of runs. Stores implement it alongside
// RunService.
//
// A run's row is the truth about its state; a job queue only delivers
// work. Every time a run enters the queue (created, retried, released,
// recovered) its dispatch count goes up, PendingDispatches lists it until
// MarkDispatched, and the job for (run, dispatch) is claimed with
// ClaimQueuedRun, which fails for a stale or repeated delivery.
type RunQueue interface {
	// PendingDispatches lists queued runs that are due and whose current
	// dispatch has no job yet, oldest first, at most limit.
	PendingDispatches(ctx context.Context, limit int) ([]Dispatch, error)
	// MarkDispatched records that jobs exist for ds.
	MarkDispatched(ctx context.Context, ds []Dispatch) error
	// ClaimQueuedRun moves run id to running for owner, if it is queued
	// at dispatch seq, counts the attempt and holds it for lease; nil when
	// the run has moved on (cancelled, claimed, dispatched again).
	ClaimQueuedRun(ctx context.Context, id int64, seq int, owner string, lease time.Duration) (*Run, error)
	// RedispatchStale gives a new dispatch to queued runs dispatched
	// before before and still not claimed: their job may have gone to a
	// process that died before claiming them. The old job, if it is ever
	// delivered, claims nothing.
	RedispatchStale(ctx context.Context, before time.Time) (int, error)
	// RenewLeases extends the leases of all runs owner holds.
	RenewLeases(ctx context.Context, owner string, lease time.Duration) error
	// RunOwners lists the owners of running runs.
	RunOwners(ctx context.Context) ([]string, error)
	// ClaimRun moves the oldest due queued run to running, counts the
	// attempt and returns it; nil when nothing is due. It takes no owner
	// and no lease, so RecoverRuns counts the run as left over: processes
	// that execute runs claim through the job queue (ClaimQueuedRun); this
	// serves tests that drive a store directly.
	ClaimRun(ctx context.Context) (*Run, error)
	// SetRunWorker records the process running a run.
	SetRunWorker(ctx context.Context, id int64, pid int) error
	// AppendRunLogs adds lines to a run's log.
	AppendRunLogs(ctx context.Context, id int64, lines []string) error
	// FinishRun records the outcome of a running run's attempt: on success
	// the trained model is created, or the output dataset recorded and the
	// profile scores upserted. ECONFLICT unless the run is still running
	// under c, so an attempt is finished at most once.
	FinishRun(ctx context.Context, c Claim, res RunResult) (*Run, error)
	// RetryRun returns a running run to the queue, due at at, recording why.
	RetryRun(ctx context.Context, c Claim, at time.Time, reason string) error
	// ReleaseRun returns a running run to the queue as if its attempt had
	// not started, for a server stopping gracefully: the run was
	// interrupted, not failed, so no attempt is used up. A run whose
	// cancellation was requested is cancelled instead. ECONFLICT when the
	// run is not running under c.
	ReleaseRun(ctx context.Context, c Claim, reason string) error
	// RecoverRuns settles running runs whose owner is gone: those whose
	// lease ran out and those held by the owners in dead. Runs with
	// attempts left are queued again, the rest fail. It returns how many
	// it touched.
	RecoverRuns(ctx context.Context, dead []string) (int, error)
	// FindRecipeVersionByID returns the recipe version a run executes.
	FindRecipeVersionByID(ctx context.Context, id int64) (*RecipeVersion, error)
}
