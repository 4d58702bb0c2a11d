package symbols

import (
	"bytes"
	"os"
	"testing"

	"github.com/traefik/yaegi/extract"
)

// TestFresh fails when the generated symbol table no longer matches package
// recipe's exported API.
func TestFresh(t *testing.T) {
	const pkg = "github.com/galley-dev/galley/stdlib/recipe"
	var want bytes.Buffer
	if _, err := (&extract.Extractor{Dest: "symbols"}).Extract(pkg, "", &want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("github_com-galley-dev-galley-stdlib-recipe.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Error("github_com-galley-dev-galley-stdlib-recipe.go is stale: run go generate ./stdlib/recipe/symbols")
	}
}

func TestSymbolsExportRecipe(t *testing.T) {
	if !Symbols["github.com/galley-dev/galley/stdlib/recipe/recipe"]["Try"].IsValid() {
		t.Fatal("recipe.Try is not exported to the interpreter")
	}
}
