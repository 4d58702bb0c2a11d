package server

import (
	"context"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

// Model is a recipe version configured for a purpose: parameter values and
// the dataset to train on. Training a model produces TrainedModels.
type Model struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Recipe        string `json:"recipe"`
	RecipeVersion int    `json:"recipe_version"`
	// Params are values for the recipe's parameters, as text that
	// recipe.ParseValue accepts; unset parameters use their defaults.
	Params map[string]string `json:"params"`
	// Dataset is the training dataset: "name" (its latest version at
	// training time) or "name@N".
	Dataset   string    `json:"dataset"`
	CreatedAt time.Time `json:"created_at"`
}

// ModelFilter selects models. Lists order by "name" (default) or
// "created_at".
type ModelFilter struct {
	Recipe string
	Page
}

// ModelService manages models.
type ModelService interface {
	// CreateModel validates m against its recipe version (0 means the
	// latest, which is then recorded) and stores it. EINVALID for unknown
	// parameters or values of the wrong type, ENOTFOUND for an unknown
	// recipe, ECONFLICT when the name is taken.
	CreateModel(ctx context.Context, m *Model) error
	FindModel(ctx context.Context, name string) (*Model, error)
	FindModels(ctx context.Context, f ModelFilter) ([]*Model, int, error)
	// DeleteModel deletes a model. ECONFLICT while it has trained
	// versions, runs or schedules.
	DeleteModel(ctx context.Context, name string) error
}

// TrainedModel is the artifact of a successful training run. Versions count
// up per model; aliases such as "production" point at one version.
type TrainedModel struct {
	ID              int64             `json:"id"`
	Model           string            `json:"model"`
	Version         int               `json:"version"`
	RunID           int64             `json:"run_id"`
	RecipeVersionID int64             `json:"recipe_version_id"`
	Params          map[string]string `json:"params"`
	DatasetSnapshot string            `json:"dataset_snapshot"`
	Metrics         recipe.Metrics    `json:"metrics"`
	Aliases         []string          `json:"aliases"`
	// Artifact is the saved model's key in the object store
	// (objectstore.ArtifactKey), or for trained models made before object
	// storage, its file on the server.
	Artifact  string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Ref is how users name a trained model: "model@version".
func (t *TrainedModel) Ref() string { return t.Model + "@" + itoa(t.Version) }

// TrainedModelFilter selects trained models, newest first ("version").
type TrainedModelFilter struct {
	Model string
	Page
}

// TrainedModelService finds trained models and moves aliases.
type TrainedModelService interface {
	// FindTrainedModel resolves ref: "model@3", "model@production" (an
	// alias) or "model" (the newest version).
	FindTrainedModel(ctx context.Context, ref string) (*TrainedModel, error)
	FindTrainedModels(ctx context.Context, f TrainedModelFilter) ([]*TrainedModel, int, error)
	// SetAlias points alias of model at version, moving it if it pointed
	// elsewhere.
	SetAlias(ctx context.Context, model, alias string, version int) (*TrainedModel, error)
	// DeleteTrainedModel deletes a trained version and its artifact (a
	// file on the server in stores; the object in the object store through
	// worker.TrainedModels).
	// ECONFLICT while an alias points at it or a scoring run used it.
	DeleteTrainedModel(ctx context.Context, ref string) error
}
