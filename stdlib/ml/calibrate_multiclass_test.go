package ml

import (
	"bytes"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
)

// topLabelECE is the expected calibration error of each row's most
// probable class over ten equal-width confidence bins.
func topLabelECE(y, p []float64, k int) float64 {
	var conf, acc, count [10]float64
	for i, v := range y {
		row := p[i*k : (i+1)*k]
		c := argmax(row)
		b := min(int(row[c]*10), 9)
		conf[b] += row[c]
		acc[b] += oneIf(c == int(v))
		count[b]++
	}
	var e float64
	for b := range count {
		e += math.Abs(acc[b] - conf[b])
	}
	return e / float64(len(y))
}

// overconfidentGBM trains a multiclass GBM that overfits 2,000 rows
// (large steps, many leaves), so its probabilities on other rows are too
// close to 0 and 1, and returns it with calibration and test frames.
func overconfidentGBM(t *testing.T) (m *Model, calib, test *data.Frame) {
	f := multiclassFrame(t, 6000, 7)
	m, err := Train(f.Slice(0, 2000), nil, Spec{Label: "segment", Pipeline: TreePipeline("tier"),
		GBM: &GBMParams{Objective: ObjectiveMulticlass, Trees: 60, LearningRate: 0.5, MaxLeaves: 31, MinDataInLeaf: 5, Seed: 3}})
	if err != nil {
		t.Fatal(err)
	}
	return m, f.Slice(2000, 4000), f.Slice(4000, 6000)
}

func cloneModel(t *testing.T, m *Model) *Model {
	t.Helper()
	var buf bytes.Buffer
	if err := m.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestMulticlassCalibrationImprovesAnOverconfidentModel(t *testing.T) {
	raw, calib, test := overconfidentGBM(t)
	ev, err := raw.Evaluate(test)
	if err != nil {
		t.Fatal(err)
	}
	k := len(raw.Classes)
	rawLL, rawECE := ev.Metrics.Value("multi_logloss"), topLabelECE(ev.Y, ev.P, k)
	for _, method := range []string{CalibratePlatt, CalibrateIsotonic} {
		t.Run(method, func(t *testing.T) {
			m := cloneModel(t, raw)
			if _, err := m.Calibrate(calib, method); err != nil {
				t.Fatal(err)
			}
			if len(m.Calibration.Classes) != k {
				t.Fatalf("%d class calibrations for %d classes", len(m.Calibration.Classes), k)
			}
			ev, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			ll, ece := ev.Metrics.Value("multi_logloss"), topLabelECE(ev.Y, ev.P, k)
			t.Logf("held-out log loss %.4f → %.4f, ECE %.4f → %.4f", rawLL, ll, rawECE, ece)
			if ll >= rawLL-0.05 || ece >= rawECE/2 {
				t.Errorf("calibration did not help: log loss %.4f → %.4f, ECE %.4f → %.4f", rawLL, ll, rawECE, ece)
			}
			for i := 0; i < len(ev.Y); i++ {
				var s float64
				for _, v := range ev.P[i*k : (i+1)*k] {
					if v < 0 || v > 1 {
						t.Fatalf("row %d: probability %v", i, v)
					}
					s += v
				}
				if math.Abs(s-1) > 1e-12 {
					t.Fatalf("row %d: calibrated probabilities sum to %v", i, s)
				}
			}
			// Explanations report the calibrated probability.
			ex, err := m.Explain(test.Slice(0, 20), 1)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range ex.Rows {
				want := ev.P[i*k+slices.Index(m.Classes, r.Class)]
				if math.Abs(r.Prediction-want) > 1e-12 {
					t.Errorf("row %d: explanation's probability %v, calibrated %v", i, r.Prediction, want)
				}
			}
			// Saved with the model, as version 3 so that older releases
			// refuse it rather than ignore the calibration.
			var buf bytes.Buffer
			if err := m.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if man := zipText(t, buf.Bytes(), "manifest.json"); !strings.Contains(man, `"version": 3`) {
				t.Errorf("manifest %s", man)
			}
			back, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.PredictProba(test)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range again.Values {
				if math.Float64bits(v) != math.Float64bits(ev.P[i]) {
					t.Fatalf("value %d: loaded model predicts %v, saved one %v", i, v, ev.P[i])
				}
			}
			back.Calibration.Classes = back.Calibration.Classes[:3]
			buf.Reset()
			if err := back.Write(&buf); err != nil {
				t.Fatal(err)
			}
			if _, err := Read(bytes.NewReader(buf.Bytes()), int64(buf.Len())); err == nil || !strings.Contains(err.Error(), "calibration for 3 classes") {
				t.Errorf("a calibration for 3 of 5 classes loaded: %v", err)
			}
		})
	}
	// A multinomial logistic model calibrates the same way.
	lm, err := Train(calib, nil, Spec{Label: "segment", Pipeline: LinearPipeline("tier"), Logistic: &LogisticParams{Multinomial: true}})
	if err != nil {
		t.Fatal(err)
	}
	cev, err := lm.Calibrate(test, CalibrateIsotonic)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(cev.Y); i++ {
		var s float64
		for _, v := range cev.P[i*k : (i+1)*k] {
			s += v
		}
		if math.Abs(s-1) > 1e-12 {
			t.Fatalf("logistic row %d: calibrated probabilities sum to %v", i, s)
		}
	}
	// Calibration rows must hold every class.
	few, err := test.Filter(data.Col("segment").Ne("gold"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cloneModel(t, raw).Calibrate(few, CalibratePlatt); err == nil || !strings.Contains(err.Error(), `"gold"`) {
		t.Errorf("calibrating without a class: %v", err)
	}
}

// TestClassCalibratorMatchesScikitLearn calibrates the same predicted
// probabilities of an overconfident model with FitClassCalibrator and
// with scikit-learn's CalibratedClassifierCV (sigmoid on each class's
// log-odds, isotonic on its probability, one-vs-rest, renormalised) and
// compares the calibrated probabilities of held-out rows.
func TestClassCalibratorMatchesScikitLearn(t *testing.T) {
	m, calib, test := overconfidentGBM(t)
	k := len(m.Classes)
	dir := t.TempDir()
	var yc []float64
	var pc, pt []float64
	for _, part := range []struct {
		f *data.Frame
		n string
	}{{calib, "calib"}, {test, "test"}} {
		ev, err := m.Evaluate(part.f)
		if err != nil {
			t.Fatal(err)
		}
		writeFloats(t, filepath.Join(dir, "gbm_"+part.n+"_p.f64"), ev.P)
		writeFloats(t, filepath.Join(dir, "gbm_"+part.n+"_y.f64"), ev.Y)
		if part.n == "calib" {
			yc, pc = ev.Y, ev.P
		} else {
			pt = ev.P
		}
	}
	nt := len(pt) / k
	runScikitLearn(t, dir, map[string]any{"calibrate": []map[string]any{{"name": "gbm", "calib": len(yc), "test": nt, "classes": k}}})
	for _, tc := range []struct {
		method string
		tol    float64
	}{{CalibratePlatt, 1e-6}, {CalibrateIsotonic, 1e-12}} {
		c, err := FitClassCalibrator(tc.method, yc, pc, k)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Apply(pt, nil)
		want := readFloats(t, filepath.Join(dir, "gbm_"+tc.method+"_sk.f64"), len(pt))
		worst := 0.0
		for i := range got {
			worst = max(worst, math.Abs(got[i]-want[i]))
		}
		t.Logf("%s: largest difference from scikit-learn %.2g over %d probabilities", tc.method, worst, len(got))
		if worst > tc.tol {
			t.Errorf("%s: calibrated probabilities differ from scikit-learn's by up to %.3g, more than %.0g", tc.method, worst, tc.tol)
		}
	}
}
