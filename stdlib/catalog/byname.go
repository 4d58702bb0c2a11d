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

// File returns the path of a dataset file for ref, "NAME" or
// "NAME@VERSION".
//
// In a kernel started for a galley server ($GALLEY_SERVER, see UseShared),
// a dataset the server holds comes as CSV in the local cache: the very
// bytes the server gives a run reading that version, so that a recipe's
// Load reads the same input in the notebook as on the server. Otherwise,
// and for names the server does not hold, File returns the plain dataset
// file called name in FilesDir(): name itself, name.csv or name.parquet.
// When there is none, the error (wrapping ErrNotFound) lists the names that
// would have worked.
//
//	input, err := catalog.File("telco-churn")
//	cfg := recipe.NewConfig(input)
func File(ref string) (string, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return "", err
	}
	s := SharedCatalog()
	if s != nil {
		p, err := s.File(ref)
		if err == nil || !errors.Is(err, ErrNotFound) || version != 0 {
			return p, err
		}
	} else if version != 0 {
		return "", fmt.Errorf("%w: dataset reference %q: a version can be given for datasets of a galley server; the local dataset files have none", ErrInvalidName, ref)
	}
	if dir := FilesDir(); dir != "" {
		for _, ext := range fileExts {
			p := filepath.Join(dir, name+ext)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				return p, nil
			}
		}
	}
	if s != nil {
		return "", s.notFound(name)
	}
	return "", notFound(name, nil)
}

// Load reads the dataset ref names: "NAME" for its latest version or
// "NAME@VERSION" for one version.
//
// In a kernel started for a galley server ($GALLEY_SERVER, see UseShared)
// the name is looked up on the server first: the datasets its recipes and
// scoring runs read. Otherwise it is looked up in the default catalog
// ($GALLEY_HOME/datasets). A plain name neither holds is read from the file
// File finds (CSV or Parquet). When nothing has it, the error (wrapping
// ErrNotFound) lists every name that would have worked.
//
//	telco, err := catalog.Load("telco-churn")
//	v3, err := catalog.Load("telco-churn@3")
func Load(ref string) (*data.Frame, error) {
	name, version, err := ParseRef(ref)
	if err != nil {
		return nil, err
	}
	if s := SharedCatalog(); s != nil {
		f, err := s.Open(ref)
		if err == nil || !errors.Is(err, ErrNotFound) || version != 0 {
			return f, err
		}
		return loadFile(name, func() error { return s.notFound(name) })
	}
	cat, catErr := Default()
	if catErr == nil {
		f, err := cat.OpenVersion(name, version)
		if err == nil || !errors.Is(err, ErrNotFound) || version != 0 {
			return f, err
		}
	}
	return loadFile(name, func() error { return notFound(name, cat) })
}

// loadFile reads the plain dataset file called name, or returns missing().
func loadFile(name string, missing func() error) (*data.Frame, error) {
	p, err := File(name)
	if err != nil {
		return nil, missing()
	}
	if strings.EqualFold(filepath.Ext(p), ".parquet") {
		return data.ReadParquet(p)
	}
	return data.ReadCSV(p)
}

// Names lists the names Load accepts: the server's datasets in a kernel
// started for one (else the default catalog's), then the files of
// FilesDir() not shadowed by one, each list sorted. A server that cannot
// be reached lists nothing; Load says why.
func Names() []string {
	var names []string
	seen := map[string]bool{}
	if s := SharedCatalog(); s != nil {
		names, _ = s.Names()
	} else if cat, err := Default(); err == nil {
		names, _ = cat.List()
	}
	for _, n := range names {
		seen[n] = true
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
	return notFoundIn(name, where, "galley dataset import FILE --name "+name)
}

// notFound says that neither the server nor the files folder holds name.
func (s *Shared) notFound(name string) error {
	known, err := s.Names()
	held := listOrNone(known)
	if err != nil {
		held = "datasets it could not list (" + err.Error() + ")"
	}
	return notFoundIn(name, []string{fmt.Sprintf("%s holds %s", s.Remote.Where(), held)}, "galley dataset import FILE --name "+name+" --server URL")
}

// notFoundIn adds the files folder to where name was looked for, and says
// how to add the dataset.
func notFoundIn(name string, where []string, add string) error {
	if dir := FilesDir(); dir != "" {
		where = append(where, fmt.Sprintf("the folder %s holds %s", dir, listOrNone(fileNames(dir))))
	} else {
		where = append(where, "no datasets folder: set GALLEY_DATASETS to one")
	}
	return fmt.Errorf("dataset %q: %w: %s (add it with: %s)", name, ErrNotFound, strings.Join(where, "; "), add)
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "no datasets"
	}
	return strings.Join(names, ", ")
}
