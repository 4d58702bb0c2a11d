package data

import (
	"fmt"
	"reflect"
	"testing"
)

func people(t testing.TB) *Frame {
	t.Helper()
	f, err := NewWith(checked(t),
		Strings("name", []string{"ann", "bob", "cid", "dee", "eve", "fay"}),
		Strings("team", []string{"red", "blue", "red", "blue", "red", "green"}),
		Ints("age", []int{31, 45, 27, 38, 52, 0}).WithValid([]bool{true, true, true, true, true, false}),
		Float64s("score", []float64{1.5, 2.5, 3.5, 4.5, 5.5, 6.5}),
	)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Release)
	return f
}

func strs(t testing.TB, f *Frame, col string) []string {
	t.Helper()
	c, err := f.Column(col)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, c.Len())
	for i := range out {
		out[i] = formatValue(c.Value(i))
	}
	return out
}

func TestFilter(t *testing.T) {
	f := people(t)
	tests := []struct {
		cond *Expr
		want []string
	}{
		{Col("age").Gt(35), []string{"bob", "dee", "eve"}},
		{Col("age").Gt(30).And(Col("team").Eq("red")), []string{"ann", "eve"}},
		{Col("team").Eq("green").Or(Col("age").Lt(30)), []string{"cid", "fay"}},
		{Col("age").IsNull(), []string{"fay"}},
		{Col("team").In("blue", "green"), []string{"bob", "dee", "fay"}},
		{Col("name").HasPrefix("e").Or(Col("name").Contains("i")), []string{"cid", "eve"}},
		{Col("team").Eq("red").Not(), []string{"bob", "dee", "fay"}},
		{Col("score").Mul(2).Ge(Col("age").Div(5)), []string{"cid", "dee", "eve"}},
		{Col("age").Between(30, 40), []string{"ann", "dee"}},
	}
	for _, tt := range tests {
		t.Run(tt.cond.String(), func(t *testing.T) {
			g, err := f.Filter(tt.cond)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Release()
			if got := strs(t, g, "name"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	for _, bad := range []*Expr{Col("nope").Gt(1), Col("team").Gt(3), Col("age").Add(1), Col("age").Contains("x")} {
		if g, err := f.Filter(bad); err == nil {
			g.Release()
			t.Errorf("%s: want error", bad)
		}
	}
}

func TestWith(t *testing.T) {
	f := people(t)
	tests := []struct {
		e    *Expr
		want []string
	}{
		{Col("age").Add(1), []string{"32", "46", "28", "39", "53", "null"}},
		{Col("score").Mul(Col("age")).Round(), []string{"47", "113", "95", "171", "286", "null"}},
		{Col("age").FillNull(0), []string{"31", "45", "27", "38", "52", "0"}},
		{Col("age").Cast(String), []string{"31", "45", "27", "38", "52", "null"}},
		{Col("age").Bucket(30, 40), []string{"[30, 40)", ">=40", "<30", "[30, 40)", ">=40", "null"}},
		{When(Col("age").Lt(30), "young").When(Col("age").Lt(40), "mid").Otherwise("senior"),
			[]string{"mid", "senior", "young", "mid", "senior", "senior"}},
		{Col("team").Upper(), []string{"RED", "BLUE", "RED", "BLUE", "RED", "GREEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.e.String(), func(t *testing.T) {
			g, err := f.With("out", tt.e)
			if err != nil {
				t.Fatal(err)
			}
			defer g.Release()
			if got := strs(t, g, "out"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSortSampleSplit(t *testing.T) {
	f := people(t)
	s, err := f.Sort("team", "-score")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if got := strs(t, s, "name"); !reflect.DeepEqual(got, []string{"dee", "bob", "fay", "eve", "cid", "ann"}) {
		t.Errorf("sort: %v", got)
	}
	a, _ := f.Sample(3, 7)
	b, _ := f.Sample(3, 7)
	defer a.Release()
	defer b.Release()
	if !reflect.DeepEqual(strs(t, a, "name"), strs(t, b, "name")) || a.NumRows() != 3 {
		t.Errorf("sample not reproducible")
	}
	tr, te, err := f.StratifiedSplit("team", 0.34, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Release()
	defer te.Release()
	if tr.NumRows()+te.NumRows() != 6 || te.NumRows() != 2 {
		t.Errorf("split %d/%d", tr.NumRows(), te.NumRows())
	}
}

func TestGroupBy(t *testing.T) {
	f := people(t)
	g, err := f.GroupBy("team").Agg(Count(), Mean("age"), Sum("score"), Min("age"), Max("score"), Std("score"), NUnique("name"), Median("score"))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	got := fmt.Sprint(strs(t, g, "team"), strs(t, g, "count"), strs(t, g, "age_mean"), strs(t, g, "score_sum"),
		strs(t, g, "age_min"), strs(t, g, "score_std"), strs(t, g, "name_nunique"), strs(t, g, "score_median"))
	want := "[blue green red] [2 1 3] [41.5 null 36.6667] [7 6.5 10.5] [38 null 27] [1.41421 null 2] [2 1 3] [3.5 6.5 3.5]"
	if got != want {
		t.Errorf("\ngot  %s\nwant %s", got, want)
	}
	if _, err := f.GroupBy("team").Agg(Mean("name")); err == nil {
		t.Error("mean of strings: want error")
	}
	vc, err := f.ValueCounts("team")
	if err != nil {
		t.Fatal(err)
	}
	defer vc.Release()
	if got := strs(t, vc, "team"); got[0] != "red" {
		t.Errorf("value counts %v", got)
	}
	u, _ := f.Unique("team")
	defer u.Release()
	if u.NumRows() != 3 {
		t.Errorf("unique rows %d", u.NumRows())
	}
}

func TestJoin(t *testing.T) {
	f := people(t)
	teams, err := NewWith(f.Allocator(),
		Strings("team", []string{"red", "blue", "red"}),
		Strings("name", []string{"Reds", "Blues", "Crimson"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer teams.Release()
	in, err := f.InnerJoin(teams, "team")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Release()
	if in.NumRows() != 8 || !in.Has("name_right") {
		t.Errorf("inner join: %d rows, %v", in.NumRows(), in.Names())
	}
	left, err := f.LeftJoin(teams, "team")
	if err != nil {
		t.Fatal(err)
	}
	defer left.Release()
	got := strs(t, left, "name_right")
	if left.NumRows() != 9 || got[len(got)-1] != "null" {
		t.Errorf("left join: %v", got)
	}
	if _, err := f.InnerJoin(teams, "age"); err == nil {
		t.Error("missing key: want error")
	}
}

func TestConcat(t *testing.T) {
	f := people(t)
	a, b := f.Head(2), f.Tail(4)
	defer a.Release()
	defer b.Release()
	c, err := Concat(a, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Release()
	if !reflect.DeepEqual(strs(t, c, "age"), strs(t, f, "age")) {
		t.Errorf("concat: %v", strs(t, c, "age"))
	}
}

// TestFilterGathersColumnsOnUse holds a filter's lazily gathered columns
// to those of Take on the same rows, through every way a column is read,
// and checks that releasing with columns never gathered leaks nothing
// (people's allocator is checked at cleanup).
func TestFilterGathersColumnsOnUse(t *testing.T) {
	f := people(t)
	cond := Col("age").Gt(30)
	eager, err := f.Take([]int{0, 1, 3, 4})
	if err != nil {
		t.Fatal(err)
	}
	defer eager.Release()
	uses := map[string]func(t *testing.T, g *Frame) string{
		"column": func(t *testing.T, g *Frame) string { return fmt.Sprint(strs(t, g, "score")) },
		"select": func(t *testing.T, g *Frame) string {
			s, err := g.Select("team", "name")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			return s.String()
		},
		"group-by": func(t *testing.T, g *Frame) string {
			s, err := g.GroupBy("team").Agg(Count(), Mean("score"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			return s.String()
		},
		"filter again": func(t *testing.T, g *Frame) string {
			s, err := g.Filter(Col("team").Eq("red"))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			return s.String()
		},
		"concat": func(t *testing.T, g *Frame) string {
			s, err := Concat(g, g)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Release()
			return s.String()
		},
		"record": func(t *testing.T, g *Frame) string {
			rec := g.Record()
			defer rec.Release()
			return fmt.Sprint(rec.NumRows(), rec.Schema())
		},
		"string":  func(t *testing.T, g *Frame) string { return g.String() },
		"nothing": func(t *testing.T, g *Frame) string { return fmt.Sprint(g.Shape()) },
	}
	for name, use := range uses {
		t.Run(name, func(t *testing.T) {
			g, err := f.Filter(cond)
			if err != nil {
				t.Fatal(err)
			}
			got := use(t, g)
			g.Release()
			if want := use(t, eager); got != want {
				t.Fatalf("after filter: %s\nafter take:   %s", got, want)
			}
			if _, err := g.Column("name"); err != ErrReleased {
				t.Fatalf("released filter result: %v", err)
			}
		})
	}
	// Concurrent first uses of one column gather it once.
	g, err := f.Filter(cond)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Release()
	done := make(chan string)
	for range 4 {
		go func() { done <- fmt.Sprint(g.ColumnAt(3).Value(2)) }()
	}
	for range 4 {
		if v := <-done; v != "4.5" {
			t.Fatalf("score of the third kept row: %s", v)
		}
	}
}
