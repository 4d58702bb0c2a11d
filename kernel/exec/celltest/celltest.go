// Package celltest runs golden notebook sessions: files under
// testdata/cells hold cells separated by a "// -- cell --" line, each
// ending in an "// Output:" comment with what the cell must print, as
// yaegi's _test programs do. A session runs top to bottom in one fresh
// backend, so state, redefinition and recovery after errors are exercised.
//
// The backend is pluggable: the engine runs sessions in-process, and the
// kernel can run the same files through its worker.
package celltest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Separator starts each cell after the first.
const Separator = "// -- cell --"

// Backend runs the cells of one session.
type Backend interface {
	// Run executes code and returns everything the cell showed: printed
	// output, then its result or error, in the Transcript format.
	Run(ctx context.Context, code string) string
}

// Cell is one cell of a session file.
type Cell struct {
	Code, Want string
	Line       int // where the cell starts in the file
}

// Parse splits a session file into cells and their expected output.
func Parse(src string) []Cell {
	var cells []Cell
	lines := strings.Split(src, "\n")
	start := 0
	flush := func(end int) {
		code := strings.Join(lines[start:end], "\n")
		c := Cell{Line: start + 1}
		if i := strings.Index(code, "// Output:"); i >= 0 {
			c.Want = outputComment(code[i+len("// Output:"):])
			code = code[:i]
		}
		c.Code = strings.TrimSpace(code)
		if c.Code != "" {
			cells = append(cells, c)
		}
	}
	for i, l := range lines {
		if strings.TrimSpace(l) == Separator {
			flush(i)
			start = i + 1
		}
	}
	flush(len(lines))
	return cells
}

// outputComment reads the lines of an Output comment: "// text" lines
// or a /* */ block.
func outputComment(s string) string {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(s, "/*"); ok {
		rest, _, _ = strings.Cut(rest, "*/")
		return strings.TrimSpace(rest)
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "//")
		out = append(out, strings.TrimPrefix(l, " "))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// RunDir runs every session file in dir, each in a backend from newBackend,
// as subtests named after the file.
func RunDir(t *testing.T, dir string, newBackend func(t *testing.T) Backend) (cells int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no sessions in %s", dir)
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		session := Parse(string(src))
		cells += len(session)
		t.Run(strings.TrimSuffix(filepath.Base(file), ".go"), func(t *testing.T) {
			b := newBackend(t)
			for _, c := range session {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				got := strings.TrimSpace(b.Run(ctx, c.Code))
				cancel()
				if got != c.Want {
					t.Errorf("%s:%d:\n%s\n--- got:\n%s\n--- want:\n%s", filepath.Base(file), c.Line, c.Code, got, c.Want)
				}
			}
		})
	}
	return cells
}
