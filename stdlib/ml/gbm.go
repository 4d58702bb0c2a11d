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
)

// GBM objectives.
const (
	ObjectiveBinary     = "binary"     // log loss on 0/1 labels; predicts probabilities
	ObjectiveRegression = "regression" // squared error
	// ObjectiveMulticlass is softmax log loss over class indices
	// 0..k-1: each round grows one tree per class, and predictions are
	// per-class probabilities.
	ObjectiveMulticlass = "multiclass"
)

// GBMParams configures histogram-based gradient-boosted trees. Zero values
// take the defaults in brackets, which match LightGBM's.
type GBMParams struct {
	Objective        string  // ObjectiveBinary, ObjectiveMulticlass or ObjectiveRegression [binary]
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
	// Categorical features (see Matrix.Categorical and Pipeline.Category)
	// split by sets of categories, as LightGBM's do. A feature with fewer
	// than MaxCatToOneHot categories [4] tries each category (or missing)
	// against all others. Otherwise the categories of a node holding at
	// least CatSmooth rows [10] are sorted by Σgradient / (Σhessian +
	// CatSmooth), and the left set is the best run of at most
	// MaxCatThreshold of them [32] from either end of that order, each
	// candidate adding at least MinDataPerGroup rows [100] and leaving as
	// many on the right; such a split's children get CatL2 [10] added to
	// their L2 penalty. Missing values are a category of their own; rare
	// categories and codes not seen in training go right. A negative
	// CatSmooth, CatL2 or MinDataPerGroup means 0.
	MaxCatToOneHot  int
	MaxCatThreshold int
	MinDataPerGroup int
	CatSmooth       float64
	CatL2           float64
	// EarlyStopping stops when the validation metric has not improved for
	// this many rounds and keeps the best round; 0 disables it.
	EarlyStopping int
	// Metric is the validation metric: "logloss" or "auc" for binary,
	// "multi_logloss" or "multi_error" for multiclass, "rmse" for
	// regression [logloss / multi_logloss / rmse].
	Metric string
	// NumClass is the number of classes of a multiclass label; 0 means
	// one more than the largest label.
	NumClass int `json:",omitempty"`
	// ClassWeight "balanced" weighs each class of a binary label by
	// n / (2·nₖ), and of a multiclass label by n / (k·nₖ);
	// PositiveWeight instead weighs positive rows of a binary label by a
	// fixed factor (LightGBM's scale_pos_weight). Weights scale each row's
	// gradient and hessian.
	ClassWeight    string
	PositiveWeight float64
	// Monotone constrains features by name: 1 makes predictions
	// non-decreasing in the feature, -1 non-increasing, 0 leaves it free.
	// Each tree keeps the order by bounding its leaves' values (LightGBM's
	// "basic" method).
	Monotone map[string]int `json:",omitempty"`
	Seed     uint64
	Threads  int // cores used; 0 means all. The model does not depend on it.
}

func (p *GBMParams) defaults() error {
	if p.Objective == "" {
		p.Objective = ObjectiveBinary
	}
	if p.Objective != ObjectiveBinary && p.Objective != ObjectiveRegression && p.Objective != ObjectiveMulticlass {
		return fmt.Errorf("gbm: unknown objective %q (use %q, %q or %q)", p.Objective, ObjectiveBinary, ObjectiveMulticlass, ObjectiveRegression)
	}
	if p.NumClass != 0 && (p.Objective != ObjectiveMulticlass || p.NumClass < 2) {
		return fmt.Errorf("gbm: NumClass %d needs the multiclass objective and at least 2 classes", p.NumClass)
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
	if p.MaxCatToOneHot == 0 {
		p.MaxCatToOneHot = 4
	}
	if p.MaxCatThreshold == 0 {
		p.MaxCatThreshold = 32
	}
	if p.MinDataPerGroup == 0 {
		p.MinDataPerGroup = 100
	}
	if p.CatSmooth == 0 {
		p.CatSmooth = 10
	}
	if p.CatL2 == 0 {
		p.CatL2 = 10
	}
	if p.MaxCatToOneHot < 0 || p.MaxCatThreshold < 0 {
		return errors.New("gbm: MaxCatToOneHot and MaxCatThreshold must not be negative")
	}
	if (p.ClassWeight != "" || p.PositiveWeight != 0) && p.Objective == ObjectiveRegression {
		return errors.New("gbm: ClassWeight and PositiveWeight need the binary or multiclass objective")
	}
	if p.PositiveWeight != 0 && p.Objective == ObjectiveMulticlass {
		return errors.New(`gbm: PositiveWeight needs the binary objective; weigh multiclass labels with ClassWeight "balanced"`)
	}
	if p.RowSample < 0 || p.RowSample > 1 || p.FeatureSample < 0 || p.FeatureSample > 1 {
		return errors.New("gbm: RowSample and FeatureSample must be in (0, 1]")
	}
	if p.Metric == "" {
		switch p.Objective {
		case ObjectiveBinary:
			p.Metric = "logloss"
		case ObjectiveMulticlass:
			p.Metric = "multi_logloss"
		default:
			p.Metric = "rmse"
		}
	}
	switch p.Metric {
	case "logloss", "auc":
		if p.Objective != ObjectiveBinary {
			return fmt.Errorf("gbm: metric %q needs the binary objective", p.Metric)
		}
	case "multi_logloss", "multi_error":
		if p.Objective != ObjectiveMulticlass {
			return fmt.Errorf("gbm: metric %q needs the multiclass objective", p.Metric)
		}
	case "rmse":
		if p.Objective == ObjectiveMulticlass {
			return errors.New(`gbm: metric "rmse" does not apply to the multiclass objective (use multi_logloss or multi_error)`)
		}
	default:
		return fmt.Errorf("gbm: unknown metric %q (use logloss, auc, multi_logloss, multi_error or rmse)", p.Metric)
	}
	return nil
}

// Tree is one regression tree stored as parallel node arrays. Left and
// Right hold a node index when ≥ 0 and ^leaf when < 0. A row goes left when
// its feature value is ≤ Threshold, or when it is missing and MissingLeft.
// At a categorical split a row goes left when its category code is one of
// the node's Categories, or when it is missing and MissingLeft.
type Tree struct {
	Feature     []int32   `json:"feature"`
	Threshold   []float64 `json:"threshold"`
	MissingLeft []bool    `json:"missing_left"`
	Left        []int32   `json:"left"`
	Right       []int32   `json:"right"`
	Gain        []float64 `json:"gain"`
	LeafValue   []float64 `json:"leaf_value"`
	// Count and LeafCount are the training rows that reached each split
	// node and each leaf; explanations weight the paths a row does not
	// take by them. Models saved before they were recorded lack them.
	Count     []int64 `json:"count,omitempty"`
	LeafCount []int64 `json:"leaf_count,omitempty"`
	// Categories holds, for each split node, the category codes that go
	// left, ascending: null at a threshold split, a list (empty when only
	// missing values go left) at a categorical one, whose Threshold is
	// unused. The codes index the categories of the pipeline's Category
	// step. Trees without categorical splits, and models saved before
	// they existed, leave it out.
	Categories [][]int32 `json:"categories,omitempty"`

	// binThreshold is the split in bin numbers; set only while training.
	binThreshold []uint8
	// binCats holds a categorical split's left bins, nil at other nodes;
	// set only while training.
	binCats []*[4]uint64
}

// categorical reports whether node i splits by categories.
func (t *Tree) categorical(i int32) bool { return int(i) < len(t.Categories) && t.Categories[i] != nil }

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
		if int(n) < len(t.binCats) && t.binCats[n] != nil {
			// The left bins include the missing one when it goes left.
			next = t.Right[n]
			if t.binCats[n][b>>6]>>(b&63)&1 != 0 {
				next = t.Left[n]
			}
		} else if int(b) == bm.binners[f].missing() {
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
	// NumClass is the number of classes of a multiclass model, which
	// starts class k from InitScores[k] and owns trees k, k+NumClass, …
	// (one per class per round); 0 for single-output models.
	NumClass   int       `json:"num_class,omitempty"`
	InitScores []float64 `json:"init_scores,omitempty"`

	once     sync.Once
	compiled []compiledTree
	// catCodes turns category codes into the bit positions of the
	// compiled trees' category sets; set with compiled, nil when no tree
	// splits by categories.
	catCodes *categoryCodes

	// What Contributions needs of the trees as a whole, worked out once:
	// a model scoring one row per request would otherwise walk every
	// tree for it each time.
	shapOnce  sync.Once
	shapBase  []float64
	shapDepth []int
	shapErr   error
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
	if p.Model == "search" {
		s = fmt.Sprintf("search: %d/%d trials done  best mean %s %.5f (trial %d)", p.Round, p.Rounds, p.Metric, p.Valid, p.BestRound)
	} else if p.Metric != "" {
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

// FitGBM trains gradient-boosted trees on m and labels y. valid and
// yValid, when not nil, are scored after each round for early stopping
// and progress. progress, when not nil, is called after each round.
func FitGBM(m *Matrix, y []float64, valid *Matrix, yValid []float64, p GBMParams, progress func(Progress)) (*GBM, error) {
	if err := p.defaults(); err != nil {
		return nil, err
	}
	n, d := m.Rows, len(m.Cols)
	mono, err := monotoneByFeature(p.Monotone, m.Names)
	if err != nil {
		return nil, err
	}
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
	for j, col := range m.Cols {
		if !m.categorical(j) {
			continue
		}
		if mono != nil && mono[j] != 0 {
			return nil, fmt.Errorf("gbm: monotone constraint on categorical feature %q; categories have no order", m.Names[j])
		}
		if err := checkCategories(m.Names[j], col); err != nil {
			return nil, err
		}
	}
	binary := p.Objective == ObjectiveBinary
	if binary {
		for _, v := range y {
			if v != 0 && v != 1 {
				return nil, fmt.Errorf("gbm: binary objective needs 0/1 labels, found %v", v)
			}
		}
	}
	multi := p.Objective == ObjectiveMulticlass
	// K is the number of trees a round grows, one per class.
	K := 1
	if multi {
		if K, err = classCount(y, yValid, p.NumClass); err != nil {
			return nil, err
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

	var sw []float64
	if multi {
		sw, err = multiClassWeights(y, K, p.ClassWeight)
	} else {
		sw, err = rowClassWeights(y, p.ClassWeight, p.PositiveWeight)
	}
	if err != nil {
		return nil, fmt.Errorf("gbm: %w", err)
	}
	model := &GBM{Objective: p.Objective, Features: slices.Clone(m.Names), SplitGain: make([]float64, d), Splits: make([]int, d)}
	if multi {
		model.NumClass = K
		model.InitScores = classPriors(y, sw, K)
	}
	// The starting score is the (weighted) mean label.
	ymean, wsum := 0.0, 0.0
	for i, v := range y {
		w := 1.0
		if sw != nil {
			w = sw[i]
		}
		ymean += w * v
		wsum += w
	}
	ymean /= wsum
	if binary {
		pm := math.Min(math.Max(ymean, 1e-15), 1-1e-15)
		model.InitScore = math.Log(pm / (1 - pm))
	} else {
		model.InitScore = ymean
	}
	if multi {
		model.InitScore = 0
	}
	// scores holds each class's scores in turn (one class unless multi).
	init := model.initScores()
	scores := make([]float64, n*K)
	for i := range scores {
		scores[i] = init[i/n]
	}
	var vscores []float64
	if vbm != nil {
		vscores = make([]float64, vbm.rows*K)
		for i := range vscores {
			vscores[i] = init[i/vbm.rows]
		}
	}
	// gp holds the gradients of the tree being grown, or in a multiclass
	// model those of each class in turn, all taken at the start of a round.
	gp := make([]gradPair, n*K)
	// A multiclass round's trees are independent of one another, so with
	// more than one worker they grow side by side, each on a grower of
	// its own taken from a pool; a tree's growth does not depend on the
	// workers it is given, so the trees are the same either way.
	concurrent := 1
	if K > 1 && workers > 1 {
		concurrent = min(K, workers)
	}
	growers := make(chan *grower, concurrent)
	for range concurrent {
		g := newGrower(&p, bm, workers)
		g.mono = mono
		growers <- g
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0x67626d))
	bagged := p.RowSample < 1
	inBag := make([]bool, n)
	feats := make([][]int, K)
	trees := make([]*Tree, K)
	bestMetric, bestRound := math.Inf(1), 0
	lowerBetter := p.Metric != "auc"

	// growTree grows class k's tree of a round on grower g from its
	// gradients grad and adds its values to the class's scores.
	growTree := func(g *grower, k int, grad []gradPair) *Tree {
		score := scores[k*n : (k+1)*n]
		// Rows in the bag for this tree; a round's trees share one bag.
		nb := n
		if bagged {
			nb = 0
			for i, in := range inBag {
				if in {
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
		g.feats = append(g.feats[:0], feats[k]...)
		// Split importance is added afterwards, tree by tree, from the
		// tree's own record, in the order the splits were made.
		tree, leaves := g.grow(grad, nb, !bagged, make([]float64, d), make([]int, d))
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
		if vbm != nil {
			vscore := vscores[k*vbm.rows : (k+1)*vbm.rows]
			parallelBlocks(vbm.rows, workers, func(_, lo, hi int) {
				for i := lo; i < hi; i++ {
					vscore[i] += tree.binValue(vbm, i)
				}
			})
		}
		return tree
	}

	for round := 1; round <= p.Trees; round++ {
		if multi {
			softmaxGradients(gp, scores, y, sw, K, workers)
		} else {
			fillGradients(gp, p.Objective, scores, y, sw, workers)
		}
		if bagged {
			for i := range inBag {
				inBag[i] = rng.Float64() < p.RowSample
			}
		}
		// Features for each tree, drawn in class order.
		for k := range feats {
			feats[k] = feats[k][:0]
			if p.FeatureSample < 1 {
				m := max(1, int(math.Round(float64(d)*p.FeatureSample)))
				perm := rng.Perm(d)[:m]
				slices.Sort(perm)
				feats[k] = append(feats[k], perm...)
			} else {
				for f := 0; f < d; f++ {
					feats[k] = append(feats[k], f)
				}
			}
		}
		parallelItems(K, concurrent, func(k int) {
			g := <-growers
			trees[k] = growTree(g, k, gp[k*n:(k+1)*n])
			growers <- g
		})
		for _, tree := range trees {
			for i, f := range tree.Feature {
				model.SplitGain[f] += tree.Gain[i]
				model.Splits[f]++
			}
			model.Trees = append(model.Trees, tree)
		}

		pr := Progress{Model: "gbm", Round: round, Rounds: p.Trees, Metric: p.Metric, Elapsed: time.Since(start)}
		if vbm != nil {
			pr.Valid = gbmMetric(p.Metric, binary, yValid, vscores)
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
			pr.Train = gbmMetric(p.Metric, binary, y, scores)
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
	if p.EarlyStopping > 0 && bestRound > 0 && bestRound*K < len(model.Trees) {
		model.Trees = model.Trees[:bestRound*K]
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
		t.binThreshold, t.binCats = nil, nil
	}
	return model, nil
}

// monotoneByFeature turns constraints by name into one per feature, or
// nil when there are none.
func monotoneByFeature(byName map[string]int, names []string) ([]int8, error) {
	if len(byName) == 0 {
		return nil, nil
	}
	out := make([]int8, len(names))
	var unknown []string
	for name, c := range byName {
		if c < -1 || c > 1 {
			return nil, fmt.Errorf("gbm: monotone constraint for %q is %d; use 1, -1 or 0", name, c)
		}
		j := slices.Index(names, name)
		if j < 0 {
			unknown = append(unknown, name)
			continue
		}
		out[j] = int8(c)
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return nil, fmt.Errorf("gbm: monotone constraint on %s, which %s not a feature", quoteList(unknown), isAre(len(unknown)))
	}
	return out, nil
}

// gbmMetric measures scores against labels y. Multiclass scores hold each
// class's scores in turn.
func gbmMetric(metric string, binary bool, y, score []float64) float64 {
	switch metric {
	case "multi_logloss", "multi_error":
		return multiScoreMetric(metric, y, score)
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
