package cellrt

import "reflect"

// TemplateStruct builds what text/template and html/template should see
// for a struct of a type declared in a cell: the interpreter's struct has
// no methods, so `{{.Full}}` could not call the cell's Full method. The
// rewrite lists the exported fields and the results of the methods a
// template can call without arguments; a struct type is made of them, a
// field for each. ok is false for a method that failed (panicked or
// returned an error), which is left out.
func TemplateStruct(names []string, vals []any, ok []bool) any {
	fields := make([]reflect.StructField, 0, len(names))
	var set []any
	for i, name := range names {
		if !ok[i] {
			continue
		}
		t := reflect.TypeOf(vals[i])
		if t == nil {
			t = reflect.TypeFor[any]()
		}
		fields = append(fields, reflect.StructField{Name: name, Type: t})
		set = append(set, vals[i])
	}
	v := reflect.New(reflect.StructOf(fields)).Elem()
	for i, val := range set {
		if val != nil {
			v.Field(i).Set(reflect.ValueOf(val))
		}
	}
	return v.Interface()
}
