package ml

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/sample"
)

// catTask is a real dataset (or its synthetic stand-in) split 75/25
// (stratified, seed 7) and encoded twice: with Category for native
// categorical splits and with Ordinal, the encoding TreePipeline used
// before them.
type catTask struct {
	name              string
	train, test       *Matrix
	ordTrain, ordTest *Matrix
	yTrain, yTest     []float64
}

func categoricalTasks(tb testing.TB) []catTask {
	tb.Helper()
	var out []catTask
	for _, ds := range []struct {
		name, label, drop string
		load              func() (*data.Frame, error)
	}{
		{"telco", "Churn", "customerID", sample.TelcoChurn},
		{"bank", "y", "duration", sample.BankMarketing},
	} {
		f, err := ds.load()
		if err != nil {
			tb.Fatal(err)
		}
		if f, err = f.Drop(ds.drop); err != nil {
			tb.Fatal(err)
		}
		train, test, err := f.StratifiedSplit(ds.label, 0.25, 7)
		if err != nil {
			tb.Fatal(err)
		}
		tt, err := FrameTable(train)
		if err != nil {
			tb.Fatal(err)
		}
		vt, err := FrameTable(test)
		if err != nil {
			tb.Fatal(err)
		}
		tk := catTask{name: ds.name}
		var pos string
		if tk.yTrain, pos, err = labels(tt.Column(ds.label), TaskBinary, ""); err != nil {
			tb.Fatal(err)
		}
		if tk.yTest, _, err = labels(vt.Column(ds.label), TaskBinary, pos); err != nil {
			tb.Fatal(err)
		}
		encode := func(p *Pipeline) (*Matrix, *Matrix) {
			a, err := p.Fit(tt.without(ds.label))
			if err != nil {
				tb.Fatal(err)
			}
			b, err := p.Transform(vt.without(ds.label))
			if err != nil {
				tb.Fatal(err)
			}
			return a, b
		}
		tk.train, tk.test = encode(NewPipeline().Category(UnseenIgnore))
		tk.ordTrain, tk.ordTest = encode(NewPipeline().Ordinal(UnseenIgnore))
		out = append(out, tk)
	}
	return out
}

// categoricalIndices lists the features of m that hold category codes.
func categoricalIndices(m *Matrix) []int {
	out := []int{}
	for j := range m.Cols {
		if m.categorical(j) {
			out = append(out, j)
		}
	}
	return out
}

// writeCatTask writes a task's Category matrices and training labels
// for lightgbm_categorical.py and the benchmark suite.
func writeCatTask(tb testing.TB, dir string, tk catTask) map[string]any {
	writeMatrix(tb, filepath.Join(dir, tk.name+"_train_X.f64"), tk.train)
	writeMatrix(tb, filepath.Join(dir, tk.name+"_test_X.f64"), tk.test)
	writeFloats(tb, filepath.Join(dir, tk.name+"_train_y.f64"), tk.yTrain)
	writeFloats(tb, filepath.Join(dir, tk.name+"_test_y.f64"), tk.yTest)
	return map[string]any{"name": tk.name, "train_rows": tk.train.Rows, "test_rows": tk.test.Rows, "categorical": categoricalIndices(tk.train)}
}

// lightgbmPython returns the project virtualenv's Python when it has
// LightGBM. Without one the test is skipped, except in CI.
func lightgbmPython(tb testing.TB) string {
	tb.Helper()
	py := os.Getenv("GALLEY_PYTHON")
	if py == "" {
		py = filepath.Join(repoRoot(tb), ".venv", "bin", "python")
	}
	missing := func(what string) {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s (make test installs it from testdata/python/requirements-test.txt)", what)
		}
		tb.Skipf("%s; set GALLEY_PYTHON to a Python with lightgbm to run this test", what)
	}
	if _, err := os.Stat(py); err != nil {
		missing("no Python at " + py)
	}
	if out, err := exec.Command(py, "-c", "import lightgbm").CombinedOutput(); err != nil {
		missing("Python at " + py + " cannot import lightgbm: " + string(out))
	}
	return py
}

func repoRoot(tb testing.TB) string {
	tb.Helper()
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			tb.Fatal("no go.mod above the working directory")
		}
	}
}

// parityParams are LightGBM's defaults, which lightgbm_categorical.py
// spells out for the peer.
func parityParams() GBMParams { return GBMParams{Trees: 100, Seed: 1} }

// TestCategoricalParityWithLightGBM trains galley's trees with native
// categorical splits and LightGBM with categorical_feature on the same
// encoded Telco and bank-marketing data, and holds galley to the parity
// benchmark's tolerance on test AUC, and to the same on log loss.
func TestCategoricalParityWithLightGBM(t *testing.T) {
	py := lightgbmPython(t)
	tasks := categoricalTasks(t)
	dir := t.TempDir()
	// One thread: the result does not depend on it, and OpenMP's waiting
	// threads make LightGBM many times slower on a busy machine.
	cfg := map[string]any{"rounds": parityParams().Trees, "threads": 1}
	var specs []map[string]any
	for _, tk := range tasks {
		specs = append(specs, writeCatTask(t, dir, tk))
	}
	cfg["tasks"] = specs
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(repoRoot(t), "testdata", "python", "lightgbm_categorical.py")
	t0 := time.Now()
	if out, err := exec.Command(py, script, dir).CombinedOutput(); err != nil {
		t.Fatalf("LightGBM: %v\n%s", err, out)
	}
	t.Logf("LightGBM took %v", time.Since(t0))
	for _, tk := range tasks {
		t0 := time.Now()
		g, err := FitGBM(tk.train, tk.yTrain, nil, nil, parityParams(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: galley trained in %v", tk.name, time.Since(t0))
		p := g.Predict(tk.test, nil)
		peer := readFloats(t, filepath.Join(dir, tk.name+"_pred.f64"), tk.test.Rows)
		ord, err := FitGBM(tk.ordTrain, tk.yTrain, nil, nil, parityParams(), nil)
		if err != nil {
			t.Fatal(err)
		}
		po := ord.Predict(tk.ordTest, nil)
		auc, peerAUC := AUC(tk.yTest, p), AUC(tk.yTest, peer)
		ll, peerLL := LogLoss(tk.yTest, p), LogLoss(tk.yTest, peer)
		t.Logf("%s (%d categorical of %d features): AUC galley %.4f, LightGBM %.4f, galley ordinal %.4f; log loss galley %.4f, LightGBM %.4f, galley ordinal %.4f",
			tk.name, len(categoricalIndices(tk.train)), len(tk.train.Cols), auc, peerAUC, AUC(tk.yTest, po), ll, peerLL, LogLoss(tk.yTest, po))
		if math.Abs(auc-peerAUC) > 0.005 {
			t.Errorf("%s: AUC %.4f, LightGBM %.4f: |Δ| > 0.005", tk.name, auc, peerAUC)
		}
		if math.Abs(ll-peerLL) > 0.005 {
			t.Errorf("%s: log loss %.4f, LightGBM %.4f: |Δ| > 0.005", tk.name, ll, peerLL)
		}
	}
}

// TestParityCategorical is the galley side of the categorical case of
// testdata/bench/suite_ml.py. It runs only when GALLEY_ML_PARITY_DIR
// names a directory prepared by that script: it writes the encoded data
// for the peer and its own times and metrics to galley.json there.
func TestParityCategorical(t *testing.T) {
	dir := os.Getenv("GALLEY_ML_PARITY_DIR")
	if dir == "" {
		t.Skip("run by testdata/bench/suite_ml.py (GALLEY_ML_PARITY_DIR)")
	}
	var cfg struct{ Repeat int }
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	results := map[string]any{}
	var specs []map[string]any
	for _, tk := range categoricalTasks(t) {
		specs = append(specs, writeCatTask(t, dir, tk))
		var g *GBM
		secs := bestTime(cfg.Repeat, func() {
			if g, err = FitGBM(tk.train, tk.yTrain, nil, nil, parityParams(), nil); err != nil {
				t.Fatal(err)
			}
		})
		ord, err := FitGBM(tk.ordTrain, tk.yTrain, nil, nil, parityParams(), nil)
		if err != nil {
			t.Fatal(err)
		}
		// Scoring speed of each model on its training rows, the best of
		// Repeat runs, as TestParity measures it.
		scoring := func(g *GBM, m *Matrix) float64 {
			out := make([]float64, m.Rows)
			return float64(m.Rows) / bestTime(cfg.Repeat, func() { g.Predict(m, out) })
		}
		res := map[string]float64{
			"gbm_cat_fit_s":              secs,
			"gbm_cat_auc":                AUC(tk.yTest, g.Predict(tk.test, nil)),
			"gbm_ord_auc":                AUC(tk.yTest, ord.Predict(tk.ordTest, nil)),
			"gbm_cat_predict_rows_per_s": scoring(g, tk.train),
			"gbm_ord_predict_rows_per_s": scoring(ord, tk.ordTrain),
		}
		results[tk.name] = res
		t.Logf("%s: %v", tk.name, res)
	}
	results["tasks"] = specs
	b, _ = json.MarshalIndent(results, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "galley.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
