//go:build linux

package ml

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestParityLarge is the galley side of the large synthetic case of
// testdata/bench/suite_ml.py (run_large): one training run on a matrix too
// big to hold twice comfortably, in a process of its own so that its peak
// memory is galley's alone. It runs only when GALLEY_ML_PARITY_DIR names a
// directory whose config.json has a "Large" task, and writes
// galley_large.json there.
func TestParityLarge(t *testing.T) {
	dir := os.Getenv("GALLEY_ML_PARITY_DIR")
	if dir == "" {
		t.Skip("run by testdata/bench/suite_ml.py (GALLEY_ML_PARITY_DIR)")
	}
	var cfg struct {
		Large struct{ Rows, Test, Features int }
		Trees int
	}
	b, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Large.Rows == 0 {
		t.Skip(`config.json has no "Large" task`)
	}
	n, d := cfg.Large.Rows, cfg.Large.Features
	X := readMatrixInPlace(t, filepath.Join(dir, "large_X.f64"), n, d)
	y := readMatrixInPlace(t, filepath.Join(dir, "large_y.f64"), n, 1).Cols[0]
	dataRSS := maxRSS(t)
	t0 := time.Now()
	g, err := FitGBM(X, y, nil, nil, GBMParams{Trees: cfg.Trees, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	secs := time.Since(t0).Seconds()
	peak := maxRSS(t)
	X, y = nil, nil
	Xt := readMatrixInPlace(t, filepath.Join(dir, "large_test_X.f64"), cfg.Large.Test, d)
	yt := readMatrixInPlace(t, filepath.Join(dir, "large_test_y.f64"), cfg.Large.Test, 1).Cols[0]
	res := map[string]float64{
		"fit_s":          secs,
		"auc":            AUC(yt, g.Predict(Xt, nil)),
		"max_rss_bytes":  float64(peak),
		"data_rss_bytes": float64(dataRSS),
	}
	t.Logf("large %dx%d: %v", n, d, res)
	b, _ = json.MarshalIndent(res, "", " ")
	if err := os.WriteFile(filepath.Join(dir, "galley_large.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// readMatrixInPlace reads a column-major little-endian float64 matrix
// through a small buffer straight into one allocation, so the process
// never holds the file's bytes and the numbers at once.
func readMatrixInPlace(tb testing.TB, path string, rows, cols int) *Matrix {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	all := make([]float64, rows*cols)
	buf := make([]byte, 1<<20)
	for at := 0; at < len(all); {
		k := min(len(buf)/8, len(all)-at)
		if _, err := io.ReadFull(f, buf[:8*k]); err != nil {
			tb.Fatalf("%s: %v (want %d float64s)", path, err, len(all))
		}
		for i := range k {
			all[at+i] = math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:]))
		}
		at += k
	}
	if n, _ := f.Read(buf[:1]); n != 0 {
		tb.Fatalf("%s holds more than %d float64s", path, len(all))
	}
	m := &Matrix{Rows: rows}
	for j := 0; j < cols; j++ {
		m.Names = append(m.Names, "f"+string(rune('0'+j/10))+string(rune('0'+j%10)))
		m.Cols = append(m.Cols, all[j*rows:(j+1)*rows:(j+1)*rows])
	}
	return m
}

// maxRSS is the process's peak resident memory in bytes.
func maxRSS(tb testing.TB) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return ru.Maxrss * 1024 // Linux reports KiB
}
