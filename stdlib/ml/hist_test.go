package ml

import (
	"math/rand/v2"
	"testing"
)

// TestHistKernels checks both histogram kernels against a plain loop over
// rows and features: for feature counts that leave each remainder after
// the kernels' groups of four and pairs, windows of features that start
// past the first, and row counts below and above the
// kernel's prefetch distance. The sums must match exactly, since the
// kernels add the same values in the same order.
func TestHistKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const rows, stride = 500, 7
	data := make([]uint8, rows*stride)
	for i := range data {
		data[i] = uint8(rng.IntN(256))
	}
	gp := make([]gradPair, rows)
	for i := range gp {
		gp[i] = gradPair{rng.NormFloat64(), rng.Float64()}
	}
	for _, w := range []struct{ f0, nf int }{{0, stride}, {0, 6}, {2, 5}, {0, 4}, {1, 3}, {5, 2}, {3, 1}} {
		for _, n := range []int{1, 3, 9, 200} {
			var picked []int32
			for r := 0; len(picked) < n; r += 1 + rng.IntN(2) {
				picked = append(picked, int32(r))
			}
			want := make(hist, w.nf)
			for _, r := range picked {
				for j := 0; j < w.nf; j++ {
					b := &want[j][data[int(r)*stride+w.f0+j]]
					b.g += gp[r].g
					b.h += gp[r].h
				}
			}
			got := make(hist, w.nf)
			addRowsOrdered(got, data, stride, w.f0, picked, gp)
			compareHist(t, "ordered", w.f0, w.nf, n, got, want)

			lo, hi := 10, 10+n
			want = make(hist, w.nf)
			for r := lo; r < hi; r++ {
				for j := 0; j < w.nf; j++ {
					b := &want[j][data[r*stride+w.f0+j]]
					b.g += gp[r].g
					b.h += gp[r].h
				}
			}
			got = make(hist, w.nf)
			addRowsRange(got, data, stride, w.f0, lo, hi, gp)
			compareHist(t, "range", w.f0, w.nf, n, got, want)
		}
	}
}

func compareHist(t *testing.T, kernel string, f0, nf, n int, got, want hist) {
	t.Helper()
	for j := range want {
		for b := range want[j] {
			if got[j][b] != want[j][b] {
				t.Fatalf("%s kernel, features %d..%d, %d rows: feature %d bin %d is %v, want %v", kernel, f0, f0+nf-1, n, f0+j, b, got[j][b], want[j][b])
			}
		}
	}
}
