package ml

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestParity is the galley side of testdata/bench/suite_ml.py. It runs only
// when GALLEY_ML_PARITY_DIR names a directory prepared by that script:
// the synthetic task arrives as raw float64 files, the real datasets are
// read, split and encoded here and written back as matrices, so both sides
// train on identical numbers. Results go to galley.json in the directory.
func TestParity(t *testing.T) {
	dir := os.Getenv("GALLEY_ML_PARITY_DIR")
	if dir == "" {
		t.Skip("run by testdata/bench/suite_ml.py (GALLEY_ML_PARITY_DIR)")
	}
	var cfg struct {
		Synth struct {
			Rows, Train, Features int
		}
		Trees  int
		Repeat int
		// ShapRows is how many training rows the explanation throughput
		// is measured on.
		ShapRows int
		// Multi is the synthetic multiclass task, when Rows > 0; with
		// Only "multiclass" it is the only task run, and with Only
		// "shap" only the synthetic task's explanations are timed.
		Multi parityMultiConfig
		Only  string
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	results := map[string]map[string]float64{}
	if cfg.Multi.Rows > 0 {
		results["multiclass"] = parityMulticlass(t, dir, cfg.Multi, cfg.Trees, cfg.Repeat)
	}
	if cfg.Only == "shap" {
		results["synth"] = parityShap(t, dir, cfg.Synth.Rows, cfg.Synth.Train, cfg.Synth.Features, cfg.Trees, cfg.ShapRows, cfg.Repeat)
	}
	if cfg.Only == "multiclass" || cfg.Only == "shap" {
		b, _ = json.MarshalIndent(results, "", " ")
		if err := os.WriteFile(filepath.Join(dir, "galley.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}

	type task struct {
		name                string
		linTrain, linTest   *Matrix
		treeTrain, treeTest *Matrix
		yTrain, yTest       []float64
	}
	var tasks []task

	// Synthetic task: one matrix serves both models (no missing values).
	X := readMatrix(t, filepath.Join(dir, "synth_X.f64"), cfg.Synth.Rows, cfg.Synth.Features)
	y := readFloats(t, filepath.Join(dir, "synth_y.f64"), cfg.Synth.Rows)
	tr, te := sliceRows(X, 0, cfg.Synth.Train), sliceRows(X, cfg.Synth.Train, cfg.Synth.Rows)
	tasks = append(tasks, task{"synth", tr, te, tr, te, y[:cfg.Synth.Train], y[cfg.Synth.Train:]})

	for _, ds := range []struct{ name, file, label, drop string }{
		{"telco", "telco-churn.csv", "Churn", "customerID"},
		{"bank", "bank-marketing.csv", "y", "duration"},
	} {
		train, test := loadSplit(t, ds.file, ds.label, ds.drop)
		tt, _ := FrameTable(train)
		vt, _ := FrameTable(test)
		ytr, pos, err := labels(tt.Column(ds.label), TaskBinary, "")
		if err != nil {
			t.Fatal(err)
		}
		yte, _, _ := labels(vt.Column(ds.label), TaskBinary, pos)
		tk := task{name: ds.name, yTrain: ytr, yTest: yte}
		for _, kind := range []string{"lin", "tree"} {
			p := LinearPipeline()
			if kind == "tree" {
				// Ordinal codes, which LightGBM reads as numbers too; the
				// categorical case (TestParityCategorical) compares
				// categorical splits.
				p = NewPipeline().Ordinal(UnseenIgnore)
			}
			mtr, err := p.Fit(tt.without(ds.label))
			if err != nil {
				t.Fatal(err)
			}
			mte, err := p.Transform(vt.without(ds.label))
			if err != nil {
				t.Fatal(err)
			}
			writeMatrix(t, filepath.Join(dir, ds.name+"_"+kind+"_train_X.f64"), mtr)
			writeMatrix(t, filepath.Join(dir, ds.name+"_"+kind+"_test_X.f64"), mte)
			if kind == "lin" {
				tk.linTrain, tk.linTest = mtr, mte
			} else {
				tk.treeTrain, tk.treeTest = mtr, mte
			}
		}
		writeFloats(t, filepath.Join(dir, ds.name+"_train_y.f64"), ytr)
		writeFloats(t, filepath.Join(dir, ds.name+"_test_y.f64"), yte)
		results[ds.name+"_shape"] = map[string]float64{
			"train": float64(len(ytr)), "test": float64(len(yte)),
			"lin_features": float64(len(tk.linTrain.Cols)), "tree_features": float64(len(tk.treeTrain.Cols)),
		}
		tasks = append(tasks, tk)
	}

	best := func(fn func()) float64 { return bestTime(cfg.Repeat, fn) }
	for _, tk := range tasks {
		res := map[string]float64{}
		var lm *LinearModel
		res["logistic_fit_s"] = best(func() {
			var err error
			if lm, err = FitLogistic(tk.linTrain, tk.yTrain, LogisticParams{C: 1}); err != nil {
				t.Fatal(err)
			}
		})
		res["logistic_auc"] = AUC(tk.yTest, lm.Predict(tk.linTest, nil))
		res["logistic_iters"] = float64(lm.Iterations)
		var g *GBM
		res["gbm_fit_s"] = best(func() {
			var err error
			if g, err = FitGBM(tk.treeTrain, tk.yTrain, nil, nil, GBMParams{Trees: cfg.Trees, Seed: 1}, nil); err != nil {
				t.Fatal(err)
			}
		})
		res["gbm_auc"] = AUC(tk.yTest, g.Predict(tk.treeTest, nil))
		out := make([]float64, tk.treeTrain.Rows)
		sec := best(func() { g.Predict(tk.treeTrain, out) })
		res["gbm_predict_rows_per_s"] = float64(tk.treeTrain.Rows) / sec
		if tk.name == "synth" && cfg.ShapRows > 0 {
			rows := sliceRows(tk.treeTrain, 0, min(cfg.ShapRows, tk.treeTrain.Rows))
			sec := best(func() {
				if _, _, err := g.Contributions(rows); err != nil {
					t.Fatal(err)
				}
			})
			res["gbm_shap_rows_per_s"] = float64(rows.Rows) / sec
		}
		results[tk.name] = res
		t.Logf("%s: %v", tk.name, res)
	}
	b, _ = json.MarshalIndent(results, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "galley.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// bestTime returns fn's shortest time in seconds over at least repeat runs
// and, for a short fn, as many more as fit in a second in all (at most
// 100): the best of three runs of a few milliseconds says more about the
// machine than about fn. The peers' times are taken the same way
// (testdata/bench/suite_ml.py).
func bestTime(repeat int, fn func()) float64 {
	best := math.Inf(1)
	start := time.Now()
	for r := 0; r < 100 && (r < max(1, repeat) || time.Since(start) < time.Second); r++ {
		t0 := time.Now()
		fn()
		best = math.Min(best, time.Since(t0).Seconds())
	}
	return best
}

func readFloats(tb testing.TB, path string, n int) []float64 {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if len(b) != 8*n {
		tb.Fatalf("%s has %d bytes, want %d", path, len(b), 8*n)
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// readMatrix reads a column-major float64 matrix.
func readMatrix(tb testing.TB, path string, rows, cols int) *Matrix {
	all := readFloats(tb, path, rows*cols)
	m := &Matrix{Rows: rows}
	for j := 0; j < cols; j++ {
		m.Names = append(m.Names, "f"+string(rune('0'+j/10))+string(rune('0'+j%10)))
		m.Cols = append(m.Cols, all[j*rows:(j+1)*rows:(j+1)*rows])
	}
	return m
}

func writeFloats(tb testing.TB, path string, v []float64) {
	tb.Helper()
	b := make([]byte, 8*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

func writeMatrix(tb testing.TB, path string, m *Matrix) {
	tb.Helper()
	var all []float64
	for _, c := range m.Cols {
		all = append(all, c...)
	}
	writeFloats(tb, path, all)
}
