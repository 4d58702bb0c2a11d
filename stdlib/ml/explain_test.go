package ml

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/display"
)

func TestExplainAddsUpToTheScore(t *testing.T) {
	f := churnFrame(t, 3000, 1)
	train, test := f.Slice(0, 2000), f.Slice(2000, 3000)
	dir := t.TempDir()
	for name, m := range trainedModels(t, train, test) {
		t.Run(name, func(t *testing.T) {
			// Explanations survive saving: counts, means and sources are
			// in the file.
			path := filepath.Join(dir, name+".galley")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			back, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			c, err := back.Contributions(test)
			if err != nil {
				t.Fatal(err)
			}
			// The linear model predicts tenure and drops churn.
			wantCols := []string{"plan", "tenure", "spend"}
			if name == "linear" {
				wantCols = []string{"plan", "spend"}
			}
			if strings.Join(c.Features, ",") != strings.Join(wantCols, ",") {
				t.Fatalf("contributions by %v, want the input columns %v", c.Features, wantCols)
			}
			pred, err := m.Predict(test)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < c.Rows; i++ {
				s := c.Base
				for _, v := range c.Row(i) {
					s += v
				}
				if math.Abs(s-c.Margin[i]) > 1e-9 {
					t.Fatalf("row %d: base + contributions = %v, margin %v", i, s, c.Margin[i])
				}
				p := c.Margin[i]
				if m.Task == TaskBinary {
					p = sigmoid(p)
				}
				if math.Abs(p-pred[i]) > 1e-9 {
					t.Fatalf("row %d: margin gives %v, Predict %v", i, p, pred[i])
				}
			}
			e, err := back.Explain(test, 2)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range e.Rows {
				if len(r.Drivers) != 2 || math.Abs(r.Drivers[0].Contribution) < math.Abs(r.Drivers[1].Contribution) {
					t.Fatalf("row %d: drivers %v not the top 2 by size", i, r.Drivers)
				}
				s := e.Base + r.Other + r.Drivers[0].Contribution + r.Drivers[1].Contribution
				if math.Abs(s-r.Margin) > 1e-9 || math.Abs(r.Prediction-pred[i]) > 1e-9 {
					t.Fatalf("row %d: base + drivers + others = %v, margin %v", i, s, r.Margin)
				}
			}
		})
	}
}

func TestExplainShowsValuesAndPlots(t *testing.T) {
	f := churnFrame(t, 2000, 2)
	m, err := Train(f, nil, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 40}})
	if err != nil {
		t.Fatal(err)
	}
	rows := f.Slice(0, 50)
	e, err := m.Explain(rows, 3)
	if err != nil {
		t.Fatal(err)
	}
	pc, _ := rows.Column("plan")
	plan, _ := pc.Strings()
	seen := false
	for i, r := range e.Rows {
		for _, d := range r.Drivers {
			seen = seen || d.Feature == "plan"
			if d.Feature == "plan" && d.Value != plan[i] {
				t.Fatalf("row %d: plan shown as %q, is %q", i, d.Value, plan[i])
			}
		}
	}
	if !seen {
		t.Error("plan, a strong driver, is never among the top 3")
	}
	h, _ := e.DisplayData().Bundle[display.MIMEHTML].(string)
	if !strings.Contains(h, "<table") || !strings.Contains(h, "driver 3") {
		t.Errorf("explanation does not render as a table of drivers: %.200s", h)
	}
	w, err := e.Waterfall(4)
	if err != nil {
		t.Fatal(err)
	}
	values := w.Spec()["data"].(map[string]any)["values"].([]map[string]any)
	// start, three drivers, the other columns and the total.
	if len(values) != 6 || math.Abs(values[5]["to"].(float64)-e.Rows[4].Margin) > 1e-9 {
		t.Errorf("waterfall bars %v do not end at the margin %v", values, e.Rows[4].Margin)
	}
	if _, err := e.Waterfall(50); err == nil {
		t.Error("waterfall of a row past the end accepted")
	}
	if _, err := m.Explain(rows, 0); err == nil {
		t.Error("k = 0 accepted")
	}
}

func TestScoreWritesDrivers(t *testing.T) {
	f := churnFrame(t, 1500, 3)
	m, err := Train(f, nil, Spec{Label: "churn", Pipeline: TreePipeline("id"), GBM: &GBMParams{Trees: 20}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := f.Drop("churn")
	if err != nil {
		t.Fatal(err)
	}
	scored, err := m.ScoreWith(in, ScoreOptions{Drivers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer scored.Release()
	want := []string{"id", "plan", "tenure", "spend", "prediction", "driver_1", "driver_1_value", "driver_1_contribution", "driver_2", "driver_2_value", "driver_2_contribution"}
	if got := strings.Join(scored.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("columns %s, want %s", got, strings.Join(want, ","))
	}
	e, err := m.Explain(in, 2)
	if err != nil {
		t.Fatal(err)
	}
	fc, _ := scored.Column("driver_2")
	feat, _ := fc.Strings()
	con, _ := scored.Column("driver_2_contribution")
	cv, _ := con.Float64s()
	for i, r := range e.Rows {
		if feat[i] != r.Drivers[1].Feature || cv[i] != r.Drivers[1].Contribution {
			t.Fatalf("row %d: scored driver_2 %s %v, explanation %v", i, feat[i], cv[i], r.Drivers[1])
		}
	}
	if _, err := m.ScoreWith(in, ScoreOptions{Drivers: -1}); err == nil {
		t.Error("negative Drivers accepted")
	}
}
