package server

import (
	"context"
	"time"
)

// A scoring run over a large input is split into parts: each scores a
// range of the input snapshot's rows in a worker process of its own, on
// any process that takes scoring runs. The process holding the run (its
// coordinator) splits it, executes parts itself while any are queued, and
// commits the run's output, assembled from the parts' in order, only once
// every part has succeeded. Parts are claimed, leased, dispatched, retried
// and recovered as runs are, each on its own: a failed part runs again
// alone.

// RunPart is one part of a partitioned scoring run.
type RunPart struct {
	Run int64 `json:"run"`
	// Part numbers the run's parts from 0; the run's log and pages show
	// Part+1 ("part 1 of 4").
	Part int `json:"part"`
	// FirstRow and Rows are the input rows the part scores (FirstRow
	// counts from 0, after the header).
	FirstRow int64 `json:"first_row"`
	Rows     int64 `json:"rows"`
	// HeaderEnd, ByteStart and ByteEnd place the part in the input
	// snapshot's CSV: the header is bytes [0, HeaderEnd), the part's rows
	// bytes [ByteStart, ByteEnd).
	HeaderEnd   int64    `json:"-"`
	ByteStart   int64    `json:"-"`
	ByteEnd     int64    `json:"-"`
	State       RunState `json:"state"`
	Attempt     int      `json:"attempt"`
	MaxAttempts int      `json:"max_attempts"`
	Owner       string   `json:"owner,omitempty"`
	WorkerPID   int      `json:"worker_pid,omitempty"`
	RowsOut     int64    `json:"rows_out"`
	Error       string   `json:"error,omitempty"`
	// RanBy is the process that took the latest attempt (Owner while it
	// runs, kept after it ends); StartedAt is when that attempt started
	// and FinishedAt when it ended, if it has.
	RanBy      string     `json:"ran_by,omitempty"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	// Dispatch counts the part's trips into the job queue.
	Dispatch int `json:"-"`
}

// Duration is how long p's latest attempt ran: until now while it runs,
// 0 when it never started or was queued again.
func (p *RunPart) Duration(now time.Time) time.Duration {
	switch {
	case p.StartedAt == nil:
		return 0
	case p.FinishedAt != nil:
		return p.FinishedAt.Sub(*p.StartedAt)
	case p.State == RunRunning:
		return now.Sub(*p.StartedAt)
	}
	return 0
}

// PartsProgress counts a partitioned run's parts by state.
type PartsProgress struct {
	Total     int `json:"total"`
	Queued    int `json:"queued"`
	Running   int `json:"running"`
	Succeeded int `json:"succeeded"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

// PartClaim names one attempt of a part held by one process, as Claim
// does for runs.
type PartClaim struct {
	Run     int64
	Part    int
	Attempt int
	Owner   string
}

// Claim is the claim the process that holds p writes with.
func (p *RunPart) Claim() PartClaim {
	return PartClaim{Run: p.Run, Part: p.Part, Attempt: p.Attempt, Owner: p.Owner}
}

// PartDispatch is one trip of a queued part into the job queue.
type PartDispatch struct {
	Run  int64
	Part int
	Seq  int
}

// PartQueue is the side of partitioned runs that processes executing runs
// use. Stores implement it alongside RunQueue; RunQueue's RenewLeases,
// RunOwners, RecoverRuns and RedispatchStale cover parts as well as runs.
type PartQueue interface {
	// PlanParts records run c's parts, unless it has them already (a
	// coordinator taking over a run keeps what earlier ones did), and
	// returns the run's parts. ECONFLICT unless the run is running under c.
	PlanParts(ctx context.Context, c Claim, parts []RunPart) ([]*RunPart, error)
	// FindParts lists a run's parts in order.
	FindParts(ctx context.Context, run int64) ([]*RunPart, error)
	// PendingPartDispatches lists due queued parts whose current dispatch
	// has no job yet; MarkPartsDispatched records that jobs exist.
	PendingPartDispatches(ctx context.Context, limit int) ([]PartDispatch, error)
	MarkPartsDispatched(ctx context.Context, ds []PartDispatch) error
	// ClaimQueuedPart moves a part queued at dispatch seq to running for
	// owner, counts the attempt and holds it for lease; nil when the part
	// has moved on. ClaimNextPart does so for the first due queued part of
	// run, whatever its dispatch, for the run's coordinator.
	ClaimQueuedPart(ctx context.Context, run int64, part, seq int, owner string, lease time.Duration) (*RunPart, error)
	ClaimNextPart(ctx context.Context, run int64, owner string, lease time.Duration) (*RunPart, error)
	// SetPartWorker records the process running a part.
	SetPartWorker(ctx context.Context, c PartClaim, pid int) error
	// FinishPart records a final state of a part's attempt: succeeded
	// with its output row count, failed or cancelled with why. RetryPart
	// queues it again, due at at; ReleasePart queues it again without
	// using up the attempt (its process is stopping). ECONFLICT unless the
	// part is running under c.
	FinishPart(ctx context.Context, c PartClaim, state RunState, rowsOut int64, msg string) error
	RetryPart(ctx context.Context, c PartClaim, at time.Time, reason string) error
	ReleasePart(ctx context.Context, c PartClaim, reason string) error
	// CancelParts cancels a run's queued parts; running ones stop when
	// their process sees the run's cancellation or failure.
	CancelParts(ctx context.Context, run int64, reason string) error
}
