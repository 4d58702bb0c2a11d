package postgres

import "github.com/galley-dev/galley/server"

var (
	_ server.RecipeStore         = (*DB)(nil)
	_ server.ModelService        = (*DB)(nil)
	_ server.TrainedModelService = (*DB)(nil)
	_ server.RunService          = (*DB)(nil)
	_ server.RunQueue            = (*DB)(nil)
	_ server.ScheduleService     = (*DB)(nil)
	_ server.ScheduleQueue       = (*DB)(nil)
	_ server.CanaryService       = (*DB)(nil)
)
