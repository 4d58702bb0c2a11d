package worker_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
)

// TestObjects: a training run's model and a scoring run's scores are
// objects keyed by run, the run's input snapshot is published once, and a
// trained model made before object storage, whose artifact is a file
// path, still scores.
func TestObjects(t *testing.T) {
	e := setup(t, 2, nil)
	ctx := context.Background()
	r := wait(t, e.db, train(t, e, "ok").ID, final)
	tm, err := e.db.FindTrainedModel(ctx, "m@1")
	if err != nil || r.State != server.RunSucceeded || tm.Artifact != objectstore.ArtifactKey(r.ID) {
		t.Fatalf("run %+v trained %+v, %v; want its artifact at %s", r, tm, err, objectstore.ArtifactKey(r.ID))
	}
	for _, key := range []string{tm.Artifact, "snapshots/d/v1.csv"} {
		if ok, err := e.pool.Objects.Exists(ctx, key); !ok || err != nil {
			t.Errorf("the store has no %s: %v", key, err)
		}
	}
	// The directory goes right after the run is recorded as finished.
	gone := false
	for deadline := time.Now().Add(10 * time.Second); !gone && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		_, err := os.Stat(filepath.Join(e.pool.Dir, "runs", "1"))
		gone = os.IsNotExist(err)
	}
	if !gone {
		t.Errorf("the finished run kept its directory")
	}

	// The model as a file, as galley kept it before object storage.
	legacy := filepath.Join(t.TempDir(), "model-1.json")
	if err := e.pool.Objects.Fetch(ctx, tm.Artifact, legacy); err != nil {
		t.Fatal(err)
	}
	if err := e.pool.Objects.Delete(ctx, tm.Artifact); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", filepath.Join(filepath.Dir(e.pool.Dir), "galley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE trained_models SET artifact = ? WHERE id = ?`, legacy, tm.ID); err != nil {
		t.Fatal(err)
	}
	s, err := e.db.Score(ctx, server.ScoreRequest{TrainedModel: "m@1", Input: "d", Output: "scores"})
	if err != nil {
		t.Fatal(err)
	}
	s = wait(t, e.db, s.ID, final)
	if s.State != server.RunSucceeded || s.RowsOut != 3 {
		t.Fatalf("scoring with a model file = %+v", s)
	}
	if ok, _ := e.pool.Objects.Exists(ctx, objectstore.OutputKey(s.ID)); !ok {
		t.Errorf("the scores are not in the store")
	}
	if _, err := os.Stat(legacy); err != nil {
		t.Errorf("scoring removed the model file: %v", err)
	}
}
