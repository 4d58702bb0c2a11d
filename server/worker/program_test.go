package worker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/server/worker"
	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/ml"
	"github.com/galley-dev/galley/stdlib/recipe"
)

func churnSource(t *testing.T) *notebook.Recipe {
	t.Helper()
	raw, err := os.ReadFile("../../testdata/recipes/churn.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	r, err := notebook.ConvertBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sampleCSV writes a few rows shaped like the telco churn data.
func sampleCSV(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("customerID,tenure,MonthlyCharges,TotalCharges,SeniorCitizen,Contract,InternetService,PaymentMethod,PaperlessBilling,TechSupport,Churn\n")
	rows := []string{
		"a,1,70.5,70.5,0,Month-to-month,Fiber optic,Electronic check,Yes,No,Yes",
		"b,40,20,800,0,Two year,DSL,Mailed check,No,Yes,No",
		"c,2,90,180,1,Month-to-month,Fiber optic,Electronic check,Yes,No,Yes",
		"d,60,25,1500, ,One year,No,Bank transfer,No,Yes,No",
		"e,5,80,400,0,Month-to-month,Fiber optic,Credit card,Yes,No,Yes",
		"f,30,30,900,0,Two year,DSL,Mailed check,No,Yes,No",
		"g,3,85,255,0,Month-to-month,Fiber optic,Electronic check,Yes,No,No",
		"h,50,22,1100,0,One year,DSL,Mailed check,No,Yes,No",
	}
	b.WriteString(strings.Join(rows, "\n") + "\n")
	p := filepath.Join(t.TempDir(), "sample.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestChurnTrainScoreRoundTrip(t *testing.T) {
	r := churnSource(t)
	var logs bytes.Buffer
	p, err := worker.Load(context.Background(), r.Source, defaults(t, r), worker.ProgramOptions{Stdout: &logs})
	if err != nil {
		t.Fatalf("load: %v\n%s", err, r.Source)
	}
	cfg := recipe.NewConfig(sampleCSV(t))
	tr, err := recipe.TrainModel(cfg, p.Funcs)
	if err != nil {
		t.Fatal(err)
	}
	if tr.RowsIn != 8 || tr.TrainRows != 6 || tr.TestRows != 2 {
		t.Errorf("rows = %d/%d/%d, want 8/6/2", tr.RowsIn, tr.TrainRows, tr.TestRows)
	}
	if _, ok := tr.Metrics["auc"]; !ok {
		t.Errorf("metrics = %v, want auc", tr.Metrics)
	}
	if !strings.Contains(logs.String(), "trained on 6 rows for 40 epochs") {
		t.Errorf("logs = %q", logs.String())
	}
	b, err := p.EncodeModel(tr.Model)
	if err != nil {
		t.Fatal(err)
	}
	// A fresh program, as a scoring run in another process would have.
	p2, err := worker.Load(context.Background(), r.Source, defaults(t, r), worker.ProgramOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := p2.DecodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := recipe.ScoreInput(cfg, p2.Funcs, m)
	if err != nil {
		t.Fatal(err)
	}
	if sc.RowsIn != 8 || sc.RowsOut != 8 {
		t.Errorf("scored %d→%d rows, want 8→8", sc.RowsIn, sc.RowsOut)
	}
	var out bytes.Buffer
	if err := sc.Output.(recipe.CSVWriter).WriteCSV(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "customerID,churn_probability,churn_predicted\na,") {
		t.Errorf("output = %q", out.String())
	}
}

func TestParameterOverride(t *testing.T) {
	r := churnSource(t)
	values, err := recipe.Resolve(r.Params, map[string]string{"epochs": "3"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	p, err := worker.Load(context.Background(), r.Source, values, worker.ProgramOptions{Stdout: &logs})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recipe.TrainModel(recipe.NewConfig(sampleCSV(t)), p.Funcs); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "for 3 epochs") {
		t.Errorf("logs = %q, want the overridden epochs", logs.String())
	}
}

// source makes recipe source of cells, as conversion would.
func source(t *testing.T, cells ...string) string {
	t.Helper()
	var cs []map[string]any
	for i, c := range cells {
		cs = append(cs, map[string]any{"cell_type": "code", "id": fmt.Sprintf("c%d", i), "metadata": map[string]any{}, "source": c, "outputs": []any{}})
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": cs})
	r, err := notebook.ConvertBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return r.Source
}

func TestLoadErrors(t *testing.T) {
	const imp = "import \"github.com/galley-dev/galley/stdlib/recipe\""
	const load = "func Load(cfg recipe.Config) (recipe.Frame, error) { return nil, nil }"
	const train = "func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return nil, nil }"
	const score = "func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return nil, nil }"
	tests := []struct {
		name string
		src  string
		want string
	}{
		{"missing score", source(t, imp, load+"\n"+train), "the recipe has no Score: add func Score("},
		{"wrong signature", source(t, imp, train+"\n"+score, "\nfunc Load(path string) (recipe.Frame, error) { return nil, nil }"),
			"cell 2 (id c2): Load has type func(string) (recipe.Frame, error); declare it as func Load(cfg recipe.Config)"},
		{"undefined", source(t, "x := 1", "\n\nfunc Load() { nothing() }"), "cell 1 (id c1) line 3 column 15: undefined: nothing"},
		{"os/exec blocked", source(t, "func X() { exec.Command(\"true\") }"), "cell 0 (id c0) line 1 column 17: package os/exec may not be used in a recipe"},
		{"os.Exit blocked", source(t, "x := 1", "if x > 0 {\n\tos.Exit(2)\n}"), "cell 1 (id c1) line 2 column 5: os.Exit may not be used in a recipe"},
		{"a cell panics", source(t, "var m map[string]int\nm[\"a\"] = 1"), "cell 0 (id c0) line 2 column 1: panic: runtime.Error: assignment to entry in nil map"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := worker.Load(context.Background(), tt.src, nil, worker.ProgramOptions{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// defaults resolves r's parameters to their defaults.
func defaults(t *testing.T, r *notebook.Recipe) map[string]recipe.Value {
	t.Helper()
	v, err := recipe.Resolve(r.Params, nil)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMLModelRoundTrip(t *testing.T) {
	x := make([]float64, 200)
	y := make([]string, 200)
	for i := range x {
		x[i] = float64(i%20) / 20
		y[i] = "No"
		if i%20 > 12 {
			y[i] = "Yes"
		}
	}
	f, err := data.New(data.Float64s("x", x), data.Strings("churn", y))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	m, err := ml.Train(f, nil, ml.Spec{Label: "churn", Logistic: &ml.LogisticParams{}})
	if err != nil {
		t.Fatal(err)
	}
	r := churnSource(t)
	p, err := worker.Load(context.Background(), r.Source, defaults(t, r), worker.ProgramOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.EncodeModel(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := p.DecodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := m.Predict(f)
	got, err := back.(*ml.Model).Predict(f)
	if err != nil || len(got) != len(want) || got[0] != want[0] || got[199] != want[199] {
		t.Errorf("predictions differ after a save and load: %v", err)
	}
}

// Parameter values reach the cells through the injected cell and the
// entry points through Config, slices included.
func TestParameterValuesReachCellsAndConfig(t *testing.T) {
	raw, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{}, "cells": []any{
		map[string]any{"cell_type": "code", "id": "p", "metadata": map[string]any{"tags": []string{"parameters"}}, "outputs": []any{},
			"source": "cols := []string{\"a\"}\nrate := 0.5\nwait := time.Duration(0) + 0"},
		map[string]any{"cell_type": "code", "id": "b", "metadata": map[string]any{}, "outputs": []any{},
			"source": "fmt.Println(len(cols), cols[len(cols)-1], rate)\nfunc Load(cfg recipe.Config) (recipe.Frame, error) { fmt.Println(cfg.Value(\"cols\")); return nil, nil }\nfunc Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return nil, nil }\nfunc Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return nil, nil }"},
	}})
	if _, err := notebook.ConvertBytes(raw); err == nil || !strings.Contains(err.Error(), "parameter wait: default must be a literal") {
		t.Fatalf("a non-literal default: %v", err)
	}
	raw = []byte(strings.Replace(string(raw), `\nwait := time.Duration(0) + 0`, "", 1))
	r, err := notebook.ConvertBytes(raw)
	if err != nil {
		t.Fatal(err)
	}
	values, err := recipe.Resolve(r.Params, map[string]string{"cols": "x,y", "rate": "0.25"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	p, err := worker.Load(context.Background(), r.Source, values, worker.ProgramOptions{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	cfg := recipe.NewConfig("").WithValue("cols", values["cols"])
	if _, err := p.Funcs.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "2 y 0.25\n[x y] true\n" {
		t.Errorf("output = %q", got)
	}
}

// A model that is a pointer to a cell type is saved by its declared name
// and comes back as a pointer to a new value of that type.
func TestPointerModelRoundTrip(t *testing.T) {
	src := source(t, `type M struct {
	N     int
	Label string
}

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.NewTable(), nil }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return &M{N: 7, Label: "seven"}, nil }

func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	fmt.Println("scoring with", m.(*M).N, m.(*M).Label)
	return f, nil
}`)
	p, err := worker.Load(context.Background(), src, nil, worker.ProgramOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := recipe.TrainModel(recipe.NewConfig(""), p.Funcs)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.EncodeModel(tr.Model)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"type":"*main.M"`) {
		t.Errorf("artifact = %s", b)
	}
	var out bytes.Buffer
	p2, err := worker.Load(context.Background(), src, nil, worker.ProgramOptions{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	m, err := p2.DecodeModel(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := recipe.ScoreInput(recipe.NewConfig(""), p2.Funcs, m); err != nil {
		t.Fatal(err)
	}
	if out.String() != "scoring with 7 seven\n" {
		t.Errorf("output = %q", out.String())
	}
	if _, err := p2.DecodeModel([]byte(`{"type":"main.Gone","json":{}}`)); err == nil || !strings.Contains(err.Error(), "no type Gone") {
		t.Errorf("decoding a type the recipe lacks: %v", err)
	}
}
