package notebook_test

import (
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
)

func TestParametersForRun(t *testing.T) {
	nb := &notebook.Notebook{Cells: []notebook.Cell{
		{Index: 0, Type: "code", Source: "import \"time\""},
		{Index: 1, ID: "p", Type: "code", Tags: []string{"parameters"}, Source: "epochs := 5 // passes\nrate := 0.1\nname := \"x\"\nverbose := false\nvar wait time.Duration = 5000000000\ncols := []string{\"a\", \"b\"}\nvar ws []float64 = []float64{1, 2.5}\n"},
	}}
	cell, params, ok, err := notebook.Parameters(nb)
	if err != nil || !ok || cell.ID != "p" {
		t.Fatalf("Parameters = %v, %v, %v", cell, ok, err)
	}
	var got []string
	for _, p := range params {
		got = append(got, p.Name+" "+p.Type+" "+p.Default)
	}
	want := []string{"epochs int 5", "rate float64 0.1", `name string "x"`, "verbose bool false", "wait time.Duration 5000000000", `cols []string []string{"a", "b"}`, "ws []float64 []float64{1.0, 2.5}"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("params:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if params[0].Description != "passes" {
		t.Errorf("description = %q", params[0].Description)
	}

	// A recipe reads the same declarations the same way.
	r, err := notebook.Convert(nb)
	if err != nil || len(r.Params) != len(params) || r.Params[5] != params[5] {
		t.Errorf("Convert reads other parameters: %v, %v", r, err)
	}
	if _, _, ok, err := notebook.Parameters(&notebook.Notebook{Cells: []notebook.Cell{{Type: "code", Source: "x := 1"}}}); ok || err != nil {
		t.Errorf("a notebook without a parameters cell: ok %v, err %v", ok, err)
	}
	nb.Cells[1].Source = "cols := f()\n"
	if _, _, _, err := notebook.Parameters(nb); err == nil || !strings.Contains(err.Error(), "cell 1 (id p) line 1") {
		t.Errorf("a call as a default: %v", err)
	}
}
