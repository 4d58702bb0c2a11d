package recipe

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Value is a parameter value parsed against its declared type: a bool,
// int, int64, float64, string or time.Duration, or a slice of int, float64
// or string. A value is parsed once, by ParseValue, where it enters the
// system; the server hands the same Value to the recipe's parameters cell
// (as Literal) and to Config (as Any). Values of scalar types compare with
// ==; slices do not.
type Value struct {
	typ string
	v   any
}

// ParseValue converts s to a value of Go type typ (one of Types). It
// accepts Go literal syntax as well as plain text for strings, so both
// `0.5` and `"churn"` or `churn` work; a duration is written as 30s or 5m,
// or as a Go integer of nanoseconds. A slice is a Go composite literal
// (`[]int{1, 2}`), a bracketed list (`[1, 2]`) or its elements separated
// by commas (`1,2`; strings quoted when they hold a comma).
func ParseValue(typ, s string) (Value, error) {
	t := strings.TrimSpace(s)
	if elem, ok := strings.CutPrefix(typ, "[]"); ok && sliceElem[elem] {
		return parseSlice(typ, elem, t)
	}
	switch typ {
	case "bool":
		b, err := strconv.ParseBool(t)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a bool: use true or false", s)
		}
		return Value{typ, b}, nil
	case "int", "int64":
		n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 0, 64)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not an integer", s)
		}
		if typ == "int" {
			return Value{typ, int(n)}, nil
		}
		return Value{typ, n}, nil
	case "float64":
		f, err := strconv.ParseFloat(strings.ReplaceAll(t, "_", ""), 64)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a number", s)
		}
		return Value{typ, f}, nil
	case "string":
		if len(t) >= 2 && (t[0] == '"' || t[0] == '`') {
			if u, err := strconv.Unquote(t); err == nil {
				return Value{typ, u}, nil
			}
		}
		return Value{typ, s}, nil
	case "time.Duration":
		if inner, ok := strings.CutPrefix(t, "time.Duration("); ok {
			t = strings.TrimSuffix(inner, ")")
		}
		if n, err := strconv.ParseInt(strings.ReplaceAll(t, "_", ""), 0, 64); err == nil {
			return Value{typ, time.Duration(n)}, nil
		}
		d, err := time.ParseDuration(t)
		if err != nil {
			return Value{}, fmt.Errorf("%q is not a duration such as 30s or 5m", s)
		}
		return Value{typ, d}, nil
	}
	return Value{}, fmt.Errorf("unsupported type %q: parameters may be %s", typ, strings.Join(Types, ", "))
}

// Type is the value's Go type, one of Types; empty for the zero Value.
func (v Value) Type() string { return v.typ }

// Any is the value as its Go type: what Config hands to the recipe.
func (v Value) Any() any { return v.v }

// Literal renders the value as Go source of its type, for the cell that
// sets a recipe's parameters.
func (v Value) Literal() string {
	if elems, ok := v.elems(); ok {
		lits := make([]string, len(elems))
		for i, e := range elems {
			lits[i] = e.Literal()
		}
		return v.typ + "{" + strings.Join(lits, ", ") + "}"
	}
	switch x := v.v.(type) {
	case string:
		return strconv.Quote(x)
	case time.Duration:
		return fmt.Sprintf("time.Duration(%d)", int64(x))
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEnN") {
			s += ".0"
		}
		return s
	}
	return fmt.Sprint(v.v)
}

// String is the value's canonical text: ParseValue of the same type reads
// it back to an equal Value. The server stores parameter values this way.
func (v Value) String() string {
	if _, ok := v.elems(); ok {
		return v.Literal()
	}
	if f, ok := v.v.(float64); ok {
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprint(v.v)
}

type valueJSON struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// MarshalJSON encodes the type and the canonical text.
func (v Value) MarshalJSON() ([]byte, error) {
	return json.Marshal(valueJSON{v.typ, v.String()})
}

// UnmarshalJSON decodes what MarshalJSON wrote.
func (v *Value) UnmarshalJSON(b []byte) error {
	var j valueJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	x, err := ParseValue(j.Type, j.Value)
	if err != nil {
		return err
	}
	*v = x
	return nil
}

// Resolve returns the value of every parameter in params: the parsed text
// in values when it is set, the default otherwise. Names in values that
// are not parameters are an error naming them.
func Resolve(params []Param, values map[string]string) (map[string]Value, error) {
	known := map[string]bool{}
	out := make(map[string]Value, len(params))
	for _, p := range params {
		known[p.Name] = true
		text, ok := values[p.Name]
		if !ok {
			text = p.Default
		}
		v, err := p.Parse(text)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	for k := range values {
		if !known[k] {
			var names []string
			for _, p := range params {
				names = append(names, p.Name+" ("+p.Type+")")
			}
			return nil, fmt.Errorf("the recipe has no parameter %q; its parameters are: %s", k, strings.Join(names, ", "))
		}
	}
	return out, nil
}

// sliceElem lists the element types of slice parameters.
var sliceElem = map[string]bool{"int": true, "float64": true, "string": true}

func parseSlice(typ, elem, t string) (Value, error) {
	var parts []string
	if body, ok := strings.CutPrefix(t, typ+"{"); ok && strings.HasSuffix(body, "}") {
		t = strings.TrimSuffix(body, "}")
	} else if len(t) >= 2 && t[0] == '[' && t[len(t)-1] == ']' {
		// A list as papermill and JSON write it: [1, 2] or ["a", "b"].
		t = t[1 : len(t)-1]
	}
	rest := strings.TrimSpace(t)
	for rest != "" {
		var part string
		if rest[0] == '"' || rest[0] == '`' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				return Value{}, fmt.Errorf("%q is not a %s: %v", t, typ, err)
			}
			part, rest = q, rest[len(q):]
		} else if i := strings.IndexByte(rest, ','); i >= 0 {
			part, rest = rest[:i], rest[i:]
		} else {
			part, rest = rest, ""
		}
		parts = append(parts, strings.TrimSpace(part))
		rest = strings.TrimSpace(rest)
		if rest != "" {
			if rest[0] != ',' {
				return Value{}, fmt.Errorf("%q is not a %s: separate the elements with commas", t, typ)
			}
			rest = strings.TrimSpace(rest[1:])
		}
	}
	var out any
	switch elem {
	case "int":
		out = make([]int, 0, len(parts))
	case "float64":
		out = make([]float64, 0, len(parts))
	default:
		out = make([]string, 0, len(parts))
	}
	for i, p := range parts {
		e, err := ParseValue(elem, p)
		if err != nil {
			return Value{}, fmt.Errorf("element %d of %s: %w", i+1, typ, err)
		}
		switch xs := out.(type) {
		case []int:
			out = append(xs, e.v.(int))
		case []float64:
			out = append(xs, e.v.(float64))
		case []string:
			out = append(xs, e.v.(string))
		}
	}
	return Value{typ, out}, nil
}

// elems returns a slice value's elements as Values.
func (v Value) elems() ([]Value, bool) {
	elem := strings.TrimPrefix(v.typ, "[]")
	var out []Value
	switch xs := v.v.(type) {
	case []int:
		for _, x := range xs {
			out = append(out, Value{elem, x})
		}
	case []float64:
		for _, x := range xs {
			out = append(out, Value{elem, x})
		}
	case []string:
		for _, x := range xs {
			out = append(out, Value{elem, x})
		}
	default:
		return nil, false
	}
	return out, true
}
