package yaegi_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/server/yaegi"
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
	p, err := yaegi.Load(context.Background(), r.Source, yaegi.Options{Stdout: &logs})
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
	p2, err := yaegi.Load(context.Background(), r.Source, yaegi.Options{})
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
	src, err := notebook.WithValues(r.Source, r.Params, map[string]string{"epochs": "3"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	p, err := yaegi.Load(context.Background(), src, yaegi.Options{Stdout: &logs})
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

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing score", `package main
import "github.com/galley-dev/galley/stdlib/recipe"
func Load(cfg recipe.Config) (recipe.Frame, error) { return nil, nil }
func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return nil, nil }
`, "the recipe has no Score: add func Score("},
		{"wrong signature", `package main
import "github.com/galley-dev/galley/stdlib/recipe"
//galley:cell 4 abc 1
func Load(path string) (recipe.Frame, error) { return nil, nil }
func Train(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) { return nil, nil }
func Score(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) { return nil, nil }
`, "cell 4 (id abc) line 1: Load has type func(string) (recipe.Frame, error); declare it as func Load(cfg recipe.Config)"},
		{"undefined", `package main
//galley:cell 2 xyz 7
func Load() { nothing() }
`, "cell 2 (id xyz) line 7:"},
		{"os/exec denied", `package main
import "os/exec"
func X() { exec.Command("true") }
`, "os/exec"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := yaegi.Load(context.Background(), tt.src, yaegi.Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
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
	p, err := yaegi.Load(context.Background(), churnSource(t).Source, yaegi.Options{})
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
