//go:build unix

package data

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMappedFileTruncated reads a mapped file after it shrank: the fault
// must come back as an error, not crash the process.
func TestMappedFileTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(path, []byte("a,b\n"+strings.Repeat("1,2\n", 10000)), 0o644); err != nil {
		t.Fatal(err)
	}
	fb, err := mapFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.close()
	buf := fb.buf
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	var g faultGuard
	var f *Frame
	g.do(func() { f, err = readCSVGuarded(buf, path, csvOpts(nil), 1, &g, nil) })
	if g.failed() == nil {
		f.Release()
		t.Fatalf("no fault reading a truncated mapping (err %v)", err)
	}
	if !strings.Contains(g.failed().Error(), "changed while it was read") {
		t.Fatalf("error %v", g.failed())
	}
}

// A small file is read rather than mapped, whole.
func TestSmallFileIsRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.csv")
	want := "a,b\n" + strings.Repeat("1,2\n", 100)
	if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
		t.Fatal(err)
	}
	fb, err := mapFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.close()
	buf := fb.buf
	if string(buf) != want {
		t.Fatalf("read %d bytes %q..., want %d", len(buf), buf[:min(len(buf), 20)], len(want))
	}
	f, err := ReadCSV(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if f.NumRows() != 100 {
		t.Fatalf("%d rows, want 100", f.NumRows())
	}
}

// Dropping parts of a mapping leaves the file's bytes readable; dropping
// parts of read contents leaves them as they were.
func TestFileBytesDrop(t *testing.T) {
	dir := t.TempDir()
	for _, size := range []int{100, 3 << 20} { // read, mapped
		want := []byte(strings.Repeat("0123456789abcde\n", size/16))
		path := filepath.Join(dir, "d.csv")
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		fb, err := mapFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if fb.mapped != (size >= mapMinBytes) {
			t.Errorf("%d bytes: mapped %v", size, fb.mapped)
		}
		fb.drop(fb.buf[1:])
		fb.drop(fb.buf[len(fb.buf)/3 : len(fb.buf)/2])
		fb.drop([]byte("not part of the file"))
		if !bytes.Equal(fb.buf, want) {
			t.Errorf("%d bytes: contents changed after drop", size)
		}
		fb.close()
	}
}
