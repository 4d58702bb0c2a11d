package worker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/recipe"
)

func TestWriteCSVFrames(t *testing.T) {
	df, err := data.New(data.Strings("id", []string{"a", "b"}), data.Float64s("p", []float64{0.25, 0.5}))
	if err != nil {
		t.Fatal(err)
	}
	defer df.Release()
	tb := recipe.NewTable("id")
	tb.Add("id", []string{"a", "b"})
	tb.AddFloats("p", []float64{0.25, 0.5})
	for name, f := range map[string]recipe.Frame{"data.Frame": df, "recipe.Table": tb} {
		path := filepath.Join(t.TempDir(), "out.csv")
		if !savable(f) {
			t.Fatalf("%s is not savable", name)
		}
		if err := writeCSV(f, path); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != "id,p\na,0.25\nb,0.5\n" {
			t.Errorf("%s wrote %q", name, b)
		}
	}
}
