package ml

import "unsafe"

// node is a tree node laid out for prediction: one cache line holds
// several, and the child fields follow the split fields they depend on.
// Leaves are nodes too, numbered after the splits, whose children are
// themselves: a row that has reached its leaf stays there through further
// steps.
type node struct {
	threshold float64
	feature   int32
	// child[1] is taken when the row goes left, child[0] otherwise.
	child [2]int32
	// missingLeft is 1 when a missing value goes left.
	missingLeft int32
}

type compiledTree struct {
	nodes []node
	// value holds the leaf value at a leaf's node index.
	value []float64
	// splits is the number of split nodes, which come first.
	splits int32
	// depth is the longest path from the root to a leaf.
	depth int
	// catOff holds, for each node of a tree with categorical splits, where
	// its category set starts in catBits, or -1 at threshold splits and
	// leaves; nil for a tree without categorical splits. A categorical
	// node's feature is the slot of its feature in categoryCodes.
	catOff  []int32
	catBits []uint64
}

// compileTree lays t out for prediction: split nodes keep their indices
// and leaf i becomes node len(t.Feature)+i. cc is the model's category
// code map, nil when no tree has categorical splits.
func compileTree(t *Tree, cc *categoryCodes) compiledTree {
	splits := len(t.Feature)
	ct := compiledTree{nodes: make([]node, splits+len(t.LeafValue)), value: make([]float64, splits+len(t.LeafValue)), splits: int32(splits)}
	ref := func(c int32) int32 {
		if c < 0 {
			return int32(splits) + ^c
		}
		return c
	}
	for i := range t.Feature {
		ct.nodes[i] = node{threshold: t.Threshold[i], feature: t.Feature[i], child: [2]int32{ref(t.Right[i]), ref(t.Left[i])}, missingLeft: int32(b2i(t.MissingLeft[i]))}
	}
	if t.Categories != nil {
		cc.compileSets(&ct, t)
	}
	for i, v := range t.LeafValue {
		k := int32(splits + i)
		ct.nodes[k] = node{child: [2]int32{k, k}}
		ct.value[k] = v
	}
	var walk func(n int32, d int)
	walk = func(n int32, d int) {
		if n >= ct.splits {
			ct.depth = max(ct.depth, d)
			return
		}
		walk(ct.nodes[n].child[0], d+1)
		walk(ct.nodes[n].child[1], d+1)
	}
	walk(0, 0)
	return ct
}

// compile lays the trees out for fast prediction, once.
func (g *GBM) compile() []compiledTree {
	g.once.Do(func() {
		g.catCodes = newCategoryCodes(g.Trees)
		g.compiled = make([]compiledTree, len(g.Trees))
		for k, t := range g.Trees {
			g.compiled[k] = compileTree(t, g.catCodes)
		}
	})
	return g.compiled
}

// predictBlock is the rows a prediction worker transposes at once: their
// features fit in the L1 cache while every tree walks them.
const predictBlock = 64

// Predict writes predictions for m's rows into out (allocated when short)
// and returns it: probabilities for the binary objective, values for
// regression, and for the multiclass objective each row's class
// probabilities, NumClass of them, row after row.
//
// Each tree moves a whole block of rows one level at a time. The rows'
// walks are independent, so the processor overlaps them instead of
// waiting on each node load in turn, and the loops have no branch that
// depends on the data. The first levels step every row; past them, in
// deep trees, only the rows not yet at a leaf are kept and stepped.
func (g *GBM) Predict(m *Matrix, out []float64) []float64 {
	K := g.outputs()
	init := g.initScores()
	if cap(out) < m.Rows*K {
		out = make([]float64, m.Rows*K)
	}
	out = out[:m.Rows*K]
	trees := g.compile()
	cc := g.catCodes
	binary := g.Objective == ObjectiveBinary
	d := len(m.Cols)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		rows := make([]float64, predictBlock*d)
		var codes []int32
		dc := 0
		if cc != nil {
			dc = len(cc.feats)
			codes = make([]int32, predictBlock*dc)
		}
		var at [predictBlock]int32
		var active [predictBlock]uint8
		for b := lo; b < hi; b += predictBlock {
			e := min(b+predictBlock, hi)
			missing := false
			for j, col := range m.Cols {
				for i, v := range col[b:e] {
					rows[i*d+j] = v
					missing = missing || v != v
				}
			}
			if cc != nil {
				cc.fill(codes, m, b, e)
			}
			o := out[b*K : e*K]
			for i := range o {
				o[i] = init[i%K]
			}
			cur := at[:e-b]
			for ti, t := range trees {
				c := ti % K
				clear(cur)
				fixed := min(t.depth, predictAllSteps)
				cat := t.catOff != nil
				for range fixed {
					switch {
					case cat:
						stepAllCategorical(&t, rows, d, codes, dc, cur)
					case missing:
						stepAll(t.nodes, rows, d, cur)
					default:
						stepAllPresent(t.nodes, rows, d, cur)
					}
				}
				na := 0
				if t.depth > fixed {
					for i, n := range cur {
						active[na] = uint8(i)
						na += b2i(n < t.splits)
					}
				}
				for na > 0 {
					if cat {
						na = stepBlockCategorical(&t, rows, d, codes, dc, cur, active[:na])
					} else {
						na = stepBlock(t.nodes, t.splits, rows, d, cur, active[:na], missing)
					}
				}
				for i, n := range cur {
					o[i*K+c] += t.value[n]
				}
			}
			if binary {
				for i := range o {
					o[i] = sigmoid(o[i])
				}
			}
			if K > 1 {
				for i := 0; i < len(o); i += K {
					softmaxInPlace(o[i : i+K])
				}
			}
		}
	})
	return out
}

// predictAllSteps is the tree levels for which Predict steps every row of
// a block, reached or not: most rows of a 31-leaf tree are at their leaf
// by then, and past it keeping the list of the others pays.
const predictAllSteps = 6

// stepAll moves each row i of the block, whose features are
// rows[i*d:i*d+d], from node cur[i] to the child its value picks. See
// stepBlock for the unsafe indexing.
func stepAll(nodes []node, rows []float64, d int, cur []int32) {
	_ = rows[len(cur)*d-1]
	nb := unsafe.Pointer(unsafe.SliceData(nodes))
	x := unsafe.Pointer(unsafe.SliceData(rows))
	// off is the row's offset, kept as an integer so that no pointer is
	// formed past the block.
	off, stride := uintptr(0), uintptr(d)*8
	for i, n := range cur {
		nd := (*node)(unsafe.Add(nb, uintptr(n)*unsafe.Sizeof(node{})))
		v := *(*float64)(unsafe.Add(x, off+uintptr(nd.feature)*8))
		off += stride
		// A missing value compares false both ways.
		left := b2i(v <= nd.threshold) | b2i(!(v > nd.threshold))&int(nd.missingLeft)
		cur[i] = nd.child[left]
	}
}

// stepAllPresent is stepAll for a block without missing values, which
// saves the second comparison.
func stepAllPresent(nodes []node, rows []float64, d int, cur []int32) {
	_ = rows[len(cur)*d-1]
	nb := unsafe.Pointer(unsafe.SliceData(nodes))
	x := unsafe.Pointer(unsafe.SliceData(rows))
	// off is the row's offset, kept as an integer so that no pointer is
	// formed past the block.
	off, stride := uintptr(0), uintptr(d)*8
	for i, n := range cur {
		nd := (*node)(unsafe.Add(nb, uintptr(n)*unsafe.Sizeof(node{})))
		v := *(*float64)(unsafe.Add(x, off+uintptr(nd.feature)*8))
		off += stride
		cur[i] = nd.child[b2i(v <= nd.threshold)]
	}
}

// stepBlock moves each active row i of the block, whose features are
// rows[i*d:i*d+d], from split node cur[i] to the child its value picks. It
// compacts active to the rows still at a split node and returns how many
// there are.
//
// It indexes through unsafe pointers: node indices come from the compiled
// tree, rows from the block and features are below d by construction, and
// the bounds checks and the register spills they cause would double the
// loop.
// missing says whether the block holds a missing value; without any, one
// comparison per step does.
func stepBlock(nodes []node, splits int32, rows []float64, d int, cur []int32, active []uint8, missing bool) int {
	_ = rows[len(cur)*d-1]
	nb := unsafe.Pointer(unsafe.SliceData(nodes))
	x := unsafe.Pointer(unsafe.SliceData(rows))
	cp := unsafe.Pointer(unsafe.SliceData(cur))
	k := 0
	for _, i := range active {
		c := (*int32)(unsafe.Add(cp, uintptr(i)*4))
		nd := (*node)(unsafe.Add(nb, uintptr(*c)*unsafe.Sizeof(node{})))
		v := *(*float64)(unsafe.Add(x, (uintptr(i)*uintptr(d)+uintptr(nd.feature))*8))
		left := b2i(v <= nd.threshold)
		if missing {
			// A missing value compares false both ways.
			left |= b2i(!(v > nd.threshold)) & int(nd.missingLeft)
		}
		n := nd.child[left]
		*c = n
		// Written every time, kept only while the row is at a split.
		active[k] = i
		k += b2i(n < splits)
	}
	return k
}
