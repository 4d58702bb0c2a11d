package engine

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/stdlib/display"
)

func newTestEngine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(Options{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustRun(t *testing.T, e *Engine, code string) {
	t.Helper()
	if _, err := e.Execute(context.Background(), code); err != nil {
		t.Fatalf("%s: %v", code, err)
	}
}

func TestComplete(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "var sb strings.Builder\ntype Rec struct{ Name string; age int }\nfunc (r Rec) Hello() string { return r.Name }\nrec := Rec{Name: \"x\"}")
	for _, tc := range []struct {
		code string
		want []string
	}{
		{"sb.Wr", []string{"Write", "WriteByte", "WriteRune", "WriteString"}},
		{"fmt.Pri", []string{"Print", "Printf", "Println"}},
		{"rec.", []string{"Hello", "Name", "age"}},
		{"for i := 0; i < 3; i++ {\n\tsb.Le", []string{"Len"}},
		{"x := 1\nre", []string{"rec", "return"}},
		{"ma", []string{"map", "maps", "math"}},
	} {
		got, start, end := e.Complete(tc.code, len([]rune(tc.code)))
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Complete(%q) = %v, missing %s", tc.code, got, w)
			}
		}
		if end != len([]rune(tc.code)) || start > end {
			t.Errorf("Complete(%q) range = %d,%d", tc.code, start, end)
		}
	}
	got, start, _ := e.Complete("s := \"é\"; fmt.Sp", 16)
	if !slices.Contains(got, "Sprintf") || start != 14 {
		t.Errorf("Complete after non-ASCII = %v from %d, want Sprintf from 14", got, start)
	}
}

func TestInspect(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, `// Area returns the area of a w by h rectangle.
func Area(w, h float64) float64 { return w * h }

var sb strings.Builder
rw := bufio.NewReadWriter(nil, nil)
var req *http.Request

// Point is a place on the plane.
type Point struct{ X, Y float64 }

// Norm is the distance from the origin.
func (p Point) Norm() float64 { return math.Hypot(p.X, p.Y) }
p := Point{3, 4}`)
	for _, tc := range []struct {
		code      string
		cursor    int // -1: at the end
		decl, doc string
	}{
		{"strings.ToUpper", 10, "func strings.ToUpper(s string) string", "ToUpper returns s with all Unicode letters mapped to their upper case."},
		{"strings.ToUpper", 3, "package strings", "Package strings implements simple functions"},
		{"sb.WriteString", 6, "func (b *Builder) WriteString(s string) (int, error)", "WriteString appends the contents of s to b's buffer."},
		{"rw.ReadString", -1, "ReadString(delim byte) (string, error)", "ReadString reads until the first occurrence of delim"},
		{"req.Method", -1, "field Method string", "Method specifies the HTTP method"},
		{"http.StatusNotFound", -1, "const http.StatusNotFound = 404", ""},
		{"slices.Sort", -1, "func slices.Sort[S ~[]E, E cmp.Ordered](x S)", "Sort sorts a slice of any ordered type in ascending order."},
		{"data.ReadCSV", -1, "func data.ReadCSV(path string, opts ...CSVOptions) (*Frame, error)", "ReadCSV reads a whole CSV file into a frame."},
		{"data.Frame", -1, "type data.Frame struct", "Frame"},
		{"Area(1, 2)", 2, "func Area(w float64, h float64) float64", "Area returns the area of a w by h rectangle."},
		{"Point{}", 2, "type Point struct{X float64; Y float64}", "Point is a place on the plane."},
		{"p.Norm()", 4, "func (Point).Norm() float64", "Norm is the distance from the origin."},
		{"// Twice doubles n.\n//\n// It never fails.\nfunc Twice(n int) int { return 2 * n }\nTwice(2)", -1, "func Twice(n int) int", "Twice doubles n.\n\nIt never fails."},
		{"x := 1\nx", -1, "var x int", ""},
		{"fmt", 1, "package fmt", "Package fmt implements formatted I/O"},
	} {
		cursor := tc.cursor
		if cursor < 0 {
			cursor = len([]rune(tc.code))
			if i := strings.LastIndexByte(tc.code, '('); i > strings.LastIndexByte(tc.code, '\n') {
				cursor = len([]rune(tc.code[:i]))
			}
		}
		d, ok := e.Inspect(tc.code, cursor, 0)
		text, _ := d.Bundle[display.MIMEText].(string)
		decl, doc, _ := strings.Cut(text, "\n\n")
		if !ok || !strings.Contains(decl, tc.decl) || !strings.HasPrefix(doc, tc.doc) || tc.doc == "" && doc != "" && !strings.HasPrefix(tc.decl, "const") {
			t.Errorf("Inspect(%q) = %q, %v; want declaration %q, then doc %q", tc.code, text, ok, tc.decl, tc.doc)
		}
		md, _ := d.Bundle[display.MIMEMarkdown].(string)
		if !strings.HasPrefix(md, "```go\n"+decl+"\n```") {
			t.Errorf("Inspect(%q) markdown = %q", tc.code, md)
		}
	}
	if _, ok := e.Inspect("   ", 1, 0); ok {
		t.Error("Inspect on blank reported something")
	}
	// A package's doc is cut to its first paragraph unless more is asked.
	short, _ := e.Inspect("fmt", 1, 0)
	long, _ := e.Inspect("fmt", 1, 1)
	if s, l := short.Bundle[display.MIMEText].(string), long.Bundle[display.MIMEText].(string); len(l) < 2*len(s) || !strings.Contains(l, "%v") {
		t.Errorf("fmt docs at detail 0 and 1: %d and %d bytes", len(s), len(l))
	}
}

// A redefinition brings its own doc comment; a later cell still sees the
// doc of a function declared earlier.
func TestInspectDocFollowsRedefinition(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "// Greet says hello.\nfunc Greet() string { return \"hello\" }")
	mustRun(t, e, "n := 1")
	for _, tc := range []struct{ cell, want string }{
		{"", "Greet says hello."},
		{"// Greet says hi instead.\nfunc Greet() string { return \"hi\" }", "Greet says hi instead."},
		{"func Greet() string { return \"hey\" }", ""},
	} {
		if tc.cell != "" {
			mustRun(t, e, tc.cell)
		}
		d, ok := e.Inspect("Greet()", 2, 0)
		text, _ := d.Bundle[display.MIMEText].(string)
		_, doc, _ := strings.Cut(text, "\n\n")
		if !ok || doc != tc.want {
			t.Errorf("after %q: Inspect(Greet) = %q, want doc %q", tc.cell, text, tc.want)
		}
	}
}

// After a type is redefined, inspection and completion speak of the
// earlier definition as users know it, never by the name galley gave it.
func TestToolingAfterTypeRedefinition(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "// Rec is a record.\ntype Rec struct{ A int }\nfunc (r Rec) Get() int { return r.A }\nold := Rec{1}")
	mustRun(t, e, "// Rec has two fields now.\ntype Rec struct{ A, B int }\ncur := Rec{1, 2}")
	for _, tc := range []struct {
		code      string
		cursor    int
		decl, doc string
	}{
		{"old", 2, "var old Rec (earlier definition)", ""},
		{"cur", 2, "var cur Rec", ""},
		{"Rec{}", 2, "type Rec struct{A int; B int}", "Rec has two fields now."},
		{"old.Get()", 5, "func (Rec (earlier definition)).Get() int", ""},
	} {
		d, ok := e.Inspect(tc.code, tc.cursor, 0)
		text, _ := d.Bundle[display.MIMEText].(string)
		decl, doc, _ := strings.Cut(text, "\n\n")
		if !ok || decl != tc.decl || doc != tc.doc {
			t.Errorf("Inspect(%q) = %q, want declaration %q, then doc %q", tc.code, text, tc.decl, tc.doc)
		}
	}
	for _, code := range []string{"", "old.", "Re"} {
		got, _, _ := e.Complete(code, len(code))
		for _, m := range got {
			if strings.HasPrefix(m, "galley_") {
				t.Errorf("Complete(%q) offers %s", code, m)
			}
		}
		if code == "old." && !slices.Equal(got, []string{"A", "Get"}) {
			t.Errorf("Complete(old.) = %v, want [A Get]", got)
		}
	}
}

func TestIsComplete(t *testing.T) {
	e := newTestEngine(t)
	for _, tc := range []struct{ code, status, indent string }{
		{"x := 1", "complete", ""},
		{"func f() {", "incomplete", "\t"},
		{"for i := range 3 {\n\tif i > 0 {", "incomplete", "\t\t"},
		{"x := `raw", "incomplete", ""},
		{"y := 1 +", "incomplete", "\t"},
		{"}", "invalid", ""},
		{"x := := 2", "invalid", ""},
	} {
		status, indent := e.IsComplete(tc.code)
		if status != tc.status || indent != tc.indent {
			t.Errorf("IsComplete(%q) = %q %q, want %q %q", tc.code, status, indent, tc.status, tc.indent)
		}
	}
}

func TestInterruptKeepsSessionUsable(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "n := 41")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := e.Execute(ctx, "for { n = n + 0 }")
	ce, ok := err.(*CellError)
	if !ok || ce.Ename() != Interrupted {
		t.Fatalf("interrupted cell returned %v", err)
	}
	d, err := e.Execute(context.Background(), "n + 1")
	if err != nil || d.Bundle[display.MIMEText] != "42" {
		t.Fatalf("after interrupt: %v %v", d, err)
	}
}

// Completion works on every value: pointers, embedded fields, interfaces,
// generic instances, cell types, results of calls, elements of maps and
// slices, and the keys of struct literals.
func TestCompleteEveryValue(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, `var df *data.Frame
var c *plot.Chart
var req *http.Request
type Base struct{ ID int }
func (b *Base) Describe() string { return "base" }
type Item struct {
	Base
	Name string
}
func (i Item) Label() string { return i.Name }
var it Item
var ip = &Item{}
var w io.Writer = os.Stdout
type Box[T any] struct{ Val T }
func (b Box[T]) Get() T { return b.Val }
var bi Box[int]
m := map[string]*Item{}
xs := []Item{{}}
p := "x.csv"`)
	for _, tc := range []struct {
		code string
		want []string
		not  []string
	}{
		{"df.", []string{"Head", "NumRows", "Column", "Select"}, nil},
		{"c.", []string{"Spec", "SVG", "DisplayData"}, nil},
		{"req.", []string{"Method", "URL", "Context", "FormValue", "WithContext"}, nil},
		{"it.", []string{"Name", "Base", "ID", "Describe", "Label"}, nil},
		{"ip.", []string{"Name", "ID", "Describe", "Label"}, nil},
		{"w.", []string{"Write"}, []string{"Close"}},
		{"bi.", []string{"Val", "Get"}, nil},
		{"m[\"k\"].", []string{"Name", "Label", "Describe"}, nil},
		{"xs[0].", []string{"Name", "Label"}, nil},
		{"f, _ := data.ReadCSV(p)\nf.", []string{"Head", "NumRows"}, nil},
		{"df.Head(3).", []string{"Head", "Select"}, nil},
		{"func g(v Item) {\n\tv.", []string{"Name", "Describe"}, nil},
		{"func h[T fmt.Stringer](v T) {\n\tv.", []string{"String"}, nil},
		{"Item{", []string{"Base", "Name"}, nil},
		{"Item{Name: \"a\", ", []string{"Base"}, []string{"Name"}},
		{"_ = &Item{\n\tNa", []string{"Name"}, nil},
	} {
		got, _, _ := e.Complete(tc.code, len([]rune(tc.code)))
		for _, w := range tc.want {
			if !slices.Contains(got, w) {
				t.Errorf("Complete(%q) = %v, missing %s", tc.code, got, w)
			}
		}
		for _, n := range tc.not {
			if slices.Contains(got, n) {
				t.Errorf("Complete(%q) = %v, should not offer %s", tc.code, got, n)
			}
		}
	}
	// A struct literal's fields come before other names.
	if got, _, _ := e.Complete("Item{", 5); len(got) < 2 || got[0] != "Base" || got[1] != "Name" {
		t.Errorf("Complete(Item{) = %v, want the fields first", got)
	}
}

func TestCompleteRanking(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "type R struct{}\nfunc (R) WriteString() {}\nfunc (R) Write() {}\nfunc (R) write() {}\nfunc (R) Rewrite() {}\nfunc (R) WorkString() {}\nvar r R")
	got, _, _ := e.Complete("r.Wr", 4)
	if want := []string{"Write", "WriteString", "write", "WorkString"}; !slices.Equal(got, want) {
		t.Errorf("Complete(r.Wr) = %v, want %v (exact prefix, then other case, then fuzzy)", got, want)
	}
	got, _, _ = e.Complete("r.wstr", 6)
	if want := []string{"WorkString", "WriteString"}; !slices.Equal(got, want) {
		t.Errorf("Complete(r.wstr) = %v, want the fuzzy matches %v", got, want)
	}
	got, _, _ = e.Complete("r.write", 7)
	if len(got) < 3 || got[0] != "write" || !slices.Contains(got[1:], "Write") {
		t.Errorf("Complete(r.write) = %v, want write first", got)
	}
}

// Inspect describes members of any value, as completion offers them.
func TestInspectEveryValue(t *testing.T) {
	e := newTestEngine(t)
	mustRun(t, e, "var df *data.Frame\nxs := []*data.Frame{df}")
	for _, tc := range []struct{ code, decl string }{
		{"df.Head", "Head("},
		{"xs[0].NumRows", "NumRows()"},
		{"f, _ := data.ReadCSV(\"x\")\nf.NumRows", "NumRows()"},
		{"df.Head(2).NumCols", "NumCols()"},
	} {
		d, ok := e.Inspect(tc.code, len([]rune(tc.code)), 0)
		text, _ := d.Bundle[display.MIMEText].(string)
		if !ok || !strings.Contains(text, tc.decl) {
			t.Errorf("Inspect(%q) = %q, %v; want %q", tc.code, text, ok, tc.decl)
		}
	}
}
