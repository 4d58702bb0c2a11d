package ml

import "math"

// expNonPositive returns eˣ for x ≤ 0 within a few units in the last
// place, several times faster than math.Exp: x = k·ln 2 + r with
// |r| ≤ ½ln 2, and eʳ by its Taylor polynomial to r¹³ (remainder below
// 1e-17 relative). Results below e⁻⁷⁰⁸, which neither a softmax sum nor a
// sigmoid can notice next to 1, are 0.
//
// Every product is rounded before it is added (the float64 conversions
// keep the compiler from fusing them), so the result is the same on every
// build and equal, bit for bit, to the vector kernel of the binary
// objective's gradients (gbm_grad_amd64.s), which does these operations
// in this order, four rows at a time.
func expNonPositive(x float64) float64 {
	const (
		log2e = 1.44269504088896338700e+00
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
	)
	if !(x > -708) { // also NaN
		if x != x {
			return x
		}
		return 0
	}
	// Truncating a negative number rounds it up: k is x·log₂e rounded.
	k := float64(int64(float64(x*log2e) - 0.5))
	r := (x - float64(k*ln2Hi)) - float64(k*ln2Lo)
	p := 1.0 / 6227020800
	p = float64(p*r) + 1.0/479001600
	p = float64(p*r) + 1.0/39916800
	p = float64(p*r) + 1.0/3628800
	p = float64(p*r) + 1.0/362880
	p = float64(p*r) + 1.0/40320
	p = float64(p*r) + 1.0/5040
	p = float64(p*r) + 1.0/720
	p = float64(p*r) + 1.0/120
	p = float64(p*r) + 1.0/24
	p = float64(p*r) + 1.0/6
	p = float64(p*r) + 1.0/2
	p = float64(p*r) + 1
	p = float64(p*r) + 1
	return p * math.Float64frombits(uint64(int64(k)+1023)<<52)
}
