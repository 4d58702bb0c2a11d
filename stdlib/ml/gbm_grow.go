package ml

import (
	"math"
	"sync"
)

type split struct {
	gain        float64
	feature     int
	bin         uint8
	missingLeft bool
	lg, lh      float64
	// cats, at a categorical split, marks the bins going left (the
	// missing bin among them when missingLeft); nil at a threshold split.
	cats *[4]uint64
	// catL2 is the extra L2 penalty the children's values take.
	catL2 float64
}

type leaf struct {
	start, end int
	g, h       float64
	n          int64
	depth      int
	hist       hist
	best       split
	// parent node and side pointing at this leaf; parent < 0 for the root
	parent int
	isLeft bool
	// lo and hi bound the leaf's value under monotone constraints.
	lo, hi float64
	// l2 is the L2 penalty on the leaf's value: GBMParams.L2, plus
	// CatL2 for a child of a sorted categorical split.
	l2 float64
}

// grower holds the state reused across trees.
type grower struct {
	p        *GBMParams
	bm       *binMatrix
	workers  int
	idx      []int32
	tmp      []int32
	histPool []hist
	private  []hist // per-block histograms for big builds
	feats    []int
	// used[f] is feature f's bins, the missing one included.
	used []int
	// mono holds each feature's monotone constraint (1, -1 or 0); nil
	// when there are none.
	mono []int8
	// catOrder is scratch space for ordering a feature's categories, one
	// for each of the two leaves of a split, searched side by side.
	catOrder [2][]int
}

func newGrower(p *GBMParams, bm *binMatrix, workers int) *grower {
	g := &grower{p: p, bm: bm, workers: workers}
	g.idx = make([]int32, bm.rows)
	g.tmp = make([]int32, bm.rows)
	g.private = make([]hist, histMaxBlocks)
	g.used = make([]int, bm.features)
	for f, b := range bm.binners {
		g.used[f] = b.bins() + 1
	}
	return g
}

func (g *grower) getHist() hist {
	if n := len(g.histPool); n > 0 {
		h := g.histPool[n-1]
		g.histPool = g.histPool[:n-1]
		clearHist(h, g.used)
		return h
	}
	return make(hist, g.bm.features)
}

func (g *grower) putHist(h hist) {
	if h != nil {
		g.histPool = append(g.histPool, h)
	}
}

// histMinRows is the fewest rows a histogram block is given. Leaves
// deep in a tree hold rows scattered over the matrix, so their build waits
// on memory and gains from a second core long before it is big.
const histMinRows = 4096

// histMaxBlocks bounds the blocks a histogram build splits its rows into,
// and so the cores it keeps busy.
const histMaxBlocks = 8

// buildHist fills hist with the gradient sums of rows idx[start:end].
// With identity the rows are 0..n-1 in order.
//
// Big builds split the rows into blocks, each summed into a histogram of
// its own, which are then added in block order. The blocks depend on the
// row count only, never on the number of workers, so every setting of
// Threads adds the same numbers in the same order and grows the same
// trees: a sum that differs in its last bit changes a split now and then,
// and the softmax objective, whose rare classes take leaf values of
// hundreds, turns such a change into a different model a few rounds on.
func (g *grower) buildHist(h hist, start, end int, gp []gradPair, identity bool) {
	n := end - start
	fill := func(h hist, lo, hi int) {
		if identity {
			addRowsRange(h, g.bm.data, g.bm.features, 0, start+lo, start+hi, gp)
			return
		}
		rows := g.idx[start+lo : start+hi]
		addRowsOrdered(h, g.bm.data, g.bm.features, 0, rows, gp)
	}
	blocks := min(histMaxBlocks, n/histMinRows)
	if blocks <= 1 {
		fill(h, 0, n)
		return
	}
	per := (n + blocks - 1) / blocks
	parallelItems(blocks, g.workers, func(b int) {
		ph := h
		if b > 0 {
			if g.private[b] == nil {
				g.private[b] = make(hist, g.bm.features)
			} else {
				clearHist(g.private[b], g.used)
			}
			ph = g.private[b]
		}
		fill(ph, b*per, min((b+1)*per, n))
	})
	// Each bin adds the blocks in block order; features are independent,
	// so they are shared out among the workers.
	addBlocks := func(f int) {
		d := h[f][:g.used[f]]
		for b := 1; b < blocks; b++ {
			s := g.private[b][f][:len(d)]
			for i := range d {
				d[i].g += s[i].g
				d[i].h += s[i].h
			}
		}
	}
	if blocks > 2 {
		parallelItems(len(h), g.workers, addBlocks)
		return
	}
	for f := range h {
		addBlocks(f)
	}
}

// findSplits finds the best splits of the two new leaves of a split, side
// by side when there is a second worker: each search reads only its own
// leaf's histogram and writes only its own leaf.
func (g *grower) findSplits(left, right *leaf) {
	if g.workers < 2 {
		g.findSplit(left, &g.catOrder[0])
		g.findSplit(right, &g.catOrder[0])
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.findSplit(right, &g.catOrder[1])
	}()
	g.findSplit(left, &g.catOrder[0])
	<-done
}

func leafScore(gs, hs, l2 float64) float64 { return gs * gs / (hs + l2) }

// findSplit sets l.best to the best split of l over the sampled features.
func (g *grower) findSplit(l *leaf, scratch *[]int) {
	l.best = split{gain: math.Inf(-1)}
	p := g.p
	if p.MaxDepth > 0 && l.depth >= p.MaxDepth {
		return
	}
	if l.n < int64(2*p.MinDataInLeaf) || l.h < 2*p.MinHessianInLeaf {
		return
	}
	if g.mono != nil {
		g.findSplitMonotone(l, scratch)
		return
	}
	parent := leafScore(l.g, l.h, p.L2)
	minN := int64(p.MinDataInLeaf)
	cntPerHess := float64(l.n) / l.h
	for _, f := range g.feats {
		if g.bm.binners[f].cats != nil {
			g.findCategorySplit(l, f, parent, false, scratch)
			continue
		}
		nb := g.bm.binners[f].bins()
		h := l.hist[f][:nb+1]
		miss := h[nb]
		var lg, lh float64
		try := func(t int, gl, hl float64, missLeft bool) {
			nl := int64(hl*cntPerHess + 0.5)
			gr, hr, nr := l.g-gl, l.h-hl, l.n-nl
			if nl < minN || nr < minN || hl < p.MinHessianInLeaf || hr < p.MinHessianInLeaf {
				return
			}
			gain := leafScore(gl, hl, p.L2) + leafScore(gr, hr, p.L2) - parent
			if gain > l.best.gain {
				l.best = split{gain: gain, feature: f, bin: uint8(t), missingLeft: missLeft, lg: gl, lh: hl}
			}
		}
		for t := 0; t < nb-1; t++ {
			lg += h[t].g
			lh += h[t].h
			if miss.h == 0 {
				// No missing values here: send future ones to the bigger side.
				try(t, lg, lh, 2*lh >= l.h)
				continue
			}
			try(t, lg, lh, false)
			try(t, lg+miss.g, lh+miss.h, true)
		}
	}
}

// leafOutput is the value minimising a leaf's loss within [lo, hi], and
// score the loss reduction it gives (leafScore when unbounded).
func leafOutput(gs, hs, l2, lo, hi float64) float64 {
	return math.Min(math.Max(-gs/(hs+l2), lo), hi)
}

func outputScore(gs, hs, l2, o float64) float64 { return -(2*gs*o + (hs+l2)*o*o) }

// findSplitMonotone is findSplit under monotone constraints: the children's
// values are bounded by the leaf's, and a split on a constrained feature
// whose children's values would break its order is not taken.
func (g *grower) findSplitMonotone(l *leaf, scratch *[]int) {
	p := g.p
	parent := outputScore(l.g, l.h, p.L2, leafOutput(l.g, l.h, p.L2, l.lo, l.hi))
	minN := int64(p.MinDataInLeaf)
	cntPerHess := float64(l.n) / l.h
	for _, f := range g.feats {
		if g.bm.binners[f].cats != nil {
			g.findCategorySplit(l, f, parent, true, scratch)
			continue
		}
		c := g.mono[f]
		nb := g.bm.binners[f].bins()
		h := l.hist[f][:nb+1]
		miss := h[nb]
		var lg, lh float64
		try := func(t int, gl, hl float64, missLeft bool) {
			nl := int64(hl*cntPerHess + 0.5)
			gr, hr, nr := l.g-gl, l.h-hl, l.n-nl
			if nl < minN || nr < minN || hl < p.MinHessianInLeaf || hr < p.MinHessianInLeaf {
				return
			}
			lo := leafOutput(gl, hl, p.L2, l.lo, l.hi)
			ro := leafOutput(gr, hr, p.L2, l.lo, l.hi)
			if c > 0 && lo > ro || c < 0 && lo < ro {
				return
			}
			gain := outputScore(gl, hl, p.L2, lo) + outputScore(gr, hr, p.L2, ro) - parent
			if gain > l.best.gain {
				l.best = split{gain: gain, feature: f, bin: uint8(t), missingLeft: missLeft, lg: gl, lh: hl}
			}
		}
		for t := 0; t < nb-1; t++ {
			lg += h[t].g
			lh += h[t].h
			if miss.h == 0 {
				try(t, lg, lh, 2*lh >= l.h)
				continue
			}
			try(t, lg, lh, false)
			try(t, lg+miss.g, lh+miss.h, true)
		}
	}
}

// bound sets the children's value bounds after l splits: they inherit
// l's, and a split on a constrained feature puts the boundary between
// them at the midpoint of their values.
func (g *grower) bound(l, left, right *leaf) {
	left.lo, left.hi, right.lo, right.hi = l.lo, l.hi, l.lo, l.hi
	if g.mono == nil {
		return
	}
	c := g.mono[l.best.feature]
	if c == 0 {
		return
	}
	p := g.p
	lo := leafOutput(left.g, left.h, p.L2, l.lo, l.hi)
	ro := leafOutput(right.g, right.h, p.L2, l.lo, l.hi)
	mid := (lo + ro) / 2
	if c > 0 {
		left.hi, right.lo = mid, mid
	} else {
		left.lo, right.hi = mid, mid
	}
}

// partition reorders idx[l.start:l.end] so rows going left come first and
// returns the boundary. Order within each side is kept, which keeps later
// histogram passes walking memory forwards.
func (g *grower) partition(l *leaf) int {
	n := l.end - l.start
	workers := min(g.workers, n/(4*chunkRows))
	if workers <= 1 {
		nl, nr := g.partitionRange(l, l.start, l.end)
		copy(g.idx[l.start+nl:l.end], g.tmp[l.start:l.start+nr])
		return l.start + nl
	}
	// Each worker partitions its own stretch: lefts in place in idx, rights
	// into the same stretch of tmp. Then the pieces are stitched in order.
	per := (n + workers - 1) / workers
	nls := make([]int, workers)
	nrs := make([]int, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			lo := l.start + w*per
			nls[w], nrs[w] = g.partitionRange(l, lo, min(lo+per, l.end))
		}(w)
	}
	wg.Wait()
	at := l.start
	for w := 0; w < workers; w++ {
		lo := l.start + w*per
		copy(g.idx[at:at+nls[w]], g.idx[lo:lo+nls[w]])
		at += nls[w]
	}
	mid := at
	for w := 0; w < workers; w++ {
		lo := l.start + w*per
		copy(g.idx[at:at+nrs[w]], g.tmp[lo:lo+nrs[w]])
		at += nrs[w]
	}
	return mid
}

// partitionRange moves the rows of idx[lo:hi] going left to the front of
// that range and those going right to tmp[lo:], returning both counts.
// It reads the split feature's column, which for a leaf's rows in order is
// a forward walk, and decides each row through a table of bins so that the
// loop has no branch the data can mispredict.
func (g *grower) partitionRange(l *leaf, lo, hi int) (int, int) {
	s := l.best
	var goesLeft [256]uint8
	if s.cats != nil {
		for b := range goesLeft {
			goesLeft[b] = uint8(s.cats[b>>6] >> (b & 63) & 1)
		}
	} else {
		for b := 0; b <= int(s.bin); b++ {
			goesLeft[b] = 1
		}
		if s.missingLeft {
			goesLeft[g.bm.binners[s.feature].missing()] = 1
		}
	}
	col := g.bm.col(s.feature)
	idx := g.idx[lo:hi]
	tmp := g.tmp[lo:hi]
	left, right := 0, 0
	for _, r := range idx {
		// Both stores are made and only one of the two positions advances;
		// left never passes the row being read, so the in-place store is safe.
		gl := int(goesLeft[col[r]])
		idx[left] = r
		tmp[right] = r
		left += gl
		right += 1 - gl
	}
	return left, right
}

// grow builds one tree on rows idx[:n] and returns it with its leaves,
// whose ranges of idx say which rows each leaf holds.
func (g *grower) grow(gp []gradPair, n int, identity bool, gainImp []float64, splits []int) (*Tree, []*leaf) {
	p := g.p
	root := &leaf{start: 0, end: n, parent: -1, hist: g.getHist(), lo: math.Inf(-1), hi: math.Inf(1), l2: p.L2}
	g.buildHist(root.hist, 0, n, gp, identity)
	// Node totals come from any one feature's histogram.
	for _, b := range root.hist[0] {
		root.g += b.g
		root.h += b.h
	}
	root.n = int64(n)
	g.findSplit(root, &g.catOrder[0])
	leaves := []*leaf{root}
	t := &Tree{}
	for len(leaves) < p.MaxLeaves {
		bi := -1
		for i, l := range leaves {
			if l.best.gain > p.MinGain && l.best.gain > 0 && (bi < 0 || l.best.gain > leaves[bi].best.gain) {
				bi = i
			}
		}
		if bi < 0 {
			break
		}
		l := leaves[bi]
		s := l.best
		mid := g.partition(l)
		node := int32(len(t.Feature))
		t.Feature = append(t.Feature, int32(s.feature))
		t.binThreshold = append(t.binThreshold, s.bin)
		t.Threshold = append(t.Threshold, g.splitThreshold(s))
		t.MissingLeft = append(t.MissingLeft, s.missingLeft)
		t.Gain = append(t.Gain, s.gain)
		t.Count = append(t.Count, l.n)
		g.recordCategories(t, s)
		t.Left = append(t.Left, 0)
		t.Right = append(t.Right, 0)
		if l.parent >= 0 {
			if l.isLeft {
				t.Left[l.parent] = node
			} else {
				t.Right[l.parent] = node
			}
		}
		gainImp[s.feature] += s.gain
		splits[s.feature]++
		left := &leaf{start: l.start, end: mid, g: s.lg, h: s.lh, n: int64(mid - l.start), depth: l.depth + 1, parent: int(node), isLeft: true, l2: p.L2 + s.catL2}
		right := &leaf{start: mid, end: l.end, g: l.g - s.lg, h: l.h - s.lh, n: int64(l.end - mid), depth: l.depth + 1, parent: int(node), l2: p.L2 + s.catL2}
		g.bound(l, left, right)
		small, large := left, right
		if left.n > right.n {
			small, large = right, left
		}
		small.hist = g.getHist()
		g.buildHist(small.hist, small.start, small.end, gp, false)
		// The larger child's histogram is the parent's minus the smaller's.
		large.hist = l.hist
		subHist(large.hist, small.hist, g.used)
		l.hist = nil
		g.findSplits(left, right)
		leaves[bi] = left
		leaves = append(leaves, right)
	}
	for i, l := range leaves {
		g.putHist(l.hist)
		l.hist = nil
		if l.parent >= 0 {
			if l.isLeft {
				t.Left[l.parent] = int32(^i)
			} else {
				t.Right[l.parent] = int32(^i)
			}
		}
		t.LeafValue = append(t.LeafValue, leafOutput(l.g, l.h, l.l2, l.lo, l.hi)*p.LearningRate)
		t.LeafCount = append(t.LeafCount, l.n)
	}
	return t, leaves
}
