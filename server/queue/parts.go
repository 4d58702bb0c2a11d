package queue

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/galley-dev/galley/server"
)

// The parts of a partitioned scoring run (server.RunPart) travel through
// the queue as runs do: one job per (run, part, dispatch), in the score
// queue, claimed only if the part is still queued at that dispatch.

// PartStore is what the queue needs of galley's database for parts. A
// Store that implements it has its parts dispatched.
type PartStore interface {
	PendingPartDispatches(ctx context.Context, limit int) ([]server.PartDispatch, error)
	MarkPartsDispatched(ctx context.Context, ds []server.PartDispatch) error
	ClaimQueuedPart(ctx context.Context, run int64, part, seq int, owner string, lease time.Duration) (*server.RunPart, error)
}

// PartExecutor is an Executor that also executes parts. A process whose
// Executor is one takes part jobs.
type PartExecutor interface {
	Executor
	// ExecutePart runs a claimed attempt of a part in a held slot and
	// records its outcome under the part's claim.
	ExecutePart(ctx context.Context, part *server.RunPart)
}

// PartArgs is the job that delivers one trip of a part into the queue.
type PartArgs struct {
	Run      int64 `json:"run" river:"unique"`
	Part     int   `json:"part" river:"unique"`
	Dispatch int   `json:"dispatch" river:"unique"`
}

// Kind implements river.JobArgs. It is stored with every job: never change it.
func (PartArgs) Kind() string { return "galley.part" }

func (r riverClient[TTx]) insertParts(ctx context.Context, ds []server.PartDispatch) error {
	params := make([]river.InsertManyParams, len(ds))
	for i, d := range ds {
		params[i] = river.InsertManyParams{Args: PartArgs{Run: d.Run, Part: d.Part, Dispatch: d.Seq}, InsertOpts: &river.InsertOpts{
			Queue: string(server.RunScore), UniqueOpts: river.UniqueOpts{ByArgs: true}}}
	}
	_, err := r.c.InsertMany(ctx, params)
	return err
}

// dispatchParts inserts a job for every due queued part that has none yet.
func (q *Queue) dispatchParts(ctx context.Context) error {
	ps, ok := q.cfg.Store.(PartStore)
	if !ok {
		return nil
	}
	for {
		ds, err := ps.PendingPartDispatches(ctx, dispatchBatch)
		if err != nil || len(ds) == 0 {
			return err
		}
		if err := q.client.insertParts(ctx, ds); err != nil {
			return err
		}
		if err := ps.MarkPartsDispatched(ctx, ds); err != nil {
			return err
		}
		if len(ds) < dispatchBatch {
			return nil
		}
	}
}

// partWorker works PartArgs jobs.
type partWorker struct {
	river.WorkerDefaults[PartArgs]
	q *Queue
}

func (w *partWorker) Work(jobCtx context.Context, job *river.Job[PartArgs]) error {
	q := w.q
	ctx, runCtx, done := q.workContext(jobCtx)
	defer done()
	if !slices.Contains(q.cfg.Kinds, server.RunScore) {
		return fmt.Errorf("queue: part job in a process that takes %v", q.cfg.Kinds)
	}
	if runCtx.Err() != nil {
		return river.JobSnooze(q.cfg.Poll)
	}
	ex := q.cfg.Executor.(PartExecutor)
	if !ex.TryAcquire() {
		return river.JobSnooze(q.cfg.Poll)
	}
	defer ex.Release()
	part, err := q.cfg.Store.(PartStore).ClaimQueuedPart(ctx, job.Args.Run, job.Args.Part, job.Args.Dispatch, q.cfg.Owner, q.cfg.Lease)
	if err != nil || part == nil {
		return err
	}
	ex.ExecutePart(ctx, part)
	return nil
}
