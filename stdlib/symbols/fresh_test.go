package symbols

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/stdlib/symbols/symgen"
)

// Regenerating a table type-checks the package and its dependencies from
// source, which takes minutes for the Arrow-based packages; by default the
// test regenerates display only. GALLEY_SYMBOLS_ALL=1 compares them all.
func TestFresh(t *testing.T) {
	pkgName, paths, err := symgen.GenerateArgs("symbols.go")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("GALLEY_SYMBOLS_ALL") == "" {
		paths = []string{"github.com/galley-dev/galley/stdlib/display"}
	}
	dir := t.TempDir()
	if err := symgen.Generate(dir, pkgName, paths); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name := symgen.FileName(p)
		want, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is stale: run go generate ./stdlib/symbols", name)
		}
	}
}

func TestSymbolsExportDisplay(t *testing.T) {
	if !Symbols["github.com/galley-dev/galley/stdlib/display/display"]["Render"].IsValid() {
		t.Fatal("display.Render is not exported to the interpreter")
	}
}
