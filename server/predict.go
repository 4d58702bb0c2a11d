package server

import (
	"context"
	"time"
)

// Rows are the rows of a prediction request: column names and, per row,
// each cell as text, as a dataset's CSV file would hold it (a blank cell
// is a missing value). Values are parsed by the recipe's own Load, as
// for a scoring run.
type Rows struct {
	Columns []string
	Data    [][]string
}

// Prediction is the answer to a prediction request: the recipe's scores,
// one row per input row in order (when the recipe's Score keeps rows), and
// the trained version that computed them.
type Prediction struct {
	// Model and Version name the trained model that served the request
	// (Ref is "model@version").
	Model   string
	Version int
	Ref     string
	// Columns and Types describe the scores; Types are the recipe's output
	// column types ("float64", "int64", "string", "bool") or "" when the
	// recipe's frame does not say. Data holds each cell as text, as a
	// scoring run's output file does.
	Columns []string
	Types   []string
	Data    [][]string
}

// Canary sends a share of the requests that name a model by alias, or by
// its name alone, to another trained version, to try it on live traffic.
// Requests naming a version explicitly are never redirected. Canaries are
// kept in the server's database, so that every server on it applies the
// same split and a restart keeps it.
type Canary struct {
	Model   string  `json:"model"`
	Version int     `json:"version"`
	Weight  float64 `json:"weight"`
	// UpdatedAt is when the canary was set; zero for a model without one.
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// CheckWeight refuses a canary weight that is not a share from 0 to 1.
func (c Canary) CheckWeight() error {
	if c.Weight < 0 || c.Weight > 1 || c.Weight != c.Weight {
		return Errorf(EINVALID, "weight %v is out of range: give the share of requests for the canary, from 0 to 1", c.Weight)
	}
	return nil
}

// CanaryService keeps the canaries of models.
type CanaryService interface {
	// SetCanary sets model c.Model's canary; a zero Weight removes it.
	// ENOTFOUND for an unknown model; EINVALID for a weight outside 0 to
	// 1 or a version the model lacks.
	SetCanary(ctx context.Context, c Canary) (*Canary, error)
	// FindCanaries lists the canaries set, by model name.
	FindCanaries(ctx context.Context) ([]Canary, error)
}

// PredictService scores rows online with a trained model, through the
// recipe's own Load and Score.
type PredictService interface {
	// Predict scores rows with the trained model ref names: "model",
	// "model@3" or "model@production". ENOTFOUND for an unknown model,
	// version or alias; EINVALID when the recipe rejects the rows (a
	// missing column, a value of the wrong type), with its message.
	Predict(ctx context.Context, ref string, rows Rows) (*Prediction, error)
	// Warm loads model@version ahead of requests, so that moving an alias
	// to it does not make the first requests wait.
	Warm(ctx context.Context, model string, version int) error
	// Moved says an alias of model moved: names of the model are resolved
	// afresh from the next request on.
	Moved(model string)
	// SetCanary sends Weight (0 to 1) of the model's alias and default
	// requests to Version; a zero Weight removes the canary.
	SetCanary(ctx context.Context, c Canary) (*Canary, error)
	// Canaries lists the canaries set.
	Canaries(ctx context.Context) ([]Canary, error)
	// Serving reports the trained versions kept warm.
	Serving(ctx context.Context) []ServingModel
}

// ServingModel is a trained version kept warm for online scoring, with its
// counters since it was loaded.
type ServingModel struct {
	Ref         string    `json:"ref"`
	Model       string    `json:"model"`
	Version     int       `json:"version"`
	Pid         int       `json:"pid"`
	LoadedAt    time.Time `json:"loaded_at"`
	LastUsed    time.Time `json:"last_used"`
	Requests    int64     `json:"requests"`
	Errors      int64     `json:"errors"`
	Rows        int64     `json:"rows"`
	MeanLatency float64   `json:"mean_latency_ms"`
}
