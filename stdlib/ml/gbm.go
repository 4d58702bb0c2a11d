package ml

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"sync"
	"time"
	"unsafe"
)

// GBM objectives.
const (
	ObjectiveBinary     = "binary"     // log loss on 0/1 labels; predicts probabilities
	ObjectiveRegression = "regression" // squared error
)

// GBMParams configures histogram-based gradient-boosted trees. Zero values
// take the defaults in brackets, which match LightGBM's.
type GBMParams struct {
	Objective        string  // ObjectiveBinary or ObjectiveRegression [binary]
	Trees            int     // boosting rounds [100]
	LearningRate     float64 // shrinkage [0.1]
	MaxLeaves        int     // leaves per tree, grown best-first [31]
	MaxDepth         int     // depth limit; 0 means none
	MinDataInLeaf    int     // fewest rows in a leaf [20]
	MinHessianInLeaf float64 // smallest hessian sum in a leaf [1e-3]
	L2               float64 // L2 penalty on leaf values
	MinGain          float64 // smallest gain worth a split
	RowSample        float64 // fraction of rows drawn for each tree [1]
	FeatureSample    float64 // fraction of features drawn for each tree [1]
	MaxBins          int     // bins per feature, at most 255 [255]
	// EarlyStopping stops when the validation metric has not improved for
	// this many rounds and keeps the best round; 0 disables it.
	EarlyStopping int
	// Metric is the validation metric: "logloss" or "auc" for binary,
	// "rmse" for regression [logloss / rmse].
	Metric  string
	Seed    uint64
	Threads int // cores used; 0 means all
}

func (p *GBMParams) defaults() error {
	if p.Objective == "" {
		p.Objective = ObjectiveBinary
	}
	if p.Objective != ObjectiveBinary && p.Objective != ObjectiveRegression {
		return fmt.Errorf("gbm: unknown objective %q (use %q or %q)", p.Objective, ObjectiveBinary, ObjectiveRegression)
	}
	if p.Trees == 0 {
		p.Trees = 100
	}
	if p.LearningRate == 0 {
		p.LearningRate = 0.1
	}
	if p.MaxLeaves == 0 {
		p.MaxLeaves = 31
	}
	if p.MaxLeaves < 2 {
		p.MaxLeaves = 2
	}
	if p.MinDataInLeaf == 0 {
		p.MinDataInLeaf = 20
	}
	if p.MinHessianInLeaf == 0 {
		p.MinHessianInLeaf = 1e-3
	}
	if p.RowSample == 0 {
		p.RowSample = 1
	}
	if p.FeatureSample == 0 {
		p.FeatureSample = 1
	}
	if p.MaxBins == 0 {
		p.MaxBins = 255
	}
	if p.MaxBins > 255 || p.MaxBins < 2 {
		return fmt.Errorf("gbm: MaxBins must be in [2, 255], got %d", p.MaxBins)
	}
	if p.RowSample < 0 || p.RowSample > 1 || p.FeatureSample < 0 || p.FeatureSample > 1 {
		return errors.New("gbm: RowSample and FeatureSample must be in (0, 1]")
	}
	if p.Metric == "" {
		if p.Objective == ObjectiveBinary {
			p.Metric = "logloss"
		} else {
			p.Metric = "rmse"
		}
	}
	switch p.Metric {
	case "logloss", "auc":
		if p.Objective != ObjectiveBinary {
			return fmt.Errorf("gbm: metric %q needs the binary objective", p.Metric)
		}
	case "rmse":
	default:
		return fmt.Errorf("gbm: unknown metric %q (use logloss, auc or rmse)", p.Metric)
	}
	return nil
}

// Tree is one regression tree stored as parallel node arrays. Left and
// Right hold a node index when ≥ 0 and ^leaf when < 0. A row goes left when
// its feature value is ≤ Threshold, or when it is missing and MissingLeft.
type Tree struct {
	Feature     []int32   `json:"feature"`
	Threshold   []float64 `json:"threshold"`
	MissingLeft []bool    `json:"missing_left"`
	Left        []int32   `json:"left"`
	Right       []int32   `json:"right"`
	Gain        []float64 `json:"gain"`
	LeafValue   []float64 `json:"leaf_value"`

	// binThreshold is the split in bin numbers; set only while training.
	binThreshold []uint8
}

// Leaves returns the number of leaves.
func (t *Tree) Leaves() int { return len(t.LeafValue) }

func (t *Tree) binValue(bm *binMatrix, i int) float64 {
	if len(t.Feature) == 0 {
		return t.LeafValue[0]
	}
	n := int32(0)
	for {
		f := t.Feature[n]
		b := bm.at(i, int(f))
		var next int32
		if int(b) == bm.binners[f].missing() {
			if t.MissingLeft[n] {
				next = t.Left[n]
			} else {
				next = t.Right[n]
			}
		} else if b <= t.binThreshold[n] {
			next = t.Left[n]
		} else {
			next = t.Right[n]
		}
		if next < 0 {
			return t.LeafValue[^next]
		}
		n = next
	}
}

// GBM is a fitted gradient-boosted tree ensemble.
type GBM struct {
	Objective string    `json:"objective"`
	Features  []string  `json:"features"`
	InitScore float64   `json:"init_score"`
	Trees     []*Tree   `json:"trees"`
	BestRound int       `json:"best_round,omitempty"`
	SplitGain []float64 `json:"split_gain"`
	Splits    []int     `json:"splits"`
	// History holds the metric after each round: training loss and, with a
	// validation set, the validation metric.
	History []Progress `json:"history,omitempty"`

	once     sync.Once
	compiled []compiledTree
}

// Progress reports training progress after a round.
type Progress struct {
	Model        string        `json:"model"`
	Round        int           `json:"round"`
	Rounds       int           `json:"rounds"`
	Metric       string        `json:"metric,omitempty"`
	Train        float64       `json:"train,omitempty"`
	Valid        float64       `json:"valid,omitempty"`
	HasValid     bool          `json:"has_valid,omitempty"`
	BestRound    int           `json:"best_round,omitempty"`
	Elapsed      time.Duration `json:"elapsed"`
	Done         bool          `json:"done,omitempty"`
	StoppedEarly bool          `json:"stopped_early,omitempty"`
}

func (p Progress) String() string {
	s := fmt.Sprintf("%s round %d/%d", p.Model, p.Round, p.Rounds)
	if p.Metric != "" {
		s += fmt.Sprintf("  train %s %.5f", p.Metric, p.Train)
		if p.HasValid {
			s += fmt.Sprintf("  valid %s %.5f (best round %d)", p.Metric, p.Valid, p.BestRound)
		}
	}
	s += fmt.Sprintf("  %.1fs", p.Elapsed.Seconds())
	if p.Done {
		s += "  done"
		if p.StoppedEarly {
			s += " (stopped early)"
		}
	}
	return s
}

type split struct {
	gain        float64
	feature     int
	bin         uint8
	missingLeft bool
	lg, lh      float64
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
}

// grower holds the state reused across trees.
type grower struct {
	p        *GBMParams
	bm       *binMatrix
	workers  int
	idx      []int32
	tmp      []int32
	histPool []hist
	private  []hist // per-worker histograms for parallel builds
	feats    []int
	// used[f] is feature f's bins, the missing one included.
	used []int
}

func newGrower(p *GBMParams, bm *binMatrix, workers int) *grower {
	g := &grower{p: p, bm: bm, workers: workers}
	g.idx = make([]int32, bm.rows)
	g.tmp = make([]int32, bm.rows)
	g.private = make([]hist, workers)
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

// histMinRows is the fewest rows a histogram worker is given. Leaves
// deep in a tree hold rows scattered over the matrix, so their build waits
// on memory and gains from a second core long before it is big.
const histMinRows = 4096

// buildHist fills hist with the gradient sums of rows idx[start:end],
// splitting the rows among workers that each fill a private histogram.
// With identity the rows are 0..n-1 in order.
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
	workers := min(g.workers, n/histMinRows)
	if workers <= 1 {
		fill(h, 0, n)
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := 0; w < workers; w++ {
		ph := h
		if w > 0 {
			if g.private[w] == nil {
				g.private[w] = make(hist, g.bm.features)
			} else {
				clearHist(g.private[w], g.used)
			}
			ph = g.private[w]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fill(ph, w*per, min((w+1)*per, n))
		}()
	}
	wg.Wait()
	// Sum in worker order so results do not depend on scheduling.
	for w := 1; w < workers; w++ {
		addHist(h, g.private[w], g.used)
	}
}

func leafScore(gs, hs, l2 float64) float64 { return gs * gs / (hs + l2) }

// findSplit sets l.best to the best split of l over the sampled features.
func (g *grower) findSplit(l *leaf) {
	l.best = split{gain: math.Inf(-1)}
	p := g.p
	if p.MaxDepth > 0 && l.depth >= p.MaxDepth {
		return
	}
	if l.n < int64(2*p.MinDataInLeaf) || l.h < 2*p.MinHessianInLeaf {
		return
	}
	parent := leafScore(l.g, l.h, p.L2)
	minN := int64(p.MinDataInLeaf)
	cntPerHess := float64(l.n) / l.h
	for _, f := range g.feats {
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
	for b := 0; b <= int(s.bin); b++ {
		goesLeft[b] = 1
	}
	if s.missingLeft {
		goesLeft[g.bm.binners[s.feature].missing()] = 1
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
	root := &leaf{start: 0, end: n, parent: -1, hist: g.getHist()}
	g.buildHist(root.hist, 0, n, gp, identity)
	// Node totals come from any one feature's histogram.
	for _, b := range root.hist[0] {
		root.g += b.g
		root.h += b.h
	}
	root.n = int64(n)
	g.findSplit(root)
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
		t.Threshold = append(t.Threshold, g.bm.binners[s.feature].upper[s.bin])
		t.MissingLeft = append(t.MissingLeft, s.missingLeft)
		t.Gain = append(t.Gain, s.gain)
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
		left := &leaf{start: l.start, end: mid, g: s.lg, h: s.lh, n: int64(mid - l.start), depth: l.depth + 1, parent: int(node), isLeft: true}
		right := &leaf{start: mid, end: l.end, g: l.g - s.lg, h: l.h - s.lh, n: int64(l.end - mid), depth: l.depth + 1, parent: int(node)}
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
		g.findSplit(left)
		g.findSplit(right)
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
		t.LeafValue = append(t.LeafValue, -l.g/(l.h+p.L2)*p.LearningRate)
	}
	return t, leaves
}

// FitGBM trains gradient-boosted trees on m and labels y. valid and
// yValid, when not nil, are scored after each round for early stopping
// and progress. progress, when not nil, is called after each round.
func FitGBM(m *Matrix, y []float64, valid *Matrix, yValid []float64, p GBMParams, progress func(Progress)) (*GBM, error) {
	if err := p.defaults(); err != nil {
		return nil, err
	}
	n, d := m.Rows, len(m.Cols)
	if len(y) != n {
		return nil, fmt.Errorf("gbm: %d labels for %d rows", len(y), n)
	}
	if n == 0 || d == 0 {
		return nil, errors.New("gbm: no rows or no features to train on")
	}
	if valid != nil && (len(valid.Cols) != d || len(yValid) != valid.Rows) {
		return nil, fmt.Errorf("gbm: validation set has %d features and %d labels for %d rows; want %d features", len(valid.Cols), len(yValid), valid.Rows, d)
	}
	if p.EarlyStopping > 0 && valid == nil {
		return nil, errors.New("gbm: early stopping needs a validation set")
	}
	binary := p.Objective == ObjectiveBinary
	if binary {
		for _, v := range y {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("gbm: binary objective needs 0/1 labels, found %v", v)
			}
		}
	}
	start := time.Now()
	workers := workerCount(p.Threads)
	binners := fitBinners(m, p.MaxBins, p.Seed, workers)
	bm := binWith(m, binners, workers, true)
	var vbm *binMatrix
	if valid != nil {
		vbm = binWith(valid, binners, workers, false)
	}

	model := &GBM{Objective: p.Objective, Features: slices.Clone(m.Names), SplitGain: make([]float64, d), Splits: make([]int, d)}
	ymean := 0.0
	for _, v := range y {
		ymean += v
	}
	ymean /= float64(n)
	if binary {
		pm := math.Min(math.Max(ymean, 1e-15), 1-1e-15)
		model.InitScore = math.Log(pm / (1 - pm))
	} else {
		model.InitScore = ymean
	}
	score := make([]float64, n)
	for i := range score {
		score[i] = model.InitScore
	}
	var vscore []float64
	if vbm != nil {
		vscore = make([]float64, vbm.rows)
		for i := range vscore {
			vscore[i] = model.InitScore
		}
	}
	gp := make([]gradPair, n)
	g := newGrower(&p, bm, workers)
	rng := rand.New(rand.NewPCG(p.Seed, 0x67626d))
	inBag := make([]bool, n)
	bestMetric, bestRound := math.Inf(1), 0
	lowerBetter := p.Metric != "auc"

	for round := 1; round <= p.Trees; round++ {
		parallelBlocks(n, workers, func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				if binary {
					pr := sigmoid(score[i])
					h := pr * (1 - pr)
					if h < 1e-16 {
						h = 1e-16
					}
					gp[i] = gradPair{pr - y[i], h}
				} else {
					gp[i] = gradPair{score[i] - y[i], 1}
				}
			}
		})
		// Rows in the bag for this tree.
		bagged := p.RowSample < 1
		nb := n
		if bagged {
			nb = 0
			for i := 0; i < n; i++ {
				inBag[i] = rng.Float64() < p.RowSample
				if inBag[i] {
					g.idx[nb] = int32(i)
					nb++
				}
			}
		} else {
			parallelBlocks(n, workers, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					g.idx[i] = int32(i)
				}
			})
		}
		// Features for this tree.
		g.feats = g.feats[:0]
		if p.FeatureSample < 1 {
			k := max(1, int(math.Round(float64(d)*p.FeatureSample)))
			perm := rng.Perm(d)[:k]
			slices.Sort(perm)
			g.feats = append(g.feats, perm...)
		} else {
			for f := 0; f < d; f++ {
				g.feats = append(g.feats, f)
			}
		}
		tree, leaves := g.grow(gp, nb, !bagged, model.SplitGain, model.Splits)
		// Rows in the bag take their leaf's value directly; others walk the tree.
		parallelItems(len(leaves), workers, func(li int) {
			v := tree.LeafValue[li]
			for _, r := range g.idx[leaves[li].start:leaves[li].end] {
				score[r] += v
			}
		})
		if bagged {
			parallelBlocks(n, workers, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					if !inBag[i] {
						score[i] += tree.binValue(bm, i)
					}
				}
			})
		}
		model.Trees = append(model.Trees, tree)

		pr := Progress{Model: "gbm", Round: round, Rounds: p.Trees, Metric: p.Metric, Elapsed: time.Since(start)}
		if vbm != nil {
			parallelBlocks(vbm.rows, workers, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					vscore[i] += tree.binValue(vbm, i)
				}
			})
			pr.Valid = gbmMetric(p.Metric, binary, yValid, vscore)
			pr.HasValid = true
			better := pr.Valid < bestMetric
			if !lowerBetter {
				better = -pr.Valid < bestMetric
			}
			if better {
				bestMetric, bestRound = pr.Valid, round
				if !lowerBetter {
					bestMetric = -pr.Valid
				}
			}
			pr.BestRound = bestRound
		}
		if progress != nil || round == p.Trees {
			pr.Train = gbmMetric(p.Metric, binary, y, score)
		}
		stop := p.EarlyStopping > 0 && round-bestRound >= p.EarlyStopping
		if stop || round == p.Trees {
			pr.Done = true
			pr.StoppedEarly = stop
		}
		model.History = append(model.History, pr)
		if progress != nil {
			progress(pr)
		}
		if stop {
			break
		}
	}
	if p.EarlyStopping > 0 && bestRound > 0 && bestRound < len(model.Trees) {
		model.Trees = model.Trees[:bestRound]
		// Importance counts only the kept trees.
		clear(model.SplitGain)
		clear(model.Splits)
		for _, t := range model.Trees {
			for k, f := range t.Feature {
				model.SplitGain[f] += t.Gain[k]
				model.Splits[f]++
			}
		}
	}
	model.BestRound = bestRound
	for _, t := range model.Trees {
		t.binThreshold = nil
	}
	return model, nil
}

func gbmMetric(metric string, binary bool, y, score []float64) float64 {
	switch metric {
	case "auc":
		return AUC(y, score)
	case "logloss":
		var s float64
		for i, z := range score {
			s += softplus(z) - y[i]*z
		}
		return s / float64(len(y))
	default:
		var s float64
		for i, z := range score {
			s += (z - y[i]) * (z - y[i])
		}
		return math.Sqrt(s / float64(len(y)))
	}
}

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
}

// compileTree lays t out for prediction: split nodes keep their indices
// and leaf i becomes node len(t.Feature)+i.
func compileTree(t *Tree) compiledTree {
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
		g.compiled = make([]compiledTree, len(g.Trees))
		for k, t := range g.Trees {
			g.compiled[k] = compileTree(t)
		}
	})
	return g.compiled
}

// predictBlock is the rows a prediction worker transposes at once: their
// features fit in the L1 cache while every tree walks them.
const predictBlock = 64

// Predict writes predictions for m's rows into out (allocated when short)
// and returns it: probabilities for the binary objective, values otherwise.
//
// Each tree moves a whole block of rows one level at a time. The rows'
// walks are independent, so the processor overlaps them instead of
// waiting on each node load in turn, and the loops have no branch that
// depends on the data. The first levels step every row; past them, in
// deep trees, only the rows not yet at a leaf are kept and stepped.
func (g *GBM) Predict(m *Matrix, out []float64) []float64 {
	if cap(out) < m.Rows {
		out = make([]float64, m.Rows)
	}
	out = out[:m.Rows]
	trees := g.compile()
	binary := g.Objective == ObjectiveBinary
	d := len(m.Cols)
	parallelBlocks(m.Rows, workerCount(0), func(_, lo, hi int) {
		rows := make([]float64, predictBlock*d)
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
			o := out[b:e]
			for i := range o {
				o[i] = g.InitScore
			}
			cur := at[:len(o)]
			for _, t := range trees {
				clear(cur)
				fixed := min(t.depth, predictAllSteps)
				for range fixed {
					if missing {
						stepAll(t.nodes, rows, d, cur)
					} else {
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
					na = stepBlock(t.nodes, t.splits, rows, d, cur, active[:na], missing)
				}
				for i, n := range cur {
					o[i] += t.value[n]
				}
			}
			if binary {
				for i := range o {
					o[i] = sigmoid(o[i])
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

// Importance is a feature-importance table, most important first.
type Importance struct {
	Kind     string // "gain" or "split"
	Features []string
	Values   []float64
}

// Importance returns feature importance by total split gain (kind "gain")
// or by number of splits ("split").
func (g *GBM) Importance(kind string) (*Importance, error) {
	imp := &Importance{Kind: kind}
	idx := make([]int, len(g.Features))
	for i := range idx {
		idx[i] = i
	}
	val := func(i int) float64 {
		if kind == "split" {
			return float64(g.Splits[i])
		}
		return g.SplitGain[i]
	}
	if kind != "gain" && kind != "split" {
		return nil, fmt.Errorf("importance: unknown kind %q (use gain or split)", kind)
	}
	sort.SliceStable(idx, func(a, b int) bool { return val(idx[a]) > val(idx[b]) })
	for _, i := range idx {
		imp.Features = append(imp.Features, g.Features[i])
		imp.Values = append(imp.Values, val(i))
	}
	return imp, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
