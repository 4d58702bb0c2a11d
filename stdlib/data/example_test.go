package data_test

import (
	"fmt"
	"os"
	"path/filepath"

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

func ExampleStream() {
	dir, _ := os.MkdirTemp("", "stream")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "orders.csv")
	os.WriteFile(path, []byte("plan,monthly\nbasic,20\npro,55\nbasic,22\npro,60\nbasic,18\n"), 0o644)

	// Two rows at a time: memory holds a chunk and one row per group.
	s, err := data.ScanCSV(path, data.CSVOptions{ChunkRows: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	g, err := s.Filter(data.Col("monthly").Gt(19)).GroupBy("plan").Agg(data.Count(), data.Mean("monthly"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Release()
	fmt.Println(g)
	// Output:
	// Frame 2 rows × 3 columns
	// plan    count  monthly_mean
	// string  int64  float64
	// basic   2      21
	// pro     2      57.5
}
