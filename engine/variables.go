package engine

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/galley-dev/galley/stdlib/display"
)

// Variable is one line of a debugger's variables panel: a session
// variable, or a field, element or entry of one.
type Variable struct {
	Name  string
	Type  string
	Value string
	// Ref, when not zero, lists the variable's own fields, elements or
	// entries through Variables.
	Ref int
}

// GlobalsRef is the reference of the session's variables.
const GlobalsRef = 1

// Limits of what Variables returns: panels page through nothing.
const (
	maxChildren  = 100
	maxValueText = 120
	maxRefs      = 10000
)

// Variables lists the session's variables (ref GlobalsRef), or the
// children of a variable listed earlier. Listing the session's variables
// forgets the references handed out before: they describe the values as
// they were when listed.
func (e *Engine) Variables(ref int) []Variable {
	if ref == GlobalsRef {
		e.refs = nil
		return e.globals()
	}
	i := ref - GlobalsRef - 1
	if i < 0 || i >= len(e.refs) {
		return nil
	}
	return e.children(e.refs[i])
}

// RichVariable renders the session variable name as a cell's value would
// show: a data frame as a table, a chart as a chart.
func (e *Engine) RichVariable(name string) (display.Data, bool) {
	v, ok := e.global(name)
	if !ok || !v.CanInterface() {
		return display.Data{}, false
	}
	val := unwrapped(v.Interface())
	if text, ok := e.cellText(val); ok {
		return display.Text(text), true
	}
	return display.Render(val), true
}

// global returns the value of the session variable name.
func (e *Engine) global(name string) (reflect.Value, bool) {
	if _, ok := e.sess.vars[name]; !ok {
		return reflect.Value{}, false
	}
	in := name
	if r, ok := e.sess.renames[name]; ok {
		in = r
	}
	v, ok := e.in.Globals()[in]
	return v, ok && v.IsValid()
}

func (e *Engine) globals() []Variable {
	names := append([]string(nil), e.sess.varSeq...)
	sort.Strings(names)
	globals := e.in.Globals()
	var vs []Variable
	for _, name := range names {
		typ, ok := e.sess.vars[name]
		if !ok || name == "_" || strings.HasPrefix(name, "galley_") {
			continue
		}
		in := name
		if r, ok := e.sess.renames[name]; ok {
			in = r
		}
		v, ok := globals[in]
		if !ok || !v.IsValid() {
			continue
		}
		vr := e.describeValue(name, v)
		if typ != "" {
			vr.Type = e.sess.showNames(typ)
		}
		vs = append(vs, vr)
	}
	return vs
}

// describeValue makes the panel line of v, handing out a reference when
// it has children to list.
func (e *Engine) describeValue(name string, v reflect.Value) Variable {
	v = e.concrete(v)
	vr := Variable{Name: name, Type: "nil", Value: "nil"}
	if !v.IsValid() {
		return vr
	}
	vr.Type = e.reflectTypeName(v.Type())
	vr.Value = e.valueText(v)
	if e.hasChildren(v) && len(e.refs) < maxRefs {
		e.refs = append(e.refs, v)
		vr.Ref = GlobalsRef + len(e.refs)
	}
	return vr
}

// concrete looks through interfaces and the interpreter's wrappers.
func (e *Engine) concrete(v reflect.Value) reflect.Value {
	for i := 0; i < 4 && v.IsValid() && v.Kind() == reflect.Interface; i++ {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	if v.IsValid() && v.CanInterface() && v.Kind() == reflect.Struct {
		if u := reflect.ValueOf(unwrapped(v.Interface())); u.IsValid() && u.Type() != v.Type() {
			return u
		}
	}
	return v
}

// reflectTypeName names t as Go source does, with the names cells gave
// their types.
func (e *Engine) reflectTypeName(t reflect.Type) string {
	if n, ok := e.cellTypeName(t); ok {
		return strings.Replace(n, "main.", "", 1)
	}
	switch t.Kind() {
	case reflect.Pointer:
		return "*" + e.reflectTypeName(t.Elem())
	case reflect.Slice:
		return "[]" + e.reflectTypeName(t.Elem())
	case reflect.Map:
		return "map[" + e.reflectTypeName(t.Key()) + "]" + e.reflectTypeName(t.Elem())
	case reflect.Struct:
		if t.Name() == "" {
			return "struct"
		}
	}
	return t.String()
}

func (e *Engine) hasChildren(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer:
		return !v.IsNil() && e.hasChildren(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() || e.isCellType(v.Type()) {
				return true
			}
		}
		return false
	case reflect.Slice, reflect.Map:
		return !v.IsNil() && v.Len() > 0
	case reflect.Array:
		return v.Len() > 0
	}
	return false
}

// isCellType reports whether a cell declared t: its fields are the
// user's own, unexported ones included.
func (e *Engine) isCellType(t reflect.Type) bool {
	if _, ok := e.cellTypeName(t); ok {
		return true
	}
	// The interpreter builds cell structs without a name or package.
	return t.Kind() == reflect.Struct && t.Name() == "" && t.PkgPath() == ""
}

func (e *Engine) children(v reflect.Value) []Variable {
	var vs []Variable
	switch v.Kind() {
	case reflect.Pointer:
		return e.children(e.concrete(v.Elem()))
	case reflect.Struct:
		cell := e.isCellType(v.Type())
		for i := 0; i < v.NumField() && len(vs) < maxChildren; i++ {
			f := v.Type().Field(i)
			if !f.IsExported() && !cell {
				continue
			}
			vs = append(vs, e.describeValue(fieldName(f.Name, cell), v.Field(i)))
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len() && i < maxChildren; i++ {
			vs = append(vs, e.describeValue(strconv.Itoa(i), v.Index(i)))
		}
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keyOf(keys[i])) < fmt.Sprint(keyOf(keys[j])) })
		for i, k := range keys {
			if i == maxChildren {
				break
			}
			vs = append(vs, e.describeValue(e.valueText(k), v.MapIndex(k)))
		}
	}
	return vs
}

// fieldName undoes the interpreter's spelling of unexported fields of cell
// types, which it exports with an X in front.
func fieldName(name string, cell bool) string {
	if rest, ok := strings.CutPrefix(name, "X"); cell && ok && rest != "" && strings.ToLower(rest[:1]) == rest[:1] {
		return rest
	}
	return name
}

func keyOf(v reflect.Value) any {
	if v.CanInterface() {
		return v.Interface()
	}
	return v.String()
}

// valueText is the one-line value the panel shows.
func (e *Engine) valueText(v reflect.Value) string {
	v = e.concrete(v)
	if !v.IsValid() {
		return "nil"
	}
	var s string
	switch {
	case v.Kind() == reflect.String:
		s = strconv.Quote(v.String())
	case (v.Kind() == reflect.Pointer || v.Kind() == reflect.Map || v.Kind() == reflect.Slice) && v.IsNil():
		s = "nil"
	case v.Kind() == reflect.Slice || v.Kind() == reflect.Array:
		s = fmt.Sprintf("len %d", v.Len())
		if v.Len() > 0 && isBasic(v.Type().Elem().Kind()) {
			// The first elements only: a slice may hold millions.
			n := min(v.Len(), 10)
			s += ": " + strings.TrimSuffix(fmt.Sprint(keyOf(v.Slice(0, n))), "]")
			if n < v.Len() {
				s += " …"
			}
			s += "]"
		}
	case v.Kind() == reflect.Map:
		s = fmt.Sprintf("len %d", v.Len())
	case v.CanInterface():
		val := v.Interface()
		if text, ok := e.cellText(val); ok {
			s = text
		} else if st, ok := val.(fmt.Stringer); ok && !e.isCellType(v.Type()) && !(v.Kind() == reflect.Pointer && v.IsNil()) {
			s = safeString(st)
		} else {
			s = fmt.Sprintf("%v", val)
		}
	default:
		s = fmt.Sprint(v)
	}
	if first, _, multi := strings.Cut(s, "\n"); multi {
		// A table's or a report's heading says what it is.
		s = first + " …"
	}
	if len(s) > maxValueText {
		s = strings.ToValidUTF8(s[:maxValueText], "") + "…"
	}
	return s
}

func isBasic(k reflect.Kind) bool {
	return k >= reflect.Bool && k <= reflect.Complex128 || k == reflect.String
}

// safeString calls String, which a value in a bad state may panic in.
func safeString(s fmt.Stringer) (text string) {
	defer func() {
		if r := recover(); r != nil {
			text = fmt.Sprintf("(String panicked: %v)", r)
		}
	}()
	return s.String()
}
