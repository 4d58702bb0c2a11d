package ml

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"weak"
)

// Exact TreeSHAP (Lundberg, Erion and Lee, "Consistent individualized
// feature attribution for tree ensembles", Algorithm 2): each row's
// Shapley values for one tree in time proportional to leaves × depth²,
// where the value of a feature subset S is the tree's expected output
// given the features in S, the other splits being averaged by the share of
// training rows that went each way. The ensemble's values are the sums of
// its trees'.

// pathElem is one feature on the path from the root to the current node:
// the share of rows that pass it when the feature is unknown (zero) and
// whether the row itself passes (one, always 0 or 1), with the weight of
// subsets of the path's features of each size.
type pathElem struct {
	feature int32
	zero    float64
	one     float64
	weight  float64
}

// shapNode is a split of a shapTree: the tree's arrays gathered into one
// record, with the shares of the node's training rows that go each way.
type shapNode struct {
	threshold    float64
	zeroL, zeroR float64
	left, right  int32
	feature      int32
	missingLeft  bool
	categorical  bool
}

// shapTree is a tree laid out for explaining: compiled once per
// explanation call and shared by its workers.
type shapTree struct {
	tree  *Tree
	nodes []shapNode
	leaf  []float64
}

func compileShapTree(t *Tree) shapTree {
	st := shapTree{tree: t, nodes: make([]shapNode, len(t.Feature)), leaf: t.LeafValue}
	for i := range st.nodes {
		r := float64(t.Count[i])
		st.nodes[i] = shapNode{
			threshold:   t.Threshold[i],
			zeroL:       t.count(t.Left[i]) / r,
			zeroR:       t.count(t.Right[i]) / r,
			left:        t.Left[i],
			right:       t.Right[i],
			feature:     t.Feature[i],
			missingLeft: t.MissingLeft[i],
			categorical: t.categorical(int32(i)),
		}
	}
	return st
}

// shapCompiled holds each live model's shapTrees, per class, so that a
// model explaining one row per request lays its trees out once. Its keys
// are weak: an entry goes when its model is collected.
var shapCompiled sync.Map // weak.Pointer[GBM] → [][]shapTree

// shapTrees returns class k's trees compiled for explaining. The model's
// trees must have passed the checks of ClassContributions.
func (g *GBM) shapTrees(k int) []shapTree {
	key := weak.Make(g)
	if v, ok := shapCompiled.Load(key); ok {
		return v.([][]shapTree)[k]
	}
	all := make([][]shapTree, g.outputs())
	for c := range all {
		trees := g.classTrees(c)
		all[c] = make([]shapTree, len(trees))
		for i, t := range trees {
			all[c][i] = compileShapTree(t)
		}
	}
	v, loaded := shapCompiled.LoadOrStore(key, all)
	if !loaded {
		runtime.AddCleanup(g, func(key weak.Pointer[GBM]) { shapCompiled.Delete(key) }, key)
	}
	return v.([][]shapTree)[k]
}

// shapWork is one worker's scratch space: a path for each depth and the
// per-leaf factors (l−j)/(j+1) of the unwinding recurrence.
type shapWork struct {
	paths [][]pathElem
	q     []float64
}

func newShapWork(depth int) *shapWork {
	w := &shapWork{paths: make([][]pathElem, depth+2), q: make([]float64, depth+2)}
	for d := range w.paths {
		w.paths[d] = make([]pathElem, 0, d+2)
	}
	return w
}

// recip[i] is 1/i: the path updates divide only by small integers, and
// multiplying by a stored reciprocal is several times faster.
var recip = func() (r [maxPath + 2]float64) {
	for i := 1; i < len(r); i++ {
		r[i] = 1 / float64(i)
	}
	return r
}()

// maxPath bounds the path length: a path holds each feature at most once,
// and a tree of at most 255 splits is at most that deep.
const maxPath = 256

// extend adds a feature to the path, updating the subset weights.
func extend(m []pathElem, zero, one float64, feature int32) []pathElem {
	l := len(m)
	w := 0.0
	if l == 0 {
		w = 1
	}
	m = append(m, pathElem{feature: feature, zero: zero, one: one, weight: w})
	inv := recip[l+1]
	if one == 0 {
		// The row does not pass: no subset gains the feature, each only
		// scales by the share of rows that do.
		z := zero * inv
		for i := l - 1; i >= 0; i-- {
			m[i].weight *= z * float64(l-i)
		}
		return m
	}
	// The row passes (one = 1): each subset either gains the feature or
	// keeps the share of rows that pass without it. carry is the weight
	// already given to size i+1 by the size above.
	carry := w
	z := zero * inv
	for i := l - 1; i >= 0; i-- {
		wi := m[i].weight
		m[i+1].weight = carry + wi*(float64(i+1)*inv)
		carry = wi * (z * float64(l-i))
	}
	m[0].weight = carry
	return m
}

// unwind removes path element i, undoing its extend.
func unwind(m []pathElem, i int) []pathElem {
	l := len(m) - 1
	one, zero := m[i].one, m[i].zero
	n := m[l].weight
	fl := float64(l + 1)
	if one != 0 {
		invFl := recip[l+1]
		for j := l - 1; j >= 0; j-- {
			t := m[j].weight
			m[j].weight = n * fl * recip[j+1] / one
			n = t - m[j].weight*zero*float64(l-j)*invFl
		}
	} else {
		s := fl / zero
		for j := l - 1; j >= 0; j-- {
			m[j].weight = m[j].weight * s * recip[l-j]
		}
	}
	for j := i; j < l; j++ {
		m[j].feature, m[j].zero, m[j].one = m[j+1].feature, m[j+1].zero, m[j+1].one
	}
	return m[:l]
}

// leafShap adds the leaf's value v to phi as shared among the path's
// features. Element i's share is (oneᵢ − zeroᵢ)·v times the total weight
// the path would have without it. For an element the row does not pass
// (one = 0) that total is zeroᵢ⁻¹·(l+1)·Σⱼ wⱼ/(l−j), the same sum for every
// such element, so each costs O(1); one = 1 elements unwind in O(depth)
// with the recurrence's factors computed once per leaf.
func leafShap(m []pathElem, v float64, phi []float64, q []float64) {
	l := len(m) - 1
	fl := float64(l + 1)
	s0 := 0.0
	for j := l - 1; j >= 0; j-- {
		s0 += m[j].weight * recip[l-j]
		q[j] = float64(l-j) * recip[j+1]
	}
	// An unpassed element's value: −zeroᵢ · zeroᵢ⁻¹(l+1)·s0 · v.
	cold := -s0 * fl * v
	wl := m[l].weight
	for i := 1; i <= l; i++ {
		e := &m[i]
		if e.one == 0 {
			phi[e.feature] += cold
			continue
		}
		// n runs through the weights of the path without element i, from
		// the longest subsets down; their total is (l+1)·Σ nⱼ/(j+1).
		z := e.zero
		total, n := 0.0, wl
		for j := l - 1; j >= 0; j-- {
			total += n * recip[j+1]
			n = m[j].weight - n*(z*q[j])
		}
		phi[e.feature] += total * fl * (1 - z) * v
	}
}

// shap adds the tree's Shapley values for the row x (one value per
// feature) to phi.
func (st *shapTree) shap(x []float64, phi []float64, w *shapWork) {
	if len(st.nodes) == 0 {
		return
	}
	w.paths[0] = w.paths[0][:0]
	st.recurse(0, x, phi, w, 0, 1, 1, -1)
}

// recurse visits node ref (a split index, or ^leaf) at path depth depth,
// after the path of the parent has been copied into paths[depth].
func (st *shapTree) recurse(ref int32, x, phi []float64, w *shapWork, depth int, zero, one float64, feature int32) {
	m := extend(w.paths[depth], zero, one, feature)
	if ref < 0 {
		leafShap(m, st.leaf[^ref], phi, w.q)
		return
	}
	nd := &st.nodes[ref]
	f := nd.feature
	v := x[f]
	var left bool
	switch {
	case nd.categorical:
		left = st.tree.goesLeft(ref, v)
	case v != v:
		left = nd.missingLeft
	default:
		left = v <= nd.threshold
	}
	hot, cold, zh, zc := nd.right, nd.left, nd.zeroR, nd.zeroL
	if left {
		hot, cold, zh, zc = cold, hot, zc, zh
	}
	iz, io := 1.0, 1.0
	for k := 1; k < len(m); k++ {
		if m[k].feature == f {
			iz, io = m[k].zero, m[k].one
			m = unwind(m, k)
			break
		}
	}
	// Each child extends its own copy of this node's path.
	w.paths[depth+1] = append(w.paths[depth+1][:0], m...)
	st.recurse(hot, x, phi, w, depth+1, iz*zh, io, f)
	w.paths[depth+1] = append(w.paths[depth+1][:0], m...)
	st.recurse(cold, x, phi, w, depth+1, iz*zc, 0, f)
}

// goesLeft reports whether value v takes node i's left branch.
func (t *Tree) goesLeft(i int32, v float64) bool {
	if v != v {
		return t.MissingLeft[i]
	}
	if t.categorical(i) {
		c := int32(v)
		if float64(c) != v {
			return false
		}
		_, found := slices.BinarySearch(t.Categories[i], c)
		return found
	}
	return v <= t.Threshold[i]
}

// count returns the training rows at child reference c.
func (t *Tree) count(c int32) float64 {
	if c < 0 {
		return float64(t.LeafCount[^c])
	}
	return float64(t.Count[c])
}

// expected returns the tree's mean output over its training rows.
func (t *Tree) expected() float64 {
	total := 0.0
	var s float64
	for i, v := range t.LeafValue {
		s += v * float64(t.LeafCount[i])
		total += float64(t.LeafCount[i])
	}
	if total == 0 {
		return 0
	}
	return s / total
}

// depth returns the longest root-to-leaf path of the tree.
func (t *Tree) depth() int {
	var walk func(c int32) int
	walk = func(c int32) int {
		if c < 0 {
			return 0
		}
		return 1 + max(walk(t.Left[c]), walk(t.Right[c]))
	}
	if len(t.Feature) == 0 {
		return 0
	}
	return walk(0)
}

// shapBlock is the rows an explaining worker takes at a time.
const shapBlock = 64

// errNoCounts is returned for models saved before trees recorded how many
// training rows reached each node.
var errNoCounts = errors.New("ml: this model's trees do not record training row counts, which explanations need; retrain it with this version")

// Contributions returns each row's exact Shapley values on the margin
// scale (log-odds for the binary objective), row-major with one value per
// feature, and the base value they start from: for every row, the base
// plus the row's values equals the model's raw margin. Multiclass models
// are explained one class at a time with ClassContributions.
func (g *GBM) Contributions(m *Matrix) ([]float64, float64, error) {
	if g.NumClass > 0 {
		return nil, 0, errors.New("ml: a multiclass model has one set of contributions per class; use ClassContributions")
	}
	return g.ClassContributions(m, 0)
}

// ClassContributions is Contributions for class k of a multiclass model:
// the Shapley values of class k's raw score (before the softmax), from
// the trees of that class. For single-output models k must be 0.
func (g *GBM) ClassContributions(m *Matrix, k int) ([]float64, float64, error) {
	d := len(g.Features)
	if len(m.Cols) != d {
		return nil, 0, fmt.Errorf("ml: %d feature columns for a model with %d features", len(m.Cols), d)
	}
	if k < 0 || k >= g.outputs() {
		return nil, 0, fmt.Errorf("ml: class %d out of range: the model has %d outputs", k, g.outputs())
	}
	// Each class's base value and depth are worked out once per model:
	// online scoring explains one row at a time.
	g.shapOnce.Do(func() {
		n, inits := g.outputs(), g.initScores()
		g.shapBase, g.shapDepth = make([]float64, n), make([]int, n)
		for c := range n {
			g.shapBase[c] = inits[c]
			for _, t := range g.classTrees(c) {
				if len(t.Feature) > 0 && (len(t.Count) != len(t.Feature) || len(t.LeafCount) != len(t.LeafValue)) {
					g.shapErr = errNoCounts
					return
				}
				if len(t.LeafCount) == len(t.LeafValue) {
					g.shapBase[c] += t.expected()
				} else {
					g.shapBase[c] += t.LeafValue[0]
				}
				g.shapDepth[c] = max(g.shapDepth[c], t.depth())
			}
		}
	})
	if g.shapErr != nil {
		return nil, 0, g.shapErr
	}
	compiled := g.shapTrees(k)
	base, depth := g.shapBase[k], g.shapDepth[k]
	if min(depth, d)+2 > maxPath {
		return nil, 0, fmt.Errorf("ml: trees %d deep over %d features are too deep to explain (at most %d)", depth, d, maxPath-2)
	}
	out := make([]float64, m.Rows*d)
	// Rows cost far more here than in prediction, so small blocks handed
	// out in turn keep every core busy to the end.
	blocks := (m.Rows + shapBlock - 1) / shapBlock
	parallelItems(blocks, workerCount(0), func(b int) {
		lo, hi := b*shapBlock, min((b+1)*shapBlock, m.Rows)
		w := newShapWork(depth)
		x := make([]float64, d)
		for i := lo; i < hi; i++ {
			for j, c := range m.Cols {
				x[j] = c[i]
			}
			phi := out[i*d : (i+1)*d]
			for i := range compiled {
				compiled[i].shap(x, phi, w)
			}
		}
	})
	return out, base, nil
}

// Margin returns the model's raw score for m's rows: the log-odds for the
// binary objective, the prediction otherwise. For multiclass models it is
// class 0's score; ClassMargin gives any class's.
func (g *GBM) Margin(m *Matrix) []float64 { return g.ClassMargin(m, 0) }

// ClassMargin returns class k's raw score (before the softmax) for m's
// rows; k must be 0 for single-output models.
func (g *GBM) ClassMargin(m *Matrix, k int) []float64 {
	trees := g.classTrees(k)
	base := g.initScores()[k]
	out := make([]float64, m.Rows)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		x := make([]float64, len(m.Cols))
		for i := lo; i < hi; i++ {
			for j, c := range m.Cols {
				x[j] = c[i]
			}
			s := base
			for _, t := range trees {
				s += t.value(x)
			}
			out[i] = s
		}
	})
	return out
}

// classTrees returns the trees of output k: every tree of a single-output
// model, trees k, k+NumClass, … of a multiclass one.
func (g *GBM) classTrees(k int) []*Tree {
	K := g.outputs()
	if K == 1 {
		return g.Trees
	}
	out := make([]*Tree, 0, len(g.Trees)/K+1)
	for i := k; i < len(g.Trees); i += K {
		out = append(out, g.Trees[i])
	}
	return out
}

// value walks the tree for row x and returns its leaf's value.
func (t *Tree) value(x []float64) float64 {
	if len(t.Feature) == 0 {
		return t.LeafValue[0]
	}
	c := int32(0)
	for c >= 0 {
		if t.goesLeft(c, x[t.Feature[c]]) {
			c = t.Left[c]
		} else {
			c = t.Right[c]
		}
	}
	return t.LeafValue[^c]
}

// Contributions returns each row's per-feature contributions on the margin
// scale (log-odds for logistic models), row-major, and the base they start
// from. Feature j contributes wⱼ·(xⱼ − x̄ⱼ) with x̄ⱼ its training mean, which
// are the exact Shapley values of a linear model with independent
// features; the base is the margin at the training means. A multinomial
// model's are class 0's; ClassContributions gives any class's.
func (lm *LinearModel) Contributions(m *Matrix) ([]float64, float64, error) {
	return lm.ClassContributions(m, 0)
}
