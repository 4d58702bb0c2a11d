package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/galley-dev/galley/engine"
	"github.com/galley-dev/galley/engine/celltest"
	"github.com/galley-dev/galley/server/notebook"
	"github.com/galley-dev/galley/server/worker"
	"github.com/galley-dev/galley/stdlib/display"
)

// blockedInRecipes lists the golden cells that use what the recipe
// profile blocks, with what a recipe shows instead. Every other golden
// cell must show in a recipe exactly what it shows in the kernel.
var blockedInRecipes = map[string]string{
	"crash.go:os.Exit(3)": "error: CompileError: os.Exit may not be used in a recipe\n  cell:1:4: os.Exit may not be used in a recipe",
	"exitdefer.go:// os.Exit and log.Fatal end the cell without running deferred calls, as\n// they end a Go program.\ndefer fmt.Println(\"deferred call\")\ndefer func() { fmt.Println(\"deferred literal\") }()\nfmt.Println(\"before\")\nos.Exit(3)": "error: CompileError: os.Exit may not be used in a recipe\n  cell:6:4: os.Exit may not be used in a recipe",
}

// TestGoldenCellsAsRecipe runs the golden notebook sessions under
// testdata/cells the way a recipe runs its cells: each cell is stored as
// recipe source (marker and code, as conversion writes it), read back with
// notebook.Cells and run by Program.Exec, the step worker.Load takes for
// every cell, in an engine with the recipe profile. The engine's TestGolden
// and the kernel's TestGoldenKernel run the same files.
func TestGoldenCellsAsRecipe(t *testing.T) {
	files, err := filepath.Glob("../../testdata/cells/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden sessions: %v", err)
	}
	cells, overridden := 0, 0
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		session := celltest.Parse(string(src))
		base := filepath.Base(file)
		t.Run(strings.TrimSuffix(base, ".go"), func(t *testing.T) {
			var out bytes.Buffer
			p, err := worker.NewProgram(worker.ProgramOptions{Stdout: &out, Stderr: &out})
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range session {
				cells++
				want := c.Want
				if w, ok := blockedInRecipes[base+":"+c.Code]; ok {
					want, overridden = w, overridden+1
				}
				stored := fmt.Sprintf("%s\n%s\n", notebook.Marker{Index: i, ID: fmt.Sprintf("golden-%d", c.Line)}, c.Code)
				rc, err := notebook.Cells(stored)
				if err != nil || len(rc) != 1 {
					t.Fatalf("%s:%d: reading the cell back: %v", base, c.Line, err)
				}
				out.Reset()
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				d, err := p.Exec(ctx, rc[0])
				cancel()
				if got := transcript(out.String(), d, err); got != want {
					t.Errorf("%s:%d:\n%s\n--- got:\n%s\n--- want:\n%s", base, c.Line, c.Code, got, want)
				}
			}
		})
	}
	if overridden != len(blockedInRecipes) {
		t.Errorf("%d of the %d blocked cells were found: update blockedInRecipes", overridden, len(blockedInRecipes))
	}
	t.Logf("%d golden cells through the recipe path, %d of them blocked by the recipe profile", cells, overridden)
}

func transcript(out string, d *display.Data, err error) string {
	s := celltest.Shown{Output: out}
	if d != nil {
		text, _ := d.Bundle[display.MIMEText].(string)
		s.Result = &text
	}
	var ce *engine.CellError
	if errors.As(err, &ce) {
		s.Err = &celltest.Error{Name: ce.Ename(), Value: ce.Evalue(), Traceback: ce.Traceback()}
	} else if err != nil {
		s.Err = &celltest.Error{Value: err.Error()}
	}
	return strings.TrimSpace(s.Transcript())
}
