package ml

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// projectPython returns the project virtualenv's interpreter with
// LightGBM importable: $GALLEY_PYTHON, else .venv/bin/python at the
// repository root. Without it the test is skipped, and fails in CI.
func projectPython(tb testing.TB) string {
	tb.Helper()
	py := os.Getenv("GALLEY_PYTHON")
	if py == "" {
		wd, _ := os.Getwd()
		py = filepath.Join(wd, "..", "..", ".venv", "bin", "python")
	}
	missing := func(what string) {
		msg := "missing test tool: " + what + " (make venv installs it)"
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	if _, err := os.Stat(py); err != nil {
		missing("the project virtualenv's Python at " + py)
	}
	if out, err := exec.Command(py, "-c", "import lightgbm").CombinedOutput(); err != nil {
		missing("LightGBM in " + py + ": " + string(out))
	}
	return py
}

// TestMulticlassParityWithLightGBM trains galley's and LightGBM's
// multiclass objectives with the same parameters on the same matrices — a
// synthetic 5-class task and the bank-marketing data with education (8
// classes) as the label — and compares the test log loss and accuracy.
func TestMulticlassParityWithLightGBM(t *testing.T) {
	py := projectPython(t)
	dir := t.TempDir()
	const rounds, threads = 100, 1
	type task struct {
		name           string
		train, test    *Matrix
		ytrain, ytest  []float64
		classes        int
		dLogLoss, dAcc float64 // tolerances
	}
	m, y := synthMulticlass(12000, 10, 5, 9)
	tasks := []task{{"synth5", sliceRows(m, 0, 9000), sliceRows(m, 9000, 12000), y[:9000], y[9000:], 5, 0.01, 0.01}}

	train, test := loadSplit(t, "bank-marketing.csv", "education")
	tt, vt := mustTable(t, train), mustTable(t, test)
	ytr, classes, err := classLabels(tt.Column("education"), nil)
	if err != nil {
		t.Fatal(err)
	}
	yte, _, err := classLabels(vt.Column("education"), classes)
	if err != nil {
		t.Fatal(err)
	}
	// Ordinal codes, which LightGBM reads as numbers too, as TestParity
	// does.
	p := NewPipeline().Ordinal(UnseenIgnore)
	mtr, err := p.Fit(tt.without("education"))
	if err != nil {
		t.Fatal(err)
	}
	mte, err := p.Transform(vt.without("education"))
	if err != nil {
		t.Fatal(err)
	}
	// On this task both sides drive some rows' probabilities to the 1e-15
	// clip (classes of 18 and 1,700 rows, leaves with tiny hessians), so
	// the log loss is dominated by a few confidently wrong rows and
	// differs more between two close implementations. It also moves with
	// the order in which histogram sums are added, which decides near ties
	// that rounds of leaf values in the hundreds then amplify: galley
	// measured 1.378 summing each node's rows in one pass and 1.419 since
	// it sums them in blocks fixed by the row count (so that the thread
	// count does not change the model), against 1.331 for LightGBM, with
	// accuracy within 0.005 both times.
	tasks = append(tasks, task{"bank_education", mtr, mte, ytr, yte, len(classes), 0.1, 0.01})

	type cfgTask struct {
		Name    string `json:"name"`
		Train   int    `json:"train"`
		Test    int    `json:"test"`
		Classes int    `json:"classes"`
	}
	cfg := map[string]any{"params": map[string]any{"learning_rate": 0.1, "num_leaves": 31, "min_data_in_leaf": 20, "rounds": rounds, "threads": threads}}
	var ct []cfgTask
	for _, tk := range tasks {
		writeMatrix(t, filepath.Join(dir, tk.name+"_train_X.f64"), tk.train)
		writeMatrix(t, filepath.Join(dir, tk.name+"_test_X.f64"), tk.test)
		writeFloats(t, filepath.Join(dir, tk.name+"_train_y.f64"), tk.ytrain)
		writeFloats(t, filepath.Join(dir, tk.name+"_test_y.f64"), tk.ytest)
		ct = append(ct, cfgTask{tk.name, tk.train.Rows, tk.test.Rows, tk.classes})
	}
	cfg["tasks"] = ct
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cmd := exec.Command(py, filepath.Join("..", "..", "testdata", "python", "lightgbm_multiclass.py"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("LightGBM: %v\n%s", err, out)
	}
	t.Logf("LightGBM ran in %v", time.Since(t0))
	var peer map[string]map[string]float64
	b, err = os.ReadFile(filepath.Join(dir, "lightgbm.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &peer); err != nil {
		t.Fatal(err)
	}
	for _, tk := range tasks {
		t0 := time.Now()
		g, err := FitGBM(tk.train, tk.ytrain, nil, nil, GBMParams{Objective: ObjectiveMulticlass, NumClass: tk.classes, Trees: rounds, Seed: 1, Threads: threads}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: galley trained in %v", tk.name, time.Since(t0))
		met := MulticlassMetrics(tk.ytest, g.Predict(tk.test, nil), tk.classes)
		ll, acc := met.Value("multi_logloss"), met.Value("accuracy")
		lg := peer[tk.name]
		t.Logf("%s: galley log loss %.4f accuracy %.4f; LightGBM %.4f %.4f", tk.name, ll, acc, lg["multi_logloss"], lg["accuracy"])
		if math.Abs(ll-lg["multi_logloss"]) > tk.dLogLoss || math.Abs(acc-lg["accuracy"]) > tk.dAcc {
			t.Errorf("%s: galley log loss %.4f accuracy %.4f, LightGBM %.4f %.4f: apart by more than %.3f / %.3f",
				tk.name, ll, acc, lg["multi_logloss"], lg["accuracy"], tk.dLogLoss, tk.dAcc)
		}
	}
}

// parityMultiConfig is TestParity's synthetic multiclass task: Rows rows of
// Features features and labels in 0..Classes-1, the first Train rows for
// training, read from multi_X.f64 and multi_y.f64.
type parityMultiConfig struct {
	Rows, Train, Features, Classes int
}

// parityMulticlass times galley's multiclass GBM on TestParity's task and
// measures it on the held-out rows.
func parityMulticlass(t *testing.T, dir string, c parityMultiConfig, trees, repeat int) map[string]float64 {
	X := readMatrix(t, filepath.Join(dir, "multi_X.f64"), c.Rows, c.Features)
	y := readFloats(t, filepath.Join(dir, "multi_y.f64"), c.Rows)
	tr, te := sliceRows(X, 0, c.Train), sliceRows(X, c.Train, c.Rows)
	var g *GBM
	best := bestTime(repeat, func() {
		var err error
		if g, err = FitGBM(tr, y[:c.Train], nil, nil, GBMParams{Objective: ObjectiveMulticlass, NumClass: c.Classes, Trees: trees, Seed: 1}, nil); err != nil {
			t.Fatal(err)
		}
	})
	met := MulticlassMetrics(y[c.Train:], g.Predict(te, nil), c.Classes)
	res := map[string]float64{"gbm_fit_s": best, "multi_logloss": met.Value("multi_logloss"), "accuracy": met.Value("accuracy")}
	t.Logf("multiclass: %v", res)
	return res
}
