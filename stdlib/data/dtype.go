package data

import (
	"fmt"
	"strings"

	"github.com/apache/arrow/go/v15/arrow"
)

// DType is the logical type of a column.
type DType string

// The column types a Frame holds. Every type admits nulls.
const (
	Int64     DType = "int64"
	Float64   DType = "float64"
	String    DType = "string"
	Bool      DType = "bool"
	Timestamp DType = "timestamp" // microseconds since the Unix epoch, UTC
)

// Numeric reports whether values of t can be read as float64.
func (t DType) Numeric() bool { return t == Int64 || t == Float64 || t == Bool }

// Field names one column and its type. Dict reports that a string column is
// dictionary-encoded, which is a storage detail: it reads like any string
// column but groups, joins and compares faster.
type Field struct {
	Name string
	Type DType
	Dict bool
}

// Schema lists a frame's columns in order.
type Schema []Field

// Names returns the column names in order.
func (s Schema) Names() []string {
	out := make([]string, len(s))
	for i, f := range s {
		out[i] = f.Name
	}
	return out
}

// Index returns the position of the named column, or -1.
func (s Schema) Index(name string) int {
	for i, f := range s {
		if f.Name == name {
			return i
		}
	}
	return -1
}

func (s Schema) String() string {
	var b strings.Builder
	for i, f := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Name, f.Type)
	}
	return b.String()
}

var (
	tsType   = arrow.FixedWidthTypes.Timestamp_us
	dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
)

// arrowType maps a DType to the Arrow type a Frame stores it as.
func arrowType(t DType) (arrow.DataType, error) {
	switch t {
	case Int64:
		return arrow.PrimitiveTypes.Int64, nil
	case Float64:
		return arrow.PrimitiveTypes.Float64, nil
	case String:
		return arrow.BinaryTypes.String, nil
	case Bool:
		return arrow.FixedWidthTypes.Boolean, nil
	case Timestamp:
		return tsType, nil
	}
	return nil, fmt.Errorf("unknown dtype %q (want int64, float64, string, bool or timestamp)", string(t))
}

// dtypeOf maps a normalized Arrow type back to its DType.
func dtypeOf(dt arrow.DataType) (DType, bool) {
	switch dt.ID() {
	case arrow.INT64:
		return Int64, false
	case arrow.FLOAT64:
		return Float64, false
	case arrow.STRING:
		return String, false
	case arrow.DICTIONARY:
		return String, true
	case arrow.BOOL:
		return Bool, false
	case arrow.TIMESTAMP:
		return Timestamp, false
	}
	return "", false
}

// ParseDType parses a dtype name such as "float64"; "int", "float", "str",
// "time" and "datetime" are accepted as aliases.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "int64", "int":
		return Int64, nil
	case "float64", "float", "double":
		return Float64, nil
	case "string", "str", "utf8", "category":
		return String, nil
	case "bool", "boolean":
		return Bool, nil
	case "timestamp", "time", "datetime":
		return Timestamp, nil
	}
	return "", fmt.Errorf("unknown dtype %q (want int64, float64, string, bool or timestamp)", s)
}
