package storetest

import (
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// testParts covers the parts of a partitioned scoring run: planning once,
// dispatch, claims by job and by the coordinator, leases and take-backs,
// retries and releases, each part on its own.
func testParts(t *testing.T, s Store) {
	pq, ok := s.(server.PartQueue)
	if !ok {
		t.Skip("this store keeps no parts of runs")
	}
	trained(t, s)
	run, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "scores"})
	must(t, err)
	pending, err := s.PendingDispatches(ctx, 10)
	must(t, err)
	if len(pending) != 1 || pending[0].Run != run.ID {
		t.Fatalf("pending = %+v, want run %d", pending, run.ID)
	}
	r, err := s.ClaimQueuedRun(ctx, run.ID, pending[0].Seq, "c", time.Minute)
	must(t, err)
	plan := []server.RunPart{
		{Part: 0, FirstRow: 0, Rows: 2, HeaderEnd: 4, ByteStart: 4, ByteEnd: 12},
		{Part: 1, FirstRow: 2, Rows: 1, HeaderEnd: 4, ByteStart: 12, ByteEnd: 16},
	}
	_, err = pq.PlanParts(ctx, server.Claim{Run: run.ID, Attempt: 7, Owner: "c"}, plan)
	wantCode(t, err, server.ECONFLICT)
	ps, err := pq.PlanParts(ctx, r.Claim(), plan)
	must(t, err)
	if len(ps) != 2 || ps[1].FirstRow != 2 || ps[1].ByteStart != 12 || ps[1].ByteEnd != 16 || ps[1].HeaderEnd != 4 || ps[0].State != server.RunQueued || ps[0].MaxAttempts != 2 {
		t.Fatalf("planned %+v", ps)
	}
	// A coordinator taking the run over keeps the parts it finds.
	if again, err := pq.PlanParts(ctx, r.Claim(), plan[:1]); err != nil || len(again) != 2 {
		t.Fatalf("planned again = %d parts (%v), want the 2 recorded", len(again), err)
	}
	if got, _ := s.FindRun(ctx, run.ID); got.Parts == nil || *got.Parts != (server.PartsProgress{Total: 2, Queued: 2}) {
		t.Fatalf("run's parts = %+v", got.Parts)
	}
	pds, err := pq.PendingPartDispatches(ctx, 10)
	must(t, err)
	if len(pds) != 2 {
		t.Fatalf("pending part dispatches = %+v", pds)
	}
	must(t, pq.MarkPartsDispatched(ctx, pds))
	if again, _ := pq.PendingPartDispatches(ctx, 10); len(again) != 0 {
		t.Errorf("dispatched parts listed again: %+v", again)
	}
	a, err := pq.ClaimQueuedPart(ctx, run.ID, 0, pds[0].Seq, "w1", time.Minute)
	must(t, err)
	if a == nil || a.State != server.RunRunning || a.Attempt != 1 || a.Owner != "w1" || a.RanBy != "w1" || a.StartedAt == nil || a.FinishedAt != nil {
		t.Fatalf("claimed part = %+v", a)
	}
	if p, err := pq.ClaimQueuedPart(ctx, run.ID, 0, pds[0].Seq, "w2", time.Minute); p != nil || err != nil {
		t.Fatalf("a repeated delivery claimed %+v (%v)", p, err)
	}
	b, err := pq.ClaimNextPart(ctx, run.ID, "c", time.Minute)
	must(t, err)
	if b == nil || b.Part != 1 || b.Owner != "c" {
		t.Fatalf("the coordinator claimed %+v", b)
	}
	if p, _ := pq.ClaimNextPart(ctx, run.ID, "c", time.Minute); p != nil {
		t.Fatalf("claimed %+v with no part queued", p)
	}
	owners, err := s.RunOwners(ctx)
	must(t, err)
	if len(owners) != 2 {
		t.Errorf("owners = %v, want c and w1", owners)
	}
	// w1 dies: its part alone goes back to the queue, its attempt used.
	must(t, s.RenewLeases(ctx, "c", time.Minute))
	if n, err := s.RecoverRuns(ctx, []string{"w1"}); err != nil || n != 1 {
		t.Fatalf("recovered %d (%v), want w1's part", n, err)
	}
	wantCode(t, pq.FinishPart(ctx, a.Claim(), server.RunSucceeded, 2, ""), server.ECONFLICT)
	if pds, _ := pq.PendingPartDispatches(ctx, 10); len(pds) != 1 || pds[0].Part != 0 {
		t.Errorf("pending after the take-back = %+v, want part 0's next trip", pds)
	}
	// Part 1 fails in a way worth retrying; part 0 runs again and succeeds.
	must(t, pq.RetryPart(ctx, b.Claim(), time.Now(), "flaky"))
	a2, err := pq.ClaimNextPart(ctx, run.ID, "w2", time.Minute)
	must(t, err)
	if a2 == nil || a2.Part != 0 || a2.Attempt != 2 {
		t.Fatalf("reclaimed %+v, want part 0 on attempt 2", a2)
	}
	must(t, pq.FinishPart(ctx, a2.Claim(), server.RunSucceeded, 2, ""))
	// Part 1 is interrupted by a process stopping: no attempt is used.
	b2, err := pq.ClaimNextPart(ctx, run.ID, "w2", time.Minute)
	must(t, err)
	must(t, pq.SetPartWorker(ctx, b2.Claim(), 42))
	must(t, pq.ReleasePart(ctx, b2.Claim(), "stopping"))
	b3, err := pq.ClaimNextPart(ctx, run.ID, "w3", time.Minute)
	must(t, err)
	if b3 == nil || b3.Part != 1 || b3.Attempt != 2 || b3.WorkerPID != 0 {
		t.Fatalf("reclaimed %+v, want part 1 on attempt 2 with no worker yet", b3)
	}
	wantCode(t, pq.FinishPart(ctx, b3.Claim(), server.RunQueued, 0, ""), server.EINVALID)
	must(t, pq.FinishPart(ctx, b3.Claim(), server.RunSucceeded, 1, ""))
	got, err := s.FindRun(ctx, run.ID)
	must(t, err)
	if got.Parts == nil || *got.Parts != (server.PartsProgress{Total: 2, Succeeded: 2}) {
		t.Errorf("run's parts = %+v", got.Parts)
	}
	ps, _ = pq.FindParts(ctx, run.ID)
	if ps[0].RowsOut != 2 || ps[1].RowsOut != 1 || ps[0].Owner != "" {
		t.Errorf("finished parts = %+v %+v", ps[0], ps[1])
	}
	// A finished part keeps the process that ran its latest attempt and
	// when that attempt started and ended.
	for i, want := range []string{"w2", "w3"} {
		p := ps[i]
		if p.RanBy != want || p.StartedAt == nil || p.FinishedAt == nil || p.FinishedAt.Before(*p.StartedAt) {
			t.Errorf("finished part %d ran by %q from %v to %v, want by %s with both times", i, p.RanBy, p.StartedAt, p.FinishedAt, want)
		}
	}
	// A cancelled run's queued parts are cancelled and claimable no more.
	run2, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m", Input: "d", Output: "scores2"})
	must(t, err)
	pending, _ = s.PendingDispatches(ctx, 10)
	r2, err := s.ClaimQueuedRun(ctx, run2.ID, pending[0].Seq, "c", time.Minute)
	must(t, err)
	_, err = pq.PlanParts(ctx, r2.Claim(), plan)
	must(t, err)
	_, err = s.CancelRun(ctx, run2.ID)
	must(t, err)
	if p, _ := pq.ClaimNextPart(ctx, run2.ID, "w1", time.Minute); p != nil {
		t.Errorf("claimed part %+v of a run being cancelled", p)
	}
	must(t, pq.CancelParts(ctx, run2.ID, "cancelled"))
	if got, _ := s.FindRun(ctx, run2.ID); got.Parts == nil || got.Parts.Cancelled != 2 {
		t.Errorf("cancelled run's parts = %+v", got.Parts)
	}
}
