package cellrt

import (
	"encoding/xml"
	"reflect"
	"strings"
)

// XMLStruct builds what encoding/xml should encode for a struct of a type
// declared in a cell. The interpreter's struct has no name, its unexported
// fields are exported under other names and its tags are not the cell's,
// so xml would refuse it or write the wrong elements. The rewrite lists
// the exported fields with their tags and values (values of cell types
// described the same way); a struct type is made of them.
//
// xml names an element after its XMLName tag, then XMLName's value, then
// the field holding it, then its type, which a made type lacks. A made
// struct whose XMLName neither tag nor value names holds the type's name
// as its value, marked as defaultName; a made struct holding it in a field
// replaces that with the field's name, as xml would have used it.
func XMLStruct(typeName string, names, tags []string, vals []any) any {
	fields := make([]reflect.StructField, 0, len(names)+2)
	nameAt := -1
	for i, name := range names {
		t := reflect.TypeOf(vals[i])
		if t == nil {
			t = reflect.TypeFor[any]()
		}
		if name == "XMLName" {
			nameAt = i
		}
		fields = append(fields, reflect.StructField{Name: name, Type: t, Tag: reflect.StructTag(tags[i])})
	}
	if nameAt < 0 {
		nameAt = len(fields)
		fields = append(fields, reflect.StructField{Name: "XMLName", Type: reflect.TypeFor[xml.Name]()})
	}
	fields = append(fields, reflect.StructField{Name: defaultName, Type: reflect.TypeFor[bool](), Tag: `xml:"-"`})
	v := reflect.New(reflect.StructOf(fields)).Elem()
	for i, val := range vals {
		if val == nil {
			continue
		}
		if name, ok := fieldElement(names[i], tags[i]); ok {
			val = named(val, name)
		}
		v.Field(i).Set(reflect.ValueOf(val))
	}
	if tagName, _ := fieldElement("", string(fields[nameAt].Tag)); tagName.Local == "" {
		if n, ok := v.Field(nameAt).Interface().(xml.Name); ok && n.Local == "" {
			v.Field(nameAt).Set(reflect.ValueOf(xml.Name{Local: typeName}))
			v.Field(len(fields) - 1).SetBool(true)
		}
	}
	return v.Interface()
}

// defaultName names the field of a made struct that marks its XMLName as
// the type's name, which xml uses only when nothing else names the element.
const defaultName = "XMLNameIsTypeName"

// fieldElement returns the element name xml gives a field's value, from
// its tag or its name, and whether the field is encoded as an element.
func fieldElement(field, tag string) (xml.Name, bool) {
	x := reflect.StructTag(tag).Get("xml")
	ns, rest, hasNS := strings.Cut(x, " ")
	if !hasNS {
		ns, rest = "", x
	}
	name, opts, _ := strings.Cut(rest, ",")
	for _, o := range strings.Split(opts, ",") {
		switch o {
		case "attr", "chardata", "cdata", "innerxml", "comment", "any":
			return xml.Name{}, false
		}
	}
	if i := strings.LastIndex(name, ">"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = field
	}
	return xml.Name{Space: ns, Local: name}, true
}

// named gives a made struct whose element takes its type's name, or the
// made structs in a slice, the element name name instead.
func named(val any, name xml.Name) any {
	v := reflect.ValueOf(val)
	switch v.Kind() {
	case reflect.Struct:
		mark := v.FieldByName(defaultName)
		if !mark.IsValid() || !mark.Bool() {
			return val
		}
		c := reflect.New(v.Type()).Elem()
		c.Set(v)
		c.FieldByName("XMLName").Set(reflect.ValueOf(name))
		return c.Interface()
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Interface {
			return val
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = v.Index(i).Interface()
			if out[i] != nil {
				out[i] = named(out[i], name)
			}
		}
		return out
	}
	return val
}

// MarshalXMLFunc hands a cell-declared type's MarshalXML method to
// encoding/xml, with the type's name.
type MarshalXMLFunc struct {
	TypeName string
	F        func(*xml.Encoder, xml.StartElement) error
}

// MarshalXML implements xml.Marshaler. xml names the element after this
// type when no field tag names it; the cell's method expects its own
// type's name there.
func (m MarshalXMLFunc) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if start.Name.Space == "" && start.Name.Local == "MarshalXMLFunc" {
		start.Name.Local = m.TypeName
	}
	return m.F(e, start)
}

// XMLTextFunc hands a cell-declared type's MarshalText method to
// encoding/xml, with the type's name.
type XMLTextFunc struct {
	TypeName string
	F        func() ([]byte, error)
}

// MarshalText implements encoding.TextMarshaler, which xml calls for
// attributes and character data.
func (m XMLTextFunc) MarshalText() ([]byte, error) { return m.F() }

// MarshalXML implements xml.Marshaler: an element holding the text, named
// after the cell's type where xml would name it after this one.
func (m XMLTextFunc) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if start.Name.Space == "" && start.Name.Local == "XMLTextFunc" {
		start.Name.Local = m.TypeName
	}
	text, err := m.F()
	if err != nil {
		return err
	}
	return e.EncodeElement(string(text), start)
}
