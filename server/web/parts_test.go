package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
)

// TestRunParts shows a partitioned run's parts on its page and follows
// them over the live feed: a part's claim and success each arrive as new
// rows of the table.
func TestRunParts(t *testing.T) {
	f := newFixture(t)
	s := f.seed(t)
	// The seeded queued run is claimed first.
	_, err := f.db.ClaimRun(ctx)
	must(t, err)
	f.db.SetScorePartitionRows(20)
	run, err := f.db.Score(ctx, server.ScoreRequest{TrainedModel: "m@2", Input: "d@1", Output: "parted"})
	must(t, err)
	f.db.SetScorePartitionRows(0)
	claimed, err := f.db.ClaimRun(ctx)
	must(t, err)
	if claimed.ID != run.ID {
		t.Fatalf("claimed %d, want %d", claimed.ID, run.ID)
	}
	page := f.get(t, fmt.Sprintf("/ui/runs/%d", run.ID), 200)
	if !strings.Contains(page, `id="parts" hidden`) || !strings.Contains(page, "in parts of at most 20 rows") {
		t.Errorf("a run not split yet should have its parts section hidden:\n%s", page)
	}
	if p := f.get(t, fmt.Sprintf("/ui/runs/%d", s.score), 200); strings.Contains(p, `id="parts"`) {
		t.Errorf("a run never split shows a parts section")
	}

	ws := dial(t, f.url, fmt.Sprintf("/ui/live/runs/%d", run.ID))
	if m := next(t, ws); m.Type != "run" || m.Run.State != server.RunRunning {
		t.Fatalf("first message = %+v, want the running state", m)
	}
	_, err = f.db.PlanParts(ctx, claimed.Claim(), []server.RunPart{{Part: 0, FirstRow: 0, Rows: 20}, {Part: 1, FirstRow: 20, Rows: 20}, {Part: 2, FirstRow: 40, Rows: 5}})
	must(t, err)
	nextParts := func(want ...string) {
		t.Helper()
		for {
			m := next(t, ws)
			if m.Type != "parts" {
				continue
			}
			for _, w := range want {
				if !strings.Contains(m.HTML, w) {
					t.Fatalf("parts rows lack %q:\n%s", w, m.HTML)
				}
			}
			if m.Total != 3 {
				t.Errorf("parts message total = %d, want 3", m.Total)
			}
			return
		}
	}
	nextParts(`data-part="1"`, "1–20", "21–40", "41–45", "state-queued")
	p, err := f.db.ClaimNextPart(ctx, run.ID, "host/7/abc", time.Minute)
	must(t, err)
	must(t, f.db.SetPartWorker(ctx, p.Claim(), 4242))
	nextParts("state-running", "host/7/abc, pid 4242")
	must(t, f.db.FinishPart(ctx, p.Claim(), server.RunFailed, 0, "the input holds a poisoned row"))
	nextParts("state-failed", "the input holds a poisoned row", "1/2")

	page = f.get(t, fmt.Sprintf("/ui/runs/%d", run.ID), 200)
	if strings.Contains(page, `id="parts" hidden`) || !strings.Contains(page, `<span id="parts-total">3</span>`) || !strings.Contains(page, "host/7/abc</td>") {
		t.Errorf("the run page after its split:\n%s", page)
	}
}
