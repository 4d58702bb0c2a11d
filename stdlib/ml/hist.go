package ml

import "unsafe"

// histStride is the histogram length per feature: up to 255 value bins,
// the missing bin, and one bin of padding. Without it features would lie
// exactly 4 KiB apart, and the processor, which matches a load against
// earlier stores by the low 12 address bits first, would stall on false
// conflicts whenever rows hit the same bin number in different features,
// as they nearly always do with few-valued features.
const histStride = 257

// histBin sums gradients and hessians. Row counts are not kept per bin:
// like LightGBM, split search estimates them from the hessian share, which
// saves a third of the memory traffic of the hottest loop.
type histBin struct {
	g, h float64
}

// gradPair is one row's gradient and hessian, kept together so that a
// histogram update reads both with one load.
type gradPair struct {
	g, h float64
}

// hist is a node's histogram: hist[f][b] sums bin b of feature f. Its
// features lie back to back in one allocation, which the kernels below
// rely on.
type hist [][histStride]histBin

// addRowsOrdered adds, for each row r of rows, the pair gp[r] to the bins
// of features f0, f0+1, ... f0+len(h)-1 of row r in data, a row-major
// matrix whose rows are stride bytes long. h[0] is feature f0's histogram.
// rows must be increasing, as a leaf's rows always are: only the last one
// is checked against data and gp.
//
// This is the hottest loop of training. The kernels behind it index
// through pointers without bounds checks, since every index is in range by
// construction (a bin is a uint8 and a feature has histStride bins). On
// amd64 the kernel prefetches rows and gradients ahead, which is why the
// gradients are not first gathered into leaf order.
func addRowsOrdered(h hist, data []uint8, stride, f0 int, rows []int32, gp []gradPair) {
	F := len(h)
	if F == 0 || len(rows) == 0 {
		return
	}
	last := int(rows[len(rows)-1])
	_ = data[last*stride+f0+F-1]
	_ = gp[last]
	addRowsOrderedKernel(unsafe.Pointer(&h[0][0]), unsafe.Pointer(&data[f0]), stride, F, rows, gp)
}

// addRowsRange is addRowsOrdered for rows lo..hi-1 in order, reading
// gradients in place.
func addRowsRange(h hist, data []uint8, stride, f0, lo, hi int, gp []gradPair) {
	F := len(h)
	if F == 0 || hi <= lo {
		return
	}
	gp = gp[lo:hi]
	_ = data[(hi-1)*stride+f0+F-1]
	addRowsRangeKernel(unsafe.Pointer(&h[0][0]), unsafe.Pointer(&data[lo*stride+f0]), stride, F, gp)
}

// The functions below touch only the first used[f] bins of feature f: the
// others are never written and stay zero.

// subHist subtracts src from dst.
func subHist(dst, src hist, used []int) {
	for f := range src {
		s, d := src[f][:used[f]], dst[f][:used[f]]
		for b := range s {
			d[b].g -= s[b].g
			d[b].h -= s[b].h
		}
	}
}

// clearHist zeroes h.
func clearHist(h hist, used []int) {
	for f := range h {
		clear(h[f][:used[f]])
	}
}
