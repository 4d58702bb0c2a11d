package worker

import (
	"context"
	"log/slog"

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

// Runs is the run service whose deletes also remove the run's objects.
type Runs struct {
	server.RunService
	Objects *objectstore.Store
	Log     *slog.Logger
}

// DeleteRun implements server.RunService. A run whose trained version
// still exists cannot be deleted, so its model is no longer needed either.
func (s *Runs) DeleteRun(ctx context.Context, id int64) error {
	if err := s.RunService.DeleteRun(ctx, id); err != nil {
		return err
	}
	for _, key := range []string{objectstore.ArtifactKey(id), objectstore.OutputKey(id)} {
		removeObject(ctx, s.Objects, s.Log, key)
	}
	return nil
}

func removeObject(ctx context.Context, objects *objectstore.Store, log *slog.Logger, key string) {
	if err := objects.Delete(context.WithoutCancel(ctx), key); err != nil && log != nil {
		log.Error("removing an object; 'galley gc' will", "key", key, "err", err)
	}
}
