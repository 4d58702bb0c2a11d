// encoding/json encodes the types cells declare as Go does: exported
// fields under their tags, unexported ones left out, MarshalJSON and
// MarshalText called, nested values included.
type Temp float64

func (t Temp) MarshalJSON() ([]byte, error) { return []byte(fmt.Sprintf(`"%.1fC"`, float64(t))), nil }

type Color int

func (c Color) MarshalText() ([]byte, error) { return []byte([]string{"red", "green"}[c]), nil }

type Place struct {
	Name string
	lat  float64
}

type Reading struct {
	T     Temp     `json:"temp"`
	C     Color    `json:"color"`
	Tags  []string `json:"tags,omitempty"`
	Skip  int      `json:"-"`
	note  string
	Where *Place `json:"where,omitempty"`
}

b, err := json.Marshal(Reading{T: 3, C: 1, note: "x"})
fmt.Println(string(b), err)
// Output:
// {"temp":"3.0C","color":"green"} <nil>

// -- cell --
b, _ = json.Marshal([]Reading{{T: 1, Tags: []string{"a"}, Where: &Place{"Oslo", 1}}})
fmt.Println(string(b))
b, _ = json.MarshalIndent(map[string]Place{"a": {"A", 2}}, "", " ")
fmt.Println(string(b))
var sb strings.Builder
json.NewEncoder(&sb).Encode(Temp(20))
fmt.Print(sb.String())
// Output:
// [{"temp":"1.0C","color":"red","tags":["a"],"where":{"Name":"Oslo"}}]
// {
//  "a": {
//   "Name": "A"
//  }
// }
// "20.0C"
// -- cell --
// Map keys other than strings are written as their decimal text; arrays,
// nil pointers and nil slices as Go writes them.
b, _ = json.Marshal(map[int]Place{2: {"B", 1}, 1: {"A", 2}})
fmt.Println(string(b))
b, _ = json.Marshal([2]*Place{{"P", 0}, nil})
fmt.Println(string(b))
var none []Reading
b, _ = json.Marshal(none)
fmt.Println(string(b))
// Output:
// {"1":{"Name":"A"},"2":{"Name":"B"}}
// [{"Name":"P"},null]
// null
