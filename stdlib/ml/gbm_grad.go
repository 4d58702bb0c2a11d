package ml

import "math"

// fillGradients sets gp to each row's gradient and hessian of the loss at
// score, scaled by the row weights sw when not nil. Each objective has a
// loop of its own, so the per-row work carries no test of the objective.
// The multiclass objective takes softmaxGradients instead.
func fillGradients(gp []gradPair, objective string, score, y, sw []float64, workers int) {
	n := len(gp)
	parallelBlocks(n, workers, func(_, lo, hi int) {
		g := gp[lo:hi]
		yy := y[lo:hi:hi]
		switch objective {
		case ObjectiveBinary:
			binaryGradients(g, score[lo:hi:hi], yy)
		default:
			s := score[lo:hi:hi]
			for i := range g {
				g[i] = gradPair{s[i] - yy[i], 1}
			}
		}
		if sw != nil {
			w := sw[lo:hi:hi]
			for i := range g {
				g[i].g *= w[i]
				g[i].h *= w[i]
			}
		}
	})
}

// softmaxGradients sets gp, which holds each of the k classes' n rows in
// turn, to the softmax log loss's gradient pₖ − [y = k] and hessian
// k/(k−1)·pₖ(1 − pₖ), at least 1e-16, of every class at scores (laid out
// the same way), scaled by the row weights sw when not nil. One pass over
// the rows serves a round's k trees, which may then grow side by side:
// each row's softmax (one exp per class, the maximum and the sum shared)
// is taken once, and the probabilities live only in a block per worker.
func softmaxGradients(gp []gradPair, scores, y, sw []float64, k, workers int) {
	n := len(y)
	hessFactor := float64(k) / float64(k-1)
	// Each worker holds its block's probabilities, class by class, so
	// that the gradients are written in row order, one class at a time.
	prob := make([][]float64, workers)
	parallelBlocks(n, workers, func(w, lo, hi int) {
		m := hi - lo
		if prob[w] == nil {
			prob[w] = make([]float64, k*chunkRows)
		}
		pb := prob[w]
		z := make([]float64, k)
		for i := range m {
			for c := range z {
				z[c] = scores[c*n+lo+i]
			}
			softmaxInPlace(z)
			for c, p := range z {
				pb[c*chunkRows+i] = p
			}
		}
		yy := y[lo:hi:hi]
		for c := range k {
			g := gp[c*n+lo : c*n+hi : c*n+hi]
			pc := pb[c*chunkRows : c*chunkRows+m : c*chunkRows+m]
			cls := float64(c)
			for i := range g {
				p := pc[i]
				g[i] = gradPair{p - oneIf(yy[i] == cls), max(hessFactor*p*(1-p), 1e-16)}
			}
			if sw != nil {
				ww := sw[lo:hi:hi]
				for i := range g {
					g[i].g *= ww[i]
					g[i].h *= ww[i]
				}
			}
		}
	})
}

// binaryGradients is the log loss's gradient pr - y and hessian
// pr·(1-pr), at least 1e-16, with pr = sigmoid(score), row by row as
// binaryGradient computes it. Where the processor allows, a vector kernel
// does four rows at a time with the same operations in the same order, so
// the result does not depend on the machine.
func binaryGradients(gp []gradPair, score, y []float64) {
	score = score[:len(gp)]
	y = y[:len(gp)]
	for i := binaryGradientsKernel(gp, score, y); i < len(gp); i++ {
		gp[i] = binaryGradient(score[i], y[i])
	}
}

// binaryGradient is one row's gradient and hessian at score z and label y.
//
// pr is sigmoid(z) without a branch on the sign of z, which is
// mispredicted whenever the scores of neighbouring rows differ in sign:
// e = exp(-|z|) is exp(-z) for z ≥ 0 and exp(z) below, and pr is 1/(1+e)
// or e/(1+e) accordingly, the numerator picked by the sign bit (at z = -0,
// e is 1 and both agree).
func binaryGradient(z, y float64) gradPair {
	one := math.Float64bits(1)
	e := expNonPositive(-math.Abs(z))
	neg := uint64(int64(math.Float64bits(z)) >> 63)
	num := math.Float64frombits(math.Float64bits(e)&neg | one&^neg)
	pr := num / (1 + e)
	h := pr * (1 - pr)
	if h < 1e-16 {
		h = 1e-16
	}
	return gradPair{pr - y, h}
}
