package data

import (
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow/go/v15/arrow"
	"github.com/apache/arrow/go/v15/arrow/array"
)

// Column gives native code typed access to one column of a frame. It shares
// the frame's memory and is valid until the frame is released.
//
// The slice accessors return values for every row; values at null rows are
// unspecified (usually zero), so consult Valid or use ToFloat64s, which
// turns nulls into NaN.
type Column struct {
	field Field
	arr   arrow.Array
}

// Name returns the column name.
func (c *Column) Name() string { return c.field.Name }

// DType returns the column type.
func (c *Column) DType() DType { return c.field.Type }

// Len returns the number of rows.
func (c *Column) Len() int { return c.arr.Len() }

// NullCount returns the number of null rows.
func (c *Column) NullCount() int { return c.arr.NullN() }

// IsNull reports whether row i is null.
func (c *Column) IsNull(i int) bool { return c.arr.IsNull(i) }

// Valid returns one flag per row, false where the row is null. It returns
// nil when the column has no nulls.
func (c *Column) Valid() []bool { return validOf(c.arr) }

// Arrow returns the underlying array, owned by the frame.
func (c *Column) Arrow() arrow.Array { return c.arr }

func (c *Column) wrongType(want string) error {
	return fmt.Errorf("column %q is %s, not %s", c.field.Name, c.field.Type, want)
}

// Float64s returns the values of a float64 column without copying. The
// slice aliases Arrow memory: do not modify it.
func (c *Column) Float64s() ([]float64, error) {
	a, ok := c.arr.(*array.Float64)
	if !ok {
		return nil, c.wrongType("float64")
	}
	return a.Float64Values(), nil
}

// Int64s returns the values of an int64 column (or the microsecond values
// of a timestamp column) without copying. Do not modify the slice.
func (c *Column) Int64s() ([]int64, error) {
	switch a := c.arr.(type) {
	case *array.Int64:
		return a.Int64Values(), nil
	case *array.Timestamp:
		v := a.TimestampValues()
		if len(v) == 0 {
			return nil, nil
		}
		return arrow.Int64Traits.CastFromBytes(arrow.TimestampTraits.CastToBytes(v)), nil
	}
	return nil, c.wrongType("int64")
}

// Bools returns a copy of the values of a bool column.
func (c *Column) Bools() ([]bool, error) {
	a, ok := c.arr.(*array.Boolean)
	if !ok {
		return nil, c.wrongType("bool")
	}
	out := make([]bool, a.Len())
	for i := range out {
		out[i] = a.Value(i)
	}
	return out, nil
}

// Strings returns the values of a string column; nulls read as "".
func (c *Column) Strings() ([]string, error) {
	if c.field.Type != String {
		return nil, c.wrongType("string")
	}
	return stringsOf(c.arr), nil
}

// Times returns the values of a timestamp column; nulls are zero times.
func (c *Column) Times() ([]time.Time, error) {
	a, ok := c.arr.(*array.Timestamp)
	if !ok {
		return nil, c.wrongType("timestamp")
	}
	out := make([]time.Time, a.Len())
	for i, v := range a.TimestampValues() {
		if a.IsValid(i) {
			out[i] = microsToTime(int64(v))
		}
	}
	return out, nil
}

// Codes returns, for a string column, a code per row (-1 for null) and the
// distinct values the codes index. It is free for dictionary-encoded
// columns and is what categorical encoders want.
func (c *Column) Codes() ([]int32, []string, error) {
	if c.field.Type != String {
		return nil, nil, c.wrongType("string")
	}
	codes, levels := codesOf(c.arr)
	return codes, levels, nil
}

// ToFloat64s returns a new slice of the column as float64 with NaN for
// nulls. Int64 and bool convert (true is 1); timestamps give Unix seconds;
// strings are an error.
func (c *Column) ToFloat64s() ([]float64, error) {
	out := make([]float64, c.arr.Len())
	switch a := c.arr.(type) {
	case *array.Float64:
		copy(out, a.Float64Values())
	case *array.Int64:
		for i, v := range a.Int64Values() {
			out[i] = float64(v)
		}
	case *array.Timestamp:
		for i, v := range a.TimestampValues() {
			out[i] = float64(v) / 1e6
		}
	case *array.Boolean:
		for i := range out {
			if a.Value(i) {
				out[i] = 1
			}
		}
	default:
		return nil, c.wrongType("numeric")
	}
	if c.arr.NullN() > 0 {
		for i := range out {
			if c.arr.IsNull(i) {
				out[i] = math.NaN()
			}
		}
	}
	return out, nil
}

// Value returns row i as a Go value (float64, int64, string, bool or
// time.Time), or nil when null or out of range.
func (c *Column) Value(i int) any {
	if i < 0 || i >= c.arr.Len() || c.arr.IsNull(i) {
		return nil
	}
	return valueAt(c.arr, i)
}

func valueAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Float64:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.Dictionary:
		return a.Dictionary().(*array.String).Value(a.GetValueIndex(i))
	case *array.Boolean:
		return a.Value(i)
	case *array.Timestamp:
		return microsToTime(int64(a.Value(i)))
	}
	return nil
}
