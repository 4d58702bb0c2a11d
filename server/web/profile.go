package web

import (
	"fmt"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
)

// maxProfileRows bounds the versions profiled on page view: profiling reads
// the whole version into memory, which is quick for the datasets a page is
// read for and is left to a notebook beyond.
const maxProfileRows = 200_000

// profileOf is galley's EDA profile (the one notebooks show with
// data.Profile) of a dataset version.
func profileOf(v *server.DatasetVersion) (*data.Report, error) {
	if v.Rows > maxProfileRows {
		return nil, fmt.Errorf("%s has %d rows, more than the %d profiled here: profile it in a notebook with data.Profile", v.Snapshot(), v.Rows, maxProfileRows)
	}
	var f *data.Frame
	var err error
	switch v.Format {
	case "csv":
		f, err = data.ReadCSV(v.Path)
	case "parquet":
		f, err = data.ReadParquet(v.Path)
	default:
		return nil, fmt.Errorf("no profile for %s files", v.Format)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", v.Snapshot(), err)
	}
	defer f.Release()
	return data.Profile(f, "")
}
