package data

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
	"github.com/apache/arrow/go/v15/arrow/memory"
)

// vec is a column while an expression is evaluated: plain Go slices that
// native loops run over. Numeric slices taken from a frame alias Arrow
// memory and are never written.
type vec struct {
	t      DType
	n      int
	f      []float64
	i      []int64 // int64 values and timestamp microseconds
	b      []bool
	s      []string
	codes  []int32 // dictionary strings: s is nil and levels[codes[i]] is the value
	levels []string
	valid  []bool // nil when every value is present
	scalar bool   // a literal: element 0 stands for every row
}

func (v *vec) ok(i int) bool {
	if v.scalar {
		i = 0
	}
	return v.valid == nil || v.valid[i]
}

func (v *vec) idx(i int) int {
	if v.scalar {
		return 0
	}
	return i
}

func (v *vec) str(i int) string {
	i = v.idx(i)
	if v.codes != nil {
		if c := v.codes[i]; c >= 0 {
			return v.levels[c]
		}
		return ""
	}
	return v.s[i]
}

func (v *vec) float(i int) float64 {
	i = v.idx(i)
	switch v.t {
	case Float64:
		return v.f[i]
	case Int64, Timestamp:
		return float64(v.i[i])
	case Bool:
		if v.b[i] {
			return 1
		}
	}
	return 0
}

// colVec views a frame column as a vec.
func colVec(arr arrow.Array) *vec {
	v := &vec{n: arr.Len(), valid: validOf(arr)}
	switch a := arr.(type) {
	case *array.Float64:
		v.t, v.f = Float64, a.Float64Values()
	case *array.Int64:
		v.t, v.i = Int64, a.Int64Values()
	case *array.Timestamp:
		v.t = Timestamp
		v.i = make([]int64, v.n)
		for k, x := range a.TimestampValues() {
			v.i[k] = int64(x)
		}
	case *array.Boolean:
		v.t = Bool
		v.b = make([]bool, v.n)
		for k := range v.b {
			v.b[k] = a.Value(k)
		}
	case *array.Dictionary:
		v.t = String
		v.codes, v.levels = codesOf(a)
	case *array.String:
		v.t = String
		v.s = stringsOf(a)
	}
	return v
}

// litVec makes a one-element vec from a Go value.
func litVec(x any) (*vec, error) {
	v := &vec{n: 1, scalar: true}
	switch x := x.(type) {
	case nil:
		v.t, v.f, v.valid = Float64, []float64{0}, []bool{false}
	case float64:
		v.t, v.f = Float64, []float64{x}
	case float32:
		v.t, v.f = Float64, []float64{float64(x)}
	case int:
		v.t, v.i = Int64, []int64{int64(x)}
	case int64:
		v.t, v.i = Int64, []int64{x}
	case int32:
		v.t, v.i = Int64, []int64{int64(x)}
	case string:
		v.t, v.s = String, []string{x}
	case bool:
		v.t, v.b = Bool, []bool{x}
	case time.Time:
		v.t, v.i = Timestamp, []int64{x.UnixMicro()}
	default:
		return nil, fmt.Errorf("unsupported literal %v of type %T (use int, float64, string, bool or time.Time)", x, x)
	}
	return v, nil
}

// broadcast expands a scalar vec to n rows.
func (v *vec) broadcast(n int) *vec {
	if !v.scalar {
		return v
	}
	out := &vec{t: v.t, n: n}
	if !v.ok(0) {
		out.valid = make([]bool, n)
	}
	switch v.t {
	case Float64:
		out.f = make([]float64, n)
		for i := range out.f {
			out.f[i] = v.f[0]
		}
	case Int64, Timestamp:
		out.i = make([]int64, n)
		for i := range out.i {
			out.i[i] = v.i[0]
		}
	case Bool:
		out.b = make([]bool, n)
		for i := range out.b {
			out.b[i] = v.b[0]
		}
	case String:
		out.codes = make([]int32, n)
		out.levels = []string{v.str(0)}
	}
	return out
}

// array builds an Arrow array from v.
func (v *vec) array(mem memory.Allocator, n int) arrow.Array {
	v = v.broadcast(n)
	switch v.t {
	case Float64:
		return fixedArray(mem, arrow.PrimitiveTypes.Float64, v.f, v.valid)
	case Int64:
		return fixedArray(mem, arrow.PrimitiveTypes.Int64, v.i, v.valid)
	case Timestamp:
		return fixedArray(mem, tsType, v.i, v.valid)
	case Bool:
		return boolArray(mem, v.b, v.valid)
	}
	if v.codes != nil {
		codes := v.codes
		if v.valid == nil && hasNeg(codes) {
			v.valid = make([]bool, len(codes))
			for i, c := range codes {
				v.valid[i] = c >= 0
			}
		}
		if hasNeg(codes) {
			codes = append([]int32(nil), codes...)
			for i, c := range codes {
				if c < 0 {
					codes[i] = 0
				}
			}
		}
		if len(v.levels) == 0 {
			v.levels = []string{""}
		}
		return dictArray(mem, codes, v.levels, v.valid)
	}
	return stringArray(mem, v.s, v.valid)
}

// cast converts v to type t. Strings that do not parse become null.
func (v *vec) cast(t DType) (*vec, error) {
	if v.t == t {
		return v, nil
	}
	n := len(v.f) + len(v.i) + len(v.b) + len(v.s) + len(v.codes)
	out := &vec{t: t, n: v.n, scalar: v.scalar}
	valid := make([]bool, n)
	for k := range valid {
		valid[k] = v.valid == nil || v.valid[k]
	}
	layout := 0
	switch t {
	case Float64:
		out.f = make([]float64, n)
		for k := range out.f {
			if v.t == String {
				x, err := strconv.ParseFloat(v.str(k), 64)
				out.f[k], valid[k] = x, valid[k] && err == nil
			} else if v.t == Timestamp {
				out.f[k] = float64(v.i[k]) / 1e6
			} else {
				out.f[k] = v.float(k)
			}
		}
	case Int64:
		out.i = make([]int64, n)
		for k := range out.i {
			switch v.t {
			case String:
				x, err := strconv.ParseInt(v.str(k), 10, 64)
				out.i[k], valid[k] = x, valid[k] && err == nil
			case Timestamp:
				out.i[k] = v.i[k] / 1e6
			default:
				out.i[k] = int64(v.float(k))
			}
		}
	case Bool:
		out.b = make([]bool, n)
		for k := range out.b {
			if v.t == String {
				x, ok := parseBool(v.str(k))
				out.b[k], valid[k] = x, valid[k] && ok
			} else {
				out.b[k] = v.float(k) != 0
			}
		}
	case String:
		out.s = make([]string, n)
		for k := range out.s {
			if valid[k] {
				out.s[k] = formatVec(v, k)
			}
		}
	case Timestamp:
		out.i = make([]int64, n)
		for k := range out.i {
			switch v.t {
			case String:
				tm, ok := parseTime(v.str(k), &layout)
				out.i[k], valid[k] = tm.UnixMicro(), valid[k] && ok
			case Int64:
				out.i[k] = v.i[k] * 1e6
			case Float64:
				out.i[k] = int64(v.f[k] * 1e6)
			default:
				return nil, fmt.Errorf("cannot cast %s to timestamp", v.t)
			}
		}
	default:
		return nil, fmt.Errorf("unknown dtype %q", t)
	}
	out.valid = valid
	return out, nil
}

func formatVec(v *vec, k int) string {
	switch v.t {
	case Float64:
		return strconv.FormatFloat(v.f[k], 'g', -1, 64)
	case Int64:
		return strconv.FormatInt(v.i[k], 10)
	case Bool:
		return strconv.FormatBool(v.b[k])
	case Timestamp:
		return formatValue(microsToTime(v.i[k]))
	}
	return v.str(k)
}
