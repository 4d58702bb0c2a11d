package datasets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	"github.com/galley-dev/galley/server"
	"github.com/galley-dev/galley/server/objectstore"
	"github.com/galley-dev/galley/stdlib/catalog"
	"github.com/galley-dev/galley/stdlib/catalog/filecache"
	"github.com/galley-dev/galley/stdlib/data"
)

// Registry numbers and describes the shared catalog's versions: the
// server's database (package sqlstore), which every server and worker of a
// workspace shares.
type Registry interface {
	// AddCatalogVersion registers a version whose file is in the object
	// store as the next version of its dataset (or in place of
	// o.Replaces).
	AddCatalogVersion(ctx context.Context, o *server.DatasetObject) (*server.DatasetVersion, error)
	FindCatalogDataset(ctx context.Context, name string) (*server.Dataset, error)
	FindCatalogDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error)
	// FindCatalogVersion returns version n of name, its latest for 0.
	FindCatalogVersion(ctx context.Context, name string, n int) (*server.DatasetVersion, error)
	FindCatalogVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error)
	// DeleteCatalogDataset removes name's versions and returns their
	// objects.
	DeleteCatalogDataset(ctx context.Context, name string) ([]string, error)
}

// DefaultCacheBytes is the bound galley serve and galley worker put on
// their local copies unless --cache-size says otherwise.
const DefaultCacheBytes = 10 << 30

// Shared is the dataset service of servers and workers sharing one
// workspace across machines (galley serve and galley worker with
// --storage): each version is a Parquet file in the object store, under a
// key of its own that is never reused, and its number and description are
// rows in the database, where numbers are given out one at a time, so any
// process on any machine sees the same datasets and versions. Local copies
// of the files are kept in Cache, named by their key, so a copy is never
// stale; the least recently used go first once they pass CacheBytes. A
// copy in use (see Use) is never removed, so a bound of 0 keeps exactly the
// copies in use: each is removed as soon as its last user is done.
//
// Uploads and imports are stored here; a scoring run's output is staged
// here (StageOutput) and registered with the run's success by the run store
// (server.RunResult.OutputObject).
type Shared struct {
	Registry Registry
	Objects  *objectstore.Store
	// Cache is the directory of local copies, created on first use.
	Cache string
	// CacheBytes bounds the copies kept besides those in use; 0 keeps
	// none (galley serve and galley worker set DefaultCacheBytes unless
	// told otherwise).
	CacheBytes int64
	// InUse, when set, says why a dataset cannot be deleted yet.
	InUse func(ctx context.Context, name string) error

	mu    sync.Mutex     // guards using and the cache directory's trimming
	using map[string]int // local copies in use, by path, and their users
}

var _ server.DatasetService = (*Shared)(nil)

// objectKey names a new version's file: uploads get a random name,
// scoring output the run and attempt that wrote it, so that a second
// attempt never overwrites what a first one may already have registered.
func objectKey(name, id string) string { return "datasets/" + name + "/" + id + ".parquet" }

// OutputObjectKey is where attempt of scoring run id stages its output
// dataset version of name.
func OutputObjectKey(name string, id int64, attempt int) string {
	return objectKey(name, fmt.Sprintf("run-%d-%d", id, attempt))
}

func randomID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// local is where the local copy of key lives.
func (s *Shared) local(key string) string { return filepath.Join(s.Cache, filepath.FromSlash(key)) }

func (s *Shared) tmpDir() (string, error) {
	dir := filepath.Join(s.Cache, ".tmp")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("datasets: %w", err)
	}
	return dir, nil
}

// ImportDataset implements server.DatasetService.
func (s *Shared) ImportDataset(ctx context.Context, name string, r io.Reader) (*server.DatasetVersion, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	tmp, err := s.tmpDir()
	if err != nil {
		return nil, err
	}
	path, err := spoolUpload(tmp, r)
	if err != nil {
		return nil, err
	}
	defer os.Remove(path)
	o, err := s.stage(ctx, name, path, objectKey(name, randomID()), "upload")
	if err != nil {
		return nil, err
	}
	v, err := s.Registry.AddCatalogVersion(ctx, o)
	if err != nil {
		s.DropObject(context.WithoutCancel(ctx), o.Object)
		return nil, err
	}
	v.Path = s.local(v.Object)
	return v, nil
}

// stage reads the CSV file at csvPath, writes it as a Parquet snapshot to
// the object store at key and keeps the file as the key's local copy.
func (s *Shared) stage(ctx context.Context, name, csvPath, key, source string) (*server.DatasetObject, error) {
	frame, err := readCSV(csvPath)
	if err != nil {
		return nil, err
	}
	defer frame.Release()
	tmp, err := s.tmpDir()
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(tmp, "snapshot-*.parquet")
	if err != nil {
		return nil, fmt.Errorf("datasets: %w", err)
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := catalog.WriteSnapshot(f.Name(), frame, source); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", name, err)
	}
	st, err := os.Stat(f.Name())
	if err != nil {
		return nil, err
	}
	if err := s.Objects.PutFile(ctx, key, f.Name()); err != nil {
		return nil, fmt.Errorf("storing dataset %s: %w", name, err)
	}
	o := &server.DatasetObject{Name: name, Object: key, Rows: frame.NumRows(), Columns: frame.Schema().Names(), Bytes: st.Size(), Source: source}
	// The copy just written is the object's: keep it rather than fetch
	// it back, if the cache has room for it.
	if dst := s.local(key); os.MkdirAll(filepath.Dir(dst), 0o755) == nil && os.Rename(f.Name(), dst) == nil {
		s.mu.Lock()
		s.trim()
		s.mu.Unlock()
	}
	return o, nil
}

// StageOutput writes the scores attempt of run id wrote (CSV at csvPath)
// to the object store as a Parquet snapshot with lin as its lineage,
// without registering it: the run store registers it in the transaction
// that records the run's success (server.RunResult.OutputObject). A staged
// output that is not registered is removed with DropObject.
func (s *Shared) StageOutput(ctx context.Context, name, csvPath string, id int64, attempt int, lin *server.Lineage) (*server.DatasetObject, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(lin)
	o, err := s.stage(ctx, name, csvPath, OutputObjectKey(name, id, attempt), string(b))
	if err != nil {
		return nil, err
	}
	o.Lineage = lin
	return o, nil
}

// DropObject removes a version's file that is no longer (or was never)
// registered, and its local copy; a failure only leaves the object for
// 'galley gc'.
func (s *Shared) DropObject(ctx context.Context, key string) {
	s.Objects.Delete(ctx, key)
	os.Remove(s.local(key))
}

// SaveOutput stores a scoring run's CSV output as the next version of name
// at once. Runs do not use it on the shared catalog (they stage their
// output and register it with their success); it serves callers that
// save output outside a run.
func (s *Shared) SaveOutput(ctx context.Context, name, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	return s.saveOutput(ctx, name, csvPath, lin, 0)
}

// ReplaceOutput stores a scoring run's CSV output in place of version ref.
func (s *Shared) ReplaceOutput(ctx context.Context, ref, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error) {
	v, err := s.FindDatasetVersion(ctx, ref)
	if err != nil {
		return nil, err
	}
	out, err := s.saveOutput(ctx, v.Name, csvPath, lin, v.Version)
	if err == nil {
		s.DropObject(context.WithoutCancel(ctx), v.Object)
	}
	return out, err
}

func (s *Shared) saveOutput(ctx context.Context, name, csvPath string, lin *server.Lineage, replaces int) (*server.DatasetVersion, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	b, _ := json.Marshal(lin)
	o, err := s.stage(ctx, name, csvPath, objectKey(name, randomID()), string(b))
	if err != nil {
		return nil, err
	}
	o.Lineage, o.Replaces = lin, replaces
	v, err := s.Registry.AddCatalogVersion(ctx, o)
	if err != nil {
		s.DropObject(context.WithoutCancel(ctx), o.Object)
		return nil, err
	}
	v.Path = s.local(v.Object)
	return v, nil
}

// Use makes sure v's local copy (v.Path) is there, fetching it from the
// object store when it is not, and keeps it there until release is
// called; the copy then counts against CacheBytes like any other.
func (s *Shared) Use(ctx context.Context, v *server.DatasetVersion) (release func(), err error) {
	path := s.local(v.Object)
	v.Path = path
	s.mu.Lock()
	if s.using == nil {
		s.using = map[string]int{}
	}
	s.using[path]++
	s.mu.Unlock()
	release = func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.using[path]--; s.using[path] <= 0 {
			delete(s.using, path)
		}
		s.trim()
	}
	if _, err := os.Stat(path); err == nil {
		filecache.Touch(path) // most recently used
	} else {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			release()
			return nil, fmt.Errorf("datasets: %w", err)
		}
		if err := s.Objects.Fetch(ctx, v.Object, path); err != nil {
			release()
			return nil, fmt.Errorf("fetching %s: %w", v.Snapshot(), err)
		}
	}
	s.mu.Lock()
	s.trim()
	s.mu.Unlock()
	return release, nil
}

// trim removes the least recently used local copies not in use until the
// cache is within CacheBytes. s.mu must be held.
func (s *Shared) trim() {
	d := filecache.Dir{Root: filepath.Join(s.Cache, "datasets"), Limit: s.CacheBytes, Exts: []string{".parquet"}}
	d.TrimExcept(func(path string) bool { return s.using[path] > 0 })
}

// ExportCSV writes snapshot ref as CSV to path, for recipes that read CSV.
func (s *Shared) ExportCSV(ctx context.Context, ref, path string) error {
	v, err := s.FindDatasetVersion(ctx, ref)
	if err != nil {
		return err
	}
	release, err := s.Use(ctx, v)
	if err != nil {
		return err
	}
	defer release()
	f, err := data.ReadParquet(v.Path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", ref, err)
	}
	defer f.Release()
	return f.WriteCSV(path)
}

// FindDataset implements server.DatasetService.
func (s *Shared) FindDataset(ctx context.Context, name string) (*server.Dataset, error) {
	if checkName(name) != nil {
		return nil, server.Errorf(server.ENOTFOUND, "dataset %q not found", name)
	}
	return s.Registry.FindCatalogDataset(ctx, name)
}

// FindDatasets implements server.DatasetService.
func (s *Shared) FindDatasets(ctx context.Context, f server.DatasetFilter) ([]*server.Dataset, int, error) {
	return s.Registry.FindCatalogDatasets(ctx, f)
}

// FindDatasetVersion implements server.DatasetService. The version's
// Path names its local copy, which Use makes sure of.
func (s *Shared) FindDatasetVersion(ctx context.Context, ref string) (*server.DatasetVersion, error) {
	name, sel, _ := strings.Cut(ref, "@")
	n := 0
	if sel != "" {
		var err error
		if n, err = strconv.Atoi(strings.TrimPrefix(sel, "v")); err != nil || n < 0 {
			return nil, server.Errorf(server.EINVALID, "dataset reference %q is invalid: use NAME or NAME@VERSION", ref)
		}
	}
	if _, err := s.FindDataset(ctx, name); err != nil {
		return nil, err
	}
	v, err := s.Registry.FindCatalogVersion(ctx, name, n)
	if err != nil {
		return nil, err
	}
	v.Path = s.local(v.Object)
	return v, nil
}

// FindDatasetVersions implements server.DatasetService.
func (s *Shared) FindDatasetVersions(ctx context.Context, name string, p server.Page) ([]*server.DatasetVersion, int, error) {
	if checkName(name) != nil {
		return nil, 0, server.Errorf(server.ENOTFOUND, "dataset %q not found", name)
	}
	vs, total, err := s.Registry.FindCatalogVersions(ctx, name, p)
	for _, v := range vs {
		v.Path = s.local(v.Object)
	}
	return vs, total, err
}

// DeleteDataset implements server.DatasetService: the versions go from
// the database, then their files from the object store and the cache.
func (s *Shared) DeleteDataset(ctx context.Context, name string) error {
	if _, err := s.FindDataset(ctx, name); err != nil {
		return err
	}
	if s.InUse != nil {
		if err := s.InUse(ctx, name); err != nil {
			return err
		}
	}
	objects, err := s.Registry.DeleteCatalogDataset(ctx, name)
	if err != nil {
		return err
	}
	// The dataset is gone once its rows are; a file that cannot be removed
	// now is left for 'galley gc'.
	for _, key := range objects {
		s.DropObject(ctx, key)
	}
	return nil
}
