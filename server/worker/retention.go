package worker

import (
	"context"
	"log/slog"
	"os"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
)

// TrainedModels is the trained-model service whose deletes also remove the
// version's model from the object store. The store deletes the record;
// the object goes after it, so a failed delete leaves both. An object left
// behind by a failure here is removed by 'galley gc'.
type TrainedModels struct {
	server.TrainedModelService
	Objects *objectstore.Store
	Log     *slog.Logger
}

// DeleteTrainedModel implements server.TrainedModelService.
func (s *TrainedModels) DeleteTrainedModel(ctx context.Context, ref string) error {
	t, err := s.FindTrainedModel(ctx, ref)
	if err != nil {
		return err
	}
	if err := s.TrainedModelService.DeleteTrainedModel(ctx, ref); err != nil {
		return err
	}
	if objectstore.IsKey(t.Artifact) {
		removeObject(ctx, s.Objects, s.Log, t.Artifact)
	}
	return nil
}

// Runs is the run service whose deletes also remove the run's objects,
// and which publishes a new run's input snapshot to the object store as
// soon as the run is queued, so a worker on another machine, without the
// dataset catalog, finds it there.
type Runs struct {
	server.RunService
	Objects *objectstore.Store
	// Datasets exports snapshots for publishing, into temporary files in
	// Dir; nil leaves publishing to the worker that runs the attempt.
	Datasets Datasets
	Dir      string
	Log      *slog.Logger
}

// Train implements server.RunService.
func (s *Runs) Train(ctx context.Context, req server.TrainRequest) (*server.Run, error) {
	run, err := s.RunService.Train(ctx, req)
	if err == nil {
		s.publish(ctx, run)
	}
	return run, err
}

// Score implements server.RunService.
func (s *Runs) Score(ctx context.Context, req server.ScoreRequest) (*server.Run, error) {
	run, err := s.RunService.Score(ctx, req)
	if err == nil {
		s.publish(ctx, run)
	}
	return run, err
}

// publish exports run's input snapshot unless the store holds it. A
// failure is only logged: the worker that takes the run publishes it from
// its own catalog, or fails the attempt saying why.
func (s *Runs) publish(ctx context.Context, run *server.Run) {
	if s.Datasets == nil || run.InputSnapshot == "" {
		return
	}
	if err := os.MkdirAll(s.Dir, 0o755); err == nil {
		_, err = s.Objects.PublishSnapshot(ctx, run.InputSnapshot, s.Dir, s.Datasets.ExportCSV)
		if err == nil {
			return
		}
	}
	if s.Log != nil {
		s.Log.Error("publishing a run's input snapshot; its worker will try again", "run", run.ID, "snapshot", run.InputSnapshot)
	}
}

// DeleteRun implements server.RunService. A run whose trained version
// still exists cannot be deleted, so its model is no longer needed either.
func (s *Runs) DeleteRun(ctx context.Context, id int64) error {
	if err := s.RunService.DeleteRun(ctx, id); err != nil {
		return err
	}
	keys := []string{objectstore.ArtifactKey(id), objectstore.OutputKey(id)}
	// Parts are removed when their run ends; any left by a failure go too.
	parts, _ := s.Objects.List(ctx, objectstore.PartsPrefix(id), 100000)
	for _, o := range parts {
		keys = append(keys, o.Key)
	}
	for _, key := range keys {
		removeObject(ctx, s.Objects, s.Log, key)
	}
	return nil
}

func removeObject(ctx context.Context, objects *objectstore.Store, log *slog.Logger, key string) {
	if err := objects.Delete(context.WithoutCancel(ctx), key); err != nil && log != nil {
		log.Error("removing an object; 'galley gc' will", "key", key, "err", err)
	}
}
