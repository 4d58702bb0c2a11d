package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// A runtime failure's traceback starts with "Name: value" in IPython's
// colours, since that list is all front ends show, then the cell's own
// position, then the functions it called.
func TestTracebackStartsWithTheMessage(t *testing.T) {
	var out bytes.Buffer
	e, err := New(Options{Stdout: &out, Stderr: &out})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Execute(context.Background(), "func put(m map[string]int) {\n\tm[\"a\"] = 1\n}"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		code, head string
		frames     []string
	}{
		{"x := 1\n_ = x\nput(nil)",
			"runtime.Error: assignment to entry in nil map",
			[]string{"cell:3:1: in this cell", "cell:2:2: in put (body starts here)"}},
		{"f, err := data.ReadCSV(\"missing.csv\")\nif err != nil {\n\tpanic(err)\n}\n_ = f",
			"*fs.PathError: open missing.csv: no such file or directory",
			[]string{"cell:2:1: in this cell"}},
		{"xs := []int{1}\nxs[3] = 1",
			"runtime.Error: runtime error: index out of range",
			[]string{"cell:2:1: in this cell"}},
		{"type P struct{ X int }\nvar p *P\nfmt.Println(p.X)",
			"runtime.Error: runtime error: invalid memory address or nil pointer dereference",
			[]string{"cell:3:1: in this cell"}},
		{"done := make(chan bool)\ngo func() {\n\tdefer close(done)\n\tput(nil)\n}()\n<-done\ntime.Sleep(10 * time.Millisecond)",
			"runtime.Error: assignment to entry in nil map",
			[]string{"cell:2:1: in a goroutine started by this cell", "cell:3:8: in a function literal in this cell (body starts here)", "cell:2:2: in put (body starts here)"}},
	}
	for _, c := range cases {
		_, err := e.Execute(context.Background(), c.code)
		ce, ok := err.(*CellError)
		if !ok {
			t.Errorf("%s: error = %v, want a *CellError", c.code, err)
			continue
		}
		tb := ce.Traceback()
		name, value, _ := strings.Cut(c.head, ": ")
		if want := ansiRed + name + ansiReset + ": " + value; tb[0] != want {
			t.Errorf("%s: traceback[0] = %q, want %q", c.code, tb[0], want)
		}
		var frames []string
		for _, l := range tb[1:] {
			frames = append(frames, strings.NewReplacer(ansiGreen, "", ansiReset, "").Replace(l))
		}
		if strings.Join(frames, "\n") != strings.Join(c.frames, "\n") {
			t.Errorf("%s: frames\n%s\nwant\n%s", c.code, strings.Join(frames, "\n"), strings.Join(c.frames, "\n"))
		}
		if !strings.HasPrefix(tb[1], ansiGreen+"cell:") {
			t.Errorf("%s: position %q is not coloured", c.code, tb[1])
		}
	}
	// Compile errors keep their form: positions with messages.
	_, err = e.Execute(context.Background(), "y := undefinedThing")
	if tb := err.(*CellError).Traceback(); len(tb) != 1 || tb[0] != "cell:1:6: undefined: undefinedThing" {
		t.Errorf("compile error traceback = %q", tb)
	}
}
