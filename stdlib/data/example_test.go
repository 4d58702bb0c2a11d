package data_test

import (
	"fmt"

	"github.com/galley-dev/galley/stdlib/data"
)

func ExampleFrame_GroupBy() {
	f, _ := data.New(
		data.Strings("plan", []string{"basic", "pro", "basic", "pro", "basic"}),
		data.Float64s("monthly", []float64{20, 55, 22, 60, 18}),
	)
	defer f.Release()
	g, _ := f.GroupBy("plan").Agg(data.Count(), data.Mean("monthly"))
	defer g.Release()
	fmt.Println(g)
	// Output:
	// Frame 2 rows × 3 columns
	// plan    count  monthly_mean
	// string  int64  float64
	// basic   3      20
	// pro     2      57.5
}

func ExampleFrame_Filter() {
	f, _ := data.New(
		data.Ints("tenure", []int{3, 30, 14, 50}),
		data.Strings("contract", []string{"Month-to-month", "Two year", "Month-to-month", "One year"}),
	)
	defer f.Release()
	g, err := f.Filter(data.Col("tenure").Gt(12).And(data.Col("contract").Eq("Month-to-month")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Release()
	fmt.Println(g.NumRows())
	_, err = f.Filter(data.Col("tenur").Gt(12))
	fmt.Println(err)
	// Output:
	// 1
	// filter: no column "tenur" (columns: [tenure contract])
}
