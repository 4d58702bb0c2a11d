package worker_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/worker"
)

// TestImportUsesThePool shows that validating a notebook is a run of the
// pool like any other: it waits for a free slot and has the pool's timeout.
func TestImportUsesThePool(t *testing.T) {
	e := setup(t, 1, func(p *worker.Pool) {
		p.Size = 1
		p.Timeout = 2 * time.Second
	})
	// A training run that loops holds the only slot until it times out.
	busy := train(t, e, "loop")
	wait(t, e.db, busy.ID, func(r *server.Run) bool { return r.WorkerPID != 0 })
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, _, err := e.imp.ImportNotebook(ctx, server.NotebookImport{Recipe: "waits", Notebook: notebookJSON("")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("import while the pool is busy = %v; want it to wait for a slot until its context ends", err)
	}
	if r := wait(t, e.db, busy.ID, final); r.State != server.RunFailed {
		t.Fatalf("looping run = %+v", r)
	}
	// Validation is bounded by the pool's timeout, with a message saying so.
	slow := notebookWith("", body+"\n\nfor {\n\ttime.Sleep(time.Millisecond)\n}")
	_, _, err = e.imp.ImportNotebook(context.Background(), server.NotebookImport{Recipe: "slow", Notebook: slow})
	if server.ErrorCode(err) != server.EINVALID || !strings.Contains(err.Error(), "took longer than the server's run timeout (2s)") {
		t.Errorf("slow validation: %v", err)
	}
	if _, err := e.db.FindRecipe(context.Background(), "slow"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Errorf("a failed import stored the recipe: %v", err)
	}
}
