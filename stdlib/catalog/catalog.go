// Package catalog keeps named datasets as immutable, versioned Parquet
// snapshots in a workspace directory, shared by notebooks and the server.
//
// The workspace is $GALLEY_HOME (default ~/.galley); datasets live under
// $GALLEY_HOME/datasets/<name>/v000001.parquet, v000002.parquet, … Each
// snapshot carries its row count, creation time and source in the Parquet
// footer, so a file is self-describing.
//
//	cat, err := catalog.Default()
//	v, err := cat.ImportCSV("telco", "telco-churn.csv")
//	f, err := cat.Open("telco")        // latest version
//	old, err := cat.OpenVersion("telco", 1)
//
// Saving never overwrites: the snapshot is written to a temporary file and
// then hard-linked to the next free version name, which fails rather than
// replaces if another saver took that number first. Readers therefore only
// ever see complete files, and concurrent savers get distinct versions.
package catalog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/galley-dev/galley/stdlib/data"
)

// ErrNotFound is returned (wrapped) for unknown datasets and versions.
var ErrNotFound = errors.New("not found")

// ErrInvalidName is returned (wrapped) for dataset names that are not
// letters, digits, '.', '_' or '-', or that start with '.'.
var ErrInvalidName = errors.New("invalid dataset name")

// Footer metadata keys.
const (
	metaRows    = "galley.rows"
	metaCreated = "galley.created"
	metaSource  = "galley.source"
)

// Home returns the workspace directory: $GALLEY_HOME, else ~/.galley.
func Home() string {
	if h := os.Getenv("GALLEY_HOME"); h != "" {
		return h
	}
	if u, err := os.UserHomeDir(); err == nil {
		return filepath.Join(u, ".galley")
	}
	return ".galley"
}

// Catalog is a directory of datasets.
type Catalog struct {
	dir string
}

// Default opens the catalog at Home()/datasets, creating it if needed.
func Default() (*Catalog, error) { return Open(filepath.Join(Home(), "datasets")) }

// Open opens the catalog rooted at dir, creating it if needed.
func Open(dir string) (*Catalog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return &Catalog{dir: dir}, nil
}

// Dir returns the catalog's root directory.
func (c *Catalog) Dir() string { return c.dir }

// Version describes one snapshot of a dataset.
type Version struct {
	Dataset string
	Version int
	Rows    int64
	Created time.Time
	Source  string
	Schema  data.Schema
	Path    string
	Size    int64
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9._-]*$`)
var versionFile = regexp.MustCompile(`^v(\d{6,})\.parquet$`)

func checkName(name string) error {
	if !validName.MatchString(name) || len(name) > 128 {
		return fmt.Errorf("%w %q: use letters, digits, '.', '_' and '-'", ErrInvalidName, name)
	}
	return nil
}

// List returns the dataset names in alphabetical order.
func (c *Catalog) List() ([]string, error) {
	ents, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.IsDir() && checkName(e.Name()) == nil {
			if vs, _ := c.versionNumbers(e.Name()); len(vs) > 0 {
				names = append(names, e.Name())
			}
		}
	}
	return names, nil
}

// Delete removes a dataset and all its versions.
func (c *Catalog) Delete(name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	if vs, _ := c.versionNumbers(name); len(vs) == 0 {
		return fmt.Errorf("%w: %s", ErrNotFound, name)
	}
	if err := os.RemoveAll(filepath.Join(c.dir, name)); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

func (c *Catalog) versionNumbers(name string) ([]int, error) {
	ents, err := os.ReadDir(filepath.Join(c.dir, name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var vs []int
	for _, e := range ents {
		if m := versionFile.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.Atoi(m[1])
			vs = append(vs, n)
		}
	}
	sort.Ints(vs)
	return vs, nil
}

func (c *Catalog) path(name string, v int) string {
	return filepath.Join(c.dir, name, fmt.Sprintf("v%06d.parquet", v))
}

// Versions lists every version of a dataset, oldest first.
func (c *Catalog) Versions(name string) ([]Version, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	vs, err := c.versionNumbers(name)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("dataset %q: %w", name, ErrNotFound)
	}
	out := make([]Version, 0, len(vs))
	for _, v := range vs {
		info, err := c.Info(name, v)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// latest returns the newest version number.
func (c *Catalog) latest(name string) (int, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	vs, err := c.versionNumbers(name)
	if err != nil {
		return 0, fmt.Errorf("catalog: %w", err)
	}
	if len(vs) == 0 {
		return 0, fmt.Errorf("dataset %q: %w", name, ErrNotFound)
	}
	return vs[len(vs)-1], nil
}

// Info describes a version; version 0 means the latest.
func (c *Catalog) Info(name string, version int) (Version, error) {
	if version == 0 {
		v, err := c.latest(name)
		if err != nil {
			return Version{}, err
		}
		version = v
	}
	if err := checkName(name); err != nil {
		return Version{}, err
	}
	p := c.path(name, version)
	st, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return Version{}, fmt.Errorf("dataset %q version %d: %w", name, version, ErrNotFound)
	}
	if err != nil {
		return Version{}, fmt.Errorf("catalog: %w", err)
	}
	pi, err := data.ReadParquetInfo(p)
	if err != nil {
		return Version{}, fmt.Errorf("dataset %q version %d: %w", name, version, err)
	}
	out := Version{Dataset: name, Version: version, Rows: pi.Rows, Source: pi.Metadata[metaSource], Schema: pi.Schema, Path: p, Size: st.Size()}
	out.Created, _ = time.Parse(time.RFC3339Nano, pi.Metadata[metaCreated])
	return out, nil
}

// Open reads the latest version of a dataset.
func (c *Catalog) Open(name string) (*data.Frame, error) { return c.OpenVersion(name, 0) }

// OpenVersion reads one version; 0 means the latest.
func (c *Catalog) OpenVersion(name string, version int) (*data.Frame, error) {
	info, err := c.Info(name, version)
	if err != nil {
		return nil, err
	}
	return data.ReadParquet(info.Path)
}

// Save stores f as the next version of name and describes it. source
// records where the data came from (a path, a URL, a recipe).
func (c *Catalog) Save(name string, f *data.Frame, source string) (Version, error) {
	tmpPath, err := c.writeTemp(name, f, source)
	if err != nil {
		return Version{}, err
	}
	defer os.Remove(tmpPath)
	// Claim the next free number; a concurrent saver that claims it first
	// makes Link fail with ErrExist and this saver tries the next one.
	vs, err := c.versionNumbers(name)
	if err != nil {
		return Version{}, fmt.Errorf("catalog: %w", err)
	}
	next := 1
	if len(vs) > 0 {
		next = vs[len(vs)-1] + 1
	}
	for tries := 0; ; tries++ {
		err := os.Link(tmpPath, c.path(name, next))
		if err == nil {
			break
		}
		if !errors.Is(err, os.ErrExist) || tries > 10000 {
			return Version{}, fmt.Errorf("catalog: saving %q: %w", name, err)
		}
		next++
	}
	return c.Info(name, next)
}

// Replace stores f as version of name in place of what it held, which is
// the one exception to versions never changing: the server uses it when a
// scheduled slot runs again and its output replaces the slot's earlier
// output. Readers that opened the old file keep reading it whole.
func (c *Catalog) Replace(name string, version int, f *data.Frame, source string) (Version, error) {
	if _, err := c.Info(name, version); err != nil {
		return Version{}, err
	}
	tmpPath, err := c.writeTemp(name, f, source)
	if err != nil {
		return Version{}, err
	}
	if err := os.Rename(tmpPath, c.path(name, version)); err != nil {
		os.Remove(tmpPath)
		return Version{}, fmt.Errorf("catalog: replacing %q version %d: %w", name, version, err)
	}
	return c.Info(name, version)
}

// writeTemp writes f as a Parquet file beside name's versions and syncs
// it, for Save and Replace to move into place.
func (c *Catalog) writeTemp(name string, f *data.Frame, source string) (string, error) {
	if err := checkName(name); err != nil {
		return "", err
	}
	dir := filepath.Join(c.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".saving-*.parquet")
	if err != nil {
		return "", fmt.Errorf("catalog: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	if err := WriteSnapshot(tmpPath, f, source); err != nil {
		os.Remove(tmpPath)
		return "", fmt.Errorf("dataset %q: %w", name, err)
	}
	if err := syncFile(tmpPath); err != nil {
		os.Remove(tmpPath)
		return "", fmt.Errorf("catalog: %w", err)
	}
	return tmpPath, nil
}

// WriteSnapshot writes f to path as a catalog snapshot is written:
// zstd-compressed Parquet whose footer records its row count, creation
// time and source. The server's shared catalog keeps its versions in the
// object store in this form.
func WriteSnapshot(path string, f *data.Frame, source string) error {
	meta := map[string]string{
		metaRows:    strconv.Itoa(f.NumRows()),
		metaCreated: time.Now().UTC().Format(time.RFC3339Nano),
		metaSource:  source,
	}
	return f.WriteParquet(path, data.ParquetOptions{Compression: "zstd", Metadata: meta})
}

func syncFile(path string) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	defer fh.Close()
	return fh.Sync()
}

// ImportCSV reads a CSV file and saves it as the next version of name.
func (c *Catalog) ImportCSV(name, path string, opts ...data.CSVOptions) (Version, error) {
	f, err := data.ReadCSV(path, opts...)
	if err != nil {
		return Version{}, err
	}
	defer f.Release()
	src := path
	if abs, err := filepath.Abs(path); err == nil {
		src = abs
	}
	if n := len(f.Problems()); n > 0 {
		src += fmt.Sprintf(" (%d bad rows: %s)", n, strings.TrimSpace(f.Problems()[0].String()))
	}
	return c.Save(name, f, src)
}
