package web

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/data"
)

// previewRows is the size of one page of a dataset preview.
const previewRows = 20

// datasetsView lists datasets.
type datasetsView struct {
	Datasets []*server.Dataset
	Pager    pager
}

func (h *Handler) datasetsPage(w http.ResponseWriter, r *http.Request) {
	listPage(h, w, r, "datasets", "Datasets", func(p server.Page) ([]*server.Dataset, int, error) {
		return h.Datasets.FindDatasets(r.Context(), server.DatasetFilter{Page: p})
	}, func(ds []*server.Dataset, pg pager) any { return datasetsView{Datasets: ds, Pager: pg} })
}

// datasetView is a dataset, one version's schema and a page of its rows,
// and where that version came from.
type datasetView struct {
	Dataset  *server.Dataset
	Versions []*server.DatasetVersion
	Version  *server.DatasetVersion
	Preview  *preview
	// PreviewError says why the rows cannot be shown, when they cannot.
	PreviewError string
	Lineage      *lineage
	Profile      *data.Report
	ProfileError string
}

// lineage walks back from a scoring output to the notebook: dataset ←
// scoring run ← trained model ← training run ← recipe version.
type lineage struct {
	*server.Lineage
	ScoringRun    *server.Run
	Trained       *server.TrainedModel
	TrainingRun   *server.Run
	RecipeVersion *server.RecipeVersion
}

func (h *Handler) datasetPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	q := r.URL.Query()
	d, err := h.Datasets.FindDataset(ctx, name)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	version, err := versionOf(q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p, err := pageOf(q, previewRows)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := datasetView{Dataset: d}
	if v.Versions, _, err = h.Datasets.FindDatasetVersions(ctx, name, server.Page{Limit: server.MaxLimit}); err != nil {
		h.fail(w, r, err)
		return
	}
	ref := name
	if version > 0 {
		ref = fmt.Sprintf("%s@%d", name, version)
	}
	if v.Version, err = h.Datasets.FindDatasetVersion(ctx, ref); err != nil {
		h.fail(w, r, err)
		return
	}
	// A version kept elsewhere (the shared catalog) is fetched to its
	// local copy first.
	var fetchErr error
	if f, ok := h.Datasets.(localCopies); ok {
		var release func()
		if release, fetchErr = f.Use(ctx, v.Version); fetchErr == nil {
			defer release()
		}
	}
	if fetchErr != nil {
		v.PreviewError, v.ProfileError = fetchErr.Error(), fetchErr.Error()
	} else {
		if v.Preview, err = readPreview(v.Version, p.Offset, min(p.Limit, 100)); err != nil {
			// The page still shows versions and lineage; the rows are one
			// command away.
			v.PreviewError = err.Error()
		} else {
			q2 := q
			q2.Set("version", fmt.Sprint(v.Version.Version))
			v.Preview.Pager = pagerOf(q2, server.Page{Offset: p.Offset, Limit: min(p.Limit, 100)}, v.Version.Rows)
		}
		if v.Profile, err = profileOf(v.Version); err != nil {
			v.ProfileError = err.Error()
		}
	}
	if l := v.Version.Lineage; l != nil {
		v.Lineage = &lineage{Lineage: l}
		// Each step is best effort: a run or version deleted since leaves
		// its link out rather than the page.
		v.Lineage.ScoringRun, _ = h.Runs.FindRun(ctx, l.RunID)
		if tm, err := h.TrainedModels.FindTrainedModel(ctx, l.TrainedModel); err == nil {
			v.Lineage.Trained = tm
			v.Lineage.TrainingRun, _ = h.Runs.FindRun(ctx, tm.RunID)
		}
		v.Lineage.RecipeVersion, _ = h.Recipes.FindRecipeVersion(ctx, l.Recipe, l.RecipeVersion)
	}
	h.render(w, r, "dataset", "Dataset "+name, "datasets", v)
}

// localCopies is implemented by dataset services that keep versions
// elsewhere and local copies of them at DatasetVersion.Path, there until
// release is called.
type localCopies interface {
	Use(ctx context.Context, v *server.DatasetVersion) (release func(), err error)
}

// preview is a page of a dataset version's rows as text.
type preview struct {
	Columns []string
	Types   []string
	Rows    [][]string
	Pager   pager
}

// readPreview reads rows [offset, offset+limit) of a version's file,
// streaming so that memory stays bounded by one chunk of the file.
func readPreview(v *server.DatasetVersion, offset, limit int) (*preview, error) {
	switch v.Format {
	case "csv":
		return csvPreview(v.Path, offset, limit)
	case "parquet":
		return parquetPreview(v.Path, offset, limit)
	}
	return nil, fmt.Errorf("no preview for %s files: download it with 'galley dataset show %s --data'", v.Format, v.Snapshot())
}

func csvPreview(path string, offset, limit int) (*preview, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header: %w", path, err)
	}
	p := &preview{Columns: append([]string(nil), head...)}
	for i := 0; len(p.Rows) < limit; i++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if i >= offset {
			p.Rows = append(p.Rows, append([]string(nil), rec...))
		}
	}
	return p, nil
}

func parquetPreview(path string, offset, limit int) (*preview, error) {
	rd, err := data.OpenParquet(path)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	p := &preview{}
	seen := 0
	for len(p.Rows) < limit {
		fr, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if p.Columns == nil {
			p.Columns = fr.Names()
			for i := range p.Columns {
				p.Types = append(p.Types, string(fr.ColumnAt(i).DType()))
			}
		}
		n := fr.NumRows()
		for i := max(0, offset-seen); i < n && len(p.Rows) < limit; i++ {
			row := make([]string, len(p.Columns))
			for j := range p.Columns {
				row[j] = cell(fr.ColumnAt(j).Value(i))
			}
			p.Rows = append(p.Rows, row)
		}
		seen += n
		fr.Release()
	}
	return p, nil
}

// cell prints a value for the preview: floats to 6 significant digits, as
// a preview is for reading; the full values are one download away.
func cell(x any) string {
	switch v := x.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(v, 'g', 6, 64)
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(x)
}
