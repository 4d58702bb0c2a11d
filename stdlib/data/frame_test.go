package data

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v15/arrow/memory"
)

func checked(t testing.TB) *memory.CheckedAllocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func sampleFrame(t testing.TB, mem memory.Allocator) *Frame {
	t.Helper()
	f, err := NewWith(mem,
		Strings("name", []string{"a", "b", "c", "d"}),
		Float64s("x", []float64{1.5, 2, 0, 4}).WithValid([]bool{true, true, false, true}),
		Ints("n", []int{10, 20, 30, 40}),
		Bools("ok", []bool{true, false, true, false}),
		Times("at", []time.Time{time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), {}, time.Date(2024, 3, 4, 5, 6, 7, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestNewAndAccess(t *testing.T) {
	mem := checked(t)
	f := sampleFrame(t, mem)
	defer f.Release()

	if r, c := f.Shape(); r != 4 || c != 5 {
		t.Fatalf("shape = %d×%d", r, c)
	}
	want := "name: string, x: float64, n: int64, ok: bool, at: timestamp"
	if got := f.Schema().String(); got != want {
		t.Errorf("schema = %q, want %q", got, want)
	}
	x, err := f.Column("x")
	if err != nil {
		t.Fatal(err)
	}
	xs, err := x.Float64s()
	if err != nil || xs[0] != 1.5 || xs[3] != 4 {
		t.Errorf("Float64s = %v, %v", xs, err)
	}
	if x.NullCount() != 1 || !x.IsNull(2) || x.Valid()[2] {
		t.Errorf("null bookkeeping wrong: %v", x.Valid())
	}
	fs, _ := x.ToFloat64s()
	if !math.IsNaN(fs[2]) {
		t.Errorf("ToFloat64s null = %v, want NaN", fs[2])
	}
	if _, err := x.Strings(); err == nil || !strings.Contains(err.Error(), `"x"`) {
		t.Errorf("type mismatch error = %v", err)
	}
	if _, err := f.Column("nope"); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("missing column error = %v", err)
	}
	at, _ := f.Column("at")
	if at.Value(1) != nil || at.Value(2).(time.Time).Hour() != 5 {
		t.Errorf("timestamps = %v %v", at.Value(1), at.Value(2))
	}
	n, _ := f.Column("n")
	if v, _ := n.Int64s(); v[3] != 40 {
		t.Errorf("Int64s = %v", v)
	}
}

func TestDictionaryStrings(t *testing.T) {
	mem := checked(t)
	vals := make([]string, 100)
	for i := range vals {
		vals[i] = []string{"Yes", "No"}[i%2]
	}
	f, err := NewWith(mem, Strings("churn", vals))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if !f.Schema()[0].Dict {
		t.Fatalf("repetitive strings not dictionary-encoded")
	}
	c, _ := f.Column("churn")
	codes, levels, _ := c.Codes()
	if len(levels) != 2 || levels[codes[1]] != "No" {
		t.Errorf("codes %v levels %v", codes[:4], levels)
	}
	s, _ := c.Strings()
	if s[2] != "Yes" {
		t.Errorf("strings = %v", s[:4])
	}
}

func TestSelectDropRenameSlice(t *testing.T) {
	mem := checked(t)
	f := sampleFrame(t, mem)
	defer f.Release()
	s, err := f.Select("n", "name")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	if got := strings.Join(s.Names(), ","); got != "n,name" {
		t.Errorf("select names = %s", got)
	}
	d, err := f.Drop("x", "at")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Release()
	if d.NumCols() != 3 {
		t.Errorf("drop left %v", d.Names())
	}
	r, err := f.Rename("x", "y")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Release()
	if !r.Has("y") || r.Has("x") {
		t.Errorf("rename: %v", r.Names())
	}
	h := f.Head(2)
	defer h.Release()
	tl := f.Tail(1)
	defer tl.Release()
	if h.NumRows() != 2 || tl.NumRows() != 1 {
		t.Errorf("head/tail rows %d %d", h.NumRows(), tl.NumRows())
	}
	c, _ := tl.Column("name")
	if c.Value(0) != "d" {
		t.Errorf("tail value %v", c.Value(0))
	}
	for _, bad := range []func() error{
		func() error { _, err := f.Select("zz"); return err },
		func() error { _, err := f.Drop("zz"); return err },
		func() error { _, err := f.Rename("zz", "a"); return err },
		func() error { _, err := f.Rename("x"); return err },
		func() error { _, err := f.Rename("x", "n"); return err },
	} {
		if bad() == nil {
			t.Errorf("expected an error")
		}
	}
}

func TestNewErrors(t *testing.T) {
	mem := checked(t)
	tests := []struct {
		name string
		cols []Series
	}{
		{"length mismatch", []Series{Ints("a", []int{1}), Ints("b", []int{1, 2})}},
		{"duplicate", []Series{Ints("a", []int{1}), Ints("a", []int{2})}},
		{"validity length", []Series{Ints("a", []int{1}).WithValid([]bool{true, false})}},
		{"no name", []Series{Ints("", []int{1})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if f, err := NewWith(mem, tt.cols...); err == nil {
				f.Release()
				t.Fatal("want error")
			}
		})
	}
}

func TestRetainRelease(t *testing.T) {
	mem := checked(t)
	f := sampleFrame(t, mem)
	f.Retain()
	f.Release()
	if _, err := f.Column("x"); err != nil {
		t.Fatal(err)
	}
	f.Release()
	if _, err := f.Select("x"); err != ErrReleased {
		t.Errorf("after release: %v", err)
	}
}

func TestString(t *testing.T) {
	mem := checked(t)
	f := sampleFrame(t, mem)
	defer f.Release()
	s := f.String()
	for _, want := range []string{"4 rows × 5 columns", "float64", "null", "2024-03-04 05:06:07"} {
		if !strings.Contains(s, want) {
			t.Errorf("String() lacks %q:\n%s", want, s)
		}
	}
	d := f.DisplayData()
	if h, _ := d.Bundle["text/html"].(string); !strings.Contains(h, "<table") {
		t.Errorf("no html table")
	}
}

func newChecked() *memory.CheckedAllocator {
	return memory.NewCheckedAllocator(memory.NewGoAllocator())
}
