package ml

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/galley-dev/galley/stdlib/data"
)

// datasetPath finds a real dataset: $GALLEY_DATASETS, else
// <repo root>/../shared/datasets. Absent data skips the test, except in CI.
func datasetPath(tb testing.TB, name string) string {
	tb.Helper()
	dir := os.Getenv("GALLEY_DATASETS")
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			tb.Fatal(err)
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(d, "..", "shared", "datasets")
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("dataset %s not found (set GALLEY_DATASETS): %v", name, err)
		}
		tb.Skipf("dataset %s not found; set GALLEY_DATASETS to run this test", name)
	}
	return p
}

func loadSplit(tb testing.TB, name, label string, drop ...string) (train, test *data.Frame) {
	tb.Helper()
	f, err := data.ReadCSV(datasetPath(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	if len(drop) > 0 {
		if f, err = f.Drop(drop...); err != nil {
			tb.Fatal(err)
		}
	}
	train, test, err = f.StratifiedSplit(label, 0.25, 7)
	if err != nil {
		tb.Fatal(err)
	}
	return train, test
}

func TestTelcoChurn(t *testing.T) {
	train, test := loadSplit(t, "telco-churn.csv", "Churn", "customerID")
	for _, tc := range []struct {
		name   string
		spec   Spec
		minAUC float64
	}{
		{"logistic", Spec{Label: "Churn", Logistic: &LogisticParams{C: 1}}, 0.83},
		{"gbm", Spec{Label: "Churn", GBM: &GBMParams{Trees: 200, LearningRate: 0.05, MaxLeaves: 15, Seed: 1, EarlyStopping: 30}}, 0.83},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Train(train, test, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("telco %s: %s", tc.name, ev.Metrics)
			if auc := ev.AUC(); auc < tc.minAUC {
				t.Errorf("telco %s AUC %.4f < %.2f", tc.name, auc, tc.minAUC)
			}
		})
	}
}

func TestBankMarketing(t *testing.T) {
	// duration is only known after the call and leaks the target.
	train, test := loadSplit(t, "bank-marketing.csv", "y", "duration")
	for _, tc := range []struct {
		name   string
		spec   Spec
		minAUC float64
	}{
		{"logistic", Spec{Label: "y", Logistic: &LogisticParams{C: 1}}, 0.75},
		{"gbm", Spec{Label: "y", GBM: &GBMParams{Trees: 300, LearningRate: 0.05, Seed: 1, EarlyStopping: 30}}, 0.78},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Train(train, test, tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			ev, err := m.Evaluate(test)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("bank %s: %s", tc.name, ev.Metrics)
			if auc := ev.AUC(); auc < tc.minAUC {
				t.Errorf("bank %s AUC %.4f < %.2f", tc.name, auc, tc.minAUC)
			}
		})
	}
}
