//go:build amd64 && !purego

package ml

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBinaryGradientsKernelMatchesGo checks the AVX2 kernel against
// binaryGradient bit for bit, on scores of every scale, the edges of
// expNonPositive's range, infinities and NaN, and that the rows left over
// after the groups of four are done too.
func TestBinaryGradientsKernelMatchesGo(t *testing.T) {
	if !hasAVX2 {
		t.Skip("this processor has no AVX2: the Go code runs alone")
	}
	z := []float64{0, math.Copysign(0, -1), 1, -1, 0.5, -0.5, 36.7, -36.7, 707.9, -707.9, 708, -708,
		708.0000001, -708.0000001, 745, -745, 1e300, -1e300, 1e-300, -1e-300, math.Inf(1), math.Inf(-1), math.NaN(),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, 0.34657359027997264, -0.34657359027997264}
	rng := rand.New(rand.NewPCG(7, 11))
	for _, scale := range []float64{1e-8, 1e-3, 0.1, 1, 3, 10, 100, 1000} {
		for range 500 {
			z = append(z, rng.NormFloat64()*scale)
		}
	}
	z = append(z, 2, -2, 3) // not a multiple of four
	y := make([]float64, len(z))
	for i := range y {
		y[i] = float64(i % 2)
	}
	gp := make([]gradPair, len(z))
	if n := binaryGradientsKernel(gp, z, y); n != len(z)&^3 {
		t.Fatalf("the kernel did %d rows of %d, want %d", n, len(z), len(z)&^3)
	}
	binaryGradients(gp, z, y)
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || math.IsNaN(a) && math.IsNaN(b)
	}
	for i := range z {
		want := binaryGradient(z[i], y[i])
		if !same(gp[i].g, want.g) || !same(gp[i].h, want.h) {
			t.Errorf("z = %v (row %d): kernel (%v, %v), Go (%v, %v)", z[i], i, gp[i].g, gp[i].h, want.g, want.h)
		}
	}
}
