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
	// Schedule and NominalTime name the schedule slot that started the
	// run: NominalTime is the slot's time, not when the run started.
	Schedule    string     `json:"schedule,omitempty"`
	NominalTime *time.Time `json:"nominal_time,omitempty"`
	// Promotion is the decision of the schedule's promotion rule on a
	// training run's trained version.
	Promotion *PromotionDecision `json:"promotion,omitempty"`
	Metrics   recipe.Metrics     `json:"metrics,omitempty"`
	RowsIn    int                `json:"rows_in"`
	RowsOut   int                `json:"rows_out"`
	Error     string             `json:"error,omitempty"`
	// WorkerPID is the worker process of a running run.
	WorkerPID       int        `json:"worker_pid,omitempty"`
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
	RowsIn  int            `json:"rows_in"`
	RowsOut int            `json:"rows_out"`
	// Artifact is the saved model file of a successful training run.
	Artifact string `json:"artifact,omitempty"`
	// Output is the dataset version ("name@N") a successful scoring run
	// saved, with its lineage, before reporting.
	Output string `json:"output,omitempty"`
	// Profile is the scores a successful scoring run that targets a
	// profile set writes there, in the transaction that finishes the run.
	Profile *ProfileWrite `json:"-"`
}

// RunQueue is the worker pool's side of runs. Stores implement it alongside
// RunService.
type RunQueue interface {
	// ClaimRun moves the oldest due queued run to running, counts the
	// attempt and returns it; nil when nothing is due.
	ClaimRun(ctx context.Context) (*Run, error)
	// SetRunWorker records the process running a run.
	SetRunWorker(ctx context.Context, id int64, pid int) error
	// AppendRunLogs adds lines to a run's log.
	AppendRunLogs(ctx context.Context, id int64, lines []string) error
	// FinishRun records the outcome of a running run's attempt: on success
	// the trained model is created, or the output dataset recorded and the
	// profile scores upserted.
	FinishRun(ctx context.Context, id int64, res RunResult) (*Run, error)
	// RetryRun returns a running run to the queue, due at at, recording why.
	RetryRun(ctx context.Context, id int64, at time.Time, reason string) error
	// ReleaseRun returns a running run to the queue as if its attempt had
	// not started, for a server stopping gracefully: the run was
	// interrupted, not failed, so no attempt is used up. A run whose
	// cancellation was requested is cancelled instead. ECONFLICT when the
	// run is not running.
	ReleaseRun(ctx context.Context, id int64, reason string) error
	// RecoverRuns settles runs a previous server process left running:
	// those with attempts left are queued again, the rest fail. It returns
	// how many it touched.
	RecoverRuns(ctx context.Context) (int, error)
	// FindRecipeVersionByID returns the recipe version a run executes.
	FindRecipeVersionByID(ctx context.Context, id int64) (*RecipeVersion, error)
}
