//go:build amd64 && !purego

package ml

import "golang.org/x/sys/cpu"

// hasAVX2 says whether binaryGradientsAVX2 may run here.
var hasAVX2 = cpu.X86.HasAVX2

// Implemented in gbm_grad_amd64.s.
//
//go:noescape
func binaryGradientsAVX2(gp *gradPair, score, y *float64, n int)

// binaryGradientsKernel computes the gradients of the rows in whole
// groups of four with AVX2 and returns how many rows it did: all but the
// last len(gp)%4, or none on a processor without AVX2.
func binaryGradientsKernel(gp []gradPair, score, y []float64) int {
	n := len(gp) &^ 3
	if !hasAVX2 || n == 0 {
		return 0
	}
	_, _ = score[n-1], y[n-1]
	binaryGradientsAVX2(&gp[0], &score[0], &y[0], n)
	return n
}
