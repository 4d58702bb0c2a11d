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

// runScikitLearn writes cfg to dir/config.json, runs
// testdata/python/sklearn_multiclass.py on dir and returns its
// sklearn.json.
func runScikitLearn(t *testing.T, dir string, cfg any) map[string]json.RawMessage {
	t.Helper()
	py := projectPython(t)
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cmd := exec.Command(py, filepath.Join("..", "..", "testdata", "python", "sklearn_multiclass.py"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scikit-learn: %v\n%s", err, out)
	}
	t.Logf("scikit-learn ran in %v", time.Since(t0))
	var res map[string]json.RawMessage
	b, err := os.ReadFile(filepath.Join(dir, "sklearn.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// multinomialTask is a train/test split of a multiclass problem as
// matrices ready for logistic regression (no missing values).
type multinomialTask struct {
	name          string
	train, test   *Matrix
	ytrain, ytest []float64
	classes       int
}

// multinomialTasks are the parity tasks: the 5-class synthetic task of
// the GBM multiclass parity test (its missing values set to 0, the
// feature's mean) and bank-marketing with education (8 classes) as the
// label, prepared by LinearPipeline.
func multinomialTasks(t *testing.T) []multinomialTask {
	m, y := synthMulticlass(12000, 10, 5, 9)
	for i, v := range m.Cols[0] {
		if math.IsNaN(v) {
			m.Cols[0][i] = 0
		}
	}
	tasks := []multinomialTask{{"synth5", sliceRows(m, 0, 9000), sliceRows(m, 9000, 12000), y[:9000], y[9000:], 5}}
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
	p := LinearPipeline()
	mtr, err := p.Fit(tt.without("education"))
	if err != nil {
		t.Fatal(err)
	}
	mte, err := p.Transform(vt.without("education"))
	if err != nil {
		t.Fatal(err)
	}
	return append(tasks, multinomialTask{"bank_education", mtr, mte, ytr, yte, len(classes)})
}

// TestMultinomialParityWithScikitLearn fits galley's and scikit-learn's
// multinomial logistic regression (C = 1, lbfgs, the default tolerance
// 1e-4) on the same matrices and checks that they reach the same minimum
// of the same objective: galley's objective at scikit-learn's solution is
// no lower than at its own (within 1e-5), and the test log losses agree
// within 1e-3.
func TestMultinomialParityWithScikitLearn(t *testing.T) {
	dir := t.TempDir()
	tasks := multinomialTasks(t)
	type cfgTask struct {
		Name    string `json:"name"`
		Train   int    `json:"train"`
		Test    int    `json:"test"`
		Classes int    `json:"classes"`
	}
	var ct []cfgTask
	for _, tk := range tasks {
		writeMatrix(t, filepath.Join(dir, tk.name+"_train_X.f64"), tk.train)
		writeMatrix(t, filepath.Join(dir, tk.name+"_test_X.f64"), tk.test)
		writeFloats(t, filepath.Join(dir, tk.name+"_train_y.f64"), tk.ytrain)
		writeFloats(t, filepath.Join(dir, tk.name+"_test_y.f64"), tk.ytest)
		ct = append(ct, cfgTask{tk.name, tk.train.Rows, tk.test.Rows, tk.classes})
	}
	res := runScikitLearn(t, dir, map[string]any{"logistic": map[string]any{"C": 1.0, "tol": 1e-4, "max_iter": 1000, "threads": 1, "tasks": ct}})
	for _, tk := range tasks {
		var sk struct {
			LogLoss   float64     `json:"multi_logloss"`
			Coef      [][]float64 `json:"coef"`
			Intercept []float64   `json:"intercept"`
			Iter      int         `json:"iterations"`
			FitS      float64     `json:"fit_s"`
		}
		if err := json.Unmarshal(res[tk.name], &sk); err != nil {
			t.Fatal(err)
		}
		params := LogisticParams{C: 1, Multinomial: true, Tol: 1e-4, MaxIter: 1000, Threads: 1}
		t0 := time.Now()
		lm, err := FitLogistic(tk.train, tk.ytrain, params)
		if err != nil {
			t.Fatal(err)
		}
		secs := time.Since(t0).Seconds()
		ll := MultiLogLoss(tk.ytest, lm.Predict(tk.test, nil), tk.classes)
		// The objective at both solutions, x = [W₀…, W₁…, …, b].
		d := len(tk.train.Cols)
		o := newMultinomialObjective(tk.train, tk.ytrain, nil, tk.classes, params, 1)
		own, peer := make([]float64, 0, tk.classes*(d+1)), make([]float64, 0, tk.classes*(d+1))
		for c := range tk.classes {
			own = append(own, lm.ClassWeights[c]...)
			peer = append(peer, sk.Coef[c]...)
		}
		own = append(own, lm.ClassIntercepts...)
		peer = append(peer, sk.Intercept...)
		fOwn, fPeer := o.eval(own, nil), o.eval(peer, nil)
		t.Logf("%s: galley log loss %.6f (%d iterations, %.2fs), scikit-learn %.6f (%d iterations, %.2fs); objective %.9f vs %.9f",
			tk.name, ll, lm.Iterations, secs, sk.LogLoss, sk.Iter, sk.FitS, fOwn, fPeer)
		if math.Abs(ll-sk.LogLoss) > 1e-3 {
			t.Errorf("%s: test log loss %.6f, scikit-learn %.6f: apart by more than 1e-3", tk.name, ll, sk.LogLoss)
		}
		// Both stop at the default tolerance, short of the exact minimum,
		// so allow for that much.
		if fOwn > fPeer+1e-5 {
			t.Errorf("%s: galley stopped at objective %.9f, above scikit-learn's %.9f", tk.name, fOwn, fPeer)
		}
		var sum float64
		for _, b := range lm.ClassIntercepts {
			sum += b
		}
		if math.Abs(sum) > 1e-6 {
			t.Errorf("%s: intercepts sum to %v, want them centred", tk.name, sum)
		}
	}
}

// TestParityMultinomial is the galley side of run_multinomial in
// testdata/bench/suite_ml.py. It runs only when GALLEY_ML_PARITY_DIR names
// a directory that script prepared: the synthetic task arrives as
// synth5_{X,y}.f64; bank-marketing with education as the label is read,
// split and encoded by LinearPipeline here and written back as matrices.
// Fit times (best of Repeat) and held-out log losses go to galley.json.
func TestParityMultinomial(t *testing.T) {
	dir := os.Getenv("GALLEY_ML_PARITY_DIR")
	if dir == "" {
		t.Skip("run by testdata/bench/suite_ml.py (GALLEY_ML_PARITY_DIR)")
	}
	var cfg struct {
		Repeat int
		Synth  struct{ Rows, Train, Features, Classes int }
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	X := readMatrix(t, filepath.Join(dir, "synth5_X.f64"), cfg.Synth.Rows, cfg.Synth.Features)
	y := readFloats(t, filepath.Join(dir, "synth5_y.f64"), cfg.Synth.Rows)
	n := cfg.Synth.Train
	tasks := []multinomialTask{{"synth5", sliceRows(X, 0, n), sliceRows(X, n, cfg.Synth.Rows), y[:n], y[n:], cfg.Synth.Classes}}
	bank := multinomialTasks(t)[1]
	writeMatrix(t, filepath.Join(dir, "bank_education_train_X.f64"), bank.train)
	writeMatrix(t, filepath.Join(dir, "bank_education_test_X.f64"), bank.test)
	writeFloats(t, filepath.Join(dir, "bank_education_train_y.f64"), bank.ytrain)
	writeFloats(t, filepath.Join(dir, "bank_education_test_y.f64"), bank.ytest)
	tasks = append(tasks, bank)
	results := map[string]map[string]float64{}
	for _, tk := range tasks {
		var lm *LinearModel
		best := bestTime(cfg.Repeat, func() {
			if lm, err = FitLogistic(tk.train, tk.ytrain, LogisticParams{C: 1, Multinomial: true, MaxIter: 1000}); err != nil {
				t.Fatal(err)
			}
		})
		res := map[string]float64{
			"fit_s":         best,
			"iterations":    float64(lm.Iterations),
			"multi_logloss": MultiLogLoss(tk.ytest, lm.Predict(tk.test, nil), tk.classes),
			"train":         float64(tk.train.Rows),
			"test":          float64(tk.test.Rows),
		}
		results[tk.name] = res
		t.Logf("%s: %v", tk.name, res)
	}
	b, _ = json.MarshalIndent(results, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "galley.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
