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
	"regexp"
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

// Shown is what one cell showed, however the backend observed it.
type Shown struct {
	// Output is what the cell printed to stdout and stderr, in order.
	Output string
	// Result is the text/plain form of the cell's value, if it had one.
	Result *string
	// Err is why the cell failed, if it did.
	Err *Error
}

// Error is a failed cell as Jupyter reports it.
type Error struct {
	Name, Value string // Name is empty for errors that are not Go values
	Traceback   []string
}

// tracePrefix starts the traceback lines that point into the cell; other
// lines (Go stacks, hints) vary between runs and are left out.
const tracePrefix = "cell:"

// ansiCode matches the colour codes of a traceback.
var ansiCode = regexp.MustCompile("\x1b\\[[0-9;]*m")

// Transcript formats what a cell showed for golden comparison: output,
// then the text/plain result, then "error: Name: value" and the traceback
// lines that point into the cell, indented.
func (s Shown) Transcript() string {
	var b strings.Builder
	b.WriteString(s.Output)
	if s.Result != nil {
		b.WriteString(strings.TrimSpace(*s.Result) + "\n")
	}
	if s.Err != nil {
		b.WriteString("error: ")
		if s.Err.Name != "" {
			b.WriteString(s.Err.Name + ": ")
		}
		b.WriteString(s.Err.Value + "\n")
		for _, l := range s.Err.Traceback {
			l = ansiCode.ReplaceAllString(l, "")
			if strings.HasPrefix(l, tracePrefix) {
				b.WriteString("  " + l + "\n")
			}
		}
	}
	return b.String()
}
