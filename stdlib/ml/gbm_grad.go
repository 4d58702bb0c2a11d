package ml

import "math"

// fillGradients sets gp to each row's gradient and hessian of the loss at
// score (for the multiclass objective, of class k at the probabilities
// prob), scaled by the row weights sw when not nil. Each objective has a
// loop of its own, so the per-row work carries no test of the objective.
func fillGradients(gp []gradPair, objective string, score, y, sw, prob []float64, k int, hessFactor float64, workers int) {
	n := len(gp)
	parallelBlocks(n, workers, func(_, lo, hi int) {
		g := gp[lo:hi]
		yy := y[lo:hi:hi]
		switch objective {
		case ObjectiveMulticlass:
			pk := prob[k*n+lo : k*n+hi : k*n+hi]
			cls := float64(k)
			for i := range g {
				p := pk[i]
				g[i] = gradPair{p - oneIf(yy[i] == cls), max(hessFactor*p*(1-p), 1e-16)}
			}
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

// binaryGradients is the log loss's gradient pr - y and hessian
// pr·(1-pr), at least 1e-16, with pr = sigmoid(score).
//
// pr is sigmoid's value to the last bit, computed without its branch on
// the sign of the score, which is mispredicted whenever the scores of
// neighbouring rows differ in sign: e = exp(-|z|) is exp(-z) for z ≥ 0
// and exp(z) below, and pr is 1/(1+e) or e/(1+e) accordingly, the
// numerator picked by the sign bit (at z = -0, e is 1 and both agree).
func binaryGradients(gp []gradPair, score, y []float64) {
	score = score[:len(gp)]
	y = y[:len(gp)]
	one := math.Float64bits(1)
	for i, z := range score {
		e := math.Exp(-math.Abs(z))
		neg := uint64(int64(math.Float64bits(z)) >> 63)
		num := math.Float64frombits(math.Float64bits(e)&neg | one&^neg)
		pr := num / (1 + e)
		h := pr * (1 - pr)
		if h < 1e-16 {
			h = 1e-16
		}
		gp[i] = gradPair{pr - y[i], h}
	}
}
