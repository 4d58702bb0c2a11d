package apidoc

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/galley-dev/galley/engine/apidoc/docgen"
)

// TestFresh regenerates the table as `go generate` would and compares it
// with the embedded one byte for byte.
func TestFresh(t *testing.T) {
	f, err := os.Open("apidoc.go")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var args []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "//go:generate go run ./docgen/cmd/docgen "); ok {
			args = strings.Fields(line)
		}
	}
	out, paths, err := docgen.Args(args)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := docgen.Generate(&b, ".", paths); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), compressed) || out != "apidoc.gz" {
		t.Fatalf("%s is stale (%d bytes, regenerated %d): run go generate ./engine/apidoc", out, len(compressed), b.Len())
	}
	if len(compressed) > 4<<20 {
		t.Errorf("table is %d bytes compressed; keep it under 4 MiB", len(compressed))
	}
}

func TestLookup(t *testing.T) {
	for _, tc := range []struct{ path, name, decl, doc string }{
		{"strings", "ToUpper", "func ToUpper(s string) string", "upper case"},
		{"strings", "Builder.WriteString", "func (b *Builder) WriteString(s string) (int, error)", "appends the contents of s"},
		{"strings", "Builder", "type Builder struct", "efficiently build a string"},
		{"io", "ReadWriter.Read", "func (ReadWriter) Read(p []byte) (n int, err error)", ""},
		{"io", "Reader.Read", "func (Reader) Read(p []byte) (n int, err error)", ""},
		{"net/http", "StatusNotFound", "const StatusNotFound = 404", ""},
		{"net/http", "Request.Method", "field Method string", "HTTP method"},
		{"fmt", "", "package fmt", "formatted I/O"},
		{"slices", "Sort", "func Sort[S ~[]E, E cmp.Ordered](x S)", "ascending order"},
		{"github.com/galley-dev/galley/stdlib/data", "ReadCSV", "func ReadCSV(path string", "CSV"},
	} {
		e, ok := Lookup(tc.path, tc.name)
		if !ok || !strings.HasPrefix(e.Decl, tc.decl) || !strings.Contains(e.Doc, tc.doc) {
			t.Errorf("Lookup(%q, %q) = %q, %q, %v; want decl %q and doc with %q", tc.path, tc.name, e.Decl, e.Doc, ok, tc.decl, tc.doc)
		}
	}
	if _, ok := Lookup("strings", "builder"); ok {
		t.Error("found an unexported name")
	}
}
