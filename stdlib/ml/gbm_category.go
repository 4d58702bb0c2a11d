package ml

import (
	"math"
	"slices"
)

// Categorical splits, found the way LightGBM finds them: with few
// categories each one is tried against the rest; with more, the categories
// are ordered by their mean gradient (smoothed towards zero) and a run
// from either end of that order goes left, which for a convex loss holds
// the best partition into two sets (Fisher's grouping result) without
// trying all 2^k of them.

// findCategorySplit improves l.best with the best split of categorical
// feature f. parent is the leaf's score before splitting; bounded says
// that leaf values are bounded (monotone constraints elsewhere), which
// changes how a side is scored. scratch is space for ordering the
// categories, one per goroutine.
func (g *grower) findCategorySplit(l *leaf, f int, parent float64, bounded bool, scratch *[]int) {
	p := g.p
	b := g.bm.binners[f]
	miss := b.missing()
	h := l.hist[f][:miss+1]
	minN := int64(p.MinDataInLeaf)
	cntPerHess := float64(l.n) / l.h
	count := func(bin int) int64 { return int64(h[bin].h*cntPerHess + 0.5) }
	score := func(gs, hs, l2 float64) float64 {
		if !bounded {
			return leafScore(gs, hs, l2)
		}
		return outputScore(gs, hs, l2, leafOutput(gs, hs, l2, l.lo, l.hi))
	}
	// The candidates are the categories with rows here and missing
	// values; the bin of rare and unseen categories always goes right.
	cands := (*scratch)[:0]
	for bin := 0; bin < b.other(); bin++ {
		if h[bin].h > 0 {
			cands = append(cands, bin)
		}
	}
	if h[miss].h > 0 {
		cands = append(cands, miss)
	}
	defer func() { *scratch = cands[:0] }()
	// take records the split sending bins left when it beats l.best.
	take := func(gain, gl, hl, catL2 float64, bins []int) {
		if gain <= l.best.gain {
			return
		}
		set := new([4]uint64)
		for _, bin := range bins {
			set[bin>>6] |= 1 << (bin & 63)
		}
		l.best = split{gain: gain, feature: f, missingLeft: set[miss>>6]>>(miss&63)&1 != 0, lg: gl, lh: hl, cats: set, catL2: catL2}
	}
	admissible := func(nl int64, hl float64) bool {
		return nl >= minN && l.n-nl >= minN && hl >= p.MinHessianInLeaf && l.h-hl >= p.MinHessianInLeaf
	}

	if b.other()+1 <= p.MaxCatToOneHot {
		for k, c := range cands {
			gl, hl := h[c].g, h[c].h
			if !admissible(count(c), hl) {
				continue
			}
			gain := score(gl, hl, p.L2) + score(l.g-gl, l.h-hl, p.L2) - parent
			take(gain, gl, hl, 0, cands[k:k+1])
		}
		return
	}

	smooth := math.Max(p.CatSmooth, 0)
	kept := cands[:0]
	for _, c := range cands {
		if float64(count(c)) >= smooth {
			kept = append(kept, c)
		}
	}
	cands = kept
	ratio := func(c int) float64 { return h[c].g / (h[c].h + smooth) }
	slices.SortStableFunc(cands, func(a, b int) int {
		ra, rb := ratio(a), ratio(b)
		switch {
		case ra < rb:
			return -1
		case ra > rb:
			return 1
		}
		return 0
	})
	l2 := p.L2 + math.Max(p.CatL2, 0)
	most := min(p.MaxCatThreshold, (len(cands)+1)/2)
	minGroup := int64(max(p.MinDataPerGroup, 0))
	var run []int
	for _, fromEnd := range [2]bool{false, true} {
		var gl, hl float64
		var nl, group int64
		run = run[:0]
		for i := 0; i < len(cands) && i < most; i++ {
			c := cands[i]
			if fromEnd {
				c = cands[len(cands)-1-i]
			}
			run = append(run, c)
			gl += h[c].g
			hl += h[c].h
			n := count(c)
			nl += n
			group += n
			if nl < minN || hl < p.MinHessianInLeaf {
				continue
			}
			if nr := l.n - nl; nr < minN || nr < minGroup || l.h-hl < p.MinHessianInLeaf {
				break
			}
			// Each split tried adds at least minGroup rows to the last.
			if group < minGroup {
				continue
			}
			group = 0
			gain := score(gl, hl, l2) + score(l.g-gl, l.h-hl, l2) - parent
			take(gain, gl, hl, l2-p.L2, run)
		}
	}
}

// splitThreshold is the feature value a threshold split cuts at; a
// categorical split has none.
func (g *grower) splitThreshold(s split) float64 {
	if s.cats != nil {
		return 0
	}
	return g.bm.binners[s.feature].upper[s.bin]
}

// recordCategories stores the newest node's categories in t when it is a
// categorical split. A tree holds Categories and binCats for every node
// once it has a categorical split, and neither before.
func (g *grower) recordCategories(t *Tree, s split) {
	node := len(t.Feature) - 1
	if s.cats == nil && t.Categories == nil {
		return
	}
	for len(t.Categories) < node {
		t.Categories = append(t.Categories, nil)
		t.binCats = append(t.binCats, nil)
	}
	if s.cats == nil {
		t.Categories = append(t.Categories, nil)
		t.binCats = append(t.binCats, nil)
		return
	}
	b := g.bm.binners[s.feature]
	// Not nil even when empty: an empty list marks a categorical split
	// that sends only missing values left.
	codes := make([]int32, 0, 8)
	for bin := 0; bin < b.other(); bin++ {
		if s.cats[bin>>6]>>(bin&63)&1 != 0 {
			codes = append(codes, b.cats[bin])
		}
	}
	slices.Sort(codes)
	t.Categories = append(t.Categories, codes)
	t.binCats = append(t.binCats, s.cats)
}
