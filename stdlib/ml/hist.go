package ml

import "unsafe"

// histStride is the histogram length per feature: up to 255 value bins
// plus the missing bin. A fixed stride makes a bin's slot f<<8 | bin.
const histStride = 256

// histBin sums gradients and hessians. Row counts are not kept per bin:
// like LightGBM, split search estimates them from the hessian share, which
// saves a third of the memory traffic of the hottest loop.
type histBin struct {
	g, h float64
}

// hist is a node's histogram: hist[f][b] sums bin b of feature f. Its
// features lie back to back in one allocation, which the kernels below
// rely on.
type hist [][histStride]histBin

// binOffset is the byte distance between one feature's histogram and the
// next's.
const binOffset = histStride * int(unsafe.Sizeof(histBin{}))

// addRowsOrdered adds, for each k, the pair (og[k], oh[k]) to the bins of
// row rows[k] of data, a row-major matrix of F features with F = len(h).
//
// This is the hottest loop of training. It indexes through unsafe pointers
// because every index is in range by construction (a bin is a uint8 and
// the stride is 256) and the bounds checks, together with the register
// pressure they bring, cost about half its time.
func addRowsOrdered(h hist, data []uint8, rows []int32, og, oh []float64) {
	F := len(h)
	if F == 0 || len(rows) == 0 {
		return
	}
	og, oh = og[:len(rows)], oh[:len(rows)]
	base := unsafe.Pointer(&h[0][0])
	for k, r := range rows {
		row := data[int(r)*F : int(r)*F+F]
		addRow(base, unsafe.Pointer(unsafe.SliceData(row)), F, og[k], oh[k])
	}
}

// addRowsRange is addRowsOrdered for rows lo..hi-1 in order, reading
// gradients in place.
func addRowsRange(h hist, data []uint8, lo, hi int, grad, hess []float64) {
	F := len(h)
	if F == 0 || hi <= lo {
		return
	}
	grad, hess = grad[lo:hi], hess[lo:hi]
	rows := data[lo*F : hi*F]
	base := unsafe.Pointer(&h[0][0])
	for k := range grad {
		addRow(base, unsafe.Pointer(&rows[k*F]), F, grad[k], hess[k])
	}
}

// addRow adds one gradient pair to the bins of the F bytes at row.
func addRow(base, row unsafe.Pointer, F int, gv, hv float64) {
	off := uintptr(0)
	for f := 0; f < F; f++ {
		b := uintptr(*(*uint8)(unsafe.Add(row, f)))
		p := (*histBin)(unsafe.Add(base, off+b*unsafe.Sizeof(histBin{})))
		p.g += gv
		p.h += hv
		off += uintptr(binOffset)
	}
}

// addHist adds src into dst.
func addHist(dst, src hist) {
	for f := range src {
		s, d := &src[f], &dst[f]
		for b := range s {
			d[b].g += s[b].g
			d[b].h += s[b].h
		}
	}
}

// subHist subtracts src from dst.
func subHist(dst, src hist) {
	for f := range src {
		s, d := &src[f], &dst[f]
		for b := range s {
			d[b].g -= s[b].g
			d[b].h -= s[b].h
		}
	}
}
