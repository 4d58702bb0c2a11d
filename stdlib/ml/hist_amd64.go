//go:build amd64 && !purego

package ml

import "unsafe"

// Implemented in hist_amd64.s.
//
//go:noescape
func addRowsOrderedSSE(base, data unsafe.Pointer, stride, nf int, rows *int32, n int, og, oh *float64)

//go:noescape
func addRowsRangeSSE(base, data unsafe.Pointer, stride, nf, n int, gs, hs *float64)

func addRowsOrderedKernel(base, data unsafe.Pointer, stride, nf int, rows []int32, og, oh []float64) {
	addRowsOrderedSSE(base, data, stride, nf, unsafe.SliceData(rows), len(rows), unsafe.SliceData(og), unsafe.SliceData(oh))
}

func addRowsRangeKernel(base, data unsafe.Pointer, stride, nf int, g, h []float64) {
	addRowsRangeSSE(base, data, stride, nf, len(g), unsafe.SliceData(g), unsafe.SliceData(h))
}
