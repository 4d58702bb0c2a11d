package storetest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

// wantConflict fails unless err is ECONFLICT with a message holding each
// of words: what still refers to the thing, and what to delete first.
func wantConflict(t *testing.T, err error, words ...string) {
	t.Helper()
	wantCode(t, err, server.ECONFLICT)
	for _, w := range words {
		if !strings.Contains(server.ErrorMessage(err), w) {
			t.Errorf("conflict %q does not say %q", server.ErrorMessage(err), w)
		}
	}
}

// testDeletes deletes recipes, models, trained models, datasets and runs:
// each is refused while something still refers to it, and goes once
// nothing does.
func testDeletes(t *testing.T, s Store) {
	setup(t, s)
	artifact := filepath.Join(t.TempDir(), "m1.json")
	must(t, os.WriteFile(artifact, []byte("{}"), 0o644))
	train, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, train.ID)
	_, err = s.FinishRun(ctx, held(t, s, train.ID), server.RunResult{State: server.RunSucceeded, Artifact: artifact})
	must(t, err)
	score, err := s.Score(ctx, server.ScoreRequest{TrainedModel: "m@1", Input: "d@1", Output: "scores"})
	must(t, err)
	claim(t, s, score.ID)
	out, err := s.ImportDataset(ctx, "scores", strings.NewReader("id,score\n1,0.3\n"))
	must(t, err)
	_, err = s.FinishRun(ctx, held(t, s, score.ID), server.RunResult{State: server.RunSucceeded, RowsIn: 1, RowsOut: 1, Output: out.Snapshot()})
	must(t, err)
	queued, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)

	wantConflict(t, s.DeleteRecipe(ctx, "r"), "model(s) m")
	wantCode(t, s.DeleteRecipe(ctx, "nope"), server.ENOTFOUND)
	wantConflict(t, s.DeleteModel(ctx, "m"), "m@1")
	wantCode(t, s.DeleteModel(ctx, "nope"), server.ENOTFOUND)
	wantConflict(t, s.DeleteTrainedModel(ctx, "m@1"), "scoring run(s)", strconv.FormatInt(score.ID, 10))
	wantCode(t, s.DeleteTrainedModel(ctx, "m@7"), server.ENOTFOUND)
	wantConflict(t, s.DeleteDataset(ctx, "d"), "model(s) m")
	wantConflict(t, s.DeleteRun(ctx, train.ID), "m@1")
	wantConflict(t, s.DeleteRun(ctx, score.ID), "scores@1")
	wantConflict(t, s.DeleteRun(ctx, queued.ID), "queued", "cancel")
	wantCode(t, s.DeleteRun(ctx, 999999), server.ENOTFOUND)

	// A cancelled run goes, and its log with it.
	must(t, s.AppendRunLogs(ctx, queued.ID, []string{"a line"}))
	_, err = s.CancelRun(ctx, queued.ID)
	must(t, err)
	must(t, s.DeleteRun(ctx, queued.ID))
	_, err = s.FindRun(ctx, queued.ID)
	wantCode(t, err, server.ENOTFOUND)

	// Once its output dataset is gone, the scoring run can go, and then
	// the trained model it used.
	must(t, s.DeleteDataset(ctx, "scores"))
	must(t, s.DeleteRun(ctx, score.ID))
	_, err = s.SetAlias(ctx, "m", "production", 1)
	must(t, err)
	wantConflict(t, s.DeleteTrainedModel(ctx, "m@1"), "production")
	next, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, next.ID)
	_, err = s.FinishRun(ctx, held(t, s, next.ID), server.RunResult{State: server.RunSucceeded})
	must(t, err)
	_, err = s.SetAlias(ctx, "m", "production", 2)
	must(t, err)
	must(t, s.DeleteTrainedModel(ctx, "m@1"))
	_, err = s.FindTrainedModel(ctx, "m@1")
	wantCode(t, err, server.ENOTFOUND)
	if _, err := os.Stat(artifact); !os.IsNotExist(err) {
		t.Errorf("the deleted trained model's artifact is still there: %v", err)
	}
	// Its training run no longer trained anything that exists.
	must(t, s.DeleteRun(ctx, train.ID))

	// A model or recipe nothing refers to goes.
	must(t, s.CreateModel(ctx, &server.Model{Name: "spare", Recipe: "r", Dataset: "d"}))
	must(t, s.DeleteModel(ctx, "spare"))
	_, err = s.FindModel(ctx, "spare")
	wantCode(t, err, server.ENOTFOUND)
	_, _, err = s.ImportNotebook(ctx, server.NotebookImport{Recipe: "lonely", Notebook: Notebook("y := 2")})
	must(t, err)
	must(t, s.DeleteRecipe(ctx, "lonely"))
	_, err = s.FindRecipe(ctx, "lonely")
	wantCode(t, err, server.ENOTFOUND)
	_, err = s.FindRecipeVersion(ctx, "lonely", 1)
	wantCode(t, err, server.ENOTFOUND)
}

// testDeletedNumbers: a deleted run's id and a deleted trained version's
// number are never given to anything else, even when they were the
// highest, so that a client holding one never finds something else there.
func testDeletedNumbers(t *testing.T, s Store) {
	setup(t, s)
	for want := 1; want <= 2; want++ {
		r, err := s.Train(ctx, server.TrainRequest{Model: "m"})
		must(t, err)
		claim(t, s, r.ID)
		done, err := s.FinishRun(ctx, held(t, s, r.ID), server.RunResult{State: server.RunSucceeded})
		must(t, err)
		if done.TrainedModel != "m@"+strconv.Itoa(want) {
			t.Fatalf("training %d made %s", want, done.TrainedModel)
		}
	}
	must(t, s.DeleteTrainedModel(ctx, "m@2"))
	r, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	claim(t, s, r.ID)
	done, err := s.FinishRun(ctx, held(t, s, r.ID), server.RunResult{State: server.RunSucceeded})
	must(t, err)
	if done.TrainedModel != "m@3" {
		t.Errorf("training after deleting m@2 made %s, want m@3", done.TrainedModel)
	}

	last, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	_, err = s.CancelRun(ctx, last.ID)
	must(t, err)
	must(t, s.DeleteRun(ctx, last.ID))
	again, err := s.Train(ctx, server.TrainRequest{Model: "m"})
	must(t, err)
	if again.ID <= last.ID {
		t.Errorf("run queued after deleting run %d got id %d, want a new one", last.ID, again.ID)
	}
}
