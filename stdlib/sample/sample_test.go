package sample

import (
	"fmt"
	"os"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
)

func TestSyntheticMatchesRealSchema(t *testing.T) {
	tests := []struct {
		file  string
		gen   func() (*data.Frame, error)
		label string
	}{
		{TelcoFile, func() (*data.Frame, error) { return Churn(2000, 3) }, "Churn"},
		{BankFile, func() (*data.Frame, error) { return Bank(5000, 3) }, "y"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			syn, err := tt.gen()
			if err != nil {
				t.Fatal(err)
			}
			again, _ := tt.gen()
			if syn.String() != again.String() {
				t.Error("generator is not reproducible for a seed")
			}
			p, err := data.Profile(syn, tt.label)
			if err != nil {
				t.Fatal(err)
			}
			// Some numeric column must carry real signal about the label.
			best := 0.0
			for _, c := range p.Columns {
				if c.AssocKind == "AUC" {
					best = max(best, c.Assoc, 1-c.Assoc)
				}
			}
			if best < 0.65 {
				t.Errorf("weak signal: best AUC %.2f", best)
			}
			path, ok := Locate(tt.file)
			if !ok {
				if os.Getenv("CI") == "true" {
					t.Fatalf("%s not found under CI", tt.file)
				}
				t.Skip("real file absent")
			}
			real, err := data.ReadCSV(path)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(real.Schema()) != fmt.Sprint(syn.Schema()) {
				t.Errorf("schema differs:\nreal %s\nsyn  %s", real.Schema(), syn.Schema())
			}
		})
	}
}

func TestLocateEnv(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/x.csv", []byte("a\n1\n"), 0o644)
	t.Setenv("GALLEY_DATASETS", dir)
	if p, ok := Locate("x.csv"); !ok || p != dir+"/x.csv" {
		t.Errorf("Locate = %q %v", p, ok)
	}
}

func ExampleChurn() {
	f, err := Churn(100, 42)
	if err != nil {
		panic(err)
	}
	fmt.Println(f.Shape())
	// Output: 100 21
}
