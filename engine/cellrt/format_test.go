package cellrt

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestValueFormat(t *testing.T) {
	inner := Value{Type: "main.P", Kind: Struct, Names: []string{"X", "y"}, Elems: []any{1, "a"}}
	named := Value{Type: "main.L", Kind: Other, Raw: 2, StringFunc: func() string { return "two" }}
	tests := []struct {
		format string
		arg    any
		want   string
	}{
		{"%v", inner, "{1 a}"},
		{"%+v", inner, "{X:1 y:a}"},
		{"%#v", inner, `main.P{X:1, y:"a"}`},
		{"%v", Value{Type: "*main.P", Kind: Pointer, Elem: func() any { return inner }}, "&{1 a}"},
		{"%v", Value{Type: "*main.P", Kind: Pointer, Nil: true}, "<nil>"},
		{"%#v", Value{Type: "*main.P", Kind: Pointer, Nil: true}, "(*main.P)(nil)"},
		{"%v", Value{Type: "[]main.L", Kind: Slice, Elems: []any{named, named}}, "[two two]"},
		{"%#v", Value{Type: "[]main.L", Kind: Slice, Nil: true}, "[]main.L(nil)"},
		{"%v", Value{Type: "map[string]int", Kind: Map, Keys: []any{"b", "a"}, Elems: []any{2, 1}}, "map[a:1 b:2]"},
		{"%6s|%q|%d", nil, ""},
		{"%v", Value{Kind: Pointer, Nil: true, StringFunc: func() string { panic("nil") }}, "<nil>"},
	}
	for _, tt := range tests {
		var got string
		if tt.arg == nil {
			got = fmt.Sprintf(tt.format, named, named, named)
			tt.want = "   two|\"two\"|2" // %d prints the number, as fmt does
		} else {
			got = fmt.Sprintf(tt.format, tt.arg)
		}
		if got != tt.want {
			t.Errorf("Sprintf(%q) = %q, want %q", tt.format, got, tt.want)
		}
	}
}

func TestJSONObject(t *testing.T) {
	o := JSONObject{
		Names:     []string{"a", "b", "c"},
		Vals:      []any{1, "", MarshalTextFunc(func() ([]byte, error) { return []byte("t"), nil })},
		OmitEmpty: []bool{false, true, false},
		Raw:       []any{1, "", nil},
	}
	b, err := json.Marshal(o)
	if err != nil || string(b) != `{"a":1,"c":"t"}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
}
