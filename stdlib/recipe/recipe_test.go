package recipe_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/stdlib/recipe"
)

type mean struct{ M float64 }

func funcs() recipe.Funcs {
	return recipe.Funcs{
		Load: func(cfg recipe.Config) (recipe.Frame, error) {
			return recipe.ReadCSVFrom(strings.NewReader("x,y\n1,a\n2,b\n3,c\n4,d\n"), cfg.Limit())
		},
		Split: func(cfg recipe.Config, f recipe.Frame) (recipe.Frame, recipe.Frame, error) {
			t := f.(*recipe.Table)
			n := t.NumRows() / 2
			all := make([]int, t.NumRows())
			for i := range all {
				all[i] = i
			}
			return t.Rows(all[:n]), t.Rows(all[n:]), nil
		},
		Train: func(cfg recipe.Config, f recipe.Frame) (recipe.Model, error) {
			xs, err := f.(*recipe.Table).Floats("x")
			if err != nil {
				return nil, err
			}
			s := 0.0
			for _, x := range xs {
				s += x
			}
			return mean{s / float64(len(xs))}, nil
		},
		Evaluate: func(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Metrics, error) {
			return recipe.Metrics{"mean": m.(mean).M, "scale": cfg.Float("scale", 1)}, nil
		},
		Score: func(cfg recipe.Config, m recipe.Model, f recipe.Frame) (recipe.Frame, error) {
			t := f.(*recipe.Table)
			xs, _ := t.Floats("x")
			for i := range xs {
				xs[i] -= m.(mean).M
			}
			out := recipe.NewTable()
			ys, _ := t.Column("y")
			out.Add("y", ys)
			return out, out.AddFloats("centred", xs)
		},
	}
}

func ExampleTry() {
	cfg := recipe.NewConfig("inline").With("scale", 2.0)
	res, err := recipe.Try(cfg, funcs())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.RowsIn, res.TrainRows, res.TestRows, res.Metrics["mean"], res.Metrics["scale"])
	fmt.Println(res.Scored)
	// Output:
	// 4 2 2 1.5 2
	// y	centred
	// a	-0.5
	// b	0.5
	// c	1.5
	// d	2.5
}

func TestTrainModelLimitAndErrors(t *testing.T) {
	tr, err := recipe.TrainModel(recipe.NewConfig("").WithLimit(2), funcs())
	if err != nil || tr.RowsIn != 2 {
		t.Fatalf("TrainModel = %+v, %v; want 2 rows", tr, err)
	}
	f := funcs()
	f.Score = nil
	if err := f.Check(); err == nil || !strings.Contains(err.Error(), "[Score]") {
		t.Errorf("Check = %v, want missing Score", err)
	}
	f = funcs()
	boom := errors.New("boom")
	f.Train = func(recipe.Config, recipe.Frame) (recipe.Model, error) { return nil, recipe.Retryable(boom) }
	_, err = recipe.TrainModel(recipe.NewConfig(""), f)
	if !recipe.IsRetryable(err) || !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "recipe Train: ") {
		t.Errorf("err = %v, want a retryable Train error wrapping boom", err)
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		typ, in string
		want    any
		bad     bool
	}{
		{"int", "42", 42, false},
		{"int", "4.2", nil, true},
		{"int64", "1_000", int64(1000), false},
		{"float64", "0.5", 0.5, false},
		{"float64", "abc", nil, true},
		{"bool", "true", true, false},
		{"bool", "yes", nil, true},
		{"string", `"q"`, "q", false},
		{"string", "plain", "plain", false},
		{"time.Duration", "5s", 5 * time.Second, false},
		{"complex128", "1", nil, true},
	}
	for _, tt := range tests {
		got, err := recipe.ParseValue(tt.typ, tt.in)
		if (err != nil) != tt.bad || (!tt.bad && got.Any() != tt.want) {
			t.Errorf("ParseValue(%s, %q) = %v, %v", tt.typ, tt.in, got, err)
		}
	}
	two, _ := recipe.ParseValue("float64", "2")
	if got := two.Literal(); got != "2.0" {
		t.Errorf("Literal of float64 2 = %s", got)
	}
	for _, tt := range tests {
		if tt.bad {
			continue
		}
		v, _ := recipe.ParseValue(tt.typ, tt.in)
		again, err := recipe.ParseValue(tt.typ, v.String())
		if err != nil || again != v {
			t.Errorf("%s %q does not round-trip through its text %q: %v, %v", tt.typ, tt.in, v.String(), again, err)
		}
		b, _ := json.Marshal(v)
		var back recipe.Value
		if err := json.Unmarshal(b, &back); err != nil || back != v {
			t.Errorf("%s %q does not round-trip through JSON %s: %v, %v", tt.typ, tt.in, b, back, err)
		}
	}
	if d, err := recipe.ParseValue("time.Duration", "time.Duration(5000000000)"); err != nil || d.Any() != 5*time.Second {
		t.Errorf("duration literal = %v, %v", d, err)
	}
}

func TestSliceValues(t *testing.T) {
	tests := []struct {
		typ, in, lit string
		want         any
	}{
		{"[]int", "1, 2,3", "[]int{1, 2, 3}", []int{1, 2, 3}},
		{"[]int", "[]int{4}", "[]int{4}", []int{4}},
		{"[]float64", "0.5,1", "[]float64{0.5, 1.0}", []float64{0.5, 1}},
		{"[]string", `a, "b,c"`, `[]string{"a", "b,c"}`, []string{"a", "b,c"}},
		{"[]string", `[]string{"x"}`, `[]string{"x"}`, []string{"x"}},
		{"[]string", "", `[]string{}`, []string{}},
		{"[]int", "[1, 2]", "[]int{1, 2}", []int{1, 2}},
		{"[]string", `["a", "b"]`, `[]string{"a", "b"}`, []string{"a", "b"}},
	}
	for _, tt := range tests {
		v, err := recipe.ParseValue(tt.typ, tt.in)
		if err != nil || v.Literal() != tt.lit || !reflect.DeepEqual(v.Any(), tt.want) {
			t.Errorf("ParseValue(%s, %q) = %s %#v, %v; want %s", tt.typ, tt.in, v.Literal(), v.Any(), err, tt.lit)
			continue
		}
		back, err := recipe.ParseValue(tt.typ, v.String())
		if err != nil || !reflect.DeepEqual(back.Any(), v.Any()) {
			t.Errorf("%s %q does not round-trip through %q: %v", tt.typ, tt.in, v.String(), err)
		}
	}
	for _, bad := range []struct{ typ, in string }{{"[]int", "1,x"}, {"[]string", `"a" "b"`}, {"[]bool", "true"}} {
		if _, err := recipe.ParseValue(bad.typ, bad.in); err == nil {
			t.Errorf("ParseValue(%s, %q) succeeded", bad.typ, bad.in)
		}
	}
}
