package ml

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

// KFold splits n rows into k folds at random and returns each fold's row
// indices (sorted). Fold sizes differ by at most one.
func KFold(n, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0x6b666f6c64))
	perm := rng.Perm(n)
	folds := make([][]int, k)
	for i, r := range perm {
		folds[i%k] = append(folds[i%k], r)
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds
}

// StratifiedKFold is KFold keeping each class's share of 0/1 labels y
// the same in every fold.
func StratifiedKFold(y []float64, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0x6b666f6c64))
	var pos, neg []int
	for i, v := range y {
		if v > 0.5 {
			pos = append(pos, i)
		} else {
			neg = append(neg, i)
		}
	}
	folds := make([][]int, k)
	next := 0
	for _, class := range [][]int{pos, neg} {
		rng.Shuffle(len(class), func(a, b int) { class[a], class[b] = class[b], class[a] })
		for _, r := range class {
			folds[next%k] = append(folds[next%k], r)
			next++
		}
	}
	for _, f := range folds {
		slices.Sort(f)
	}
	return folds
}

// CVResult holds the metrics of each fold and their mean and standard
// deviation.
type CVResult struct {
	Folds []*Metrics
	Mean  *Metrics
	Std   *Metrics
}

// CrossValidate trains spec k times on f, each time holding out one fold
// (stratified for binary tasks) and measuring on it. GBM early stopping
// uses the held-out fold.
func CrossValidate(f *data.Frame, spec Spec, k int, seed uint64) (*CVResult, error) {
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	return CrossValidateTable(t, spec, k, seed)
}

// CrossValidateTable is CrossValidate for a Table.
func CrossValidateTable(t *Table, spec Spec, k int, seed uint64) (*CVResult, error) {
	if k < 2 {
		return nil, errors.New("ml: cross-validation needs k ≥ 2")
	}
	_, task, err := spec.kind()
	if err != nil {
		return nil, err
	}
	y, _, err := labels(t.Column(spec.Label), task, spec.Positive)
	if err != nil {
		return nil, fmt.Errorf("ml: label %q: %w", spec.Label, err)
	}
	var folds [][]int
	if task == TaskBinary {
		folds = StratifiedKFold(y, k, seed)
	} else {
		folds = KFold(len(y), k, seed)
	}
	res := &CVResult{}
	inFold := make([]int, len(y))
	for fi, fold := range folds {
		for _, r := range fold {
			inFold[r] = fi
		}
	}
	for fi, fold := range folds {
		var trainIdx []int
		for r, f := range inFold {
			if f != fi {
				trainIdx = append(trainIdx, r)
			}
		}
		test := t.Take(fold)
		s := spec
		s.Progress = nil
		m, err := TrainTable(t.Take(trainIdx), test, s)
		if err != nil {
			return nil, fmt.Errorf("ml: fold %d: %w", fi+1, err)
		}
		met := *m.ValidMetrics
		met.Title = fmt.Sprintf("fold %d", fi+1)
		res.Folds = append(res.Folds, &met)
		report(spec.Progress, Progress{Model: "cv", Round: fi + 1, Rounds: k, Done: fi == k-1})
	}
	res.Mean = &Metrics{Title: "mean"}
	res.Std = &Metrics{Title: "std"}
	for i, name := range res.Folds[0].Names {
		var s, ss float64
		for _, f := range res.Folds {
			s += f.Values[i]
		}
		mu := s / float64(k)
		for _, f := range res.Folds {
			ss += (f.Values[i] - mu) * (f.Values[i] - mu)
		}
		res.Mean.Add(name, mu)
		res.Std.Add(name, math.Sqrt(ss/float64(k-1)))
	}
	return res, nil
}

// DisplayData renders folds, mean and standard deviation side by side.
func (r *CVResult) DisplayData() display.Data {
	sets := append(slices.Clone(r.Folds), r.Mean, r.Std)
	return Compare(sets...).DisplayData()
}

func (r *CVResult) String() string {
	return fmt.Sprintf("%d-fold CV: mean %s", len(r.Folds), r.Mean)
}
