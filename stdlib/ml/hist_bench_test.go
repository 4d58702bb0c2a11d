package ml

import "testing"

func BenchmarkHistRoot(b *testing.B) {
	m, y, _ := synthBinary(100_000, 30, 2)
	binners := fitBinners(m, 255, 1, 1)
	bm := binWith(m, binners, 1, false)
	p := GBMParams{}
	p.defaults()
	g := newGrower(&p, bm, 1)
	gp := make([]gradPair, m.Rows)
	for i := range gp {
		gp[i] = gradPair{y[i] - 0.5, 0.25}
	}
	h := g.getHist()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		clear(h)
		addRowsRange(h, bm.data, 30, 0, 0, m.Rows, gp)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(m.Rows*30), "ns/update")
}

// BenchmarkBinning quantises the parity benchmark's 800k x 30 training
// matrix, boundaries included.
func BenchmarkBinning(b *testing.B) {
	m, _ := parityData()
	tr := sliceRows(m, 0, 800_000)
	for i := 0; i < b.N; i++ {
		binWith(tr, fitBinners(tr, 255, 1, 2), 2, true)
	}
}
