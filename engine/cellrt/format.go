package cellrt

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"slices"
)

// Value stands in for a value of a type declared in a cell when a cell
// hands it to fmt or log. The interpreter builds such types without names
// or methods, so fmt alone would print `{Xx:1}` for `P{x: 1}` and never call
// its String method. Rewritten cells describe the value instead: its type
// name, its fields under their declared names, its elements (described the
// same way) and the fmt methods its type has, and Value prints that as fmt
// prints the declared type.
type Value struct {
	Type  string // the type as %T prints it: main.P, []main.P
	Kind  Kind
	Raw   any  // the value itself, for what needs no description
	Nil   bool // a nil pointer, slice or map
	Names []string
	// Elems holds a struct's fields, a slice's or array's elements or a
	// map's values; Keys a map's keys.
	Elems, Keys []any
	// Elem describes what a pointer points to.
	Elem func() any

	// The fmt methods of the value's type, bound to the value.
	StringFunc, ErrorFunc, GoStringFunc func() string
	FormatFunc                          func(fmt.State, rune)
}

// Kind is the shape of a described value.
type Kind int

// The kinds of described values; Other is printed as its Raw value.
const (
	Other Kind = iota
	Struct
	Slice
	Array
	Map
	Pointer
)

// Format implements fmt.Formatter, as fmt's own printing would go.
func (v Value) Format(f fmt.State, verb rune) { v.format(f, verb, 0) }

func (v Value) format(f fmt.State, verb rune, depth int) {
	if v.Nil {
		// A method called on a nil pointer that panics prints as <nil>,
		// as fmt has it.
		defer func() {
			if r := recover(); r != nil {
				io.WriteString(f, "<nil>")
			}
		}()
	}
	if v.FormatFunc != nil {
		v.FormatFunc(f, verb)
		return
	}
	goSyntax := verb == 'v' && f.Flag('#')
	if goSyntax {
		if v.GoStringFunc != nil {
			io.WriteString(f, v.GoStringFunc())
			return
		}
	} else {
		switch verb {
		case 'v', 's', 'x', 'X', 'q':
			text := v.ErrorFunc
			if text == nil {
				text = v.StringFunc
			}
			if text != nil {
				fmt.Fprintf(f, fmt.FormatString(f, verb), text())
				return
			}
		}
	}
	elem := func(x any) {
		switch x := x.(type) {
		case Value:
			x.format(f, verb, depth+1)
		case nil:
			if goSyntax {
				io.WriteString(f, "interface {}(nil)")
			} else {
				io.WriteString(f, "<nil>")
			}
		default:
			fmt.Fprintf(f, fmt.FormatString(f, verb), x)
		}
	}
	sep := " "
	if goSyntax {
		sep = ", "
	}
	switch v.Kind {
	case Struct:
		if goSyntax {
			io.WriteString(f, v.Type)
		}
		io.WriteString(f, "{")
		for i, x := range v.Elems {
			if i > 0 {
				io.WriteString(f, sep)
			}
			if (goSyntax || f.Flag('+')) && i < len(v.Names) {
				io.WriteString(f, v.Names[i]+":")
			}
			elem(x)
		}
		io.WriteString(f, "}")
	case Slice, Array:
		if goSyntax {
			if v.Nil {
				io.WriteString(f, v.Type+"(nil)")
				return
			}
			io.WriteString(f, v.Type+"{")
		} else {
			io.WriteString(f, "[")
		}
		for i, x := range v.Elems {
			if i > 0 {
				io.WriteString(f, sep)
			}
			elem(x)
		}
		if goSyntax {
			io.WriteString(f, "}")
		} else {
			io.WriteString(f, "]")
		}
	case Map:
		if goSyntax {
			if v.Nil {
				io.WriteString(f, v.Type+"(nil)")
				return
			}
			io.WriteString(f, v.Type+"{")
		} else {
			io.WriteString(f, "map[")
		}
		for n, i := range sortedKeys(v.Keys) {
			if n > 0 {
				io.WriteString(f, sep)
			}
			elem(v.Keys[i])
			io.WriteString(f, ":")
			elem(v.Elems[i])
		}
		if goSyntax {
			io.WriteString(f, "}")
		} else {
			io.WriteString(f, "]")
		}
	case Pointer:
		switch {
		case v.Nil && goSyntax:
			io.WriteString(f, "("+v.Type+")(nil)")
		case v.Nil:
			io.WriteString(f, "<nil>")
		case depth == 0 && v.Elem != nil:
			// fmt shows what a pointer points to only at the top level,
			// and only for composite values.
			if target, ok := v.Elem().(Value); ok && target.Kind != Other && target.Kind != Pointer {
				io.WriteString(f, "&")
				target.format(f, verb, depth+1)
				return
			}
			fallthrough
		default:
			fmt.Fprintf(f, fmt.FormatString(f, verb), v.Raw)
		}
	default:
		fmt.Fprintf(f, fmt.FormatString(f, verb), v.Raw)
	}
}

// sortedKeys orders map keys as fmt does for the key types maps commonly
// have: numbers, strings and booleans.
func sortedKeys(keys []any) []int {
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	raw := func(k any) reflect.Value {
		if v, ok := k.(Value); ok {
			k = v.Raw
		}
		return reflect.ValueOf(k)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		x, y := raw(keys[a]), raw(keys[b])
		if !x.IsValid() || !y.IsValid() || x.Kind() != y.Kind() {
			return 0
		}
		switch {
		case x.CanInt():
			return cmp.Compare(x.Int(), y.Int())
		case x.CanUint():
			return cmp.Compare(x.Uint(), y.Uint())
		case x.CanFloat():
			return cmp.Compare(x.Float(), y.Float())
		case x.Kind() == reflect.String:
			return cmp.Compare(x.String(), y.String())
		case x.Kind() == reflect.Bool:
			if x.Bool() == y.Bool() {
				return 0
			}
			if !x.Bool() {
				return -1
			}
			return 1
		}
		return 0
	})
	return idx
}

// TypeName returns name: it stands for an argument printed with %T, whose
// type the rewrite names.
func TypeName(name string, _ any) string { return name }

// TypeOf is %T of v, for values whose type no cell declared.
func TypeOf(v any) string { return fmt.Sprintf("%T", v) }

// MarshalJSONFunc hands a cell-declared type's MarshalJSON method to
// encoding/json, which cannot see it on the interpreter's value.
type MarshalJSONFunc func() ([]byte, error)

// MarshalJSON implements json.Marshaler.
func (m MarshalJSONFunc) MarshalJSON() ([]byte, error) { return m() }

// MarshalTextFunc hands a cell-declared type's MarshalText method to the
// encoders.
type MarshalTextFunc func() ([]byte, error)

// MarshalText implements encoding.TextMarshaler.
func (m MarshalTextFunc) MarshalText() ([]byte, error) { return m() }

// JSONObject stands in for a struct of a type declared in a cell when a
// cell hands it to encoding/json: the interpreter's struct has its
// unexported fields exported under other names, and no methods. The
// rewrite lists the fields json encodes, under their JSON names, with
// values described the same way.
type JSONObject struct {
	Names []string
	Vals  []any
	// OmitEmpty marks the fields tagged omitempty; Raw holds their values
	// as they are, to tell whether they are empty.
	OmitEmpty []bool
	Raw       []any
}

// MarshalJSON implements json.Marshaler.
func (o JSONObject) MarshalJSON() ([]byte, error) {
	var b []byte
	b = append(b, '{')
	first := true
	for i, name := range o.Names {
		if o.OmitEmpty[i] && isEmpty(reflect.ValueOf(o.Raw[i])) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		key, err := json.Marshal(name)
		if err != nil {
			return nil, err
		}
		val, err := json.Marshal(o.Vals[i])
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, key...), ':'), val...)
	}
	return append(b, '}'), nil
}

// isEmpty is encoding/json's notion of an empty value, for omitempty.
func isEmpty(v reflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
