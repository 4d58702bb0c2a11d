package data

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// Property tests: joins, group-bys and Parquet round trips of random frames
// agree with plain reference implementations written for clarity, over
// key types, null rates, cardinalities and frame sizes that take every
// path of the engine (int tables, dense ranges, dictionary codes, plain
// strings, several keys, sliced row groups).

// randFrame builds a frame of n rows: an int key "k" (narrow or wide
// range), a string key "s" (dictionary or plain), a timestamp "t", a
// float "x", an int "v" and a bool "b", each with nulls at rate nullRate.
func randFrame(t testing.TB, r *rand.Rand, n int, nullRate float64, wide bool, card int) *Frame {
	t.Helper()
	valid := func() []bool {
		v := make([]bool, n)
		for i := range v {
			v[i] = r.Float64() >= nullRate
		}
		return v
	}
	ks := make([]int64, n)
	ss := make([]string, n)
	ts := make([]time.Time, n)
	xs := make([]float64, n)
	vs := make([]int64, n)
	bs := make([]bool, n)
	for i := 0; i < n; i++ {
		ks[i] = int64(r.IntN(card))
		if wide {
			ks[i] = ks[i]*1_000_003 - 1<<40
		}
		ss[i] = fmt.Sprintf("s%d", r.IntN(card))
		ts[i] = time.Unix(int64(r.IntN(card))*3600, 0).UTC()
		xs[i] = math.Round(r.NormFloat64()*1000) / 8
		vs[i] = int64(r.IntN(1000)) - 500
		bs[i] = r.IntN(2) == 0
	}
	f, err := NewWith(checked(t),
		Int64s("k", ks).WithValid(valid()),
		Strings("s", ss).WithValid(valid()),
		Times("t", ts).WithValid(valid()),
		Float64s("x", xs).WithValid(valid()),
		Int64s("v", vs).WithValid(valid()),
		Bools("b", bs).WithValid(valid()),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Release)
	return f
}

// rowsOf renders every row of f as its cells' text, nulls as "null".
func rowsOf(t testing.TB, f *Frame, cols []string) [][]string {
	t.Helper()
	out := make([][]string, f.NumRows())
	for i := range out {
		out[i] = make([]string, len(cols))
	}
	for j, name := range cols {
		c, err := f.Column(name)
		if err != nil {
			t.Fatal(err)
		}
		for i := range out {
			out[i][j] = formatValue(c.Value(i))
		}
	}
	return out
}

func keyOf(row []string, idx []int) (string, bool) {
	parts := make([]string, len(idx))
	for k, i := range idx {
		if row[i] == "null" {
			return "", false
		}
		parts[k] = row[i]
	}
	return strings.Join(parts, "\x00"), true
}

// refJoin is the nested-loop join: each left row in order, its matches in
// right-row order, null keys matching nothing.
func refJoin(t testing.TB, l, r *Frame, on []string, left bool) [][]string {
	t.Helper()
	lrows, rrows := rowsOf(t, l, l.Names()), rowsOf(t, r, r.Names())
	li, ri := make([]int, len(on)), make([]int, len(on))
	for k, name := range on {
		li[k], ri[k] = l.schema.Index(name), r.schema.Index(name)
	}
	isKey := map[string]bool{}
	for _, k := range on {
		isKey[k] = true
	}
	var rkeep []int
	for j, fl := range r.schema {
		if !isKey[fl.Name] {
			rkeep = append(rkeep, j)
		}
	}
	var out [][]string
	for _, lr := range lrows {
		lk, lok := keyOf(lr, li)
		matched := false
		for _, rr := range rrows {
			if rk, rok := keyOf(rr, ri); lok && rok && rk == lk {
				row := append([]string(nil), lr...)
				for _, j := range rkeep {
					row = append(row, rr[j])
				}
				out = append(out, row)
				matched = true
			}
		}
		if left && !matched {
			row := append([]string(nil), lr...)
			for range rkeep {
				row = append(row, "null")
			}
			out = append(out, row)
		}
	}
	return out
}

func TestJoinMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	keysets := [][]string{{"k"}, {"s"}, {"t"}, {"k", "s"}, {"s", "b"}, {"x"}}
	for iter := 0; iter < 120; iter++ {
		nl, nr := r.IntN(200), r.IntN(120)
		if iter%20 == 0 {
			nl = 70_000 + r.IntN(1000) // more than one probe range
		}
		nullRate := []float64{0, 0, 0.1, 0.4}[r.IntN(4)]
		wide := r.IntN(2) == 0
		card := 1 + r.IntN(60)
		lf := randFrame(t, r, nl, nullRate, wide, card)
		rf := randFrame(t, r, nr, nullRate, wide, card)
		on := keysets[r.IntN(len(keysets))]
		left := r.IntN(2) == 0
		if iter%3 == 0 {
			// Both sides sorted by the int key: without nulls, a merge.
			lf, rf = sortFrame(t, lf, "k"), sortFrame(t, rf, "k")
			on = []string{"k"}
		}
		if nl > 10_000 {
			// Keep the reference's nested loop cheap: few right rows.
			rf = rf.Head(5)
			t.Cleanup(rf.Release)
		}
		var got *Frame
		var err error
		if left {
			got, err = lf.LeftJoin(rf, on...)
		} else {
			got, err = lf.InnerJoin(rf, on...)
		}
		if err != nil {
			t.Fatalf("iter %d: join on %v: %v", iter, on, err)
		}
		want := refJoin(t, lf, rf, on, left)
		have := rowsOf(t, got, got.Names())
		got.Release()
		if len(have) != len(want) {
			t.Fatalf("iter %d (on %v, left %v, %d x %d rows): %d rows, reference has %d", iter, on, left, nl, nr, len(have), len(want))
		}
		for i := range want {
			if strings.Join(have[i], "|") != strings.Join(want[i], "|") {
				t.Fatalf("iter %d (on %v, left %v): row %d is %v, reference %v", iter, on, left, i, have[i], want[i])
			}
		}
	}
}

// sortFrame returns f sorted by key, released when the test ends.
func sortFrame(t testing.TB, f *Frame, key string) *Frame {
	t.Helper()
	s, err := f.Sort(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Release)
	return s
}

// refGroupBy aggregates with a map from key text to the group's values.
func refGroupBy(t testing.TB, f *Frame, keys []string) map[string][]string {
	t.Helper()
	names := f.Names()
	rows := rowsOf(t, f, names)
	idx := make([]int, len(keys))
	for k, name := range keys {
		idx[k] = f.schema.Index(name)
	}
	xi, vi := f.schema.Index("x"), f.schema.Index("v")
	type acc struct {
		n, nx, nv int
		sx        float64
		sv, mn    int64
		xs        []float64
	}
	groups := map[string]*acc{}
	for _, row := range rows {
		parts := make([]string, len(idx))
		for k, i := range idx {
			parts[k] = row[i]
		}
		key := strings.Join(parts, "\x00")
		a := groups[key]
		if a == nil {
			a = &acc{}
			groups[key] = a
		}
		a.n++
		if row[xi] != "null" {
			var x float64
			fmt.Sscan(row[xi], &x)
			a.nx++
			a.sx += x
			a.xs = append(a.xs, x)
		}
		if row[vi] != "null" {
			var v int64
			fmt.Sscan(row[vi], &v)
			if a.nv == 0 || v < a.mn {
				a.mn = v
			}
			a.nv++
			a.sv += v
		}
	}
	out := map[string][]string{}
	for key, a := range groups {
		mean, med, mn := "null", "null", "null"
		if a.nx > 0 {
			mean = fmt.Sprintf("%.6g", a.sx/float64(a.nx))
			sort.Float64s(a.xs)
			med = fmt.Sprintf("%.6g", quantileSorted(a.xs, 0.5))
		}
		if a.nv > 0 {
			mn = fmt.Sprint(a.mn)
		}
		out[key] = []string{fmt.Sprint(a.n), mean, fmt.Sprint(a.sv), mn, med}
	}
	return out
}

func TestGroupByMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	keysets := [][]string{{"k"}, {"s"}, {"t"}, {"b"}, {"s", "k"}, {"s", "b"}, {"x"}}
	for iter := 0; iter < 150; iter++ {
		n := r.IntN(400)
		nullRate := []float64{0, 0, 0.1, 0.5}[r.IntN(4)]
		f := randFrame(t, r, n, nullRate, r.IntN(2) == 0, 1+r.IntN(40))
		if iter%3 == 0 {
			// A filtered frame keeps its whole dictionary, so some codes
			// go unused.
			g, err := f.Filter(Col("v").Gt(0))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(g.Release)
			f = g
		}
		keys := keysets[r.IntN(len(keysets))]
		res, err := f.GroupBy(keys...).Agg(Count(), Mean("x"), Sum("v"), Min("v"), Median("x"))
		if err != nil {
			t.Fatal(err)
		}
		want := refGroupBy(t, f, keys)
		cols := append(append([]string(nil), keys...), "count", "x_mean", "v_sum", "v_min", "x_median")
		have := rowsOf(t, res, cols)
		res.Release()
		if len(have) != len(want) {
			t.Fatalf("iter %d (keys %v): %d groups, reference has %d", iter, keys, len(have), len(want))
		}
		for _, row := range have {
			key := strings.Join(row[:len(keys)], "\x00")
			w, ok := want[key]
			if !ok {
				t.Fatalf("iter %d (keys %v): group %q is not in the reference", iter, keys, key)
			}
			got := row[len(keys):]
			for k := range w {
				g := got[k]
				if k == 1 || k == 4 {
					if g != "null" {
						var x float64
						fmt.Sscan(g, &x)
						g = fmt.Sprintf("%.6g", x)
					}
				}
				if g != w[k] {
					t.Fatalf("iter %d (keys %v): group %q: %s = %s, reference %s", iter, keys, key, cols[len(keys)+k], g, w[k])
				}
			}
		}
	}
}

// TestParquetRoundTripRandom writes random frames (dictionary columns with
// nulls and unused levels, several row groups, sliced frames) and reads
// them back unchanged.
func TestParquetRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 30; iter++ {
		n := r.IntN(3000)
		f := randFrame(t, r, n, []float64{0, 0.2}[r.IntN(2)], false, 1+r.IntN(200))
		if iter%2 == 1 {
			g, err := f.Filter(Col("v").Gt(-200))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(g.Release)
			f = g
		}
		var buf bytes.Buffer
		w := NewParquetWriter(&buf, ParquetOptions{RowGroupRows: 1 + r.IntN(1200), Compression: []string{"snappy", "zstd", "none"}[r.IntN(3)]})
		lo := r.IntN(max(1, f.NumRows()))
		for _, part := range []*Frame{f.Slice(0, lo), f.Slice(lo, f.NumRows())} {
			if err := w.Write(part); err != nil {
				t.Fatal(err)
			}
			part.Release()
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		path := t.TempDir() + "/r.parquet"
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		g, err := ReadParquet(path)
		if err != nil {
			t.Fatal(err)
		}
		want, have := rowsOf(t, f, f.Names()), rowsOf(t, g, f.Names())
		g.Release()
		if len(have) != len(want) {
			t.Fatalf("iter %d: %d rows back, wrote %d", iter, len(have), len(want))
		}
		for i := range want {
			if strings.Join(have[i], "|") != strings.Join(want[i], "|") {
				t.Fatalf("iter %d: row %d reads back as %v, wrote %v", iter, i, have[i], want[i])
			}
		}
	}
}
