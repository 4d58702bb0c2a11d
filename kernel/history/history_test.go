package history

import (
	"os"
	"path/filepath"
	"testing"
)

func inputs(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		out = append(out, e.Input)
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestHistoryAcrossSessions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "history.jsonl")
	s1, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	out := "2"
	for i, in := range []string{"x := 1", "x + 1", "fmt.Println(x)"} {
		var o *string
		if i == 1 {
			o = &out
		}
		if err := s1.Append(i+1, in, o); err != nil {
			t.Fatal(err)
		}
	}
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Session() != s1.Session()+1 {
		t.Fatalf("second session = %d, want %d", s2.Session(), s1.Session()+1)
	}
	if err := s2.Append(1, "x + 1", nil); err != nil {
		t.Fatal(err)
	}
	// A torn line from a crash must not hide the rest.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString("{\"session\": 2, \"li\n")
	f.Close()

	tests := []struct {
		name string
		got  func() ([]Entry, error)
		want []string
	}{
		{"tail 2", func() ([]Entry, error) { return s2.Tail(2, false) }, []string{"fmt.Println(x)", "x + 1"}},
		{"tail all unique", func() ([]Entry, error) { return s2.Tail(0, true) }, []string{"x := 1", "fmt.Println(x)", "x + 1"}},
		{"range previous session", func() ([]Entry, error) { return s2.Range(-1, 2, 3) }, []string{"x + 1"}},
		{"range absolute open-ended", func() ([]Entry, error) { return s2.Range(s1.Session(), 2, 0) }, []string{"x + 1", "fmt.Println(x)"}},
		{"range current", func() ([]Entry, error) { return s2.Range(0, 1, 0) }, []string{"x + 1"}},
		{"search", func() ([]Entry, error) { return s2.Search("x ?*", 0, false) }, []string{"x := 1", "x + 1", "x + 1"}},
		{"search unique", func() ([]Entry, error) { return s2.Search("x + ?", 0, true) }, []string{"x + 1"}},
		{"search n", func() ([]Entry, error) { return s2.Search("*", 2, false) }, []string{"fmt.Println(x)", "x + 1"}},
		{"search meta characters literal", func() ([]Entry, error) { return s2.Search("fmt.Println(x)", 0, false) }, []string{"fmt.Println(x)"}},
	}
	for _, tt := range tests {
		got, err := tt.got()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !equal(inputs(got), tt.want) {
			t.Errorf("%s = %q, want %q", tt.name, inputs(got), tt.want)
		}
	}
	got, _ := s2.Range(s1.Session(), 2, 3)
	if len(got) != 1 || got[0].Output == nil || *got[0].Output != "2" {
		t.Errorf("output not kept: %+v", got)
	}
}
