package stdsymbols

import (
	"os"
	"testing"

	"github.com/galley-dev/galley/stdlib/symbols/symgen"
)

// Regenerating every standard package takes minutes, so by default the test
// regenerates the packages whose API changes most between releases; set
// GALLEY_SYMBOLS_ALL=1 to compare all of them.
var freshSample = map[string]bool{"strings": true, "sync": true, "os": true, "time": true, "bytes": true}

func TestFresh(t *testing.T) {
	pkgName, paths, err := symgen.GenerateArgs("symbols.go")
	if err != nil {
		t.Fatal(err)
	}
	if os.Getenv("GALLEY_SYMBOLS_ALL") == "" {
		var sample []string
		for _, p := range paths {
			if freshSample[p] {
				sample = append(sample, p)
			}
		}
		if len(sample) != len(freshSample) {
			t.Fatalf("sample %v not all listed in go:generate lines (found %v)", freshSample, sample)
		}
		paths = sample
	}
	dir := t.TempDir()
	if err := symgen.Generate(dir, pkgName, paths); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		name := symgen.FileName(p)
		want, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != string(want) {
			t.Errorf("%s is stale: run go generate ./engine/stdsymbols", name)
		}
	}
}

func TestSymbolsCurrentAPI(t *testing.T) {
	for pkg, names := range map[string][]string{
		"strings/strings": {"SplitSeq", "Lines", "FieldsSeq"},
		"sync/sync":       {"WaitGroup", "Map"},
		"os/os":           {"Exit", "ReadFile"},
	} {
		for _, n := range names {
			if !Symbols[pkg][n].IsValid() {
				t.Errorf("%s has no %s", pkg, n)
			}
		}
	}
}
