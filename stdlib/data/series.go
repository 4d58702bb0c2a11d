package data

import (
	"fmt"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// Series is a named column of Go values waiting to become part of a Frame.
// Build one with Float64s, Int64s, Ints, Strings, Bools or Times, optionally
// mark nulls with WithValid, and pass it to New or Frame.WithColumn.
type Series struct {
	name  string
	t     DType
	f     []float64
	i     []int64
	s     []string
	b     []bool
	tm    []time.Time
	valid []bool
	n     int
}

// Float64s makes a float64 series. NaN stays NaN; use WithValid for nulls.
func Float64s(name string, v []float64) Series {
	return Series{name: name, t: Float64, f: v, n: len(v)}
}

// Int64s makes an int64 series.
func Int64s(name string, v []int64) Series { return Series{name: name, t: Int64, i: v, n: len(v)} }

// Ints makes an int64 series from ints.
func Ints(name string, v []int) Series {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return Int64s(name, out)
}

// Strings makes a string series; it is dictionary-encoded when that pays.
func Strings(name string, v []string) Series {
	return Series{name: name, t: String, s: v, n: len(v)}
}

// Bools makes a bool series.
func Bools(name string, v []bool) Series { return Series{name: name, t: Bool, b: v, n: len(v)} }

// Times makes a timestamp series; zero times are stored as nulls.
func Times(name string, v []time.Time) Series {
	valid := make([]bool, len(v))
	for i, t := range v {
		valid[i] = !t.IsZero()
	}
	return Series{name: name, t: Timestamp, tm: v, valid: valid, n: len(v)}
}

// WithValid marks which values are present: valid[i] false makes row i null.
func (s Series) WithValid(valid []bool) Series {
	s.valid = valid
	return s
}

// Name returns the series name.
func (s Series) Name() string { return s.name }

// Len returns the number of values.
func (s Series) Len() int { return s.n }

func (s Series) build(mem memory.Allocator) (arrow.Array, error) {
	if s.name == "" {
		return nil, fmt.Errorf("series has no name")
	}
	if s.valid != nil && len(s.valid) != s.n {
		return nil, fmt.Errorf("column %q: %d validity flags for %d values", s.name, len(s.valid), s.n)
	}
	switch s.t {
	case Float64:
		return fixedArray(mem, arrow.PrimitiveTypes.Float64, s.f, s.valid), nil
	case Int64:
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, s.i, s.valid), nil
	case String:
		return stringArray(mem, s.s, s.valid), nil
	case Bool:
		return boolArray(mem, s.b, s.valid), nil
	case Timestamp:
		us := make([]int64, s.n)
		for i, t := range s.tm {
			if !t.IsZero() {
				us[i] = t.UnixMicro()
			}
		}
		return fixedArray(mem, tsType, us, s.valid), nil
	}
	return nil, fmt.Errorf("column %q: empty series", s.name)
}
