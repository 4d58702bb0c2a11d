package ml

import (
	"fmt"
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
//
// A categorical feature's binner has cats instead: bin b holds category
// code cats[b], most frequent first, and its last bin (code -1) gathers
// the categories too rare to get a bin of their own and codes not seen in
// training, which no split sends left.
type binner struct {
	upper []float64
	cats  []int32
	// catBin maps a category code to its bin.
	catBin []uint8
}

func (b *binner) bins() int {
	if b.cats != nil {
		return len(b.cats)
	}
	return len(b.upper)
}
func (b *binner) missing() int { return b.bins() }

// other is a categorical binner's bin of rare and unseen categories.
func (b *binner) other() int { return len(b.cats) - 1 }

// binCat is bin for a categorical feature.
func (b *binner) binCat(x float64) uint8 {
	if x != x {
		return uint8(len(b.cats))
	}
	if x >= 0 && x < float64(len(b.catBin)) && x == math.Trunc(x) {
		return b.catBin[int(x)]
	}
	return uint8(b.other())
}

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

// maxCategoryCode bounds the category codes a categorical feature may hold.
const maxCategoryCode = 1<<20 - 1

// checkCategories reports a categorical column's first value that is not
// a category code.
func checkCategories(name string, values []float64) error {
	for _, x := range values {
		if x == x && (x < 0 || x > maxCategoryCode || x != math.Trunc(x)) {
			return fmt.Errorf("gbm: categorical feature %q holds %v; category codes are whole numbers from 0 to %d (NaN for missing)", name, x, maxCategoryCode)
		}
	}
	return nil
}

// newCatBinner gives each of the maxBins-1 most frequent categories of
// values its own bin, and the rest a shared last bin.
func newCatBinner(values []float64, maxBins int) *binner {
	counts := map[int32]int{}
	for _, x := range values {
		if x == x && x >= 0 {
			counts[int32(x)]++
		}
	}
	cats := make([]int32, 0, len(counts)+1)
	for c := range counts {
		cats = append(cats, c)
	}
	slices.SortFunc(cats, func(a, b int32) int {
		if counts[a] != counts[b] {
			return counts[b] - counts[a]
		}
		return int(a - b)
	})
	if len(cats) > maxBins-1 {
		cats = cats[:maxBins-1]
	}
	top := int32(-1)
	for _, c := range cats {
		top = max(top, c)
	}
	b := &binner{catBin: make([]uint8, top+1)}
	other := uint8(len(cats))
	for i := range b.catBin {
		b.catBin[i] = other
	}
	for i, c := range cats {
		b.catBin[c] = uint8(i)
	}
	b.cats = append(cats, -1)
	return b
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
		if m.categorical(f) {
			out[f] = newCatBinner(col, maxBins)
			return
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
	// Big matrices are binned through an index per numeric feature.
	index := make([]*binIndex, d)
	if m.Rows >= binIndexMinRows {
		parallelItems(d, workers, func(f int) {
			if binners[f].cats == nil {
				index[f] = newBinIndex(binners[f].upper)
			}
		})
	}
	parallelBlocks(m.Rows, workers, func(_, lo, hi int) {
		for f, col := range m.Cols {
			b := binners[f]
			out := bm.data[lo*d : hi*d]
			if b.cats != nil {
				for i, x := range col[lo:hi] {
					v := b.binCat(x)
					out[i*d+f] = v
					if withCols {
						bm.cols[f*m.Rows+lo+i] = v
					}
				}
				continue
			}
			var c []uint8
			if withCols {
				c = bm.cols[f*m.Rows+lo : f*m.Rows+hi]
			}
			if ix := index[f]; ix != nil {
				ix.binColumn(col[lo:hi], out[f:], d, c)
				continue
			}
			for i, x := range col[lo:hi] {
				v := b.bin(x)
				out[i*d+f] = v
				if c != nil {
					c[i] = v
				}
			}
		}
	})
	return bm
}

// binColumn stores the bins of values in out[0], out[stride], ... and,
// when col is not nil, in col.
func (ix *binIndex) binColumn(values []float64, out []uint8, stride int, col []uint8) {
	if col != nil {
		col = col[:len(values)]
	}
	for i, x := range values {
		v := ix.bin(x)
		out[i*stride] = v
		if col != nil {
			col[i] = v
		}
	}
}

// sortFloats sorts NaN-free values through order-preserving integer keys,
// which sort several times faster than floats compared as floats, and
// radix-sort faster still.
func sortFloats(v []float64) {
	keys := make([]uint64, len(v))
	for i, x := range v {
		keys[i] = orderKey(x)
	}
	keys = radixSort(keys)
	for i, b := range keys {
		if b>>63 == 1 {
			b &^= 1 << 63
		} else {
			b = ^b
		}
		v[i] = math.Float64frombits(b)
	}
}

// orderKey maps a float that is not NaN to an integer of the same order:
// x < y exactly when orderKey(x) < orderKey(y), but for -0, which comes
// just below +0.
func orderKey(x float64) uint64 {
	b := math.Float64bits(x)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

// binIndexMinRows is the fewest rows worth building a binIndex for.
const binIndexMinRows = 1 << 16

// binIndex finds a value's bin as binner.bin does, with one table look-up
// in place of most steps of its binary search. start[p] counts the bounds
// whose order key (of the bound plus zero, which turns -0 into +0) has
// top 16 bits below p, so the bounds up to start[p] are below any value
// whose key starts with p and those from start[p+1] on are above it: the
// first bound at or above the value lies between the two, usually a few
// bounds apart.
type binIndex struct {
	upper []float64
	start [1<<16 + 1]uint8
}

// newBinIndex indexes a numeric binner's bounds. Bounds that are not in
// order, as when an infinite value in the data makes one NaN, get no index
// (nil): binner.bin alone decides those.
func newBinIndex(upper []float64) *binIndex {
	for i, u := range upper {
		if u != u || i > 0 && !(upper[i-1] <= u) {
			return nil
		}
	}
	ix := &binIndex{upper: upper}
	i := 0
	for p := range ix.start {
		for i < len(upper) && orderKey(upper[i]+0)>>48 < uint64(p) {
			i++
		}
		ix.start[p] = uint8(i)
	}
	return ix
}

func (ix *binIndex) bin(x float64) uint8 {
	u := ix.upper
	if x != x {
		return uint8(len(u))
	}
	p := orderKey(x+0) >> 48
	lo, hi := int(ix.start[p]), min(int(ix.start[p+1]), len(u)-1)
	for lo < hi && u[lo] < x {
		lo++
	}
	return uint8(lo)
}

// radixSort sorts keys by their bytes, lowest first, and returns them
// sorted, in keys or in a buffer of its own. A byte that all keys share
// needs no pass. Short slices are left to slices.Sort.
func radixSort(keys []uint64) []uint64 {
	if len(keys) < 1024 {
		slices.Sort(keys)
		return keys
	}
	buf := make([]uint64, len(keys))
	var counts [8][256]int
	for _, k := range keys {
		for b := range 8 {
			counts[b][byte(k>>(8*b))]++
		}
	}
	for b := range 8 {
		c := &counts[b]
		if c[byte(keys[0]>>(8*b))] == len(keys) {
			continue
		}
		at := 0
		for v, n := range c {
			c[v] = at
			at += n
		}
		shift := 8 * b
		for _, k := range keys {
			d := byte(k >> shift)
			buf[c[d]] = k
			c[d]++
		}
		keys, buf = buf, keys
	}
	return keys
}
