// encoding/xml encodes the types cells declare as Go does: elements named
// after the type or XMLName, fields under their tags (attr, chardata,
// omitempty, -), unexported ones left out, MarshalXML and MarshalText
// called, nested values included.
type Color int

func (c Color) MarshalText() ([]byte, error) { return []byte([]string{"red", "green"}[c]), nil }

type Place struct {
	Name string `xml:"name,attr"`
	lat  float64
	Note string `xml:",chardata"`
}

type Reading struct {
	ID    int      `xml:"id,attr"`
	C     Color    `xml:"color"`
	Shade Color    `xml:"shade,attr"`
	Tags  []string `xml:"tag,omitempty"`
	Skip  int      `xml:"-"`
	note  string
	Where *Place `xml:"where,omitempty"`
	Level int
}

b, err := xml.Marshal(Reading{ID: 7, C: 1, note: "x", Level: 2})
fmt.Println(string(b), err)
// Output:
// <Reading id="7" shade="red"><color>green</color><Level>2</Level></Reading> <nil>

// -- cell --
b, err = xml.MarshalIndent([]Reading{{Tags: []string{"a", "b"}, Where: &Place{"Oslo", 1, "north"}}}, "", " ")
fmt.Println(string(b))
// Output:
// <Reading id="0" shade="red">
//  <color>red</color>
//  <tag>a</tag>
//  <tag>b</tag>
//  <where name="Oslo">north</where>
//  <Level>0</Level>
// </Reading>

// -- cell --
type Feed struct {
	XMLName xml.Name `xml:"feed"`
	Title   string   `xml:"title"`
	Items   []Place  `xml:"item"`
}

var sb strings.Builder
enc := xml.NewEncoder(&sb)
enc.Encode(&Feed{Title: "news", Items: []Place{{Name: "a"}, {Name: "b", Note: "B"}}})
fmt.Println(sb.String())
// Output:
// <feed><title>news</title><item name="a"></item><item name="b">B</item></feed>

// -- cell --
type Point struct{ X, Y int }

func (p Point) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: "at"}, Value: fmt.Sprintf("%d,%d", p.X, p.Y)})
	return e.EncodeElement("", start)
}

type Shape struct {
	Corner Point `xml:"corner"`
	Center Point
}

b, _ = xml.Marshal(Point{1, 2})
fmt.Println(string(b))
b, _ = xml.Marshal(Shape{Point{0, 0}, Point{3, 4}})
fmt.Println(string(b))
b, _ = xml.Marshal(Color(1))
fmt.Println(string(b))
// Output:
// <Point at="1,2"></Point>
// <Shape><corner at="0,0"></corner><Center at="3,4"></Center></Shape>
// <Color>green</Color>

// -- cell --
// XMLName's value names the element where its tag does not; a namespace
// in a tag is kept.
type Entry struct {
	XMLName xml.Name
	Key     string `xml:"urn:k key"`
	private int
}

type Book struct {
	Entries []Entry `xml:"list>entry"`
	Lead    *Entry  `xml:"lead"`
	Last    Entry
}

b, _ = xml.Marshal(Entry{XMLName: xml.Name{Local: "named"}, Key: "a"})
fmt.Println(string(b))
b, _ = xml.Marshal(Book{Entries: []Entry{{Key: "x"}, {XMLName: xml.Name{Local: "own"}}}, Last: Entry{Key: "z"}})
fmt.Println(string(b))
// Output:
// <named><key xmlns="urn:k">a</key></named>
// <Book><list><entry><key xmlns="urn:k">x</key></entry><own><key xmlns="urn:k"></key></own></list><Last><key xmlns="urn:k">z</key></Last></Book>

// -- cell --
var e Entry
err = xml.Unmarshal([]byte(`<e><key xmlns="urn:k">v</key></e>`), &e)
fmt.Println(e.Key, e.XMLName.Local, err)
// Output:
// v e <nil>
