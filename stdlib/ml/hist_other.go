//go:build !amd64 || purego

package ml

import "unsafe"

func addRowsOrderedKernel(base, data unsafe.Pointer, stride, nf int, rows []int32, og, oh []float64) {
	for k, r := range rows {
		addRow(base, unsafe.Add(data, int(r)*stride), nf, og[k], oh[k])
	}
}

func addRowsRangeKernel(base, data unsafe.Pointer, stride, nf int, g, h []float64) {
	for k := range g {
		addRow(base, unsafe.Add(data, k*stride), nf, g[k], h[k])
	}
}

// addRow adds one gradient pair to the bins of the nf bytes at row.
func addRow(base, row unsafe.Pointer, nf int, gv, hv float64) {
	off := uintptr(0)
	for f := 0; f < nf; f++ {
		b := uintptr(*(*uint8)(unsafe.Add(row, f)))
		p := (*histBin)(unsafe.Add(base, off+b*unsafe.Sizeof(histBin{})))
		p.g += gv
		p.h += hv
		off += uintptr(binOffset)
	}
}
