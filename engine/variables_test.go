package engine

import (
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/display"
)

func TestVariables(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, `type point struct {
	X, Y int
	label string
}
n := 42
name := "galley"
pts := []point{{1, 2, "a"}, {3, 4, "b"}}
counts := map[string]int{"a": 1, "b": 2}
var p *point
q := &point{5, 6, "q"}
var err error = errors.New("boom")
df, _ := data.ReadCSVFrom(strings.NewReader("a,b\n1,x\n2,y\n"))
xs := make([]float64, 1000)`)
	vars := map[string]Variable{}
	for _, v := range e.Variables(GlobalsRef) {
		vars[v.Name] = v
	}
	for _, want := range []Variable{
		{Name: "n", Type: "int", Value: "42"},
		{Name: "name", Type: "string", Value: `"galley"`},
		{Name: "pts", Type: "[]point", Value: "len 2"},
		{Name: "counts", Type: "map[string]int", Value: "len 2"},
		{Name: "p", Type: "*point", Value: "nil"},
		{Name: "err", Type: "error", Value: "boom"},
		{Name: "df", Type: "*data.Frame", Value: "Frame 2 rows × 2 columns …"},
		{Name: "xs", Type: "[]float64", Value: "len 1000: [0 0 0 0 0 0 0 0 0 0 …]"},
	} {
		got, ok := vars[want.Name]
		if !ok {
			t.Errorf("variable %s missing from %v", want.Name, vars)
			continue
		}
		if got.Type != want.Type || want.Value != "" && got.Value != want.Value {
			t.Errorf("%s = %+v, want type %q value %q", want.Name, got, want.Type, want.Value)
		}
	}
	if vars["n"].Ref != 0 || vars["p"].Ref != 0 {
		t.Errorf("scalars and nil pointers expand: %+v %+v", vars["n"], vars["p"])
	}
	// Slices expand to elements, elements of struct type to their fields,
	// unexported ones included for a cell's own type.
	elems := e.Variables(vars["pts"].Ref)
	if len(elems) != 2 || elems[0].Name != "0" || elems[0].Ref == 0 {
		t.Fatalf("pts expands to %+v", elems)
	}
	fields := e.Variables(elems[1].Ref)
	if got := describeAll(fields); got != "X int 3; Y int 4; label string \"b\"" {
		t.Errorf("pts[1] expands to %s", got)
	}
	if got := describeAll(e.Variables(vars["counts"].Ref)); got != "\"a\" int 1; \"b\" int 2" {
		t.Errorf("counts expands to %s", got)
	}
	if got := describeAll(e.Variables(vars["q"].Ref)); got != "X int 5; Y int 6; label string \"q\"" {
		t.Errorf("q expands to %s", got)
	}
	if e.Variables(9999) != nil {
		t.Error("an unknown reference lists something")
	}
	// A data frame renders as a table.
	d, ok := e.RichVariable("df")
	if html, _ := d.Bundle[display.MIMEHTML].(string); !ok || !strings.Contains(html, "<table") {
		t.Errorf("RichVariable(df) = %v, %v; want an HTML table", d.Bundle, ok)
	}
	if _, ok := e.RichVariable("nosuch"); ok {
		t.Error("RichVariable of an unknown name succeeded")
	}
}

func describeAll(vs []Variable) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, v.Name+" "+v.Type+" "+v.Value)
	}
	return strings.Join(parts, "; ")
}
