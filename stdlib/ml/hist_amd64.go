//go:build amd64 && !purego

package ml

import "unsafe"

// Implemented in hist_amd64.s.
//
//go:noescape
func addRowsOrderedSSE(base, data unsafe.Pointer, stride, nf int, rows *int32, n int, gp *gradPair)

//go:noescape
func addRowsRangeSSE(base, data unsafe.Pointer, stride, nf, n int, gp *gradPair)

func addRowsOrderedKernel(base, data unsafe.Pointer, stride, nf int, rows []int32, gp []gradPair) {
	addRowsOrderedSSE(base, data, stride, nf, unsafe.SliceData(rows), len(rows), unsafe.SliceData(gp))
}

func addRowsRangeKernel(base, data unsafe.Pointer, stride, nf int, gp []gradPair) {
	addRowsRangeSSE(base, data, stride, nf, len(gp), unsafe.SliceData(gp))
}
