package notebook_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/stdlib/recipe"
)

// nb builds a notebook from cells given as (tags, source) pairs.
func nb(cells ...[2]string) []byte {
	var cs []map[string]any
	for i, c := range cells {
		cell := map[string]any{"cell_type": "code", "id": "id" + string(rune('a'+i)), "metadata": map[string]any{}, "source": c[1], "outputs": []any{}}
		if c[0] != "" {
			cell["metadata"] = map[string]any{"tags": strings.Split(c[0], ",")}
		}
		cs = append(cs, cell)
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": cs})
	return b
}

const entry = `func Load(cfg recipe.Config) (recipe.Frame, error) { return nil, nil }`

func TestConvertChurn(t *testing.T) {
	raw, err := os.ReadFile("../../testdata/recipes/churn.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	r, err := notebook.ConvertBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []recipe.Param{
		{Name: "epochs", Type: "int", Default: "40", Description: "Passes of gradient descent over the training data."},
		{Name: "learningRate", Type: "float64", Default: "0.5", Description: "step size"},
		{Name: "threshold", Type: "float64", Default: "0.5", Description: "probability above which a customer is predicted to churn"},
		{Name: "testFraction", Type: "float64", Default: "0.25"},
		{Name: "seed", Type: "int", Default: "7"},
	}
	if len(r.Params) != len(want) {
		t.Fatalf("params = %+v", r.Params)
	}
	for i := range want {
		if r.Params[i] != want[i] {
			t.Errorf("param %d = %+v, want %+v", i, r.Params[i], want[i])
		}
	}
	for _, bad := range []string{"%time", "recipe.Try", "WithLimit(500)"} {
		if strings.Contains(r.Source, bad) {
			t.Errorf("source contains %q, which should have been left out", bad)
		}
	}
	// A cell's last statement runs in a recipe as in the notebook: what it
	// prints goes to the run's log, and only a displayed value is dropped.
	if !strings.Contains(r.Source, `fmt.Println("features:"`) {
		t.Errorf("source lost a cell's last statement:\n%s", r.Source)
	}
	if r.Sample != "telco-churn" || r.SampleRows != 200 {
		t.Errorf("sample = %q/%d", r.Sample, r.SampleRows)
	}
	r2, _ := notebook.ConvertBytes(raw)
	if r2.ContentHash != r.ContentHash || len(r.ContentHash) != 64 {
		t.Errorf("content hash not stable: %s vs %s", r.ContentHash, r2.ContentHash)
	}
}

func TestConvert(t *testing.T) {
	tests := []struct {
		name    string
		raw     []byte
		wantErr string
		check   func(t *testing.T, r *notebook.Recipe)
	}{
		{name: "not json", raw: []byte("{"), wantErr: "notebook: not valid JSON"},
		{name: "not a notebook", raw: []byte(`{"a":1}`), wantErr: "not a Jupyter notebook"},
		{name: "nbformat 3", raw: []byte(`{"nbformat":3,"nbformat_minor":0,"cells":[]}`), wantErr: "nbformat 3.0 is not supported"},
		{name: "minor 6", raw: []byte(`{"nbformat":4,"nbformat_minor":6,"cells":[]}`), wantErr: "nbformat 4.6 is not supported"},
		{name: "minor 0 list source", raw: []byte(`{"nbformat":4,"nbformat_minor":0,"metadata":{},"cells":[{"cell_type":"code","metadata":{},"source":["x := 1\n","y := 2"]}]}`),
			check: func(t *testing.T, r *notebook.Recipe) {
				if !strings.Contains(r.Source, "//galley:cell 0 -\nx := 1\ny := 2\n") {
					t.Errorf("source:\n%s", r.Source)
				}
			}},
		{name: "bad cell type", raw: []byte(`{"nbformat":4,"nbformat_minor":5,"cells":[{"cell_type":"weird","id":"q","source":""}]}`), wantErr: "cell 0 (id q): unknown cell_type"},
		{name: "syntax error names cell and line", raw: nb([2]string{"", "import \"fmt\""}, [2]string{"", "x := 1\ny := (\nfmt.Println(x)"}), wantErr: "cell 1 (id idb) line 3 column 15: syntax error"},
		{name: "syntax error in a declaration", raw: nb([2]string{"", "x := 1\nfunc f() int {\n\treturn x +\n}"}), wantErr: "cell 0 (id ida) line 4 column 1: syntax error"},
		{name: "slice parameters", raw: nb([2]string{"parameters", "cols := []string{`a`, \"b\"}\nvar ks []int = []int{1, -2}\nws := []float64{1, 0.5}"}), check: func(t *testing.T, r *notebook.Recipe) {
			want := []recipe.Param{
				{Name: "cols", Type: "[]string", Default: `[]string{"a", "b"}`},
				{Name: "ks", Type: "[]int", Default: "[]int{1, -2}"},
				{Name: "ws", Type: "[]float64", Default: "[]float64{1.0, 0.5}"},
			}
			if !reflect.DeepEqual(r.Params, want) {
				t.Errorf("params = %+v, want %+v", r.Params, want)
			}
		}},
		{name: "slice of expressions", raw: nb([2]string{"parameters", "xs := []int{1, 1 + 1}"}), wantErr: "line 1 column 1: parameter xs: default must be a literal"},
		{name: "const parameter", raw: nb([2]string{"parameters", "const (\n\t// how many\n\tn = 3\n)"}), check: func(t *testing.T, r *notebook.Recipe) {
			if len(r.Params) != 1 || r.Params[0] != (recipe.Param{Name: "n", Type: "int", Default: "3", Description: "how many"}) {
				t.Errorf("params = %+v", r.Params)
			}
		}},
		{name: "parameter not literal", raw: nb([2]string{"parameters", "a := 1\nb := a + 1"}), wantErr: "cell 0 (id ida) line 2 column 1: parameter b: default must be a literal"},
		{name: "parameter wrong type", raw: nb([2]string{"parameters", "var a int = \"x\""}), wantErr: "cell 0 (id ida) line 1 column 5: parameter a:"},
		{name: "parameters cell with code", raw: nb([2]string{"parameters", "a := 1\nfmt.Println(a)"}), wantErr: "line 2 column 1: the parameters cell may only declare"},
		{name: "two parameters cells", raw: nb([2]string{"parameters", "a := 1"}, [2]string{"parameters", "b := 1"}), wantErr: "cell 1 (id idb): a second cell is tagged"},
		{name: "skip, exploration, magics and display", raw: nb(
			[2]string{"", "%load_ext x\n!ls\nimport \"github.com/galley-dev/galley/stdlib/recipe\""},
			[2]string{"parameters", "const rate = 0.1\nvar name string = `abc`\nn := -3 // count\nok := true"},
			[2]string{"skip", "secret := 1"},
			[2]string{"exploration", "explore := 2"},
			[2]string{"", entry + "\nrate\n"},
		), check: func(t *testing.T, r *notebook.Recipe) {
			for _, s := range []string{"%load_ext", "!ls", "secret", "explore"} {
				if strings.Contains(r.Source, s) {
					t.Errorf("source contains %q:\n%s", s, r.Source)
				}
			}
			want := []recipe.Param{
				{Name: "rate", Type: "float64", Default: "0.1"},
				{Name: "name", Type: "string", Default: `"abc"`},
				{Name: "n", Type: "int", Default: "-3", Description: "count"},
				{Name: "ok", Type: "bool", Default: "true"},
			}
			for i, p := range want {
				if i >= len(r.Params) || r.Params[i] != p {
					t.Errorf("params = %+v, want %+v", r.Params, want)
					break
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := notebook.ConvertBytes(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestCellsAndInjection(t *testing.T) {
	raw := nb(
		[2]string{"", "import \"fmt\""},
		[2]string{"parameters", "const rate = 0.1\nvar d time.Duration = 5000000000\nn := 3\nname := \"a\""},
		[2]string{"skip", "x := 1"},
		[2]string{"", "\n\nfmt.Println(n)\nn\n\n"},
	)
	r, err := notebook.ConvertBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	cells, err := notebook.Cells(r.Source)
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 3 || cells[1].Index != 1 || !cells[1].Parameters || cells[2].Index != 3 || cells[2].ID != "idd" {
		t.Fatalf("cells = %+v", cells)
	}
	// Leading blank lines stay: line numbers in errors are the cell's.
	if cells[2].Code != "\n\nfmt.Println(n)\nn" {
		t.Errorf("cell 3 code = %q", cells[2].Code)
	}
	values, err := recipe.Resolve(r.Params, map[string]string{"rate": "0.25", "d": "2s", "name": "b c"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := notebook.InjectParameters(cells[1], values)
	if err != nil {
		t.Fatal(err)
	}
	want := "const rate = 0.25\nd = time.Duration(2000000000)\nn = 3\nname = \"b c\"\n"
	if got != want {
		t.Errorf("injected cell:\n%s\nwant:\n%s", got, want)
	}
	old := "// Code generated from a notebook by galley. DO NOT EDIT.\n\npackage main\n\n//galley:parameters\nvar n int = 3\n//galley:end\n"
	if _, err := notebook.Cells(old); err == nil || !strings.Contains(err.Error(), "import the notebook again") {
		t.Errorf("source of an earlier galley: %v", err)
	}
	if _, err := recipe.Resolve(r.Params, map[string]string{"nope": "1"}); err == nil || !strings.Contains(err.Error(), `no parameter "nope"`) {
		t.Errorf("unknown parameter: %v", err)
	}
}

func FuzzConvert(f *testing.F) {
	raw, _ := os.ReadFile("../../testdata/recipes/churn.ipynb")
	f.Add(raw)
	f.Add(nb([2]string{"parameters", "a := 1"}, [2]string{"", "func f() {}\nf()\nx"}))
	f.Add([]byte(`{"nbformat":4,"nbformat_minor":2,"cells":[{"cell_type":"code","source":["%%time\n","x := 1"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := notebook.ConvertBytes(data)
		if err != nil {
			if _, ok := err.(*notebook.Error); !ok {
				t.Fatalf("error %T is not a *notebook.Error: %v", err, err)
			}
			return
		}
		if r.ContentHash != notebook.Hash([]byte(r.Source)) {
			t.Fatal("content hash does not match the source")
		}
		// The source reads back into cells, and every default parses
		// and can be injected.
		cells, err := notebook.Cells(r.Source)
		if err != nil {
			t.Fatal(err)
		}
		values, err := recipe.Resolve(r.Params, nil)
		if err != nil {
			t.Fatalf("defaults do not parse: %v", err)
		}
		for _, c := range cells {
			if c.Parameters {
				if _, err := notebook.InjectParameters(c, values); err != nil {
					t.Fatalf("injecting the defaults: %v", err)
				}
			}
		}
	})
}
