package ml

import "unsafe"

// Prediction with categorical splits. A categorical node sends a row left
// when its category code is in the node's set; trees store the sets as
// sorted code lists. Compiled once per model, each set becomes a bit set
// over the positions that categoryCodes gives the feature's codes, with
// one more position for a missing value (set when missing values go
// left) and one for every code no split of the model names: unseen,
// rare, negative, fractional and out-of-range codes alike, never set. A
// block of rows has its categorical features turned into positions once,
// and every node test is then one bit lookup, with no check for missing
// or invalid values and no search.

// categoryCodes maps the category codes of a model's categorical features
// to bit positions: the codes that some split of the model names are
// numbered 0, 1, … in ascending order, per feature.
type categoryCodes struct {
	// feats holds the model feature of each slot: its categorical
	// features, ascending.
	feats []int
	// slot maps a model feature to its slot, or -1.
	slot []int32
	// pos maps, per slot, a code below len(pos) to its position, or to
	// never when no split names it.
	pos [][]int32
	// missing and never are each slot's positions of a missing value and
	// of codes no split names; never+1 positions make a set.
	missing, never []int32
}

// newCategoryCodes numbers the codes of trees' categorical splits; nil
// when there are none.
func newCategoryCodes(trees []*Tree) *categoryCodes {
	var named map[int32]map[int32]bool // feature → codes named
	for _, t := range trees {
		for i, codes := range t.Categories {
			if codes == nil {
				continue
			}
			if named == nil {
				named = map[int32]map[int32]bool{}
			}
			f := t.Feature[i]
			if named[f] == nil {
				named[f] = map[int32]bool{}
			}
			for _, c := range codes {
				named[f][c] = true
			}
		}
	}
	if named == nil {
		return nil
	}
	top := int32(0)
	for f := range named {
		top = max(top, f)
	}
	cc := &categoryCodes{slot: make([]int32, top+1)}
	for f := range cc.slot {
		cc.slot[f] = -1
		if named[int32(f)] == nil {
			continue
		}
		cc.slot[f] = int32(len(cc.feats))
		cc.feats = append(cc.feats, f)
		hi := int32(-1)
		for c := range named[int32(f)] {
			hi = max(hi, c)
		}
		pos := make([]int32, hi+1)
		n := int32(0)
		for c := range pos {
			if named[int32(f)][int32(c)] {
				pos[c] = n
				n++
			}
		}
		for c := range pos {
			if !named[int32(f)][int32(c)] {
				pos[c] = n + 1
			}
		}
		cc.pos = append(cc.pos, pos)
		cc.missing = append(cc.missing, n)
		cc.never = append(cc.never, n+1)
	}
	return cc
}

// compileSets fills ct's category sets from t, whose categorical nodes
// take their feature's slot as feature.
func (cc *categoryCodes) compileSets(ct *compiledTree, t *Tree) {
	ct.catOff = make([]int32, len(ct.nodes))
	for i := range ct.catOff {
		ct.catOff[i] = -1
	}
	for i, codes := range t.Categories {
		if codes == nil {
			continue
		}
		s := cc.slot[t.Feature[i]]
		words := int(cc.never[s])/64 + 1
		off := len(ct.catBits)
		ct.catBits = append(ct.catBits, make([]uint64, words)...)
		set := ct.catBits[off:]
		for _, c := range codes {
			p := cc.pos[s][c]
			set[p>>6] |= 1 << (p & 63)
		}
		if t.MissingLeft[i] {
			p := cc.missing[s]
			set[p>>6] |= 1 << (p & 63)
		}
		ct.catOff[i] = int32(off)
		ct.nodes[i].feature = s
	}
}

// fill writes the positions of rows lo..hi-1 of m's categorical features
// into codes, row after row, one per slot.
func (cc *categoryCodes) fill(codes []int32, m *Matrix, lo, hi int) {
	dc := len(cc.feats)
	for s, f := range cc.feats {
		pos, miss, never := cc.pos[s], cc.missing[s], cc.never[s]
		limit := float64(len(pos))
		for i, v := range m.Cols[f][lo:hi] {
			p := never
			if v != v {
				p = miss
			} else if v >= 0 && v < limit {
				if c := int(v); float64(c) == v {
					p = pos[c]
				}
			}
			codes[i*dc+s] = p
		}
	}
}

// stepAllCategorical is stepAll for a tree with categorical splits:
// codes holds the block's category positions, dc per row. Leaves lead to
// themselves. It indexes through unsafe pointers, as stepBlock does: node
// indices, set offsets and positions come from the compiled model and are
// in range by construction, and row offsets stay within the block.
func stepAllCategorical(t *compiledTree, rows []float64, d int, codes []int32, dc int, cur []int32) {
	if len(cur) == 0 {
		return
	}
	_ = rows[len(cur)*d-1]
	_ = codes[len(cur)*dc-1]
	nodes, catOff, bits := unsafe.Pointer(unsafe.SliceData(t.nodes)), unsafe.Pointer(unsafe.SliceData(t.catOff)), unsafe.Pointer(unsafe.SliceData(t.catBits))
	x, cx := unsafe.Pointer(unsafe.SliceData(rows)), unsafe.Pointer(unsafe.SliceData(codes))
	xo, co := uintptr(0), uintptr(0)
	for i, n := range cur {
		nd := (*node)(unsafe.Add(nodes, uintptr(n)*unsafe.Sizeof(node{})))
		off := *(*int32)(unsafe.Add(catOff, uintptr(n)*4))
		if off < 0 {
			v := *(*float64)(unsafe.Add(x, xo+uintptr(nd.feature)*8))
			// A missing value compares false both ways.
			cur[i] = nd.child[b2i(v <= nd.threshold)|b2i(!(v > nd.threshold))&int(nd.missingLeft)]
		} else {
			p := *(*int32)(unsafe.Add(cx, co+uintptr(nd.feature)*4))
			w := *(*uint64)(unsafe.Add(bits, uintptr(off+p>>6)*8))
			cur[i] = nd.child[w>>(p&63)&1]
		}
		xo += uintptr(d) * 8
		co += uintptr(dc) * 4
	}
}

// stepBlockCategorical is stepBlock for a tree with categorical splits.
func stepBlockCategorical(t *compiledTree, rows []float64, d int, codes []int32, dc int, cur []int32, active []uint8) int {
	_ = rows[len(cur)*d-1]
	_ = codes[len(cur)*dc-1]
	nodes, catOff, bits := unsafe.Pointer(unsafe.SliceData(t.nodes)), unsafe.Pointer(unsafe.SliceData(t.catOff)), unsafe.Pointer(unsafe.SliceData(t.catBits))
	x, cx := unsafe.Pointer(unsafe.SliceData(rows)), unsafe.Pointer(unsafe.SliceData(codes))
	cp := unsafe.Pointer(unsafe.SliceData(cur))
	k := 0
	for _, i := range active {
		c := (*int32)(unsafe.Add(cp, uintptr(i)*4))
		nd := (*node)(unsafe.Add(nodes, uintptr(*c)*unsafe.Sizeof(node{})))
		off := *(*int32)(unsafe.Add(catOff, uintptr(*c)*4))
		var n int32
		if off < 0 {
			v := *(*float64)(unsafe.Add(x, (uintptr(i)*uintptr(d)+uintptr(nd.feature))*8))
			n = nd.child[b2i(v <= nd.threshold)|b2i(!(v > nd.threshold))&int(nd.missingLeft)]
		} else {
			p := *(*int32)(unsafe.Add(cx, (uintptr(i)*uintptr(dc)+uintptr(nd.feature))*4))
			w := *(*uint64)(unsafe.Add(bits, uintptr(off+p>>6)*8))
			n = nd.child[w>>(p&63)&1]
		}
		*c = n
		// Written every time, kept only while the row is at a split.
		active[k] = i
		k += b2i(n < t.splits)
	}
	return k
}
