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
