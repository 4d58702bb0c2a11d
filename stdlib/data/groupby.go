package data

import (
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Agg is one aggregation of a group-by: Count, Sum, Mean, Min, Max, Std,
// NUnique, Median or Quantile. Nulls are ignored by all but Count.
type Agg struct {
	op  string
	col string
	as  string
	q   float64
}

// Count counts the rows of each group.
func Count() Agg { return Agg{op: "count"} }

// Sum adds a numeric column; int64 sums stay int64.
func Sum(col string) Agg { return Agg{op: "sum", col: col} }

// Mean averages a numeric column.
func Mean(col string) Agg { return Agg{op: "mean", col: col} }

// Min takes the smallest value of a numeric or timestamp column.
func Min(col string) Agg { return Agg{op: "min", col: col} }

// Max takes the largest value of a numeric or timestamp column.
func Max(col string) Agg { return Agg{op: "max", col: col} }

// Std is the sample standard deviation (n-1) of a numeric column.
func Std(col string) Agg { return Agg{op: "std", col: col} }

// NUnique counts the distinct non-null values of a column.
func NUnique(col string) Agg { return Agg{op: "nunique", col: col} }

// Median is Quantile(col, 0.5).
func Median(col string) Agg { return Agg{op: "quantile", col: col, q: 0.5, as: col + "_median"} }

// Quantile is the q-th quantile (0–1) of a numeric column, interpolating
// linearly between order statistics.
func Quantile(col string, q float64) Agg { return Agg{op: "quantile", col: col, q: q} }

// As names the output column (default "<col>_<op>", or "count").
func (a Agg) As(name string) Agg { a.as = name; return a }

func (a Agg) name() string {
	switch {
	case a.as != "":
		return a.as
	case a.op == "count":
		return "count"
	case a.op == "quantile":
		return fmt.Sprintf("%s_q%g", a.col, a.q*100)
	}
	return a.col + "_" + a.op
}

// GroupBy is a frame grouped by key columns; Agg computes the result.
type GroupBy struct {
	f    *Frame
	keys []string
}

// GroupBy groups rows by the key columns. Null key values form a group.
func (f *Frame) GroupBy(keys ...string) *GroupBy { return &GroupBy{f: f, keys: keys} }

// Count is Agg(Count()).
func (g *GroupBy) Count() (*Frame, error) { return g.Agg(Count()) }

// Agg returns one row per group, sorted by the keys, with the key columns
// followed by one column per aggregation.
//
//	f.GroupBy("Contract").Agg(data.Count(), data.Mean("MonthlyCharges"))
func (g *GroupBy) Agg(aggs ...Agg) (*Frame, error) {
	f := g.f
	if err := f.live(); err != nil {
		return nil, err
	}
	cols := make([]int, len(aggs))
	for k, a := range aggs {
		if a.op == "count" {
			continue
		}
		i := f.schema.Index(a.col)
		if i < 0 {
			return nil, f.missing(a.col)
		}
		t := f.schema[i].Type
		if a.op != "nunique" && a.op != "nvalid" && !(t.Numeric() || (t == Timestamp && (a.op == "min" || a.op == "max"))) {
			return nil, fmt.Errorf("%s(%q): column is %s, not numeric", a.op, a.col, t)
		}
		if a.op == "quantile" && (a.q < 0 || a.q > 1 || math.IsNaN(a.q)) {
			return nil, fmt.Errorf("quantile of %q: q = %g is outside [0, 1]", a.col, a.q)
		}
		cols[k] = i
	}
	groups, ng, err := f.groupCodes(g.keys)
	if err != nil {
		return nil, err
	}
	first := firstRows(groups, ng)
	keyIdx, _ := f.indexes(g.keys)
	out := make([]arrow.Array, len(keyIdx)+len(aggs))
	names := make([]string, 0, len(out))
	names = append(names, g.keys...)
	for _, a := range aggs {
		names = append(names, a.name())
	}
	parallel(len(out), func(k int) {
		if k < len(keyIdx) {
			out[k] = take(f.mem, f.col(keyIdx[k]), first)
			return
		}
		a := aggs[k-len(keyIdx)]
		var arr arrow.Array
		if a.op != "count" {
			arr = f.col(cols[k-len(keyIdx)])
		}
		out[k] = aggregate(f, a, arr, groups, ng)
	})
	res, err := f.derive(names, out)
	if err != nil {
		return nil, err
	}
	if len(g.keys) == 0 {
		return res, nil
	}
	sorted, err := res.Sort(g.keys...)
	res.Release()
	return sorted, err
}

func aggregate(f *Frame, a Agg, arr arrow.Array, groups []int32, ng int) arrow.Array {
	mem := f.mem
	switch a.op {
	case "count":
		counts := make([]int64, ng)
		for _, g := range groups {
			counts[g]++
		}
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, counts, nil)
	case "nvalid":
		// Non-null values per group (a stream's mean divides by it).
		counts := make([]int64, ng)
		nulls := arr.NullN() > 0
		for i, g := range groups {
			if !nulls || arr.IsValid(i) {
				counts[g]++
			}
		}
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, counts, nil)
	case "nunique":
		codes, _, _ := codeKeys([]arrow.Array{arr})
		seen := make(map[int64]struct{})
		counts := make([]int64, ng)
		for i, c := range codes {
			if c < 0 {
				continue
			}
			key := int64(groups[i])<<32 | int64(c)
			if _, ok := seen[key]; !ok {
				seen[key] = struct{}{}
				counts[groups[i]]++
			}
		}
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, counts, nil)
	case "quantile":
		return quantiles(f, arr, groups, ng, a.q)
	}
	nulls := arr.NullN() > 0
	intOut := false
	var ints []int64
	if ia, ok := arr.(*array.Int64); ok && a.op != "mean" && a.op != "std" {
		intOut, ints = true, ia.Int64Values()
	}
	if ta, ok := arr.(*array.Timestamp); ok {
		intOut = true
		ints = make([]int64, ta.Len())
		for i, v := range ta.TimestampValues() {
			ints[i] = int64(v)
		}
	}
	n := make([]int64, ng)
	if intOut {
		acc := make([]int64, ng)
		for i, g := range groups {
			if nulls && arr.IsNull(i) {
				continue
			}
			x := ints[i]
			switch {
			case n[g] == 0 && a.op != "sum":
				acc[g] = x
			case a.op == "sum":
				acc[g] += x
			case a.op == "min":
				acc[g] = min(acc[g], x)
			case a.op == "max":
				acc[g] = max(acc[g], x)
			}
			n[g]++
		}
		valid := make([]bool, ng)
		for g := range valid {
			valid[g] = n[g] > 0 || a.op == "sum"
		}
		dt := arrow.DataType(arrow.PrimitiveTypes.Int64)
		if arr.DataType().ID() == arrow.TIMESTAMP {
			dt = tsType
		}
		return fixedArray(mem, dt, acc, valid)
	}
	if fa, ok := arr.(*array.Float64); ok && !nulls && (a.op == "sum" || a.op == "mean") {
		return sumFloats(mem, fa.Float64Values(), groups, ng, a.op == "mean")
	}
	vals := colVec(arr)
	acc := make([]float64, ng)
	sq := make([]float64, ng)
	for i, g := range groups {
		if nulls && arr.IsNull(i) {
			continue
		}
		x := vals.float(i)
		switch a.op {
		case "sum", "mean":
			acc[g] += x
		case "std":
			// Welford's update keeps the variance stable for large values.
			n[g]++
			d := x - acc[g]
			acc[g] += d / float64(n[g])
			sq[g] += d * (x - acc[g])
			continue
		case "min":
			if n[g] == 0 || x < acc[g] {
				acc[g] = x
			}
		case "max":
			if n[g] == 0 || x > acc[g] {
				acc[g] = x
			}
		}
		n[g]++
	}
	valid := make([]bool, ng)
	for g := range acc {
		valid[g] = n[g] > 0
		switch a.op {
		case "mean":
			if n[g] > 0 {
				acc[g] /= float64(n[g])
			}
		case "std":
			valid[g] = n[g] > 1
			if n[g] > 1 {
				acc[g] = math.Sqrt(sq[g] / float64(n[g]-1))
			}
		case "sum":
			valid[g] = true
		}
	}
	return fixedArray(mem, arrow.PrimitiveTypes.Float64, acc, valid)
}

// sumFloats sums (or averages) a float column without nulls by group.
func sumFloats(mem memory.Allocator, xs []float64, groups []int32, ng int, mean bool) arrow.Array {
	acc := make([]float64, ng)
	xs = xs[:len(groups)]
	for i, g := range groups {
		acc[g] += xs[i]
	}
	if mean {
		n := make([]int64, ng)
		for _, g := range groups {
			n[g]++
		}
		for g := range acc {
			acc[g] /= float64(n[g]) // every group has a row
		}
	}
	return fixedArray(mem, arrow.PrimitiveTypes.Float64, acc, nil)
}

func quantiles(f *Frame, arr arrow.Array, groups []int32, ng int, q float64) arrow.Array {
	vals := colVec(arr)
	// Bucket values by group (counting sort), then sort each bucket.
	start := make([]int, ng+1)
	for i, g := range groups {
		if vals.ok(i) {
			start[g+1]++
		}
	}
	for g := 0; g < ng; g++ {
		start[g+1] += start[g]
	}
	pos := append([]int(nil), start[:ng]...)
	buf := make([]float64, start[ng])
	for i, g := range groups {
		if vals.ok(i) {
			buf[pos[g]] = vals.float(i)
			pos[g]++
		}
	}
	out := make([]float64, ng)
	valid := make([]bool, ng)
	for g := 0; g < ng; g++ {
		s := buf[start[g]:start[g+1]]
		if len(s) == 0 {
			continue
		}
		sort.Float64s(s)
		out[g], valid[g] = quantileSorted(s, q), true
	}
	return fixedArray(f.mem, arrow.PrimitiveTypes.Float64, out, valid)
}

func quantileSorted(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(s)-1)
	return s[lo] + (h-float64(lo))*(s[hi]-s[lo])
}
