// Package datasets serves datasets from galley's stdlib catalog: versioned
// Parquet snapshots under $GALLEY_HOME/datasets shared with notebooks. It
// implements server.DatasetService and records the lineage of scoring
// output beside each snapshot (vNNNNNN.lineage.json), where the catalog
// itself does not look.
//
// Shared is the same service for servers and workers on several machines:
// the snapshots are objects in the object store, numbered and described in
// the server's database, with a local copy kept as a cache.
package datasets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/stdlib/catalog"
	"github.com/galley-dev/galley/stdlib/data"
)

// Datasets is the dataset service over one catalog directory.
type Datasets struct {
	cat *catalog.Catalog
	tmp string
	// InUse, when set, says why a dataset cannot be deleted yet (models
	// and runs live in another store), or nil.
	InUse func(ctx context.Context, name string) error
}

var _ server.DatasetService = (*Datasets)(nil)

// Open opens (creating) the catalog at dir.
func Open(dir string) (*Datasets, error) {
	cat, err := catalog.Open(dir)
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, ".uploads")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &Datasets{cat: cat, tmp: tmp}, nil
}

// spoolUpload copies an uploaded CSV into a new file in dir and returns
// its path; the caller removes it.
func spoolUpload(dir string, r io.Reader) (string, error) {
	f, err := os.CreateTemp(dir, "import-*.csv")
	if err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = server.Errorf(server.EINVALID, "the dataset is empty: send CSV with a header row")
	} else if err != nil {
		err = fmt.Errorf("reading the upload: %w", err)
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return server.Errorf(server.EINVALID, "dataset name %q is invalid: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

func (d *Datasets) wrap(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return server.Errorf(server.ENOTFOUND, "dataset %s not found: list datasets with 'galley dataset list' or import one with 'galley dataset import FILE --name %s'", name, name)
	case errors.Is(err, catalog.ErrInvalidName):
		return server.Errorf(server.EINVALID, "%v", err)
	}
	return err
}

// ImportDataset implements server.DatasetService: CSV with a header row is
// parsed with inferred column types and saved as the next snapshot.
func (d *Datasets) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	path, err := spoolUpload(d.tmp, r)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	return d.importCSV(name, path, "upload", nil)
}

func (d *Datasets) importCSV(name, path, source string, lin *server.Lineage) (*server.DatasetVersion, error) {
	return d.storeCSV(name, path, source, lin, func(f *data.Frame, source string) (catalog.Version, error) { return d.cat.Save(name, f, source) })
}

// storeCSV reads CSV from path and stores it through save, with lin.
func (d *Datasets) storeCSV(name, path, source string, lin *server.Lineage, save func(*data.Frame, string) (catalog.Version, error)) (*server.DatasetVersion, error) {
	frame, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	defer frame.Release()
	if lin != nil {
		b, _ := json.Marshal(lin)
		source = string(b)
	}
	v, err := save(frame, source)
	if err != nil {
		return nil, d.wrap(err, name)
	}
	if lin != nil {
		b, _ := json.MarshalIndent(lin, "", "  ")
		if err := os.WriteFile(lineagePath(v.Path), b, 0o644); err != nil {
			return nil, fmt.Errorf("catalog: recording lineage: %w", err)
		}
	}
	return d.version(v), nil
}

// SaveOutput stores a scoring run's CSV output as the next snapshot of name
// and records its lineage.
func (d *Datasets) SaveOutput(ctx context.Context, name, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	return d.importCSV(name, csvPath, "", lin)
}

// ReplaceOutput stores a scoring run's CSV output in place of version ref,
// which an earlier run of the same schedule slot wrote, with lin as its
// lineage.
func (d *Datasets) ReplaceOutput(ctx context.Context, ref, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	v, err := d.FindDatasetVersion(ctx, ref)
	if err != nil {
		return nil, err
	}
	return d.storeCSV(v.Name, csvPath, "", lin, func(f *data.Frame, source string) (catalog.Version, error) {
		return d.cat.Replace(v.Name, v.Version, f, source)
	})
}

// ExportCSV writes snapshot ref as CSV to path, for recipes that read CSV.
func (d *Datasets) ExportCSV(ctx context.Context, ref, path string) error {
	v, err := d.FindDatasetVersion(ctx, ref)
	if err != nil {
		return err
	}
	f, err := data.ReadParquet(v.Path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", ref, err)
	}
	defer f.Release()
	return f.WriteCSV(path)
}

// readCSV reads an uploaded or scored CSV file with inferred column types.
func readCSV(path string) (*data.Frame, error) {
	frame, err := data.ReadCSV(path)
	if err != nil {
		return nil, server.Errorf(server.EINVALID, "the dataset is not valid CSV with a header row: %s; fix the file and import it again", csvProblem(err, path))
	}
	return frame, nil
}

var (
	fileLine = regexp.MustCompile(`^(?:.*?)?:(\d+):`)
	apiHint  = regexp.MustCompile(`\s*\(set BadRows[^)]*\)`)
)

// csvProblem rewords a CSV reading error for someone who uploaded a file:
// no server paths, no Go options.
func csvProblem(err error, path string) string {
	msg := strings.ReplaceAll(err.Error(), path, "")
	msg = apiHint.ReplaceAllString(msg, "")
	msg = fileLine.ReplaceAllString(msg, "line $1:")
	return strings.TrimSpace(msg)
}

func lineagePath(parquet string) string {
	return strings.TrimSuffix(parquet, ".parquet") + ".lineage.json"
}

func (d *Datasets) version(v catalog.Version) *server.DatasetVersion {
	out := &server.DatasetVersion{Name: v.Dataset, Version: v.Version, Rows: int(v.Rows), Format: "parquet", Bytes: v.Size, CreatedAt: v.Created, Path: v.Path, Columns: []string{}}
	out.Columns = append(out.Columns, v.Schema.Names()...)
	if b, err := os.ReadFile(lineagePath(v.Path)); err == nil {
		out.Lineage = new(server.Lineage)
		json.Unmarshal(b, out.Lineage)
	}
	return out
}

// FindDataset implements server.DatasetService.
// DeleteDataset implements server.DatasetService.
func (d *Datasets) DeleteDataset(ctx context.Context, name string) error {
	if _, err := d.FindDataset(ctx, name); err != nil {
		return err
	}
	if d.InUse != nil {
		if err := d.InUse(ctx, name); err != nil {
			return err
		}
	}
	return d.wrap(d.cat.Delete(name), name)
}

func (d *Datasets) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	if err := checkName(name); err != nil {
		return nil, server.Errorf(server.ENOTFOUND, "dataset %q not found", name)
	}
	vs, err := d.cat.Versions(name)
	if err != nil {
		return nil, d.wrap(err, name)
	}
	return &server.Dataset{Name: name, LatestVersion: vs[len(vs)-1].Version, CreatedAt: vs[0].Created, UpdatedAt: vs[len(vs)-1].Created}, nil
}

// FindDatasets implements server.DatasetService.
func (d *Datasets) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	if err := f.Page.Normalize(server.DatasetOrders...); err != nil {
		return nil, 0, err
	}
	names, err := d.cat.List()
	if err != nil {
		return nil, 0, err
	}
	var all []*server.Dataset
	for _, n := range names {
		if ds, err := d.FindDataset(ctx, n); err == nil {
			all = append(all, ds)
		}
	}
	field, desc := strings.TrimPrefix(f.Order, "-"), strings.HasPrefix(f.Order, "-")
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i], all[j]
		var less bool
		switch field {
		case "updated_at":
			less = a.UpdatedAt.Before(b.UpdatedAt)
		case "created_at":
			less = a.CreatedAt.Before(b.CreatedAt)
		default:
			less = a.Name < b.Name
		}
		if desc {
			return !less
		}
		return less
	})
	return pageOf(all, f.Page), len(all), nil
}

func pageOf[T any](all []T, p server.Page) []T {
	out := []T{}
	for i := p.Offset; i < len(all) && i < p.Offset+p.Limit; i++ {
		out = append(out, all[i])
	}
	return out
}

// FindDatasetVersion implements server.DatasetService.
func (d *Datasets) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	name, sel, _ := strings.Cut(ref, "@")
	n := 0
	if sel != "" {
		var err error
		if n, err = strconv.Atoi(strings.TrimPrefix(sel, "v")); err != nil || n < 0 {
			return nil, server.Errorf(server.EINVALID, "dataset reference %q is invalid: use NAME or NAME@VERSION", ref)
		}
	}
	if _, err := d.FindDataset(ctx, name); err != nil {
		return nil, err
	}
	v, err := d.cat.Info(name, n)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, server.Errorf(server.ENOTFOUND, "dataset %s has no version %s: see 'galley dataset show %s'", name, sel, name)
	} else if err != nil {
		return nil, d.wrap(err, name)
	}
	return d.version(v), nil
}

// FindDatasetVersions implements server.DatasetService.
func (d *Datasets) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	if err := p.Normalize(server.DatasetVersionOrders...); err != nil {
		return nil, 0, err
	}
	if _, err := d.FindDataset(ctx, name); err != nil {
		return nil, 0, err
	}
	vs, err := d.cat.Versions(name)
	if err != nil {
		return nil, 0, d.wrap(err, name)
	}
	var all []*server.DatasetVersion
	for _, v := range vs {
		all = append(all, d.version(v))
	}
	// Newest first unless asked otherwise; versions and creation times
	// grow together.
	if p.Order == "" || strings.HasPrefix(p.Order, "-") {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	return pageOf(all, p), len(all), nil
}
