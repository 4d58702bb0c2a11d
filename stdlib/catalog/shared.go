package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/galley-dev/galley/stdlib/catalog/filecache"
	"github.com/galley-dev/galley/stdlib/data"
)

// A team's datasets live on its galley server (in its database and object
// store when it runs with --storage), where recipes and scoring runs read
// them. A notebook whose kernel is configured for that server
// ($GALLEY_SERVER) reaches the same datasets by name through Shared: Load,
// File and Names resolve names and versions on the server, and the
// versions read are kept in a local cache.

// ParseRef splits a dataset reference, "NAME" or "NAME@VERSION" (a "v"
// before the number is allowed: "telco@v3"), into the name and the version
// number, 0 for the latest.
func ParseRef(ref string) (name string, version int, err error) {
	name, sel, versioned := strings.Cut(ref, "@")
	if versioned {
		n, err := strconv.Atoi(strings.TrimPrefix(sel, "v"))
		if err != nil || n < 1 {
			return "", 0, fmt.Errorf("%w: dataset reference %q: use NAME or NAME@VERSION with a version from 1", ErrInvalidName, ref)
		}
		version = n
	}
	if err := checkName(name); err != nil {
		return "", 0, err
	}
	return name, version, nil
}

// Remote is a catalog on a server, as Shared reads it. Errors for unknown
// datasets and versions wrap ErrNotFound; the others say what to do.
type Remote interface {
	// Where names the server for messages, and how it was chosen.
	Where() string
	// Names lists the server's dataset names in alphabetical order.
	Names(ctx context.Context) ([]string, error)
	// Version describes version n of name, its latest for 0.
	Version(ctx context.Context, name string, n int) (RemoteVersion, error)
	// Download writes version n of name to w, as format: "parquet" (the
	// snapshot the server keeps) or "csv" (the file a run's recipe reads
	// as its input).
	Download(ctx context.Context, name string, n int, format string, w io.Writer) error
}

// RemoteVersion describes a version of a dataset on a server.
type RemoteVersion struct {
	Name    string
	Version int
	Rows    int
	// Bytes is the size of the Parquet snapshot.
	Bytes   int64
	Created time.Time
}

// ErrNoParquet is wrapped by Remote.Download for servers that keep
// datasets as CSV only; Shared then reads the CSV.
var ErrNoParquet = errors.New("the server keeps no Parquet snapshots")

// DefaultCacheBytes bounds a Shared catalog's local copies unless set.
const DefaultCacheBytes = 10 << 30

// Shared reads datasets from a Remote catalog and keeps the versions it
// read in Cache, a directory of its own: NAME/vNNNNNN-CREATED.parquet (and
// .csv for File). A version's number and creation time name its copy, so a
// version the server replaced (a schedule slot that ran again) is fetched
// anew and a copy is never stale. Past CacheBytes the least recently used
// copies are removed.
type Shared struct {
	Remote     Remote
	Cache      string
	CacheBytes int64

	files atomic.Pointer[filecache.Dir]
}

// shared is the process's shared catalog (UseShared), nil for none.
var shared atomic.Pointer[Shared]

// UseShared makes Load, File and Names read datasets from s, or from the
// local catalog again when s is nil. galley's kernel calls it once, when it
// starts for a server ($GALLEY_SERVER).
func UseShared(s *Shared) { shared.Store(s) }

// SharedCatalog returns the shared catalog Load reads, or nil when it reads
// the local one.
func SharedCatalog() *Shared { return shared.Load() }

func (s *Shared) cache() *filecache.Dir {
	if d := s.files.Load(); d != nil {
		return d
	}
	limit := s.CacheBytes
	if limit <= 0 {
		limit = DefaultCacheBytes
	}
	s.files.CompareAndSwap(nil, &filecache.Dir{Root: s.Cache, Limit: limit, Exts: []string{".parquet", ".csv"}})
	return s.files.Load()
}

// Names lists the server's datasets.
func (s *Shared) Names() ([]string, error) {
	return s.Remote.Names(context.Background())
}

// Info describes version ref ("NAME" for the latest, or "NAME@VERSION").
func (s *Shared) Info(ref string) (RemoteVersion, error) {
	name, n, err := ParseRef(ref)
	if err != nil {
		return RemoteVersion{}, err
	}
	return s.Remote.Version(context.Background(), name, n)
}

// Open reads version ref from its Parquet snapshot, the file the server
// keeps, fetched once into the cache.
func (s *Shared) Open(ref string) (*data.Frame, error) {
	v, err := s.Info(ref)
	if err != nil {
		return nil, err
	}
	p, err := s.fetch(v, "parquet")
	if errors.Is(err, ErrNoParquet) {
		if p, err = s.fetch(v, "csv"); err == nil {
			return data.ReadCSV(p)
		}
	}
	if err != nil {
		return nil, err
	}
	return data.ReadParquet(p)
}

// File returns the path of version ref as CSV: the bytes the server gives
// a run that reads the version, so a recipe's Load called with it in a
// notebook reads what it reads on the server.
func (s *Shared) File(ref string) (string, error) {
	v, err := s.Info(ref)
	if err != nil {
		return "", err
	}
	return s.fetch(v, "csv")
}

// fetch returns the cached copy of v as format, downloading it first when
// the cache has none.
func (s *Shared) fetch(v RemoteVersion, format string) (string, error) {
	path := filepath.Join(s.Cache, v.Name, fmt.Sprintf("v%06d-%d.%s", v.Version, v.Created.UnixNano(), format))
	if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() {
		filecache.Touch(path)
		s.cache().Trim(path)
		return path, nil
	}
	limit := s.cache().Limit
	if format == "parquet" && v.Bytes > limit {
		return "", s.tooLarge(v, v.Bytes, limit)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("catalog cache: %w", err)
	}
	// Downloads go to a hidden file, renamed into place once whole, so
	// that kernels reading the same version at once never see half a file.
	tmp, err := os.CreateTemp(filepath.Dir(path), ".download-*")
	if err != nil {
		return "", fmt.Errorf("catalog cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	bounded := &boundedWriter{w: tmp, left: limit}
	err = s.Remote.Download(context.Background(), v.Name, v.Version, format, bounded)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if bounded.over {
		return "", s.tooLarge(v, 0, limit)
	}
	if err != nil {
		return "", fmt.Errorf("dataset %s@%d: %w", v.Name, v.Version, err)
	}
	if format == "parquet" && v.Bytes > 0 {
		if st, err := os.Stat(tmp.Name()); err != nil || st.Size() != v.Bytes {
			return "", fmt.Errorf("dataset %s@%d: the download from %s was cut short: try again", v.Name, v.Version, s.Remote.Where())
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("catalog cache: %w", err)
	}
	s.cache().Trim(path)
	return path, nil
}

// tooLarge says that a version does not fit in the cache at all.
func (s *Shared) tooLarge(v RemoteVersion, size, limit int64) error {
	what := "is larger than"
	if size > 0 {
		what = fmt.Sprintf("takes %d bytes, more than", size)
	}
	return fmt.Errorf("dataset %s@%d %s the %d bytes its local copies may take: raise GALLEY_CATALOG_CACHE (or galley kernel --catalog-cache) and restart the kernel", v.Name, v.Version, what, limit)
}

// boundedWriter fails once more than left bytes were written to it.
type boundedWriter struct {
	w    io.Writer
	left int64
	over bool
}

var errOverBound = errors.New("the download is larger than the cache's bound")

func (b *boundedWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > b.left {
		b.over = true
		return 0, errOverBound
	}
	b.left -= int64(len(p))
	return b.w.Write(p)
}
