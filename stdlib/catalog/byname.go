package catalog

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/galley-dev/galley/stdlib/data"
)

// Datasets are reached by name from a notebook, whose working directory is
// the notebook's own folder: a relative path such as ../shared/datasets
// means something different in every folder, a name does not. A name is
// looked up first in the catalog (what `galley dataset import` and the
// server save), then among the plain files of the datasets folder.

// fileExts are the extensions a dataset file may have, in the order a name
// is tried.
var fileExts = []string{"", ".csv", ".parquet"}

// FilesDir returns the folder of plain dataset files: $GALLEY_DATASETS
// when set, else ../shared/datasets beside the repository that holds the
// working directory (the nearest folder above it with a go.mod). A relative
// $GALLEY_DATASETS is taken relative to that repository root too, so the
// same setting works from the root and from a notebook's folder. FilesDir
// returns "" when there is no such folder.
func FilesDir() string {
	root := repoRoot()
	if dir := os.Getenv("GALLEY_DATASETS"); dir != "" {
		if !filepath.IsAbs(dir) && root != "" {
			dir = filepath.Join(root, dir)
		}
		return dir
	}
	if root == "" {
		return ""
	}
	dir := filepath.Join(root, "..", "shared", "datasets")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return ""
	}
	return filepath.Clean(dir)
}

// repoRoot returns the nearest folder at or above the working directory
// holding a go.mod, or "".
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// File returns the path of the plain dataset file called name in
// FilesDir(): name itself, name.csv or name.parquet. When there is none, the
// error (wrapping ErrNotFound) lists the names the folder holds.
func File(name string) (string, error) {
	dir := FilesDir()
	if err := checkName(name); err != nil {
		return "", err
	}
	if dir != "" {
		for _, ext := range fileExts {
			p := filepath.Join(dir, name+ext)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	return "", notFound(name, nil)
}

// Load reads the dataset called name: the latest version in the default
// catalog ($GALLEY_HOME/datasets) when it has one, else the file File finds
// (CSV or Parquet). When neither has it, the error (wrapping ErrNotFound)
// lists every name that would have worked.
//
//	telco, err := catalog.Load("telco-churn")
func Load(name string) (*data.Frame, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	cat, catErr := Default()
	if catErr == nil {
		f, err := cat.Open(name)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return f, err
		}
	}
	p, err := File(name)
	if err != nil {
		return nil, notFound(name, cat)
	}
	if strings.EqualFold(filepath.Ext(p), ".parquet") {
		return data.ReadParquet(p)
	}
	return data.ReadCSV(p)
}

// Names lists the names Load accepts: the catalog's datasets, then the
// files of FilesDir() not shadowed by one, each list sorted.
func Names() []string {
	var names []string
	seen := map[string]bool{}
	if cat, err := Default(); err == nil {
		names, _ = cat.List()
		for _, n := range names {
			seen[n] = true
		}
	}
	for _, n := range fileNames(FilesDir()) {
		if !seen[n] {
			names = append(names, n)
		}
	}
	return names
}

// fileNames lists the dataset names of the files in dir: their base names
// without a .csv or .parquet extension.
func fileNames(dir string) []string {
	if dir == "" {
		return nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		n := e.Name()
		ext := strings.ToLower(filepath.Ext(n))
		if ext != ".csv" && ext != ".parquet" {
			continue
		}
		if n = strings.TrimSuffix(n, filepath.Ext(n)); checkName(n) == nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// notFound says where name was looked for and what is there instead. With
// a nil catalog only the files folder is described.
func notFound(name string, cat *Catalog) error {
	var where []string
	if cat != nil {
		known, _ := cat.List()
		where = append(where, fmt.Sprintf("the catalog %s holds %s", cat.Dir(), listOrNone(known)))
	}
	if dir := FilesDir(); dir != "" {
		where = append(where, fmt.Sprintf("the folder %s holds %s", dir, listOrNone(fileNames(dir))))
	} else {
		where = append(where, "no datasets folder: set GALLEY_DATASETS to one")
	}
	return fmt.Errorf("dataset %q: %w: %s (add it with: galley dataset import FILE --name %s)", name, ErrNotFound, strings.Join(where, "; "), name)
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no datasets"
	}
	return strings.Join(names, ", ")
}
