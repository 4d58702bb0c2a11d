package filecache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTrim: past the bound the least recently used files go first, the
// file kept stays even alone over the bound, and files of other kinds and
// hidden ones are neither counted nor removed.
func TestTrim(t *testing.T) {
	root := t.TempDir()
	write := func(name string, size int, age time.Duration) string {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		when := time.Now().Add(-age)
		os.Chtimes(p, when, when)
		return p
	}
	old := write("a/old.parquet", 100, 3*time.Hour)
	used := write("a/used.parquet", 100, 2*time.Hour)
	recent := write("b/recent.csv", 100, time.Hour)
	other := write("b/notes.txt", 1000, 4*time.Hour)
	partial := write("b/.download-1", 1000, 4*time.Hour)
	Touch(used)

	d := &Dir{Root: root, Limit: 250, Exts: []string{".parquet", ".csv"}}
	d.Trim("")
	exists := func(p string) bool { _, err := os.Stat(p); return err == nil }
	if exists(old) || !exists(used) || !exists(recent) || !exists(other) || !exists(partial) {
		t.Errorf("after trimming to 250 bytes: old %v, used %v, recent %v, other %v, partial %v; want only old gone",
			exists(old), exists(used), exists(recent), exists(other), exists(partial))
	}
	big := write("c/big.parquet", 500, 5*time.Hour)
	d.Trim(big)
	if !exists(big) || exists(used) || exists(recent) {
		t.Errorf("after a 500-byte file kept: big %v, used %v, recent %v; want only big", exists(big), exists(used), exists(recent))
	}
}
