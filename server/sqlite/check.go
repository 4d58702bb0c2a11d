package sqlite

import "github.com/galley-dev/galley/server"

var (
	_ server.RecipeStore         = (*DB)(nil)
	_ server.ModelService        = (*DB)(nil)
	_ server.TrainedModelService = (*DB)(nil)
	_ server.RunService          = (*DB)(nil)
	_ server.DatasetService      = (*DB)(nil)
	_ server.RunQueue            = (*DB)(nil)
	_ server.CanaryService       = (*DB)(nil)
)
