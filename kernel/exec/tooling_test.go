package exec

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
	mustRun(t, e, "func Area(w, h float64) float64 { return w * h }\nvar sb strings.Builder")
	for _, tc := range []struct {
		code   string
		cursor int
		want   string
	}{
		{"strings.ToUpper", 10, "func strings.ToUpper(string) string"},
		{"strings.ToUpper", 3, "package strings"},
		{"Area(1, 2)", 2, "func Area(w float64, h float64) float64"},
		{"sb.WriteString", 6, "WriteString"},
		{"fmt", 1, "package fmt"},
	} {
		d, ok := e.Inspect(tc.code, tc.cursor, 0)
		text, _ := d.Bundle[display.MIMEText].(string)
		if !ok || !strings.Contains(text, tc.want) {
			t.Errorf("Inspect(%q) = %q, %v; want %q", tc.code, text, ok, tc.want)
		}
	}
	if _, ok := e.Inspect("   ", 1, 0); ok {
		t.Error("Inspect on blank reported something")
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
