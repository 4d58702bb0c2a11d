package ml_test

import (
	"fmt"
	"math"

	"github.com/galley-dev/galley/stdlib/data"
	"github.com/galley-dev/galley/stdlib/ml"
)

func Example() {
	// A tiny table: churn is likelier on the basic plan and for short tenure.
	plan := []string{"basic", "pro", "basic", "pro", "basic", "pro", "basic", "pro", "basic", "basic", "pro", "pro"}
	tenure := []int64{1, 40, 3, 30, 2, 50, 20, 5, 4, 30, 45, 2}
	churn := []string{"Yes", "No", "Yes", "No", "Yes", "No", "No", "Yes", "Yes", "No", "No", "No"}
	f, err := data.New(data.Strings("plan", plan), data.Int64s("tenure", tenure), data.Strings("churn", churn))
	if err != nil {
		panic(err)
	}
	m, err := ml.Train(f, nil, ml.Spec{Label: "churn", Logistic: &ml.LogisticParams{C: 10}})
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Features())
	ev, err := m.Evaluate(f)
	if err != nil {
		panic(err)
	}
	fmt.Printf("positive class %q, training AUC %.3f\n", m.Positive, ev.AUC())
	// Output:
	// [plan=basic plan=pro tenure]
	// positive class "Yes", training AUC 0.971
}

func ExampleAUC() {
	y := []float64{0, 0, 1, 1}
	p := []float64{0.1, 0.4, 0.35, 0.8}
	fmt.Printf("AUC %.2f, average precision %.3f, log loss %.3f\n", ml.AUC(y, p), ml.AUCPR(y, p), ml.LogLoss(y, p))
	// Output: AUC 0.75, average precision 0.833, log loss 0.472
}

func ExampleModel_Explain() {
	plan := []string{"basic", "pro", "basic", "pro", "basic", "pro", "basic", "pro", "basic", "basic", "pro", "pro"}
	tenure := []int64{1, 40, 3, 30, 2, 50, 20, 5, 4, 30, 45, 2}
	churn := []string{"Yes", "No", "Yes", "No", "Yes", "No", "No", "Yes", "Yes", "No", "No", "No"}
	f, err := data.New(data.Strings("plan", plan), data.Int64s("tenure", tenure), data.Strings("churn", churn))
	if err != nil {
		panic(err)
	}
	m, err := ml.Train(f, nil, ml.Spec{Label: "churn", Logistic: &ml.LogisticParams{C: 10}})
	if err != nil {
		panic(err)
	}
	// The two drivers of the first customer's score: a basic plan and a
	// one-month tenure both raise it. Base plus contributions is the
	// customer's log-odds of churning.
	why, err := m.Explain(f.Head(1), 2)
	if err != nil {
		panic(err)
	}
	r := why.Rows[0]
	sum := why.Base
	for _, d := range r.Drivers {
		fmt.Printf("%s = %s raises the log-odds: %v\n", d.Feature, d.Value, d.Contribution > 0)
		sum += d.Contribution
	}
	fmt.Printf("adds up: %v\n", math.Abs(sum+r.Other-r.Margin) < 1e-9)
	// Output:
	// tenure = 1 raises the log-odds: true
	// plan = basic raises the log-odds: true
	// adds up: true
}

func ExampleMulticlassMetrics() {
	// Three classes; each row's probabilities of classes 0, 1 and 2.
	y := []float64{0, 1, 2, 2}
	p := []float64{
		0.7, 0.2, 0.1,
		0.1, 0.6, 0.3,
		0.2, 0.2, 0.6,
		0.5, 0.3, 0.2,
	}
	fmt.Println(ml.MulticlassMetrics(y, p, 3))
	c := ml.ConfusionMatrix(y, p, 3, []string{"low", "mid", "high"})
	fmt.Println(c.Counts, c.Recall(2))
	// Output:
	// multi_logloss=0.7469  accuracy=0.7500  macro_f1=0.7778  weighted_f1=0.7500  macro_auc=0.9167  rows=4.0000
	// [[1 0 0] [0 1 0] [1 0 1]] 0.5
}

func ExampleModel_PredictProba() {
	// Size picks the tier: small under 10, medium under 20, large above.
	var size []float64
	var tier []string
	for i := 0; i < 60; i++ {
		s := float64(i % 30)
		size = append(size, s)
		tier = append(tier, []string{"small", "medium", "large"}[int(s)/10])
	}
	f, err := data.New(data.Float64s("size", size), data.Strings("tier", tier))
	if err != nil {
		panic(err)
	}
	m, err := ml.Train(f, nil, ml.Spec{Label: "tier", GBM: &ml.GBMParams{Objective: ml.ObjectiveMulticlass, Trees: 20, MinDataInLeaf: 5}})
	if err != nil {
		panic(err)
	}
	q, err := data.New(data.Float64s("size", []float64{3, 15, 27}))
	if err != nil {
		panic(err)
	}
	p, err := m.PredictProba(q)
	if err != nil {
		panic(err)
	}
	fmt.Println(m.Classes)
	for i := 0; i < p.Rows; i++ {
		fmt.Printf("size %v: %s (%.3f)\n", []float64{3, 15, 27}[i], p.Class(i), p.Row(i)[p.Predicted(i)])
	}
	// Output:
	// [large medium small]
	// size 3: small (0.945)
	// size 15: medium (0.945)
	// size 27: large (0.945)
}
