package batch

import (
	"strings"
	"testing"

	"github.com/galley-dev/galley/server/notebook"
)

func paramsNotebook(src string) *notebook.Notebook {
	return &notebook.Notebook{Format: 4, Minor: 5, Cells: []notebook.Cell{
		{Index: 0, Type: "code", Source: `import "time"`},
		{Index: 1, ID: "p", Type: "code", Tags: []string{"parameters"}, Source: src},
	}}
}

func TestInjectTypesValues(t *testing.T) {
	nb := paramsNotebook("epochs := 3\nrate := 0.5\nlabel := \"x\"\nok := false\nvar wait time.Duration = 5\ncols := []string{\"a\"}\nns := []int{1}\nvar big int64 = 1\n")
	tests := []struct{ name, text, want string }{
		{"epochs", "5", "epochs = 5"},
		{"epochs", "1_000", "epochs = 1000"},
		{"rate", "2", "rate = 2.0"},
		{"label", "hello world", `label = "hello world"`},
		{"label", `"quoted"`, `label = "quoted"`},
		{"ok", "true", "ok = true"},
		{"wait", "90s", "wait = time.Duration(90000000000)"},
		{"cols", `a, "b,c", d`, `cols = []string{"a", "b,c", "d"}`},
		{"cols", `[x]`, `cols = []string{"x"}`},
		{"cols", ``, `cols = []string{}`},
		{"ns", "[1, 2,3]", "ns = []int{1, 2, 3}"},
		{"big", "7", "big = 7"},
	}
	for _, tt := range tests {
		src, after, err := Inject(nb, []Value{{Name: tt.name, Text: tt.text}})
		if err != nil {
			t.Errorf("%s=%s: %v", tt.name, tt.text, err)
			continue
		}
		if after != 1 || !strings.Contains(src, tt.want+"\n") {
			t.Errorf("%s=%s: injected %q after cell %d, want %q after cell 1", tt.name, tt.text, src, after, tt.want)
		}
	}
}

func TestInjectErrorsNameTheParameter(t *testing.T) {
	nb := paramsNotebook("epochs := 3\nok := false\nns := []int{1}\n")
	tests := []struct{ name, text, want string }{
		{"epoch", "5", "parameter epoch is not declared in the parameters cell (cell 1); it declares: epochs, ok, ns"},
		{"epochs", "five", `parameter epochs: "five" is not an integer`},
		{"ok", "maybe", `parameter ok: "maybe" is not a bool: use true or false`},
		{"ns", "1,x", `parameter ns: element 2 of []int: "x" is not an integer`},
	}
	for _, tt := range tests {
		_, _, err := Inject(nb, []Value{{Name: tt.name, Text: tt.text}})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s=%s: error %v, want %q", tt.name, tt.text, err, tt.want)
		}
	}
	bare := &notebook.Notebook{Cells: []notebook.Cell{{Type: "code", Source: "x := 1"}}}
	if _, _, err := Inject(bare, []Value{{Name: "x", Text: "2"}}); err == nil || !strings.Contains(err.Error(), `parameter x: the notebook has no cell tagged "parameters"`) {
		t.Errorf("no parameters cell: %v", err)
	}
	if src, after, err := Inject(bare, nil); src != "" || after != -1 || err != nil {
		t.Errorf("no parameters and no values: %q, %d, %v", src, after, err)
	}
}
