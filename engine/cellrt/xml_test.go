package cellrt

import (
	"encoding/xml"
	"testing"
)

func TestXMLStruct(t *testing.T) {
	inner := XMLStruct("Place", []string{"Name"}, []string{`xml:"name,attr"`}, []any{"Oslo"})
	outer := XMLStruct("Trip", []string{"From", "Stops", "Note"}, []string{``, `xml:"stop"`, `xml:",chardata"`},
		[]any{inner, []any{inner, inner}, "x"})
	for _, c := range []struct {
		v    any
		want string
	}{
		{inner, `<Place name="Oslo"></Place>`},
		{outer, `<Trip><From name="Oslo"></From><stop name="Oslo"></stop><stop name="Oslo"></stop>x</Trip>`},
		{XMLTextFunc{TypeName: "Color", F: func() ([]byte, error) { return []byte("red"), nil }}, `<Color>red</Color>`},
	} {
		b, err := xml.Marshal(c.v)
		if err != nil || string(b) != c.want {
			t.Errorf("xml.Marshal = %s, %v; want %s", b, err, c.want)
		}
	}
}
