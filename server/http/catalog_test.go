package http_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/galley-dev/galley/server"
	galleyhttp "github.com/galley-dev/galley/server/http"
	"github.com/galley-dev/galley/server/sqlite/sqlitetest"
	"github.com/galley-dev/galley/stdlib/catalog"
)

// countingServer serves datasets (the Parquet catalog, or the database's
// CSV datasets when csv is set) and counts the requests for each path.
func countingServer(t *testing.T, csv bool) (*httptest.Server, func(name, csv string) *server.DatasetVersion, func(path string) int, server.DatasetService) {
	t.Helper()
	db, ds := sqlitetest.Open(t)
	s := &galleyhttp.Server{Datasets: ds}
	if csv {
		s.Datasets = db
	}
	h := s.Handler()
	var mu sync.Mutex
	hits := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	imp := func(name, body string) *server.DatasetVersion {
		v, err := s.Datasets.ImportDataset(context.Background(), name, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	count := func(path string) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[path]
	}
	return ts, imp, count, s.Datasets
}

func rows(t *testing.T, sh *catalog.Shared, ref string) int {
	t.Helper()
	f, err := sh.Open(ref)
	if err != nil {
		t.Fatalf("Open(%s): %v", ref, err)
	}
	defer f.Release()
	return f.NumRows()
}

// TestSharedCatalogOverHTTP: stdlib/catalog's Shared over the API reads a
// server's versions by name and number, downloads each once, fetches a
// replaced version anew, keeps its cache within bounds, and names the
// server in its errors.
func TestSharedCatalogOverHTTP(t *testing.T) {
	ts, imp, hits, ds := countingServer(t, false)
	v1 := imp("d", "x,y\n1,a\n2,b\n3,c\n")
	v2 := imp("d", "x,y\n1,a\n2,b\n3,c\n4,d\n5,e\n")
	cache := t.TempDir()
	remote := &galleyhttp.Catalog{Client: galleyhttp.NewClient(ts.URL, "")}
	sh := &catalog.Shared{Remote: remote, Cache: cache, CacheBytes: 1 << 20}

	if n := rows(t, sh, "d"); n != 5 {
		t.Errorf("d (latest) has %d rows, want 5", n)
	}
	if n := rows(t, sh, "d@1") + rows(t, sh, "d@v1"); n != 6 {
		t.Errorf("d@1 and d@v1 have %d rows together, want 3 each", n)
	}
	if n := hits("/api/datasets/d/versions/1/parquet"); n != 1 {
		t.Errorf("d@1 was downloaded %d times, want once", n)
	}
	// The copy is the server's snapshot, byte for byte.
	copies, _ := filepath.Glob(filepath.Join(cache, "d", "v000001-*.parquet"))
	want, _ := os.ReadFile(v1.Path)
	if got, err := os.ReadFile(copies[0]); len(copies) != 1 || err != nil || !bytes.Equal(got, want) {
		t.Errorf("cached copies of d@1 %v differ from the server's snapshot (%v)", copies, err)
	}
	// File's CSV is what a run reading d@1 gets.
	p, err := sh.File("d@1")
	if err != nil {
		t.Fatal(err)
	}
	runInput := filepath.Join(t.TempDir(), "input.csv")
	if err := remote.Client.DatasetData(context.Background(), "d@1", mustCreate(t, runInput)); err != nil {
		t.Fatal(err)
	}
	if a, b := readFile(t, p), readFile(t, runInput); !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("x,y\n")) {
		t.Errorf("File(d@1) = %q, the download %q", a, b)
	}

	// A version the server replaced (a schedule slot that ran again) is
	// fetched anew: its copy is named by its creation time too.
	scores := filepath.Join(t.TempDir(), "scores.csv")
	os.WriteFile(scores, []byte("x,y\n9,z\n"), 0o644)
	replacer := ds.(interface {
		ReplaceOutput(ctx context.Context, ref, csvPath string, lin *server.Lineage) (*server.DatasetVersion, error)
	})
	if _, err := replacer.ReplaceOutput(context.Background(), "d@1", scores, &server.Lineage{RunID: 1}); err != nil {
		t.Fatal(err)
	}
	if n := rows(t, sh, "d@1"); n != 1 || hits("/api/datasets/d/versions/1/parquet") != 2 {
		t.Errorf("the replaced d@1 read %d rows after %d downloads, want 1 row after 2", n, hits("/api/datasets/d/versions/1/parquet"))
	}

	if names, err := sh.Names(); err != nil || strings.Join(names, ",") != "d" {
		t.Errorf("Names() = %v, %v", names, err)
	}
	where := "the galley server at " + ts.URL + " ($GALLEY_SERVER)"
	for ref, msg := range map[string]string{"nosuch": "dataset nosuch not found", "d@7": "dataset d has no version 7"} {
		_, err := sh.Open(ref)
		if !errors.Is(err, catalog.ErrNotFound) || !strings.Contains(err.Error(), msg) || !strings.Contains(err.Error(), where) {
			t.Errorf("Open(%s) = %v", ref, err)
		}
	}
	for _, ref := range []string{"d@0", "d@x", "d@", "../d", ""} {
		if _, err := sh.Open(ref); !errors.Is(err, catalog.ErrInvalidName) {
			t.Errorf("Open(%q) = %v, want an invalid name", ref, err)
		}
	}

	// A bound that holds one version keeps just the copy last read.
	sh = &catalog.Shared{Remote: remote, Cache: cache, CacheBytes: v2.Bytes + 10}
	rows(t, sh, "d@2")
	left, _ := filepath.Glob(filepath.Join(cache, "d", "v*"))
	if len(left) != 1 || !strings.Contains(filepath.Base(left[0]), "v000002-") {
		t.Errorf("with a bound of one version the cache holds %v, want only d@2's copy", left)
	}
	// A version larger than the bound is refused before it is downloaded,
	// and a CSV larger than it as it arrives.
	sh = &catalog.Shared{Remote: remote, Cache: t.TempDir(), CacheBytes: 10}
	before := hits("/api/datasets/d/versions/2/parquet")
	if _, err := sh.Open("d@2"); err == nil || !strings.Contains(err.Error(), "more than the 10 bytes its local copies may take: raise GALLEY_CATALOG_CACHE") ||
		hits("/api/datasets/d/versions/2/parquet") != before {
		t.Errorf("Open(d@2) with a 10-byte bound = %v", err)
	}
	if _, err := sh.File("d@2"); err == nil || !strings.Contains(err.Error(), "is larger than the 10 bytes") {
		t.Errorf("File(d@2) with a 10-byte bound = %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(sh.Cache, "d")); len(left) != 0 {
		t.Errorf("refused downloads left %v", left)
	}
}

// TestSharedCatalogCSVServer: a server keeping datasets as CSV has no
// Parquet to send (501), and Shared reads the CSV instead.
func TestSharedCatalogCSVServer(t *testing.T) {
	ts, imp, hits, _ := countingServer(t, true)
	imp("c", "x\n1\n2\n")
	sh := &catalog.Shared{Remote: &galleyhttp.Catalog{Client: galleyhttp.NewClient(ts.URL, "")}, Cache: t.TempDir()}
	if n := rows(t, sh, "c@1"); n != 2 {
		t.Errorf("c@1 has %d rows, want 2", n)
	}
	if hits("/api/datasets/c/versions/1/parquet") != 1 || hits("/api/datasets/c/versions/1/data") != 1 {
		t.Errorf("Parquet asked %d times, CSV %d; want once each", hits("/api/datasets/c/versions/1/parquet"), hits("/api/datasets/c/versions/1/data"))
	}
}

func mustCreate(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
