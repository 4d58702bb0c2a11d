package ml

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/display"
)

// Param is one hyperparameter to search: a field of the Spec's GBMParams,
// LogisticParams or LinearParams, by its Go name ("LearningRate", "C").
// Grid search tries each of Values; random search draws from Values when
// given, otherwise uniformly from [Min, Max] (on a log scale with Log).
// Integer fields are rounded.
type Param struct {
	Name     string
	Values   []float64
	Min, Max float64
	Log      bool
}

// SearchOptions configures Search.
type SearchOptions struct {
	Params []Param
	// Trials is the number of random draws; 0 means the full grid of
	// every Param's Values.
	Trials int
	// Folds is the cross-validation folds per trial (stratified for
	// binary labels) [5].
	Folds int
	// Metric ranks the trials: any metric the task reports ("auc",
	// "logloss", "rmse", "macro_f1", …) [auc for binary, multi_logloss
	// for multiclass, rmse for regression].
	Metric string
	Seed   uint64
	// Parallel is how many fits run at once, each on an equal share of
	// the cores; 0 means one per core.
	Parallel int
	// Progress, when set, is called as trials finish (ShowProgress(0)
	// shows a live bar): Round counts finished trials, Valid holds the
	// best mean metric so far and BestRound its trial.
	Progress func(Progress)
}

// Trial is one hyperparameter setting and its cross-validated metric.
type Trial struct {
	Number int // in the order trials were drawn, from 1
	Values []float64
	Mean   float64
	Std    float64
	Folds  []float64
	// Seconds is the summed training time of the trial's folds.
	Seconds float64
}

// SearchResult holds every trial, best first.
type SearchResult struct {
	Metric string
	Params []string
	Trials []Trial
	// Best is the Spec with the best trial's values set, ready for Train.
	Best Spec
}

// higherBetter lists the metrics where larger is better.
var higherBetter = map[string]bool{"auc": true, "auc_pr": true, "accuracy": true, "precision": true, "recall": true, "f1": true, "r2": true,
	"macro_f1": true, "weighted_f1": true, "macro_auc": true}

// Search tries hyperparameter settings for spec by cross-validation on
// f, running fits in parallel across cores, and returns the trials ranked
// by the mean of the metric over the folds.
//
//	res, err := ml.Search(train, spec, ml.SearchOptions{
//		Params: []ml.Param{
//			{Name: "LearningRate", Min: 0.02, Max: 0.3, Log: true},
//			{Name: "MaxLeaves", Values: []float64{15, 31, 63}},
//		},
//		Trials: 12, Folds: 3, Progress: ml.ShowProgress(0),
//	})
//	res            // table of trials, best first
//	m, _ := ml.Train(train, test, res.Best)
func Search(f *data.Frame, spec Spec, o SearchOptions) (*SearchResult, error) {
	t, err := FrameTable(f)
	if err != nil {
		return nil, err
	}
	return SearchTable(t, spec, o)
}

// paramTarget returns the parameter struct of spec to set fields on.
func paramTarget(spec *Spec) (reflect.Value, error) {
	switch {
	case spec.GBM != nil:
		c := *spec.GBM
		spec.GBM = &c
		return reflect.ValueOf(spec.GBM).Elem(), nil
	case spec.Logistic != nil:
		c := *spec.Logistic
		spec.Logistic = &c
		return reflect.ValueOf(spec.Logistic).Elem(), nil
	case spec.Linear != nil:
		c := *spec.Linear
		spec.Linear = &c
		return reflect.ValueOf(spec.Linear).Elem(), nil
	}
	return reflect.Value{}, errors.New("ml: set exactly one of Spec.Logistic, Spec.Linear and Spec.GBM")
}

// setParams returns a copy of spec with the named fields set and its
// threads limited.
func setParams(spec Spec, names []string, values []float64, threads int) (Spec, error) {
	v, err := paramTarget(&spec)
	if err != nil {
		return spec, err
	}
	for i, name := range names {
		fv := v.FieldByName(name)
		if !fv.IsValid() || name == "Threads" {
			return spec, fmt.Errorf("ml: %s has no searchable parameter %q (use one of %s)", v.Type().Name(), name, strings.Join(numericFields(v.Type()), ", "))
		}
		switch fv.Kind() {
		case reflect.Float64:
			fv.SetFloat(values[i])
		case reflect.Int:
			fv.SetInt(int64(math.Round(values[i])))
		case reflect.Uint64:
			fv.SetUint(uint64(math.Round(values[i])))
		default:
			return spec, fmt.Errorf("ml: parameter %q is not a number (use one of %s)", name, strings.Join(numericFields(v.Type()), ", "))
		}
	}
	if f := v.FieldByName("Threads"); f.IsValid() {
		f.SetInt(int64(threads))
	}
	return spec, nil
}

func numericFields(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		switch f.Type.Kind() {
		case reflect.Float64, reflect.Int, reflect.Uint64:
			if f.Name != "Threads" {
				out = append(out, f.Name)
			}
		}
	}
	return out
}

// draws returns the settings to try, one slice of values per trial.
func (o *SearchOptions) draws() ([][]float64, error) {
	if len(o.Params) == 0 {
		return nil, errors.New("ml: Search needs at least one Param")
	}
	for _, p := range o.Params {
		if o.Trials == 0 && len(p.Values) == 0 {
			return nil, fmt.Errorf("ml: grid search needs Values for parameter %q (or set Trials for random search)", p.Name)
		}
		if len(p.Values) == 0 && (!(p.Max > p.Min) || p.Log && p.Min <= 0) {
			return nil, fmt.Errorf("ml: parameter %q needs Values or a range Min < Max (positive on a log scale)", p.Name)
		}
	}
	if o.Trials > 0 {
		rng := rand.New(rand.NewPCG(o.Seed, 0x736561726368))
		out := make([][]float64, o.Trials)
		for i := range out {
			for _, p := range o.Params {
				var v float64
				switch {
				case len(p.Values) > 0:
					v = p.Values[rng.IntN(len(p.Values))]
				case p.Log:
					v = math.Exp(math.Log(p.Min) + rng.Float64()*(math.Log(p.Max)-math.Log(p.Min)))
				default:
					v = p.Min + rng.Float64()*(p.Max-p.Min)
				}
				out[i] = append(out[i], v)
			}
		}
		return out, nil
	}
	out := [][]float64{nil}
	for _, p := range o.Params {
		var next [][]float64
		for _, prefix := range out {
			for _, v := range p.Values {
				next = append(next, append(slices.Clone(prefix), v))
			}
		}
		out = next
	}
	const maxGrid = 10000
	if len(out) > maxGrid {
		return nil, fmt.Errorf("ml: the grid has %d settings, more than %d; use random search (Trials)", len(out), maxGrid)
	}
	return out, nil
}

// SearchTable is Search for a Table.
func SearchTable(t *Table, spec Spec, o SearchOptions) (*SearchResult, error) {
	_, task, err := spec.kind()
	if err != nil {
		return nil, err
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Folds < 2 {
		return nil, errors.New("ml: Search needs Folds ≥ 2")
	}
	if o.Metric == "" {
		o.Metric = "auc"
		if task == TaskRegression {
			o.Metric = "rmse"
		}
		if task == TaskMulticlass {
			o.Metric = "multi_logloss"
		}
	}
	probeP := []float64{0.2, 0.8}
	if task == TaskMulticlass {
		probeP = []float64{0.8, 0.2, 0.2, 0.8}
	}
	if probe := (&Model{Task: task, Threshold: 0.5}).metrics([]float64{0, 1}, probeP); !slices.Contains(probe.Names, o.Metric) || o.Metric == "rows" {
		return nil, fmt.Errorf("ml: %s models report no metric %q (use one of %s)", task, o.Metric, strings.Join(slices.DeleteFunc(slices.Clone(probe.Names), func(s string) bool { return s == "rows" }), ", "))
	}
	draws, err := o.draws()
	if err != nil {
		return nil, err
	}
	names := make([]string, len(o.Params))
	for i, p := range o.Params {
		names[i] = p.Name
	}
	// Check every name before any work starts.
	if _, err := setParams(spec, names, draws[0], 1); err != nil {
		return nil, err
	}
	y, _, err := labels(t.Column(spec.Label), task, spec.Positive)
	if err != nil {
		return nil, fmt.Errorf("ml: label %q: %w", spec.Label, err)
	}
	if len(y) < o.Folds {
		return nil, fmt.Errorf("ml: %d rows cannot fill %d folds", len(y), o.Folds)
	}
	var folds [][]int
	if task == TaskBinary {
		folds = StratifiedKFold(y, o.Folds, o.Seed)
	} else {
		folds = KFold(len(y), o.Folds, o.Seed)
	}
	type split struct{ train, test *Table }
	splits := make([]split, len(folds))
	inFold := make([]int, len(y))
	for fi, fold := range folds {
		for _, r := range fold {
			inFold[r] = fi
		}
	}
	for fi, fold := range folds {
		var tr []int
		for r, f := range inFold {
			if f != fi {
				tr = append(tr, r)
			}
		}
		splits[fi] = split{t.Take(tr), t.Take(fold)}
	}

	cores := workerCount(0)
	parallel := o.Parallel
	if parallel <= 0 {
		parallel = cores
	}
	threads := max(1, cores/parallel)
	trials := make([]Trial, len(draws))
	for i := range trials {
		trials[i] = Trial{Number: i + 1, Values: draws[i], Folds: make([]float64, len(folds))}
	}
	type job struct{ trial, fold int }
	jobs := make(chan job)
	var (
		mu       sync.Mutex
		firstErr error
		left     = make([]int, len(trials))
		finished int
		best     = -1
	)
	for i := range left {
		left[i] = len(folds)
	}
	start := time.Now()
	better := func(a, b float64) bool {
		if higherBetter[o.Metric] {
			return a > b
		}
		return a < b
	}
	var wg sync.WaitGroup
	for w := 0; w < min(parallel, len(trials)*len(folds)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				tr := &trials[j.trial]
				s, _ := setParams(spec, names, tr.Values, threads)
				s.Progress = nil
				t0 := time.Now()
				m, err := TrainTable(splits[j.fold].train, splits[j.fold].test, s)
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = fmt.Errorf("ml: trial %d fold %d: %w", tr.Number, j.fold+1, err)
					}
					mu.Unlock()
					continue
				}
				tr.Folds[j.fold] = m.ValidMetrics.Value(o.Metric)
				tr.Seconds += time.Since(t0).Seconds()
				left[j.trial]--
				if left[j.trial] == 0 {
					tr.Mean, tr.Std = meanAndStd(tr.Folds)
					finished++
					if best < 0 || better(tr.Mean, trials[best].Mean) {
						best = j.trial
					}
					report(o.Progress, Progress{Model: "search", Round: finished, Rounds: len(trials), Metric: o.Metric,
						Valid: trials[best].Mean, HasValid: true, BestRound: trials[best].Number, Elapsed: time.Since(start), Done: finished == len(trials)})
				}
				mu.Unlock()
			}
		}()
	}
	// Folds of one trial go out together, so trials finish in turn.
	for ti := range trials {
		for fi := range folds {
			mu.Lock()
			failed := firstErr != nil
			mu.Unlock()
			if failed {
				break
			}
			jobs <- job{ti, fi}
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	sort.SliceStable(trials, func(a, b int) bool { return better(trials[a].Mean, trials[b].Mean) })
	res := &SearchResult{Metric: o.Metric, Params: names, Trials: trials}
	res.Best, _ = setParams(spec, names, trials[0].Values, 0)
	return res, nil
}

func meanAndStd(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	mu := s / float64(len(v))
	for _, x := range v {
		ss += (x - mu) * (x - mu)
	}
	return mu, math.Sqrt(ss / float64(max(1, len(v)-1)))
}

// DisplayData renders the trials as a table, best first.
func (r *SearchResult) DisplayData() display.Data {
	header := append([]string{"rank", "trial"}, r.Params...)
	header = append(header, r.Metric+" mean", r.Metric+" std", "fit s")
	rows := make([][]string, len(r.Trials))
	caption := fmt.Sprintf("Search: %d trials ranked by mean %s over folds", len(r.Trials), r.Metric)
	var text strings.Builder
	fmt.Fprintln(&text, caption)
	for i, t := range r.Trials {
		row := []string{fmt.Sprint(i + 1), fmt.Sprint(t.Number)}
		for _, v := range t.Values {
			row = append(row, fmt.Sprintf("%.4g", v))
		}
		row = append(row, fmt.Sprintf("%.4f", t.Mean), fmt.Sprintf("%.4f", t.Std), fmt.Sprintf("%.1f", t.Seconds))
		rows[i] = row
		fmt.Fprintln(&text, strings.Join(row, "  "))
	}
	d := display.HTML(htmlTable(caption, header, rows))
	d.Bundle[display.MIMEText] = text.String()
	return d
}

func (r *SearchResult) String() string {
	if len(r.Trials) == 0 {
		return "search: no trials"
	}
	b := r.Trials[0]
	parts := make([]string, len(r.Params))
	for i, n := range r.Params {
		parts[i] = fmt.Sprintf("%s=%.4g", n, b.Values[i])
	}
	return fmt.Sprintf("search over %d trials: best %s %.4f ± %.4f with %s", len(r.Trials), r.Metric, b.Mean, b.Std, strings.Join(parts, " "))
}
