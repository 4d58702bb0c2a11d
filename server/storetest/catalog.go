package storetest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/datasets"
	"github.com/galley-dev/galley/server/objectstore"
)

// OutputCommit checks the shared catalog's output commit: a scoring run's
// output version, staged in the object store, is registered by FinishRun
// in the transaction that records the run's success, so a finish under a
// lost claim registers nothing, and a run finishes, with one version, once.
// s must use ds as its dataset service.
func OutputCommit(t *testing.T, s Store, ds *datasets.Shared) {
	ctx := context.Background()
	if _, _, err := s.ImportNotebook(ctx, server.NotebookImport{Recipe: "r", Notebook: Notebook("x := 1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ds.ImportDataset(ctx, "d", strings.NewReader("a,y\n1,0\n2,1\n")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateModel(ctx, &server.Model{Name: "m", Recipe: "r", Dataset: "d"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Train(ctx, server.TrainRequest{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	tr, err := s.ClaimRun(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.FinishRun(ctx, tr.Claim(), server.RunResult{State: server.RunSucceeded, Artifact: objectstore.ArtifactKey(tr.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m@1", Input: "d", Output: "out"}); err != nil {
		t.Fatal(err)
	}
	run, err := s.ClaimRun(ctx)
	if err != nil || run == nil {
		t.Fatal(run, err)
	}
	csv := filepath.Join(t.TempDir(), "scores.csv")
	os.WriteFile(csv, []byte("a,score\n1,0.5\n2,0.25\n"), 0o644)
	stage := func() *server.DatasetObject {
		o, err := ds.StageOutput(ctx, "out", csv, run.ID, run.Attempt, &server.Lineage{RunID: run.ID})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	lost := run.Claim()
	lost.Owner = "another process"
	if _, err := s.FinishRun(ctx, lost, server.RunResult{State: server.RunSucceeded, OutputObject: stage()}); server.ErrorCode(err) != server.ECONFLICT {
		t.Fatalf("finish under a lost claim = %v, want a conflict", err)
	}
	if _, err := ds.FindDataset(ctx, "out"); server.ErrorCode(err) != server.ENOTFOUND {
		t.Fatalf("a finish that failed registered a version: %v", err)
	}
	done, err := s.FinishRun(ctx, run.Claim(), server.RunResult{State: server.RunSucceeded, OutputObject: stage()})
	if err != nil || done.OutputSnapshot != "out@1" || done.State != server.RunSucceeded {
		t.Fatalf("finish = %+v, %v; want succeeded with out@1", done, err)
	}
	if _, err := s.FinishRun(ctx, run.Claim(), server.RunResult{State: server.RunSucceeded, OutputObject: stage()}); server.ErrorCode(err) != server.ECONFLICT {
		t.Fatalf("second finish = %v, want a conflict", err)
	}
	vs, total, err := ds.FindDatasetVersions(ctx, "out", server.Page{Limit: 10})
	if err != nil || total != 1 || vs[0].Lineage == nil || vs[0].Lineage.RunID != run.ID || vs[0].Rows != 2 {
		t.Fatalf("versions of out = %d %+v, %v; want one, of run %d, with 2 rows", total, vs, err, run.ID)
	}
	out := filepath.Join(t.TempDir(), "out.csv")
	if err := ds.ExportCSV(ctx, "out@1", out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "0.25") {
		t.Errorf("out@1 = %q", b)
	}
}
