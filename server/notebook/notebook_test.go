package notebook_test

import (
	"encoding/json"
	"os"
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
	for _, bad := range []string{"%time", "recipe.Try", "WithLimit(500)", `fmt.Println("features:"`} {
		if strings.Contains(r.Source, bad) {
			t.Errorf("source contains %q, which should have been left out", bad)
		}
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
				if !strings.Contains(r.Source, "var x = 1") || !strings.Contains(r.Source, "var y = 2") {
					t.Errorf("source:\n%s", r.Source)
				}
			}},
		{name: "bad cell type", raw: []byte(`{"nbformat":4,"nbformat_minor":5,"cells":[{"cell_type":"weird","id":"q","source":""}]}`), wantErr: "cell 0 (id q): unknown cell_type"},
		{name: "syntax error names cell and line", raw: nb([2]string{"", "import \"fmt\""}, [2]string{"", "x := 1\ny := (\nfmt.Println(x)"}), wantErr: "cell 1 (id idb) line"},
		{name: "parameter not literal", raw: nb([2]string{"parameters", "a := 1\nb := a + 1"}), wantErr: "cell 0 (id ida) line 2: parameter b: default must be a literal"},
		{name: "parameter wrong type", raw: nb([2]string{"parameters", "var a int = \"x\""}), wantErr: "cell 0 (id ida) line 1: parameter a:"},
		{name: "parameters cell with code", raw: nb([2]string{"parameters", "a := 1\nfmt.Println(a)"}), wantErr: "line 2: the parameters cell may only declare"},
		{name: "two parameters cells", raw: nb([2]string{"parameters", "a := 1"}, [2]string{"parameters", "b := 1"}), wantErr: "cell 1 (id idb): a second cell is tagged"},
		{name: "skip, exploration, magics and display", raw: nb(
			[2]string{"", "%load_ext x\n!ls\nimport \"github.com/galley-dev/galley/stdlib/recipe\""},
			[2]string{"parameters", "const rate = 0.1\nvar name string = `abc`\nn := -3 // count\nok := true"},
			[2]string{"skip", "secret := 1"},
			[2]string{"exploration", "explore := 2"},
			[2]string{"", entry + "\nrate\n"},
		), check: func(t *testing.T, r *notebook.Recipe) {
			for _, s := range []string{"%load_ext", "!ls", "secret", "explore", "\nrate\n"} {
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

func TestLocateAndExplain(t *testing.T) {
	r, err := notebook.ConvertBytes(nb([2]string{"", "a := 1\n\nb := undefinedThing"}))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(r.Source, "\n")
	for i, l := range lines {
		if strings.Contains(l, "undefinedThing") {
			cell, id, line, ok := notebook.Locate(r.Source, i+1)
			if !ok || cell != 0 || id != "ida" || line != 3 {
				t.Errorf("Locate = %d %q %d %v, want 0 ida 3", cell, id, line, ok)
			}
		}
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
		// Setting every parameter to its default must not change the source.
		vals := map[string]string{}
		for _, p := range r.Params {
			vals[p.Name] = p.Default
		}
		src, err := notebook.WithValues(r.Source, r.Params, vals)
		if err != nil || src != r.Source {
			t.Fatalf("WithValues with defaults changed the source (err %v)", err)
		}
	})
}
