package ml

import (
	"math"
	"math/rand/v2"
	"slices"
)

// binSampleRows bounds the rows examined to place bin boundaries; quantiles
// of a sample this size are as good as the full column's for ≤255 bins.
const binSampleRows = 200_000

// binner maps one feature's values to small bin numbers. Bin b holds values
// x with upper[b-1] < x ≤ upper[b]; the last upper bound is +Inf. Missing
// values get bin len(upper).
type binner struct {
	upper []float64
}

func (b *binner) bins() int    { return len(b.upper) }
func (b *binner) missing() int { return len(b.upper) }

func (b *binner) bin(x float64) uint8 {
	if x != x {
		return uint8(len(b.upper))
	}
	// Find the first bound ≥ x; the last bound is +Inf, so one exists. The
	// answer lies in upper[lo:lo+n]; each step halves n without a branch,
	// which would be mispredicted half the time.
	u := b.upper
	lo, n := 0, len(u)
	for n > 1 {
		half := n / 2
		lo += half & -b2i(u[lo+half-1] < x)
		n -= half
	}
	return uint8(lo)
}

// newBinner places at most maxBins bins over values so that each holds
// about the same number of rows, giving a value of its own to any value
// frequent enough to fill a bin.
func newBinner(values []float64, maxBins int) *binner {
	vals := make([]float64, 0, len(values))
	for _, x := range values {
		if !math.IsNaN(x) {
			vals = append(vals, x)
		}
	}
	if len(vals) == 0 {
		return &binner{upper: []float64{math.Inf(1)}}
	}
	sortFloats(vals)
	var distinct []float64
	var counts []int
	for i, x := range vals {
		if i == 0 || x != vals[i-1] {
			distinct = append(distinct, x)
			counts = append(counts, 0)
		}
		counts[len(counts)-1]++
	}
	between := func(i int) float64 { return distinct[i] + (distinct[i+1]-distinct[i])/2 }
	var upper []float64
	if len(distinct) <= maxBins {
		for i := 0; i+1 < len(distinct); i++ {
			upper = append(upper, between(i))
		}
	} else {
		remaining := len(vals)
		acc := 0
		for i := 0; i+1 < len(distinct); i++ {
			binsLeft := maxBins - len(upper)
			if binsLeft <= 1 {
				break
			}
			acc += counts[i]
			target := float64(remaining) / float64(binsLeft)
			// Close the bin when it is full, or when the next value alone
			// would overfill it by more than it lacks now.
			if float64(acc) >= target || (float64(acc)+float64(counts[i+1])/2 > target && acc > 0) {
				upper = append(upper, between(i))
				remaining -= acc
				acc = 0
			}
		}
	}
	upper = append(upper, math.Inf(1))
	return &binner{upper: upper}
}

// binMatrix is the data quantised, stored row by row: bin of feature f in
// row i is data[i*features+f]. Rows are laid out contiguously because
// histograms are built by walking a leaf's rows, touching every feature of
// each row once. The training matrix also keeps a column-major copy in
// cols, for partitioning a leaf's rows on one feature.
type binMatrix struct {
	data     []uint8
	cols     []uint8
	features int
	binners  []*binner
	rows     int
}

func (bm *binMatrix) at(i, f int) uint8 { return bm.data[i*bm.features+f] }

// col returns feature f's bins, one per row; only with withCols.
func (bm *binMatrix) col(f int) []uint8 { return bm.cols[f*bm.rows : (f+1)*bm.rows] }

func fitBinners(m *Matrix, maxBins int, seed uint64, workers int) []*binner {
	var sample []int
	if m.Rows > binSampleRows {
		rng := rand.New(rand.NewPCG(seed, 0x62696e73))
		sample = rng.Perm(m.Rows)[:binSampleRows]
		slices.Sort(sample)
	}
	out := make([]*binner, len(m.Cols))
	parallelItems(len(m.Cols), workers, func(f int) {
		col := m.Cols[f]
		if sample != nil {
			s := make([]float64, len(sample))
			for k, i := range sample {
				s[k] = col[i]
			}
			col = s
		}
		out[f] = newBinner(col, maxBins)
	})
	return out
}

// binWith quantises m with binners; withCols also keeps the column-major
// copy that training needs.
func binWith(m *Matrix, binners []*binner, workers int, withCols bool) *binMatrix {
	d := len(m.Cols)
	bm := &binMatrix{data: make([]uint8, m.Rows*d), features: d, binners: binners, rows: m.Rows}
	if withCols {
		bm.cols = make([]uint8, m.Rows*d)
	}
	parallelBlocks(m.Rows, workers, func(_, lo, hi int) {
		for f, col := range m.Cols {
			b := binners[f]
			out := bm.data[lo*d : hi*d]
			if withCols {
				c := bm.cols[f*m.Rows+lo : f*m.Rows+hi]
				for i, x := range col[lo:hi] {
					v := b.bin(x)
					c[i] = v
					out[i*d+f] = v
				}
				continue
			}
			for i, x := range col[lo:hi] {
				out[i*d+f] = b.bin(x)
			}
		}
	})
	return bm
}

// sortFloats sorts NaN-free values through order-preserving integer keys,
// which sort several times faster than floats compared as floats.
func sortFloats(v []float64) {
	keys := make([]uint64, len(v))
	for i, x := range v {
		b := math.Float64bits(x)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
	}
	slices.Sort(keys)
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		v[i] = math.Float64frombits(b)
	}
}
