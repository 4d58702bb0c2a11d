//go:build !amd64 || purego

package ml

import "unsafe"

// binOffset is the byte distance between one feature's histogram and the
// next's.
const binOffset = histStride * int(unsafe.Sizeof(histBin{}))

func addRowsOrderedKernel(base, data unsafe.Pointer, stride, nf int, rows []int32, gp []gradPair) {
	for _, r := range rows {
		addRow(base, unsafe.Add(data, int(r)*stride), nf, gp[r])
	}
}

func addRowsRangeKernel(base, data unsafe.Pointer, stride, nf int, gp []gradPair) {
	for k, p := range gp {
		addRow(base, unsafe.Add(data, k*stride), nf, p)
	}
}

// addRow adds one gradient pair to the bins of the nf bytes at row.
func addRow(base, row unsafe.Pointer, nf int, gp gradPair) {
	off := uintptr(0)
	for f := 0; f < nf; f++ {
		b := uintptr(*(*uint8)(unsafe.Add(row, f)))
		p := (*histBin)(unsafe.Add(base, off+b*unsafe.Sizeof(histBin{})))
		p.g += gp.g
		p.h += gp.h
		off += uintptr(binOffset)
	}
}
