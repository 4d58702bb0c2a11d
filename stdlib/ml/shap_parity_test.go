package ml

import (
	"path/filepath"
	"testing"
)

// parityShap is TestParity's TreeSHAP case alone (Only "shap"): it trains
// the GBM of the synthetic task once and times Contributions on its first
// shapRows training rows, timed by bestTime.
func parityShap(t *testing.T, dir string, rows, train, features, trees, shapRows, repeat int) map[string]float64 {
	X := readMatrix(t, filepath.Join(dir, "synth_X.f64"), rows, features)
	y := readFloats(t, filepath.Join(dir, "synth_y.f64"), rows)
	tr := sliceRows(X, 0, train)
	g, err := FitGBM(tr, y[:train], nil, nil, GBMParams{Trees: trees, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sub := sliceRows(tr, 0, min(shapRows, train))
	best := bestTime(repeat, func() {
		if _, _, err := g.Contributions(sub); err != nil {
			t.Fatal(err)
		}
	})
	res := map[string]float64{"gbm_shap_rows_per_s": float64(sub.Rows) / best}
	t.Logf("shap: %v", res)
	return res
}
