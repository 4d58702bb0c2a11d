package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server"
)

// modernCells is a recipe notebook written in current Go, as it runs in the
// kernel: range over an int, min and max, slices and maps functions, a
// generic function, packages used without an import line, a const block
// and a type with a String method. Entry is the cell tag ("" for none).
var modernCells = []struct{ tags, src string }{
	{"parameters", "cutoff := 0.5   // churn probability above which a customer is flagged\nbands := 3      // tenure bands\nlabel := \"Churn\""},
	{"", `const (
	bandMonths = 24
	title      = "tenure-bands"
)

// Constants stay local to their cell in the engine today, in the notebook
// and the recipe alike: variables carry them to functions and later cells.
width, name := bandMonths, title

// Band is a range of tenure.
type Band int

func (b Band) String() string { return fmt.Sprintf("band-%d", int(b)) }

func bandOf(tenure float64) Band { return Band(min(int(tenure)/width, bands-1)) }

func mean[T ~int | ~float64](xs []T) float64 {
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s / float64(max(len(xs), 1))
}`},
	{"exploration", `panic("exploration cells do not run in a recipe")`},
	{"", `%time
type Model struct {
	Rate map[string]float64 // churn rate per band
}

func Load(cfg recipe.Config) (recipe.Frame, error) { return recipe.ReadCSV(cfg.Input(), cfg.Limit()) }

func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
	t := f.(*recipe.Table)
	tenure, err := t.Floats("tenure")
	if err != nil {
		return nil, err
	}
	churn, err := t.Column(label)
	if err != nil {
		return nil, err
	}
	counts := map[int][2]int{} // churned and all, by band
	for i := range t.NumRows() {
		b := int(bandOf(tenure[i]))
		c := counts[b]
		c[1]++
		if churn[i] == "Yes" {
			c[0]++
		}
		counts[b] = c
	}
	m := Model{Rate: map[string]float64{}}
	for _, b := range slices.Sorted(maps.Keys(counts)) {
		m.Rate[Band(b).String()] = float64(counts[b][0]) / float64(counts[b][1])
		fmt.Println(strings.ToUpper(Band(b).String()), "rows", counts[b][1])
	}
	fmt.Println("longest tenure", slices.Max(tenure))
	return m, nil
}

func Evaluate(cfg recipe.Config, mm recipe.Model, f recipe.Frame) (recipe.Metrics, error) {
	tenure, err := f.(*recipe.Table).Floats("tenure")
	if err != nil {
		return nil, err
	}
	return recipe.Metrics{"bands": float64(len(mm.(Model).Rate)), "mean_tenure": mean(tenure), "cutoff": cfg.Float("cutoff", -1)}, nil
}

func Score(cfg recipe.Config, mm recipe.Model, f recipe.Frame) (recipe.Frame, error) {
	m := mm.(Model)
	t := f.(*recipe.Table)
	tenure, err := t.Floats("tenure")
	if err != nil {
		return nil, err
	}
	ids, err := t.Column("customerID")
	if err != nil {
		return nil, err
	}
	p := make([]float64, len(ids))
	flag := make([]string, len(ids))
	for i := range len(ids) {
		p[i] = m.Rate[bandOf(tenure[i]).String()]
		flag[i] = strconv.FormatBool(p[i] > cutoff)
	}
	out := recipe.NewTable()
	out.Add("customerID", ids)
	out.AddFloats("churn_rate", p)
	out.Add("flagged", flag)
	return out, nil
}`},
	{"", "fmt.Println(name, \"loaded with\", bands, \"bands\")\nname"},
}

func modernNotebook(t *testing.T) string {
	t.Helper()
	var cells []any
	for i, c := range modernCells {
		md := map[string]any{}
		if c.tags != "" {
			md["tags"] = []string{c.tags}
		}
		cells = append(cells, map[string]any{"cell_type": "code", "id": fmt.Sprintf("m%d", i), "metadata": md, "source": c.src, "outputs": []any{}})
	}
	b, _ := json.Marshal(map[string]any{"nbformat": 4, "nbformat_minor": 5, "metadata": map[string]any{"galley": map[string]any{"sample": "customers", "sample_rows": 40}}, "cells": cells})
	p := filepath.Join(t.TempDir(), "modern.ipynb")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestModernGoRecipe creates, trains and scores a recipe written in modern
// Go through a real galley serve: what runs in a notebook cell runs the same
// in a recipe.
func TestModernGoRecipe(t *testing.T) {
	m := startServe(t, t.TempDir(), nil)
	url := m.URL()
	data := filepath.Join(t.TempDir(), "customers.csv")
	os.WriteFile(data, syntheticChurn(300, 3), 0o644)
	galley(t, url, 0, "dataset", "import", data, "--name", "customers")

	out, _ := galley(t, url, 0, "recipe", "create", "bands", modernNotebook(t))
	if !strings.Contains(out, "created recipe bands version 1 (3 parameters") {
		t.Fatalf("recipe create: %s", out)
	}
	src, _ := galley(t, url, 0, "recipe", "show", "bands", "--source")
	if !strings.Contains(src, "//galley:cell 0 m0 parameters\ncutoff := 0.5") || strings.Contains(src, "exploration cells") || strings.Contains(src, "%time") {
		t.Errorf("stored source:\n%s", src)
	}
	galley(t, url, 0, "model", "create", "bands-model", "--recipe", "bands", "--dataset", "customers", "-p", "cutoff=0.2")

	out, _ = galley(t, url, 0, "train", "bands-model", "--wait", "--json", "-p", "bands=2")
	r := decodeRun(t, out)
	if r.State != server.RunSucceeded {
		logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(r.ID))
		t.Fatalf("training run = %s: %s\n%s", r.State, r.Error, logs)
	}
	if r.Metrics["bands"] != 2 || r.Metrics["cutoff"] != 0.2 || r.Metrics["mean_tenure"] <= 0 || r.RowsIn != 300 {
		t.Errorf("training run metrics = %v, rows %d", r.Metrics, r.RowsIn)
	}
	logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(r.ID))
	for _, want := range []string{"tenure-bands loaded with 2 bands", "BAND-0 rows", "BAND-1 rows", "longest tenure 7"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "BAND-2") {
		t.Errorf("the bands parameter did not reach the cells:\n%s", logs)
	}

	out, _ = galley(t, url, 0, "score", "bands-model", "--input", "customers", "--output", "flags", "--wait", "--json")
	s := decodeRun(t, out)
	if s.State != server.RunSucceeded || s.RowsOut != 300 {
		logs, _ := galley(t, url, 0, "runs", "logs", fmt.Sprint(s.ID))
		t.Fatalf("scoring run = %+v\n%s", s, logs)
	}
	scores, _ := galley(t, url, 0, "dataset", "show", "flags", "--data")
	if !strings.HasPrefix(scores, "customerID,churn_rate,flagged\n") || !strings.Contains(scores, ",true") || !strings.Contains(scores, ",false") {
		t.Errorf("scores:\n%.300s", scores)
	}

	// A recipe's own panic fails the run at once, with the panic as the
	// run's error.
	galley(t, url, 0, "model", "create", "broken", "--recipe", "bands", "--dataset", "customers", "-p", "label=NoSuchColumn")
	out, _ = galley(t, url, 1, "train", "broken", "--wait", "--json")
	b := decodeRun(t, out)
	if b.State != server.RunFailed || b.Attempt != 1 || !strings.Contains(b.Error, "recipe Train:") || !strings.Contains(b.Error, "NoSuchColumn") {
		t.Errorf("failing run = state %s attempt %d error %q", b.State, b.Attempt, b.Error)
	}
}
