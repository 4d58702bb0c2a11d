package server

import (
	"context"
	"io"
	"time"
)

// Dataset is a named series of immutable dataset versions.
type Dataset struct {
	Name          string    `json:"name"`
	LatestVersion int       `json:"latest_version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// DatasetVersion is one immutable snapshot of a dataset.
type DatasetVersion struct {
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Rows      int       `json:"rows"`
	Columns   []string  `json:"columns"`
	Format    string    `json:"format"`
	Bytes     int64     `json:"bytes"`
	Lineage   *Lineage  `json:"lineage,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Path is the file on the server's disk. In the shared catalog it is
	// the local copy of Object, which may not have been fetched yet.
	Path string `json:"-"`
	// Object is the key of the version's Parquet file in the object
	// store, for versions of the shared catalog.
	Object string `json:"-"`
}

// DatasetObject is a dataset version's data already written to the object
// store (as Parquet), for the shared catalog to register as a version.
type DatasetObject struct {
	Name    string
	Object  string
	Rows    int
	Columns []string
	Bytes   int64
	Source  string
	Lineage *Lineage
	// Replaces is the version this one takes the place of, for a schedule
	// slot that ran again; 0 registers the next version.
	Replaces int
}

// Snapshot is how runs refer to the version: "name@N".
func (v *DatasetVersion) Snapshot() string { return v.Name + "@" + itoa(v.Version) }

// Lineage records how a dataset version was produced by a scoring run.
type Lineage struct {
	RunID           int64             `json:"run_id"`
	Recipe          string            `json:"recipe"`
	RecipeVersion   int               `json:"recipe_version"`
	RecipeVersionID int64             `json:"recipe_version_id"`
	TrainedModel    string            `json:"trained_model"`
	Params          map[string]string `json:"params"`
	InputSnapshot   string            `json:"input_snapshot"`
	// Schedule and NominalTime name the schedule slot of a scheduled
	// scoring run.
	Schedule    string     `json:"schedule,omitempty"`
	NominalTime *time.Time `json:"nominal_time,omitempty"`
	// ReplacedRuns are the earlier runs of the same slot whose output this
	// version held before RunID's output replaced it, oldest first.
	ReplacedRuns []int64 `json:"replaced_runs,omitempty"`
}

// SameSlot reports whether l and o record output of the same schedule
// slot: a re-run slot's output replaces the version its earlier run wrote.
func (l *Lineage) SameSlot(o *Lineage) bool {
	return l != nil && o != nil && l.Schedule != "" && l.Schedule == o.Schedule &&
		l.NominalTime != nil && o.NominalTime != nil && l.NominalTime.Equal(*o.NominalTime)
}

// DatasetFilter selects datasets, ordered by "name" (default) or
// "updated_at".
type DatasetFilter struct {
	Page
}

// DatasetService manages datasets.
type DatasetService interface {
	// ImportDataset stores CSV from r as the next version of name.
	// EINVALID for a bad name or input that is not CSV with a header row.
	ImportDataset(ctx context.Context, name string, r io.Reader) (*DatasetVersion, error)
	FindDataset(ctx context.Context, name string) (*Dataset, error)
	FindDatasets(ctx context.Context, f DatasetFilter) ([]*Dataset, int, error)
	// FindDatasetVersion resolves "name" (latest) or "name@N".
	FindDatasetVersion(ctx context.Context, ref string) (*DatasetVersion, error)
	FindDatasetVersions(ctx context.Context, name string, p Page) ([]*DatasetVersion, int, error)
	// DeleteDataset deletes a dataset and all its versions. ECONFLICT
	// while a model trains on it or a run read it.
	DeleteDataset(ctx context.Context, name string) error
}
